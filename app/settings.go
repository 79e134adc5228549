package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// settingsTab shows the engine's settings. They are read-only here until
// the engine has a settings store that applies changes without a restart
// (issue 9): the tab says how to change them meanwhile.
type settingsTab struct {
	form  *widget.Form
	note  *widget.Label
	shown bool // show has run once
}

func newSettingsTab() *settingsTab {
	s := &settingsTab{form: widget.NewForm(), note: widget.NewLabel("")}
	s.note.Wrapping = fyne.TextWrapWord
	s.note.Importance = widget.LowImportance
	return s
}

func (s *settingsTab) content() fyne.CanvasObject {
	return container.NewVScroll(container.NewVBox(s.form, s.note))
}

// show fills the form from src; addr is where the proxy listens now, if
// it does (the configured port may be 0: any free one). UI goroutine only.
func (s *settingsTab) show(src SettingsSource, addr string) {
	if src == nil {
		s.note.SetText("This engine does not report its settings.")
		return
	}
	s.shown = true
	c := src.Config()
	origins := strings.Join(c.AllowedOrigins, ", ")
	if origins == "" {
		origins = "none (web pages cannot call Sluice)"
	}
	retention := "kept forever"
	if c.Retention > 0 {
		retention = fmt.Sprintf("%d days", int(c.Retention.Hours()/24))
	}
	if addr == "" {
		addr = c.Addr()
	}
	rows := [][2]string{
		{"Address", addr},
		{"Upstream", c.Upstream},
		{"Strategy", c.Strategy},
		{"Session window", strings.TrimSuffix(strings.TrimSuffix(c.SessionTTL.String(), "0s"), "0m")},
		{"Retries", fmt.Sprintf("%d, first after %s", c.RetryAttempts, c.RetryDelay)},
		{"Request log", retention},
		{"Allowed origins", origins},
	}
	s.form.Items = nil
	for _, r := range rows {
		v := widget.NewLabel(r[1])
		v.Selectable = true
		s.form.Append(r[0], v)
	}
	s.form.Refresh()
	s.note.SetText("These apply from the next start. Change them with SLUICE_* environment variables or `sluice serve` flags; editing them here comes with the settings store.")
}
