package app

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// ProxySettingsEngine is what the Settings tab's Proxy section needs: the
// routing settings the engine applies to its next request.
type ProxySettingsEngine interface {
	ProxySettings(ctx context.Context) (api.ProxySettings, error)
	UpdateProxySettings(ctx context.Context, ps api.ProxySettings) error
}

// proxySection edits the strategy, session window, retries and allowed
// origins. A value fixed on the command line (SLUICE_STRATEGY, ...) is
// shown disabled with what fixes it.
type proxySection struct {
	v *view

	strategy *focusSelect  // the controls come into sight on focus (scrollfocus.go)
	describe *widget.Label // what the chosen strategy does
	window   *escEntry     // "5h", "90m"; the window's shortcuts work in the fields
	retries  *escEntry
	delay    *escEntry     // the first retry's delay: "1s"
	origins  *escEntry     // comma-separated; empty: none
	tray     *focusSelect  // which window the tray's account lines show
	trayOpts []trayOption  // tray's options, in its order
	fixed    *widget.Label // which variables fix which values
	// fixable are the controls of the settings a variable or flag can fix,
	// by registry key: this section's, and the port's and the key
	// requirement's, which the tab adds (newSettingsTab).
	fixable map[string]fixable
	save    *focusButton
	msg     *widget.Label

	cur   api.ProxySettings // what the engine said last
	have  bool              // cur was filled once
	accts []api.AccountView // the accounts last read, for the tray's choices
}

// fixable is a control a variable or flag can fix, with the name the tab
// gives it.
type fixable struct {
	name string
	w    fyne.Disableable
}

func newProxySection(v *view) *proxySection {
	p := &proxySection{v: v, describe: widget.NewLabel(""), window: v.shortEntry(), retries: v.shortEntry(),
		delay: v.shortEntry(), origins: v.newEntry(), fixed: widget.NewLabel(""), msg: widget.NewLabel("")}
	p.strategy = newFocusSelect(api.StrategyNames(), func(name string) { p.describe.SetText(api.StrategyDescription(name)) }, v.settingsInSight)
	p.origins.onFocus = v.settingsInSight
	p.tray = newFocusSelect(nil, nil, v.settingsInSight)
	p.setTrayOptions(nil, api.TrayWindowClosest)
	p.fixable = map[string]fixable{
		api.SettingStrategy:       {"Strategy", p.strategy},
		api.SettingSessionWindow:  {"Session window", p.window},
		api.SettingRetries:        {"Retries", p.retries},
		api.SettingRetryDelay:     {"First retry after", p.delay},
		api.SettingAllowedOrigins: {"Allowed origins", p.origins},
	}
	p.describe.Wrapping = fyne.TextWrapWord
	p.describe.Importance = widget.LowImportance
	p.origins.SetPlaceHolder("none; e.g. http://localhost:3000, https://app.example")
	p.fixed.Wrapping = fyne.TextWrapWord
	p.fixed.Importance = widget.LowImportance
	p.fixed.Hide()
	p.msg.Wrapping = fyne.TextWrapWord
	p.msg.Hide()
	p.save = newFocusButton("Save proxy settings", nil, p.store, p.v.settingsInSight)
	return p
}

// items are the section's rows of the Proxy form.
func (p *proxySection) items() []*widget.FormItem {
	return []*widget.FormItem{
		widget.NewFormItem("Strategy", container.NewVBox(p.strategy, p.describe)),
		widget.NewFormItem("Session window", p.window),
		widget.NewFormItem("Retries", p.retries),
		widget.NewFormItem("First retry after", p.delay),
		widget.NewFormItem("Allowed origins", p.origins),
		widget.NewFormItem("Tray shows", p.tray),
	}
}

// footer is the Save button, the fixed-values hint and the outcome.
func (p *proxySection) footer() fyne.CanvasObject {
	return container.NewVBox(p.fixed, container.NewHBox(p.save), p.msg)
}

// update shows ps, the engine's settings now. A field the user has edited
// since the last update keeps what is being typed. UI goroutine only.
func (p *proxySection) update(ps api.ProxySettings) {
	if ps.Strategy == "" {
		return // the engine could not be read (control client's zero value)
	}
	if p.have && equalProxySettings(p.cur, ps) && maps.Equal(p.cur.Fixed, ps.Fixed) {
		return // most events are requests: nothing to redraw
	}
	old, had := p.cur, p.have
	p.cur, p.have = ps, true
	set := func(e *escEntry, was, now string) {
		if !had || e.Text == was {
			e.SetText(now)
		}
	}
	if !had || p.strategy.Selected == old.Strategy {
		p.strategy.SetSelected(ps.Strategy)
	}
	set(p.window, api.ShortDuration(old.SessionWindow), api.ShortDuration(ps.SessionWindow))
	set(p.retries, strconv.Itoa(old.RetryAttempts), strconv.Itoa(ps.RetryAttempts))
	set(p.delay, api.ShortDuration(old.RetryDelay), api.ShortDuration(ps.RetryDelay))
	set(p.origins, strings.Join(old.AllowedOrigins, ", "), strings.Join(ps.AllowedOrigins, ", "))
	if !had || p.trayValue() == cmp.Or(old.TrayWindow, api.TrayWindowClosest) {
		p.setTrayOptions(p.accts, ps.TrayWindow)
	}
	p.showFixed(ps.Fixed)
}

// showFixed disables the values the command line fixed and says by what,
// in the registry's order.
func (p *proxySection) showFixed(fixed map[string]string) {
	var lines []string
	for _, set := range api.Registry() {
		f, ok := p.fixable[set.Key]
		if !ok {
			continue
		}
		if by := fixed[set.Key]; by != "" {
			f.w.Disable()
			lines = append(lines, fmt.Sprintf("%s is set by %s when Sluice starts; change or unset it there.", f.name, by))
		} else {
			f.w.Enable()
		}
	}
	p.fixed.SetText(strings.Join(lines, "\n"))
	p.fixed.Hidden = len(lines) == 0
	p.fixed.Refresh()
}

// trayOption is one choice of the tray-window setting: its label and
// its value (api.ParseTrayWindow's).
type trayOption struct{ label, value string }

// setTrayOptions offers the tray's windows: closest (the default), the
// 5-hour and the weekly window, each model's weekly cap the accounts
// report (7d_opus, ...), and cur if it is none of these; cur is selected.
func (p *proxySection) setTrayOptions(accts []api.AccountView, cur string) {
	opts := []trayOption{{"Closest to its limit", api.TrayWindowClosest}, {"5-hour window", "5h"}, {"Weekly window", "7d"}}
	has := func(v string) bool { return slices.ContainsFunc(opts, func(o trayOption) bool { return o.value == v }) }
	for _, a := range accts {
		for _, w := range a.Windows {
			if w.Scope != "" && w.Name != "" && !has(w.Name) {
				label := fmt.Sprintf("Cap for %s (%s)", w.Scope, w.Name)
				if w.Kind == "weekly" {
					label = fmt.Sprintf("Weekly cap for %s (%s)", w.Scope, w.Name)
				}
				opts = append(opts, trayOption{label, w.Name})
			}
		}
	}
	if cur = strings.TrimSpace(cur); cur == "" {
		cur = api.TrayWindowClosest
	}
	if !has(cur) {
		opts = append(opts, trayOption{cur, cur})
	}
	labels := make([]string, len(opts))
	sel := ""
	for i, o := range opts {
		labels[i] = o.label
		if o.value == cur {
			sel = o.label
		}
	}
	if slices.Equal(labels, p.tray.Options) && sel == p.tray.Selected {
		return // most reads change nothing: no redraw
	}
	p.trayOpts = opts
	p.tray.SetOptions(labels)
	p.tray.SetSelected(sel)
}

// seen keeps the accounts last read, whose model caps (7d_opus, ...) the
// tray's choices offer; a choice being made is left alone. UI goroutine
// only.
func (p *proxySection) seen(accts []api.AccountView) {
	p.accts = accts
	if p.have && p.trayValue() == cmp.Or(p.cur.TrayWindow, api.TrayWindowClosest) {
		p.setTrayOptions(accts, p.cur.TrayWindow)
	}
}

// trayValue is the tray-window value selected.
func (p *proxySection) trayValue() string {
	for _, o := range p.trayOpts {
		if o.label == p.tray.Selected {
			return o.value
		}
	}
	return api.TrayWindowClosest
}

// read is the settings the fields describe.
func (p *proxySection) read() (api.ProxySettings, error) {
	// The fields are read by the registry's parsers, as `sluice settings
	// set` reads them; the bounds are the engine's to check and say.
	v := api.Values{ProxySettings: p.cur}
	if readField(&v, api.SettingSessionWindow, p.window.Text, false) != nil {
		return v.ProxySettings, fmt.Errorf("session window: a duration like 5h or 90m, not %q", p.window.Text)
	}
	if readField(&v, api.SettingRetries, p.retries.Text, false) != nil {
		return v.ProxySettings, fmt.Errorf("retries: a whole number from 0 to %d, not %q", api.MaxRetryAttempts, p.retries.Text)
	}
	if readField(&v, api.SettingRetryDelay, p.delay.Text, false) != nil {
		return v.ProxySettings, fmt.Errorf("first retry after: a duration like 1s or 500ms, not %q", p.delay.Text)
	}
	ps := v.ProxySettings
	ps.Strategy = p.strategy.Selected
	ps.TrayWindow = p.trayValue()
	ps.AllowedOrigins = nil
	if o := strings.TrimSpace(p.origins.Text); !strings.EqualFold(o, "none") {
		for _, s := range strings.Split(o, ",") {
			if s = strings.TrimSpace(s); s != "" {
				ps.AllowedOrigins = append(ps.AllowedOrigins, s)
			}
		}
	}
	return ps, nil
}

// store sends the fields to the engine, which applies them to its next
// request, and shows what it now uses.
func (p *proxySection) store() {
	ps, err := p.read()
	if err != nil {
		p.say(capitalize(err.Error()), widget.DangerImportance)
		return
	}
	p.save.Disable()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), p.v.timeout)
		defer cancel()
		err := p.v.eng.UpdateProxySettings(ctx, ps)
		var now api.ProxySettings
		if err == nil {
			now, err = p.v.eng.ProxySettings(ctx)
		}
		p.v.do(func() {
			p.save.Enable()
			if err != nil {
				p.say("Not saved: "+err.Error(), widget.DangerImportance)
				return
			}
			p.have = false // show what the engine made of it (origins normalised)
			p.update(now)
			p.say("Saved: the proxy uses these settings from its next request on.", widget.SuccessImportance)
		})
	}()
}

func (p *proxySection) say(text string, imp widget.Importance) {
	p.msg.Importance = imp
	p.msg.SetText(text)
	p.msg.Show()
}

// equalProxySettings reports whether a and b are the same settings.
func equalProxySettings(a, b api.ProxySettings) bool {
	return a.Strategy == b.Strategy && a.SessionWindow == b.SessionWindow && a.RetryAttempts == b.RetryAttempts &&
		a.RetryDelay == b.RetryDelay && slices.Equal(a.AllowedOrigins, b.AllowedOrigins) && a.TrayWindow == b.TrayWindow
}
