package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/pool"
)

// familyReasons are the 429 reasons that refuse one model family on an
// account rather than the account (checked 2026-12-01 against what Claude
// Code users report: "Usage credits are required for this model" on Fable
// mid-week, organisations that disable a model). Each maps to the reason
// shown on the bench.
var familyReasons = []struct{ code, why string }{
	{"credits_required", "usage credits required for this model"},
	{"usage credits are required for this model", "usage credits required for this model"},
	{"org_level_disabled", "model disabled for the organisation"},
}

// familyRefusal reads a 429 body and says, when it refuses the request's
// model family only (error type, code or message credits_required or
// org_level_disabled), why; "" otherwise.
func familyRefusal(status int, body []byte) string {
	if status != http.StatusTooManyRequests {
		return ""
	}
	var e struct {
		Error struct {
			Type    string `json:"type"`
			Code    string `json:"code"`
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	all := strings.ToLower(e.Error.Type + " " + e.Error.Code + " " + e.Error.Reason + " " + e.Error.Message)
	for _, r := range familyReasons {
		if strings.Contains(all, r.code) {
			return r.why
		}
	}
	return ""
}

// limitedMessage is the all-limited 429's message: which model family is
// refused, every account with the local time it frees up for that family,
// the earliest reset, and for benches the plan guard set, how to allow
// extra usage. Claude Code shows it as is and gives up at once on a
// retry-after of 61 s or more (README), so the message must carry the wait.
func (s *Service) limitedMessage(req *request, limited *pool.LimitedError) string {
	model := req.model
	blocks := s.pool.Blocked(model, req.scope)
	var b strings.Builder
	b.WriteString(whoseAccounts(req))
	b.WriteString(" rate limited")
	if fam := pool.Family(model); fam != "" {
		fmt.Fprintf(&b, " for %s (%s)", familyTitle(fam), model)
	}
	if len(blocks) > 0 {
		b.WriteString(": ")
		for i, bl := range blocks {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s until %s", bl.Name, localTime(bl.Until))
			if bl.Reason != "" {
				fmt.Fprintf(&b, " (%s)", bl.Reason)
			}
		}
	}
	wait := max(limited.Until.Sub(s.now()), time.Second)
	fmt.Fprintf(&b, ". The first one frees up at %s (in %s).", localTime(limited.Until), wait.Round(time.Second))
	b.WriteString(guardHint(blocks))
	return b.String()
}

// guardHint tells how to allow extra usage on the accounts the plan guard
// holds back; "" when it holds none.
func guardHint(blocks []pool.Block) string {
	var names []string
	for _, bl := range blocks {
		if bl.Guard {
			names = append(names, bl.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" Sluice's plan guard holds back %s to keep within plan limits; to allow extra usage run `sluice accounts plan-guard %s off`.",
		strings.Join(names, ", "), names[0])
}

// localTime formats a reset for people in the machine's time zone.
func localTime(t time.Time) string {
	return t.Local().Format("Mon 2 Jan 15:04 MST")
}

// familyTitle is a family name as Anthropic writes it ("opus" -> "Opus").
func familyTitle(f string) string {
	return strings.ToUpper(f[:1]) + f[1:]
}

// guardOffHint names the accounts whose plan guard is on and how to turn it
// off, for a refusal the guard caused on this very request.
func (s *Service) guardOffHint() string {
	var names []string
	for _, st := range s.pool.Snapshot() {
		if st.Account.PlanGuard {
			names = append(names, st.Name)
		}
	}
	if len(names) == 0 {
		return " Turn the guard off for an account to allow extra usage."
	}
	return fmt.Sprintf(" To allow extra usage on an account, run `sluice accounts plan-guard NAME off` (guarded: %s).", strings.Join(names, ", "))
}
