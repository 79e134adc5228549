package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Settings are the journal's user settings, kept in the database so the
// window and the CLI edit the same values and they survive a restart.
type Settings struct {
	// RequestMaxAge is how long request records are kept; negative keeps
	// them forever. Default: Config.Retention (30 days). Audit entries are
	// kept as long, but at least AuditMinAge (90 days).
	RequestMaxAge time.Duration `json:"request_max_age_ns"`
	// PayloadMaxAge is how long captured payloads are kept; negative keeps
	// them as long as their record. Default 7 days.
	PayloadMaxAge time.Duration `json:"payload_max_age_ns"`
	// MaxDBBytes caps the database: the oldest payloads, then the oldest
	// records, go when it is exceeded. Negative: no cap. Default 500 MB.
	MaxDBBytes int64 `json:"max_db_bytes"`
	// Capture stores request and response bodies, redacted and encrypted.
	// Off by default: prompts are private and large.
	Capture bool `json:"capture"`
	// CaptureMaxBytes caps each captured body (default 256 KB); longer ones
	// are cut and marked truncated.
	CaptureMaxBytes int `json:"capture_max_bytes"`
	// QuotaWarnings are the window thresholds that raise a warning, in
	// percent ("75,90"), or "off" (also turns off the pace warning); ""
	// is DefaultQuotaWarnings (warnings.go).
	QuotaWarnings string `json:"quota_warnings,omitempty"`
}

// Setting defaults.
const (
	DefaultPayloadMaxAge   = 7 * 24 * time.Hour
	DefaultMaxDBBytes      = 500 << 20
	DefaultCaptureMaxBytes = 256 << 10
	maxCaptureMaxBytes     = 16 << 20
)

// settingsKey is the settings-table row holding Settings as JSON.
const settingsKey = "journal.settings"

// journalState is the Service's journal-side state: the settings in force
// and the payload key. Its zero value is ready (defaults, no key yet).
type journalState struct {
	settings atomic.Pointer[Settings]
	update   sync.Mutex // serialises UpdateSettings

	keyMu    sync.Mutex
	key      []byte    // payload key, read from the keyring on first use
	keyRetry time.Time // after a failed read, capture tries again no sooner
}

// defaultSettings are the settings before the user changes any.
func (s *Service) defaultSettings() Settings {
	return Settings{
		RequestMaxAge:   s.cfg.Retention,
		PayloadMaxAge:   DefaultPayloadMaxAge,
		MaxDBBytes:      DefaultMaxDBBytes,
		CaptureMaxBytes: DefaultCaptureMaxBytes,
	}
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
func (s *Service) Settings() Settings {
	if p := s.jr.settings.Load(); p != nil {
		return *p
	}
	return s.defaultSettings()
}

// UpdateSettings validates and stores new settings, which take effect at
// once (capture on the next request; retention runs in the background
// right after), and logs the change in the audit log. It returns the
// settings now in force.
func (s *Service) UpdateSettings(ctx context.Context, st Settings) (Settings, error) {
	if err := st.validate(); err != nil {
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
	}
	return st, nil
}

func (st Settings) validate() error {
	var errs []error
	if st.RequestMaxAge == 0 || st.PayloadMaxAge == 0 || st.MaxDBBytes == 0 {
		errs = append(errs, errors.New("retention limits must not be zero (negative means no limit)"))
	}
	if st.MaxDBBytes > 0 && st.MaxDBBytes < 1<<20 {
		errs = append(errs, errors.New("the database size cap must be at least 1 MB"))
	}
	if _, err := ParseQuotaWarnings(st.QuotaWarnings); err != nil {
		errs = append(errs, err)
	}
	if st.CaptureMaxBytes < 1 || st.CaptureMaxBytes > maxCaptureMaxBytes {
		errs = append(errs, fmt.Errorf("the capture cap must be between 1 byte and %d bytes", maxCaptureMaxBytes))
	}
	return errors.Join(errs...)
}

// settingsDiff says what changed, for the audit log.
func settingsDiff(a, b Settings) string {
	var out string
	add := func(name string, x, y any) {
		if x != y {
			if out != "" {
				out += ", "
			}
			out += fmt.Sprintf("%s %v -> %v", name, x, y)
		}
	}
	add("request_max_age", a.RequestMaxAge, b.RequestMaxAge)
	add("payload_max_age", a.PayloadMaxAge, b.PayloadMaxAge)
	add("max_db_bytes", a.MaxDBBytes, b.MaxDBBytes)
	add("capture", a.Capture, b.Capture)
	add("capture_max_bytes", a.CaptureMaxBytes, b.CaptureMaxBytes)
	add("quota_warnings", a.QuotaWarnings, b.QuotaWarnings)
	return out
}
