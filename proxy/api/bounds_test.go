package api

import (
	"fmt"
	"testing"
	"time"
)

// ParseRetention takes every spelling a surface has taken for a max age:
// SLUICE_RETENTION's, `sluice settings set`'s, the window's day fields'.
func TestParseRetentionSpellings(t *testing.T) {
	day := 24 * time.Hour
	for in, want := range map[string]time.Duration{
		"30d": 30 * day, "30": 30 * day, "+5d": 5 * day, "1.5": 36 * time.Hour, "1.5d": 36 * time.Hour,
		"720h": 30 * day, "90m": 90 * time.Minute, " 7 ": 7 * day, "36h0m0s": 36 * time.Hour,
		"forever": -1, "Forever": -1, "FOREVER": -1, "none": -1, "None": -1,
		"0": -1, "0d": -1, "0h": -1, "0s": -1, "00d": -1, "0.0": -1,
		"106751d": 106751 * day,
	} {
		if got, err := ParseRetention(in); err != nil || got != want {
			t.Errorf("ParseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "a month", "-1", "-1d", "-5h", "d", "30dd", "NaN", "Inf", "1e300", "106752d", "30 days",
		"1e-15", "0.00000000000001", "0.0000000000001h"} { // too small to hold, not forever
		if got, err := ParseRetention(in); err == nil {
			t.Errorf("ParseRetention(%q) = %v, want an error", in, got)
		}
	}
}

// The settings the command line has always taken past a saved value's
// bounds: Parse (settings set, the window) refuses the value, Unbounded
// (SLUICE_*, serve's flags) takes it; both refuse what is no spelling.
func TestUnboundedTakesWhatOnlyTheCommandLineTook(t *testing.T) {
	for _, c := range []struct {
		key, value string
		want       string // as Format prints what Unbounded read; "" refused by both
	}{
		{SettingPort, "0", "0"},
		{SettingSessionWindow, "1s", "1s"},
		{SettingSessionWindow, "30d", "720h"},
		{SettingRetries, "25", "25"},
		{SettingRetryDelay, "2m", "2m0s"},
		{SettingRetryDelay, "500us", "500µs"},
		{SettingAllowedOrigins, "http://a.example?x=1", "http://a.example?x=1"},
		{SettingAllowedOrigins, "http://me@a.example", "http://me@a.example"},
		{SettingPort, "-1", ""},
		{SettingSessionWindow, "0", ""},
		{SettingRetries, "-1", ""},
		{SettingRetryDelay, "0s", ""},
		{SettingAllowedOrigins, "http://a.example/path", ""},
	} {
		s, _ := LookupSetting(c.key)
		var bounded, unbounded Values
		perr, uerr := s.Parse(&bounded, c.value), s.ParseUnbounded(&unbounded, c.value)
		if perr == nil {
			t.Errorf("%s %q: Parse takes it (as %s)", c.key, c.value, s.Format(bounded))
		}
		switch {
		case c.want == "" && uerr == nil:
			t.Errorf("%s %q: Unbounded takes it (as %s)", c.key, c.value, s.Format(unbounded))
		case c.want != "" && (uerr != nil || s.Format(unbounded) != c.want):
			t.Errorf("%s %q: Unbounded reads %s, %v; want %s", c.key, c.value, s.Format(unbounded), uerr, c.want)
		}
	}
	many := ""
	for i := range MaxAllowedOrigins + 1 {
		many += fmt.Sprintf("http://h%d.example,", i)
	}
	s, _ := LookupSetting(SettingAllowedOrigins)
	var v Values
	if s.Parse(&v, many) == nil || s.ParseUnbounded(&v, many) != nil || len(v.AllowedOrigins) != MaxAllowedOrigins+1 {
		t.Errorf("%d origins: Parse must refuse them and Unbounded take them", MaxAllowedOrigins+1)
	}
}

// Check refuses a value that reads back as another (a zero retention
// prints 0d, which reads as forever), and takes an empty tray window,
// which reads as closest.
func TestCheckRefusesAValueThatReadsBackAsAnother(t *testing.T) {
	v := DefaultValues()
	v.PayloadMaxAge = 0
	if _, err := Check(v, StoreJournal, nil); err == nil {
		t.Error("Check takes a zero payload retention")
	}
	p := DefaultValues()
	p.TrayWindow = ""
	if got, err := Check(p, StoreProxy, nil); err != nil || got.TrayWindow != TrayWindowClosest {
		t.Errorf("Check of an empty tray window: %q %v", got.TrayWindow, err)
	}
}
