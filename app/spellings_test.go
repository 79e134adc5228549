package app

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The Settings tab's retention fields ("Keep requests (days)", "Keep
// payloads (days)") take each of these spellings as they always have: a
// number of days, fractions too, or forever in any case; what is not one
// is refused, naming the field. This table pinned them before the fields
// moved onto the registry's parser.
func TestRetentionFieldSpellings(t *testing.T) {
	v, _, ui := shown(t, newFakeEngine(true))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.capMax.Text != "" })
	v.settings.capMax.SetText("256")
	v.settings.maxDB.SetText("500")
	for _, c := range []struct {
		text string
		want time.Duration // 0: refused
	}{
		{"3", 3 * 24 * time.Hour},
		{"30", 30 * 24 * time.Hour},
		{" 7 ", 7 * 24 * time.Hour},
		{"1.5", 36 * time.Hour},
		{"0.5", 12 * time.Hour},
		{"forever", -1},
		{"Forever", -1},
		{" FOREVER ", -1},
		{"soon", 0},
		{"-1", 0},
		{"", 0},
	} {
		for _, f := range []struct {
			field string
			set   func(string)
			got   func() (time.Duration, error)
		}{
			{"Keep requests", v.settings.reqAge.SetText, func() (time.Duration, error) { st, err := v.settings.read(); return st.RequestMaxAge, err }},
			{"Keep payloads", v.settings.payAge.SetText, func() (time.Duration, error) { st, err := v.settings.read(); return st.PayloadMaxAge, err }},
		} {
			v.settings.reqAge.SetText("30")
			v.settings.payAge.SetText("7")
			f.set(c.text)
			got, err := f.got()
			switch {
			case c.want == 0 && err == nil:
				t.Errorf("%s %q accepted as %v", f.field, c.text, got)
			case c.want == 0 && !strings.HasPrefix(capitalize(err.Error()), f.field+": a number of days"):
				t.Errorf("%s %q refused with %q, which does not name the field and what it takes", f.field, c.text, err)
			case c.want != 0 && (err != nil || got != c.want):
				t.Errorf("%s %q: %v %v, want %v", f.field, c.text, got, err, c.want)
			}
		}
	}
}

// The retention fields take what SLUICE_RETENTION and `sluice settings
// set` take, with the same meaning: "30d", a duration, "none", and 0 for
// forever (the engine refused a zero retention before).
func TestRetentionFieldsTakeTheOtherSurfacesSpellings(t *testing.T) {
	v, _, ui := shown(t, newFakeEngine(true))
	v.tabs.SelectIndex(3)
	ui.waitFor(t, "settings", func() bool { return v.settings.capMax.Text != "" })
	v.settings.capMax.SetText("256")
	v.settings.maxDB.SetText("500")
	v.settings.payAge.SetText("7")
	for text, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "720h": 30 * 24 * time.Hour,
		"none": -1, "0": -1, "0d": -1} {
		v.settings.reqAge.SetText(text)
		if st, err := v.settings.read(); err != nil || st.RequestMaxAge != want {
			t.Errorf("Keep requests %q: %v %v, want %v", text, st.RequestMaxAge, err, want)
		}
	}
}

// The proxy fields read what `sluice settings set` reads ("1d" for the
// session window too); the bounds stay the engine's to check and say.
func TestProxyFieldSpellings(t *testing.T) {
	v, _, ui := shown(t, newFakeEngine(true))
	v.tabs.SelectIndex(3)
	px := v.settings.px
	ui.waitFor(t, "settings", func() bool { return px.window.Text != "" })
	for _, c := range []struct {
		window, retries, delay string
		ok                     bool
		want                   string
	}{
		{"90m", "3", "1s", true, "1h30m0s 3 1s"},
		{" 2h ", " 0 ", " 250ms ", true, "2h0m0s 0 250ms"},
		{"1d", "10", "1m", true, "24h0m0s 10 1m0s"},
		{"30s", "50", "2m", true, "30s 50 2m0s"}, // out of bounds: the engine says so
		{"soon", "3", "1s", false, ""},
		{"5h", "three", "1s", false, ""},
		{"5h", "3", "1", false, ""},
	} {
		px.window.SetText(c.window)
		px.retries.SetText(c.retries)
		px.delay.SetText(c.delay)
		ps, err := px.read()
		got := fmt.Sprint(ps.SessionWindow, " ", ps.RetryAttempts, " ", ps.RetryDelay)
		if c.ok && (err != nil || got != c.want) {
			t.Errorf("%q %q %q: %s %v, want %s", c.window, c.retries, c.delay, got, err, c.want)
		}
		if !c.ok && err == nil {
			t.Errorf("%q %q %q accepted as %s", c.window, c.retries, c.delay, got)
		}
	}
}
