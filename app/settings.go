package app

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/sluice-proxy/sluice/app/autostart"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// settingsTab edits the settings of the registry (api.Registry: the port,
// the proxy settings, start at login, payload capture, retention), manages
// client keys, and shows which settings a SLUICE_* variable or a flag of
// `sluice serve` fixes.
type settingsTab struct {
	v     *view
	shown bool // show has run once
	// What the last read of the engine said, for show.
	keyring string
	journal api.Settings
	proxy   api.ProxySettings
	// updates carries journal-settings changes to the one goroutine that
	// applies them, in order (enqueue).
	updates chan func()

	proxyForm *widget.Form
	capture   *focusCheck // the tab's controls come into sight on focus (scrollfocus.go)
	capMax    *escEntry   // KB; the window's shortcuts work in the fields
	reqAge    *escEntry   // days; "forever"
	payAge    *escEntry   // days; "forever"
	maxDB     *escEntry   // MB; "none"
	saved     *widget.Label
	cleanup   *focusButton
	progress  *widget.Activity // not a ProgressBarInfinite: see newSettingsTab
	keys      *keysSection
	scroll    *container.Scroll
	// atLogin starts the tray app at login (auto is the OS's mechanism;
	// tests point it at a temp dir).
	atLogin *focusCheck
	auto    autostart.Entry
	// port and movePort change the proxy's port (Service.SetPort).
	port     *escEntry
	movePort *focusButton
	portMsg  *widget.Label // the outcome of a port change, under the field
	// addrRow and keyringRow are the Proxy form's read-only rows.
	addrRow, keyringRow *widget.Label
	// filling is set while fill puts the engine's values in the fields:
	// the capture box then reports no change of the user's.
	filling bool
	// px edits strategy, session window, retries, origins (proxysettings.go).
	px *proxySection
}

func newSettingsTab(v *view) *settingsTab {
	s := &settingsTab{v: v, proxyForm: widget.NewForm(), capture: newFocusCheck("Capture request and response bodies (redacted, encrypted)", nil, v.settingsInSight),
		capMax: v.shortEntry(), reqAge: v.shortEntry(), payAge: v.shortEntry(), maxDB: v.shortEntry(),
		saved: widget.NewLabel(""), progress: widget.NewActivity()}
	// An Activity turns only between Start and Stop; a ProgressBarInfinite
	// sets itself running when its renderer is made and then animated,
	// hidden, at 60 Hz for the window's life (TestWindowAtRestRunsNoAnimation).
	// One rule for the whole tab: a checkbox applies when it is ticked
	// (as Start at login and Require a client key always did), typed
	// values apply with their section's button, and each outcome shows
	// next to what made it.
	s.capture.OnChanged = s.setCapture
	s.saved.Wrapping = fyne.TextWrapWord
	s.saved.Hide() // until there is something to say: no gap above the keys
	s.progress.Stop()
	s.progress.Hide()
	s.cleanup = newFocusButton("Clean up now", nil, s.cleanUp, v.settingsInSight)
	s.keys = newKeysSection(v)
	s.auto = autostart.New()
	s.atLogin = newFocusCheck("Start Sluice when I log in", s.setAtLogin, v.settingsInSight)
	s.port = v.shortEntry()
	s.movePort = newFocusButton("Change port", nil, s.changePort, s.v.settingsInSight)
	s.portMsg = widget.NewLabel("")
	s.portMsg.Wrapping = fyne.TextWrapWord
	s.portMsg.Hide()
	s.px = newProxySection(v)
	s.px.fixable[api.SettingPort] = fixable{"Port", disableAll{s.port, s.movePort}}
	s.px.fixable[api.SettingRequireKey] = fixable{"Require a client key", s.keys.require}
	return s
}

// disableAll disables and enables its controls together: a setting shown
// as a field and its button.
type disableAll []fyne.Disableable

func (d disableAll) Enable() {
	for _, w := range d {
		w.Enable()
	}
}

func (d disableAll) Disable() {
	for _, w := range d {
		w.Disable()
	}
}

func (d disableAll) Disabled() bool { return len(d) > 0 && d[0].Disabled() }

// changePort moves the proxy to the port typed, off the UI goroutine: a
// running proxy drains its requests first. Clients must then use the new
// address: the Address row and the export lines follow at once, the
// outcome is said next to the field, and Claude Code's settings file, if
// it names the old address, is offered the new one (portmove.go).
func (s *settingsTab) changePort() {
	var v api.Values
	if readField(&v, api.SettingPort, s.port.Text, true) != nil {
		s.sayPort("Port: a number from 1 to 65535.", widget.DangerImportance)
		return
	}
	p := v.Port
	s.movePort.Disable()
	old := s.v.addr
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.v.timeout)
		defer cancel()
		err := s.v.eng.SetPort(ctx, p)
		seq := s.v.reads.Add(1)
		snap, serr := s.v.eng.Snapshot(ctx)
		s.v.do(func() {
			s.movePort.Enable()
			if serr == nil && seq >= s.v.applied {
				s.v.applied = seq
				s.v.addr = snap.Addr
				s.v.running = snap.ProxyRunning
				s.v.status.SetText(StatusText(snap.ProxyRunning, snap.Addr))
				s.show(snap.Addr)
				s.v.showConnect()
			}
			switch {
			case err != nil:
				s.sayPort(portProblem(err, p), widget.DangerImportance)
			case serr != nil:
				s.sayPort(capitalize(serr.Error()), widget.DangerImportance)
			case !snap.ProxyRunning:
				s.sayPort(fmt.Sprintf("Saved: the proxy will use port %d when it is turned on.", p), widget.SuccessImportance)
			default:
				s.sayPort(fmt.Sprintf("The proxy now uses port %d; clients need ANTHROPIC_BASE_URL=http://%s.", p, snap.Addr), widget.SuccessImportance)
				s.v.offerClaudeCodeMove(old, snap.Addr)
			}
		})
	}()
}

// sayPort shows the outcome of a port change under the Port field, where
// the user is looking, rather than at the foot of the tab.
func (s *settingsTab) sayPort(text string, imp widget.Importance) {
	s.portMsg.Importance = imp
	s.portMsg.SetText(text)
	s.portMsg.Show()
}

// setCapture turns payload capture on or off at once, keeping the other
// journal settings as the engine has them (not what is half typed).
func (s *settingsTab) setCapture(on bool) {
	if s.filling {
		return
	}
	s.enqueue(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.v.timeout)
		defer cancel()
		// The engine's settings as they are now, not as this tab last
		// read them: a Save queued before this one has landed by now.
		st, err := s.v.eng.Settings(ctx)
		got := st
		if err == nil {
			st.Capture = on
			got, err = s.v.eng.UpdateSettings(ctx, st)
		}
		s.v.do(func() {
			if err != nil {
				s.filling = true
				s.capture.SetChecked(!on)
				s.filling = false
				s.say("Not saved: "+err.Error(), widget.DangerImportance)
				return
			}
			s.journal = got
			if on {
				s.say("Payload capture is on.", widget.SuccessImportance)
			} else {
				s.say("Payload capture is off.", widget.SuccessImportance)
			}
		})
	})
}

// setAtLogin adds or removes the login entry; on failure the box goes
// back to what is true and the reason is shown.
func (s *settingsTab) setAtLogin(on bool) {
	if on == s.auto.Enabled() {
		return
	}
	if err := s.auto.Set(on); err != nil {
		s.atLogin.SetChecked(s.auto.Enabled())
		s.say(capitalize(err.Error()), widget.DangerImportance)
	}
}

func (s *settingsTab) content() fyne.CanvasObject {
	journal := widget.NewForm(
		widget.NewFormItem("Payloads", s.capture),
		widget.NewFormItem("Payload cap (KB)", s.capMax),
		widget.NewFormItem("Keep requests (days)", s.reqAge),
		widget.NewFormItem("Keep payloads (days)", s.payAge),
		widget.NewFormItem("Database cap (MB)", s.maxDB),
	)
	save := newFocusButton("Save", nil, s.save, s.v.settingsInSight)
	save.Importance = widget.HighImportance
	hint := widget.NewLabel("\"forever\" keeps requests or payloads as long as possible; \"none\" lifts the database cap. Ticking a box applies it at once; typed values apply with Save.")
	hint.Importance = widget.LowImportance
	hint.Wrapping = fyne.TextWrapWord
	s.scroll = container.NewVScroll(clearOfScrollBar(container.NewVBox(
		heading("Proxy"), s.proxyForm, s.px.footer(), s.atLogin,
		heading("Request log"), journal, hint,
		container.NewHBox(save, s.cleanup), s.progress, s.saved,
		heading("Client keys"), s.keys.content(),
	)))
	return s.scroll
}

// shortEntry is an Entry for a short value (a number, a duration) that
// lets the mouse wheel scroll the tab under it: a plain Entry scrolls its
// own text and swallows the wheel, so the Settings tab stopped scrolling
// whenever the pointer was over one of its fields. It is a view.newEntry,
// so the window's shortcuts (Ctrl+1..4, Ctrl+F, Ctrl+W, Ctrl+Tab) work
// while it has the focus.
func (v *view) shortEntry() *escEntry {
	e := v.newEntry()
	e.Wrapping, e.Scroll = fyne.TextWrapOff, fyne.ScrollNone
	e.onFocus = v.settingsInSight
	return e
}

// clearOfScrollBar keeps content out of the strip at the right where a
// vertical scroll bar is drawn over it: without it the bar covers the
// right edge of full-width fields, buttons and cards.
func clearOfScrollBar(content fyne.CanvasObject) fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedLayout(0, 0, 0, 2*theme.Padding()), content)
}

func heading(text string) *widget.Label {
	return widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// show fills the tab from the engine; addr is where the proxy listens now,
// if it does (the configured port may be 0: any free one). The editable
// fields are filled once, so a re-read never overwrites what is being
// typed. UI goroutine only.
func (s *settingsTab) show(addr string) {
	// The rows are made once and their labels set: a Form rebuilt with new
	// items kept drawing the old Address after a port change.
	if len(s.proxyForm.Items) == 0 {
		s.addrRow, s.keyringRow = widget.NewLabel(""), widget.NewLabel("")
		s.addrRow.Selectable, s.keyringRow.Selectable = true, true
		s.proxyForm.Append("Address", s.addrRow)
		s.proxyForm.Append("Keyring", s.keyringRow)
		// A port is five digits: a field the width of the window made it
		// look like a place for an address.
		port := container.NewGridWrap(fyne.NewSize(120, s.port.MinSize().Height), s.port)
		s.proxyForm.Append("Port", container.NewVBox(container.NewHBox(port, s.movePort), s.portMsg))
		for _, it := range s.px.items() {
			s.proxyForm.AppendItem(it)
		}
	}
	s.addrRow.SetText(addr)
	s.keyringRow.SetText(orNone(s.keyring, "none"))
	if !s.shown {
		s.shown = true
		s.px.update(s.proxy)
		s.fill(s.journal)
		s.atLogin.SetChecked(s.auto.Enabled())
		// The port in use: with port 0 (any free one) the listener's.
		port := 0
		if _, p, err := net.SplitHostPort(addr); err == nil {
			port, _ = strconv.Atoi(p)
		}
		s.port.SetText(strconv.Itoa(port))
	}
	s.keys.refresh()
}

// fill puts st in the editable fields.
func (s *settingsTab) fill(st api.Settings) {
	s.filling = true
	s.capture.SetChecked(st.Capture)
	s.filling = false
	for i, text := range journalTexts(st) {
		s.journalFields()[i].SetText(text)
	}
}

// journalChanged shows the journal settings a settings event carried
// (changed by the CLI, another window, or this one): each field the user
// has not edited, still showing what the engine had, follows; one being
// edited keeps what is typed. UI goroutine only.
func (s *settingsTab) journalChanged(st api.Settings) {
	old := s.journal
	s.journal = st
	if !s.shown || old == st {
		return // show fills the fields from s.journal
	}
	if s.capture.Checked == old.Capture {
		s.filling = true
		s.capture.SetChecked(st.Capture)
		s.filling = false
	}
	was, now := journalTexts(old), journalTexts(st)
	for i, e := range s.journalFields() {
		if e.Text == was[i] {
			e.SetText(now[i])
		}
	}
}

// journalFields are the journal settings' text fields, in journalTexts'
// order.
func (s *settingsTab) journalFields() []*escEntry {
	return []*escEntry{s.capMax, s.reqAge, s.payAge, s.maxDB}
}

// journalTexts are st's values as the journal fields show them.
func journalTexts(st api.Settings) []string {
	maxDB := "none"
	if st.MaxDBBytes >= 0 {
		maxDB = strconv.FormatInt(st.MaxDBBytes>>20, 10)
	}
	return []string{strconv.Itoa(st.CaptureMaxBytes >> 10), days(st.RequestMaxAge), days(st.PayloadMaxAge), maxDB}
}

func days(d time.Duration) string {
	if d < 0 {
		return "forever"
	}
	return strconv.FormatFloat(d.Hours()/24, 'f', -1, 64)
}

// readField reads a field's text into v by the registry's parser for the
// setting key, the one `sluice settings set` and the SLUICE_* variables
// use; bounded, with the bounds of a saved value, else leaving them to
// the engine's Check, which says them.
func readField(v *api.Values, key, text string, bounded bool) error {
	st, ok := api.LookupSetting(key)
	if !ok {
		return fmt.Errorf("no setting %s", key)
	}
	if bounded {
		return st.Parse(v, strings.TrimSpace(text))
	}
	return st.ParseUnbounded(v, text)
}

// read is the settings the fields describe.
func (s *settingsTab) read() (api.Settings, error) {
	st := api.Settings{Capture: s.capture.Checked}
	kb, err := strconv.Atoi(strings.TrimSpace(s.capMax.Text))
	if err != nil || kb <= 0 {
		return st, fmt.Errorf("payload cap: a number of KB, not %q", s.capMax.Text)
	}
	st.CaptureMaxBytes = kb << 10
	// Days, "30d", "720h", or forever ("0" too), as SLUICE_RETENTION and
	// `sluice settings set` take them.
	v := api.Values{Settings: st}
	if readField(&v, api.SettingRequestRetention, s.reqAge.Text, true) != nil {
		return st, fmt.Errorf("keep requests: a number of days or \"forever\", not %q", strings.TrimSpace(s.reqAge.Text))
	}
	if readField(&v, api.SettingPayloadRetention, s.payAge.Text, true) != nil {
		return st, fmt.Errorf("keep payloads: a number of days or \"forever\", not %q", strings.TrimSpace(s.payAge.Text))
	}
	st.RequestMaxAge, st.PayloadMaxAge = v.RequestMaxAge, v.PayloadMaxAge
	if m := strings.TrimSpace(s.maxDB.Text); strings.EqualFold(m, "none") {
		st.MaxDBBytes = -1
	} else if mb, err := strconv.ParseInt(m, 10, 64); err != nil || mb <= 0 {
		return st, fmt.Errorf("database cap: a number of MB or \"none\", not %q", s.maxDB.Text)
	} else {
		st.MaxDBBytes = mb << 20
	}
	return st, nil
}

// save sends the fields to the engine, which applies them at once.
func (s *settingsTab) save() {
	st, err := s.read()
	if err != nil {
		s.say(capitalize(err.Error()), widget.DangerImportance)
		return
	}
	s.enqueue(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.v.timeout)
		defer cancel()
		got, err := s.v.eng.UpdateSettings(ctx, st)
		s.v.do(func() {
			if err != nil {
				s.say("Not saved: "+err.Error(), widget.DangerImportance)
			} else {
				s.journal = got
				s.fill(got)
				s.say("Saved.", widget.SuccessImportance)
			}
		})
	})
}

// enqueue runs a change of the journal settings after the ones queued
// before it, in the order the user made them: a ticked box and a Save in
// quick succession must not land in the other order and undo each other.
// UI goroutine only.
func (s *settingsTab) enqueue(f func()) {
	if s.updates == nil {
		s.updates = make(chan func(), 64)
		go func() {
			for f := range s.updates {
				f()
			}
		}()
	}
	s.updates <- f
}

// cleanUp applies the retention settings now and compacts the database,
// with a progress bar while it runs (a big journal takes seconds).
func (s *settingsTab) cleanUp() {
	s.cleanup.Disable()
	s.progress.Show()
	s.progress.Start()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		res, err := s.v.eng.Cleanup(ctx, api.CleanupOptions{OlderThan: -1})
		s.v.do(func() {
			s.progress.Stop()
			s.progress.Hide()
			s.cleanup.Enable()
			if err != nil {
				s.say("Clean-up failed: "+err.Error(), widget.DangerImportance)
			} else {
				s.say(fmt.Sprintf("Cleaned up: %d requests and %d payloads deleted, %.1f MB freed (database now %.1f MB).",
					res.Records, res.Payloads, float64(res.Freed)/(1<<20), float64(res.BytesAfter)/(1<<20)), widget.SuccessImportance)
			}
		})
	}()
}

// say shows the outcome of Save or Clean up now.
func (s *settingsTab) say(text string, imp widget.Importance) {
	s.saved.Importance = imp
	s.saved.SetText(text)
	s.saved.Show()
}
