package api

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The parsers of the settings whose SLUICE_* variable or flag has always
// taken more than a saved value may (Setting.Unbounded): one reading of
// the spellings each, and the bounds of a saved value only when bounded.
// A value fixed on the command line is the user's own for that run; the
// bounds keep the window and `sluice settings set` from saving one that
// only makes a client wait.

// parsePort reads a port number from least to 65535; 0, any free port,
// is the command line's only.
func parsePort(v *Values, s string, least int) error {
	p, err := strconv.Atoi(s)
	if err != nil || p < least || p > 65535 {
		if least == 0 {
			return fmt.Errorf("want a port number from 1 to 65535, or 0 for any free one")
		}
		return fmt.Errorf("want a port number from %d to 65535", least)
	}
	v.Port = p
	return nil
}

// parseSessionWindow reads a positive duration, "5h" or "1d", within
// MinSessionWindow and MaxSessionWindow when bounded.
func parseSessionWindow(v *Values, s string, bounded bool) error {
	d, err := ParseAge(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a duration like 5h or 30m")
	}
	if bounded && (d < MinSessionWindow || d > MaxSessionWindow) {
		return fmt.Errorf("the session window must be between %s and %s, not %s", MinSessionWindow, MaxSessionWindow, d)
	}
	v.SessionWindow = d
	return nil
}

// parseRetries reads a whole number of retries, at most MaxRetryAttempts
// when bounded.
func parseRetries(v *Values, s string, bounded bool) error {
	n, err := strconv.Atoi(s)
	if err != nil || (!bounded && n < 0) {
		if !bounded {
			return fmt.Errorf("want a whole number, 0 or more")
		}
		return fmt.Errorf("want a whole number from 0 to %d", MaxRetryAttempts)
	}
	if bounded && (n < 0 || n > MaxRetryAttempts) {
		return fmt.Errorf("retries must be between 0 and %d, not %d", MaxRetryAttempts, n)
	}
	v.RetryAttempts = n
	return nil
}

// parseRetryDelay reads a positive duration, within MinRetryDelay and
// MaxRetryDelay when bounded.
func parseRetryDelay(v *Values, s string, bounded bool) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("want a duration like 1s or 500ms")
	}
	if bounded && (d < MinRetryDelay || d > MaxRetryDelay) {
		return fmt.Errorf("the first retry delay must be between %s and %s, not %s", MinRetryDelay, MaxRetryDelay, d)
	}
	v.RetryDelay = d
	return nil
}

// parseOrigins reads comma-separated origins, or "none". Bounded, each
// must be an origin ParseOrigin takes and there may be MaxAllowedOrigins
// of them. The command line has always also taken a URL with a scheme, a
// host and no path (a query, a user), which no browser sends as its
// origin and so allows nothing, and any number of them.
func parseOrigins(v *Values, s string, bounded bool) error {
	v.AllowedOrigins = []string{}
	if strings.EqualFold(s, "none") {
		return nil
	}
	for _, o := range strings.Split(s, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if _, err := ParseOrigin(o); err != nil {
			u, uerr := url.Parse(o)
			if bounded || uerr != nil || u.Scheme == "" || u.Host == "" || u.Path != "" {
				return err
			}
		}
		v.AllowedOrigins = append(v.AllowedOrigins, o)
	}
	if bounded && len(v.AllowedOrigins) > MaxAllowedOrigins {
		return fmt.Errorf("at most %d allowed origins", MaxAllowedOrigins)
	}
	return nil
}
