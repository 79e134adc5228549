package pool

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// hdr builds a header set from name, value pairs (names canonicalised as
// net/http does on the wire).
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func unix(t time.Time) string { return fmt.Sprint(t.Unix()) }

func TestParseHeaders(t *testing.T) {
	in1h, in3d := t0.Add(time.Hour), t0.Add(72*time.Hour)
	tests := []struct {
		name    string
		h       http.Header
		present bool
		check   func(t *testing.T, l Limits)
	}{
		{"none", hdr("content-type", "application/json", "x-should-retry", "true"), false, nil},
		{"unified full set", hdr(
			"anthropic-ratelimit-unified-status", "allowed_warning",
			"anthropic-ratelimit-unified-reset", unix(in1h),
			"anthropic-ratelimit-unified-5h-status", "allowed_warning",
			"anthropic-ratelimit-unified-5h-utilization", "0.85",
			"anthropic-ratelimit-unified-5h-reset", unix(in1h),
			"anthropic-ratelimit-unified-7d-status", "allowed",
			"anthropic-ratelimit-unified-7d-utilization", "0.2",
			"anthropic-ratelimit-unified-7d-reset", unix(in3d),
			"anthropic-ratelimit-unified-representative-claim", "five_hour",
			"anthropic-ratelimit-unified-fallback-percentage", "0.5",
			"anthropic-ratelimit-unified-overage-status", "allowed",
			"anthropic-ratelimit-unified-overage-utilization", "0.05",
		), true, func(t *testing.T, l Limits) {
			want := Limits{
				Status: "allowed_warning", ResetsAt: in1h,
				FiveHour:            Window{Status: "allowed_warning", Utilization: 0.85, ResetsAt: in1h},
				SevenDay:            Window{Status: "allowed", Utilization: 0.2, ResetsAt: in3d},
				RepresentativeClaim: "five_hour", FallbackPercentage: 0.5,
				OverageStatus: "allowed", OverageUtilization: 0.05, UpdatedAt: t0,
			}
			want.normalize()
			if fmt.Sprint(l) != fmt.Sprint(want) {
				t.Errorf("got  %+v\nwant %+v", l, want)
			}
		}},
		{"api-key tiers", hdr(
			"anthropic-ratelimit-requests-limit", "50",
			"anthropic-ratelimit-requests-remaining", "0",
			"anthropic-ratelimit-requests-reset", t0.Add(30*time.Second).Format(time.RFC3339),
			"anthropic-ratelimit-input-tokens-limit", "30000",
			"anthropic-ratelimit-input-tokens-remaining", "29000",
			"anthropic-ratelimit-output-tokens-reset", t0.Add(5*time.Second).Format(time.RFC3339),
			"anthropic-ratelimit-tokens-remaining", "12",
		), true, func(t *testing.T, l Limits) {
			if l.Requests != (Tier{50, 0, t0.Add(30 * time.Second)}) {
				t.Errorf("requests %+v", l.Requests)
			}
			if l.InputTokens.Limit != 30000 || l.InputTokens.Remaining != 29000 {
				t.Errorf("input %+v", l.InputTokens)
			}
			if !l.OutputTokens.ResetsAt.Equal(t0.Add(5*time.Second)) || l.Tokens.Remaining != 12 {
				t.Errorf("output %+v tokens %+v", l.OutputTokens, l.Tokens)
			}
			if got := l.tierReset(); !got.Equal(t0.Add(30 * time.Second)) {
				t.Errorf("tierReset %v", got)
			}
		}},
		{"unknown kept", hdr(
			"anthropic-ratelimit-unified-7d_oi-utilization", "0.27",
			"Anthropic-Ratelimit-Unified-Overage-Disabled-Reason", "org_level_disabled",
			"anthropic-ratelimit-requests-burst", "9",
		), true, func(t *testing.T, l Limits) {
			if l.Extra["unified-overage-disabled-reason"] != "org_level_disabled" ||
				l.Extra["requests-burst"] != "9" || len(l.Extra) != 2 {
				t.Errorf("extra %v", l.Extra)
			}
			// A window this package has no field for is kept as data.
			if w, ok := l.Find(KindWeekly, "oi"); !ok || w.Name != "7d_oi" || w.Utilization != 0.27 {
				t.Errorf("7d_oi window %+v %v in %+v", w, ok, l.Windows)
			}
		}},
		{"bad values tolerated", hdr(
			"anthropic-ratelimit-unified-status", "rejected",
			"anthropic-ratelimit-unified-reset", "soon",
			"anthropic-ratelimit-unified-5h-utilization", "NaN",
			"anthropic-ratelimit-unified-7d-utilization", "-3",
			"anthropic-ratelimit-requests-limit", "lots",
			"anthropic-ratelimit-tokens-reset", "yesterday",
			"retry-after", "later",
		), true, func(t *testing.T, l Limits) {
			if l.Status != "rejected" || !l.ResetsAt.IsZero() || l.FiveHour.Utilization != 0 ||
				l.SevenDay.Utilization != 0 || l.Requests.Limit != 0 || !l.Tokens.ResetsAt.IsZero() || l.RetryAfter != 0 {
				t.Errorf("%+v", l)
			}
		}},
		{"past and absurd resets ignored", hdr(
			"anthropic-ratelimit-unified-reset", unix(t0.Add(-time.Minute)),
			"anthropic-ratelimit-unified-5h-reset", unix(t0.Add(9*24*time.Hour)),
			"anthropic-ratelimit-unified-7d-reset", unix(t0.Add(8*24*time.Hour)),
			"anthropic-ratelimit-requests-reset", t0.Add(-time.Second).Format(time.RFC3339),
		), true, func(t *testing.T, l Limits) {
			if !l.ResetsAt.IsZero() || !l.FiveHour.ResetsAt.IsZero() || !l.Requests.ResetsAt.IsZero() {
				t.Errorf("kept a bad reset: %+v", l)
			}
			if !l.SevenDay.ResetsAt.Equal(t0.Add(8 * 24 * time.Hour)) {
				t.Errorf("dropped the 8-day reset: %v", l.SevenDay.ResetsAt)
			}
		}},
		{"retry-after seconds", hdr("retry-after", "17"), true, func(t *testing.T, l Limits) {
			if l.RetryAfter != 17*time.Second {
				t.Errorf("retry-after %v", l.RetryAfter)
			}
		}},
		{"retry-after http date", hdr("Retry-After", t0.Add(90*time.Second).Format(http.TimeFormat)), true, func(t *testing.T, l Limits) {
			if l.RetryAfter != 90*time.Second {
				t.Errorf("retry-after %v", l.RetryAfter)
			}
		}},
		{"retry-after date in the past", hdr("Retry-After", t0.Add(-time.Hour).Format(http.TimeFormat)), true, func(t *testing.T, l Limits) {
			if l.RetryAfter != 0 {
				t.Errorf("retry-after %v", l.RetryAfter)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, ok := ParseHeaders(tt.h, t0)
			if ok != tt.present {
				t.Fatalf("present = %v, want %v", ok, tt.present)
			}
			if tt.check != nil {
				tt.check(t, l)
			}
		})
	}
}

func TestMergeKeepsWhatHeadersDidNotCarry(t *testing.T) {
	old := Limits{
		FiveHour:     Window{Status: "allowed", Utilization: 0.4, ResetsAt: t0.Add(time.Hour)},
		SevenDayOpus: Window{Utilization: 0.3},
	}
	old.normalize()
	n, mask := parseHeaders(hdr("retry-after", "5"), t0)
	got := old.merge(n, mask)
	if got.FiveHour != old.FiveHour || got.SevenDayOpus != old.SevenDayOpus || got.RetryAfter != 5*time.Second {
		t.Errorf("merge lost data: %+v", got)
	}
	n, mask = parseHeaders(hdr("anthropic-ratelimit-unified-5h-utilization", "0.5"), t0)
	if got := old.merge(n, mask); got.FiveHour.Utilization != 0.5 || got.SevenDayOpus.Utilization != 0.3 {
		t.Errorf("merge: %+v", got)
	}
}

func TestParseUsage(t *testing.T) {
	reset := t0.Add(2 * time.Hour)
	tests := []struct {
		name    string
		body    string
		want    Limits
		wantErr bool
	}{
		{"full", `{"five_hour":{"utilization":42.5,"resets_at":"` + reset.Format(time.RFC3339) + `"},
			"seven_day":{"utilization":10,"resets_at":null},
			"seven_day_opus":null,
			"seven_day_sonnet":{"utilization":0,"resets_at":"` + reset.Format(time.RFC3339Nano) + `"},
			"extra_usage":{"is_enabled":false},"new_thing":[1,2]}`,
			Limits{
				FiveHour:       Window{Utilization: 0.425, ResetsAt: reset},
				SevenDay:       Window{Utilization: 0.1},
				SevenDaySonnet: Window{ResetsAt: reset},
			}, false},
		{"tolerant fields", `{"five_hour":{"utilization":"x","resets_at":"tomorrow"},"seven_day":7}`, Limits{}, false},
		{"empty object", `{}`, Limits{}, false},
		{"not json", `<html>`, Limits{}, true},
		{"array", `[1]`, Limits{}, true},
		{"null", `null`, Limits{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUsage([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			tt.want.normalize()
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLimitedErrorNamesTime(t *testing.T) {
	err := &LimitedError{Until: t0.Add(time.Hour)}
	if !strings.Contains(err.Error(), "2026-03-01T13:00:00Z") {
		t.Errorf("%q", err.Error())
	}
}
