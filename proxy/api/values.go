package api

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Errors of a settings change, kept across the control socket.
var (
	// ErrNoSuchSetting: the key names no setting of the registry.
	ErrNoSuchSetting = errors.New("no setting")
	// ErrSettingFixed: a SLUICE_* variable or a flag fixed the setting
	// for this run of the engine.
	ErrSettingFixed = errors.New("the setting is fixed on the command line")
	// ErrBadSetting: the value does not parse or is out of bounds.
	ErrBadSetting = errors.New("not a valid value")
)

// OnOff prints a switch as the settings take it.
func OnOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// ParseOnOff reads on/off, true/false, yes/no, 1/0.
func ParseOnOff(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "yes", "1":
		return true, nil
	case "false", "off", "no", "0":
		return false, nil
	}
	return false, errors.New("must be on or off (or true or false)")
}

// ParseAge reads "7d" (days) or a Go duration ("12h"); "0" is zero.
func ParseAge(v string) (time.Duration, error) {
	if v == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, errors.New("want a number of days like 7d or a duration like 12h")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("want a number of days like 7d or a duration like 12h")
	}
	return d, nil
}

// ParseRetention reads a max age as every surface has taken one: a
// number of days ("30d"; "30" or "1.5" as the window's day fields take
// it), a Go duration ("720h"), or forever: "forever" or "none" in any
// case, or zero in any of those spellings ("0", "0d", "0h"), as
// SLUICE_RETENTION has always read it. Forever is negative.
func ParseRetention(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "forever") || strings.EqualFold(v, "none") {
		return -1, nil
	}
	d, err := parseDays(v)
	if err != nil {
		return 0, errors.New("want a number of days like 30d, a duration like 720h, or forever (0 is forever too)")
	}
	if d == 0 {
		return -1, nil
	}
	return d, nil
}

// parseDays reads a number of days, "30d" or "30", fractions too
// ("1.5"), or a Go duration ("12h"); none may be negative.
func parseDays(v string) (time.Duration, error) {
	n, err := strconv.ParseFloat(strings.TrimSuffix(v, "d"), 64)
	if err == nil {
		// NaN and what a Duration cannot hold (some 292 years) too.
		if !(n >= 0 && n*float64(24*time.Hour) < math.MaxInt64) {
			return 0, errors.New("not a number of days")
		}
		d := time.Duration(n * float64(24*time.Hour))
		if n > 0 && d == 0 {
			return 0, errors.New("less than a nanosecond") // zero means forever
		}
		return d, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("not a duration")
	}
	if d == 0 && strings.ContainsAny(v, "123456789") {
		return 0, errors.New("less than a nanosecond") // zero means forever
	}
	return d, nil
}

// AgeText prints a max age as ParseRetention reads it: "30d", "12h0m0s",
// "forever".
func AgeText(d time.Duration) string {
	if d < 0 {
		return "forever"
	}
	if d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// ParseSize reads "512", "256KB", "1.5MB", "2GB" (binary units).
func ParseSize(v string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, s := range []struct {
		suffix string
		m      int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if n, ok := strings.CutSuffix(u, s.suffix); ok {
			u, mult = strings.TrimSpace(n), s.m
			break
		}
	}
	f, err := strconv.ParseFloat(u, 64)
	if err != nil || f < 0 {
		return 0, errors.New("not a size")
	}
	return int64(f * float64(mult)), nil
}

// SizeText prints a size exactly, as ParseSize reads it back: "256KB",
// "500MB", "1GB", or bytes ("1000B") when no unit divides it.
func SizeText(n int64) string {
	for _, u := range []struct {
		name string
		m    int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}} {
		if n != 0 && n%u.m == 0 {
			return strconv.FormatInt(n/u.m, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// ParseQuotaWarnings reads the QuotaWarnings setting: "off", or percents
// ("75,90", "80%"); "" is DefaultQuotaWarnings. It returns the thresholds
// as fractions, sorted, without duplicates; nil for off.
func ParseQuotaWarnings(v string) ([]float64, error) {
	v = strings.TrimSpace(v)
	switch v {
	case "":
		v = DefaultQuotaWarnings
	case "off", "none":
		return nil, nil
	}
	var out []float64
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(f), "%"), 64)
		if err != nil || n <= 0 || n >= 100 {
			return nil, fmt.Errorf("quota warnings: want off, or percents between 0 and 100 like 75,90 (got %q)", f)
		}
		out = append(out, n/100)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
