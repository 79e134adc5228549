// Package statusline prints the line Claude Code shows in its status bar:
// the account serving a session and its windows, read from the running
// owner over the control socket. It imports neither Fyne nor the engine, so
// the small sluice-statusline binary that Claude Code runs on every redraw
// starts without mapping the GUI libraries (`sluice statusline` shares it).
package statusline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// Budget bounds the whole statusline: Claude Code redraws it often, and a
// slow one stalls the prompt.
const Budget = 250 * time.Millisecond

// socketFile is the control socket's name in the data dir; control's
// SocketPath must agree (cli's tests check that it does).
const socketFile = "sluice.sock"

// SocketPath is the control socket of a data dir.
func SocketPath(dataDir string) string { return filepath.Join(dataDir, socketFile) }

// Line reads Claude Code's JSON from in and returns the line to print for
// its session, "" on any failure (no owner, unknown session, bad input).
func Line(ctx context.Context, in io.Reader, dataDir string, now time.Time) string {
	var req struct {
		SessionID string `json:"session_id"`
	}
	if json.NewDecoder(io.LimitReader(in, 1<<20)).Decode(&req) != nil || req.SessionID == "" {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, Budget)
	defer cancel()
	c := newClient(SocketPath(dataDir))
	defer c.http.CloseIdleConnections()
	var ss []api.SessionView
	if c.call(ctx, "sessions", struct{}{}, &ss) != nil {
		return ""
	}
	for _, s := range ss {
		if s.ID != req.SessionID {
			continue
		}
		var accts []api.AccountView
		if c.call(ctx, "accounts", struct{}{}, &accts) != nil {
			return ""
		}
		// The session's share and the pool's runway (the quota ledger);
		// an older owner without them still gets its line.
		var v api.StatuslineView
		_ = c.call(ctx, "statusline", req.SessionID, &v)
		for _, a := range accts {
			if a.ID == s.AccountID {
				return Text(a, v, now)
			}
		}
	}
	return ""
}

// client is the least of control.Client that the line needs: POST
// /v1/<method> over the owner's Unix socket, JSON in and out.
type client struct{ http *http.Client }

func newClient(path string) client {
	dial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
	return client{&http.Client{Transport: &http.Transport{DialContext: dial, MaxIdleConns: 1}}}
}

func (c client) call(ctx context.Context, method string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://sluice/v1/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("call %s: %w", method, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("call %s: %s", method, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("call %s: read the answer: %w", method, err)
	}
	return nil
}

// Text is e.g. "work · 5h 42% (resets 15:04) · 7d 13% (resets Mon 09:00)".
func Text(a api.AccountView, v api.StatuslineView, now time.Time) string {
	if a.State == api.StateNeedsLogin {
		// The one thing that helps, as the statusline is what the user
		// looks at.
		return a.Name + " · needs sign-in: run `sluice accounts login " + a.Name + " --reauth`"
	}
	parts := []string{a.Name}
	for _, w := range Windows(a) {
		if !Known(w) {
			continue
		}
		p := fmt.Sprintf("%s %s", Label(w), Percent(w))
		if !w.ResetsAt.IsZero() {
			p += " (resets " + resetText(w.ResetsAt.Local(), now) + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(withLedger(parts, v), " · ")
}

func resetText(t, now time.Time) string {
	if t.Sub(now) < 24*time.Hour {
		return t.Format("15:04")
	}
	return t.Format("Mon 15:04")
}

// withLedger adds to an account's status line the session's share of its
// 5-hour window and the pool's runway, when known:
// "personal · 5h 41% (this session 3 %) (resets 15:04) · ... · runs out 15:40".
func withLedger(parts []string, v api.StatuslineView) []string {
	if v.HasShare {
		for i, p := range parts {
			if rest, ok := strings.CutPrefix(p, "5h "); ok {
				pct, tail, _ := strings.Cut(rest, " ")
				parts[i] = strings.TrimSpace(fmt.Sprintf("5h %s (this session %.0f %%) %s", pct, v.SessionShare*100, tail))
			}
		}
	}
	if !v.RunsOutAt.IsZero() {
		parts = append(parts, "runs out "+v.RunsOutAt.Local().Format("15:04"))
	}
	return parts
}

// Windows returns every window known for an account, account-wide ones
// first: the one place that decides which windows the CLI shows.
func Windows(v api.AccountView) []api.Window {
	ws := slices.Clone(v.Windows)
	slices.SortStableFunc(ws, func(a, b api.Window) int {
		return strings.Compare(a.Scope, b.Scope) // "" (account-wide) first
	})
	return ws
}

// Label names a window as the headers and the usage endpoint do ("5h",
// "7d", "7d_oi"), else by its kind and scope.
func Label(w api.Window) string {
	if w.Name != "" {
		return w.Name
	}
	if w.Scope != "" {
		return w.Kind + ":" + w.Scope
	}
	return w.Kind
}

// Known reports whether anything is known of a window.
func Known(w api.Window) bool {
	return w.Status != "" || w.Utilization != 0 || !w.ResetsAt.IsZero()
}

// Percent is a window's use, "-" when unknown.
func Percent(w api.Window) string {
	if !Known(w) {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", w.Utilization*100)
}
