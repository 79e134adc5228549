package proxy

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Setting defaults (the registry's, api.DefaultValues).
const (
	DefaultPayloadMaxAge   = api.DefaultPayloadMaxAge
	DefaultMaxDBBytes      = api.DefaultMaxDBBytes
	DefaultCaptureMaxBytes = api.DefaultCaptureMaxBytes
	maxCaptureMaxBytes     = api.MaxCaptureMaxBytes
)

// settingsKey is the settings-table row holding Settings as JSON.
const settingsKey = "journal.settings"

// journalState is the Service's journal-side state: the settings in force
// and the payload key. Its zero value is ready (defaults, no key yet).
type journalState struct {
	settings atomic.Pointer[api.Settings]
	update   sync.Mutex // serialises UpdateSettings

	keyMu    sync.Mutex
	key      []byte    // payload key, read from the keyring on first use
	keyRetry time.Time // after a failed read, capture tries again no sooner
}

// defaultSettings are the settings before the user changes any: the
// registry's, but for the request retention SLUICE_RETENTION may give.
func (s *Service) defaultSettings() api.Settings {
	st := api.DefaultValues().Settings
	st.RequestMaxAge = s.cfg.Retention
	return st
}

// loadSettings reads the stored settings over the defaults.
func (s *Service) loadSettings(ctx context.Context) error {
	st := s.defaultSettings()
	raw, ok, err := s.db.Setting(ctx, settingsKey)
	if err != nil {
		s.jr.settings.Store(&st)
		return fmt.Errorf("proxy: load settings: %w", err)
	}
	if ok {
		if err := json.Unmarshal([]byte(raw), &st); err != nil {
			st = s.defaultSettings()
			s.jr.settings.Store(&st)
			return fmt.Errorf("proxy: load settings: %w", err)
		}
	}
	s.jr.settings.Store(&st)
	return nil
}

// Settings returns the journal settings in force.
func (s *Service) Settings() api.Settings {
	if p := s.jr.settings.Load(); p != nil {
		return *p
	}
	return s.defaultSettings()
}

// UpdateSettings validates and stores new settings, which take effect at
// once (capture on the next request; retention runs in the background
// right after), logs the change in the audit log and publishes
// EventSettings. It returns the settings now in force.
func (s *Service) UpdateSettings(ctx context.Context, st api.Settings) (api.Settings, error) {
	if err := validateSettings(st); err != nil {
		return s.Settings(), err
	}
	s.jr.update.Lock()
	defer s.jr.update.Unlock()
	old := s.Settings()
	raw, err := json.Marshal(st)
	if err != nil {
		return old, fmt.Errorf("proxy: save settings: %w", err)
	}
	if err := s.db.SetSetting(ctx, settingsKey, string(raw)); err != nil {
		return old, fmt.Errorf("proxy: save settings: %w", err)
	}
	s.jr.settings.Store(&st)
	if old != st {
		s.audit(ctx, AuditSettingsChanged, "journal", settingsDiff(old, st))
		if s.retention != nil {
			s.retention.runSoon() // a tighter limit applies now, not within the hour
		}
		s.publishSettings()
	}
	return st, nil
}

// validateSettings checks each journal setting by its Parse in the
// registry (api.Check): the bounds live there.
func validateSettings(st api.Settings) error {
	_, err := api.Check(api.Values{Settings: st}, api.StoreJournal, nil)
	return err
}

// settingsDiff says what changed, for the audit log, in the registry's
// terms ("capture off -> on").
func settingsDiff(a, b api.Settings) string {
	return api.Diff(api.Values{Settings: a}, api.Values{Settings: b}, api.StoreJournal)
}
