package api

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Every setting prints its value the way it reads it back: the default
// and a changed value survive Format -> Parse -> Format, so what
// `sluice settings` prints can be typed into `settings set` as it is.
func TestEverySettingReadsBackWhatItPrints(t *testing.T) {
	changed := DefaultValues()
	changed.Port, changed.RequireKey, changed.StartAtLogin = 9000, false, true
	changed.Strategy, changed.SessionWindow, changed.RetryAttempts, changed.RetryDelay = "priority", 90*time.Minute, 0, 1500*time.Millisecond
	changed.AllowedOrigins, changed.TrayWindow, changed.OpenAISubscriptions = []string{"http://a.example", "https://b.example:8443"}, "7d_opus", true
	changed.Capture, changed.CaptureMaxBytes, changed.RequestMaxAge, changed.PayloadMaxAge = true, 1536<<10, -1, 36*time.Hour
	changed.MaxDBBytes, changed.QuotaWarnings = -1, "off"
	for _, v := range []Values{DefaultValues(), changed} {
		for _, s := range Registry() {
			printed := s.Format(v)
			var back Values
			if err := s.Parse(&back, printed); err != nil {
				t.Errorf("%s: %q does not parse back: %v", s.Key, printed, err)
				continue
			}
			if again := s.Format(back); again != printed {
				t.Errorf("%s: printed %q, read back as %q", s.Key, printed, again)
			}
		}
	}
	for _, s := range Registry() {
		if s.Format(changed) == s.Default() {
			t.Errorf("%s: the changed value is the default; the round trip proves less", s.Key)
		}
	}
}

// SetSetting refuses an unknown key, a fixed one (naming what fixes it)
// and a bad value, each with its sentinel, and leaves v alone.
func TestSetSettingRefusals(t *testing.T) {
	v := DefaultValues()
	v.Fixed = map[string]string{SettingPort: "SLUICE_PORT"}
	for _, c := range []struct {
		key, value string
		want       error
		says       string
	}{
		{"colour", "blue", ErrNoSuchSetting, "port, require-key"},
		{SettingPort, "9000", ErrSettingFixed, "fixed by SLUICE_PORT"},
		{SettingRetries, "three", ErrBadSetting, "whole number"},
		{SettingMaxDBSize, "12KB", ErrBadSetting, "at least 1MB"},
	} {
		_, err := SetSetting(&v, c.key, c.value)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("set %s %s: %v, want %v saying %q", c.key, c.value, err, c.want, c.says)
		}
	}
	if v.Port != DefaultPort || v.RetryAttempts != DefaultRetryAttempts || v.MaxDBBytes != DefaultMaxDBBytes {
		t.Errorf("refused values changed v: %+v", v)
	}
	if _, err := SetSetting(&v, SettingCaptureMax, " 1MB "); err != nil || v.CaptureMaxBytes != 1<<20 {
		t.Errorf("capture-max 1MB: %v, %d", err, v.CaptureMaxBytes)
	}
}

// Diff names the settings of one store that changed, in the registry's
// terms, and nothing else.
func TestDiffSpeaksTheRegistrysTerms(t *testing.T) {
	a, b := DefaultValues(), DefaultValues()
	b.Capture, b.RequestMaxAge, b.Strategy = true, 14*24*time.Hour, "priority"
	if got := Diff(a, b, StoreJournal); got != "capture off -> on, request-retention 30d -> 14d" {
		t.Errorf("journal diff %q", got)
	}
	if got := Diff(a, b, StoreProxy); got != "strategy session -> priority" {
		t.Errorf("proxy diff %q", got)
	}
	if got := Diff(a, a, StoreJournal); got != "" {
		t.Errorf("no change, diff %q", got)
	}
}

// Check validates a whole update (the window's Save) by the registry's
// bounds, saying which setting is wrong, and leaves out the keys it is
// told to skip (fixed ones).
func TestCheckValidatesByTheRegistry(t *testing.T) {
	v := DefaultValues()
	v.RequestMaxAge, v.MaxDBBytes, v.CaptureMaxBytes = 0, 512<<10, 32<<20
	_, err := Check(v, StoreJournal, nil)
	for _, want := range []string{"request retention", "database size cap", "capture cap"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check of a bad journal update: %v, want it to name the %s", err, want)
		}
	}
	if _, err := Check(DefaultValues(), StoreJournal, nil); err != nil {
		t.Errorf("the defaults fail Check: %v", err)
	}
	p := DefaultValues()
	p.Strategy, p.RetryAttempts, p.TrayWindow = "fastest", 11, "7D_Opus"
	got, err := Check(p, StoreProxy, map[string]string{SettingStrategy: "SLUICE_STRATEGY"})
	if err == nil || strings.Contains(err.Error(), "strategy") || !strings.Contains(err.Error(), "retries must be between 0 and 10") {
		t.Errorf("Check with the strategy fixed: %v", err)
	}
	if got.TrayWindow != "7d_opus" || got.Strategy != "fastest" {
		t.Errorf("Check returned tray %q, strategy %q", got.TrayWindow, got.Strategy)
	}
}
