package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2/dialog"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// portProblem says why a port change failed in words a window user can
// act on: the engine's own message names SLUICE_PORT, which is for
// terminals.
func portProblem(err error, port int) string {
	if errors.Is(err, api.ErrPortInUse) {
		return fmt.Sprintf("Port %d is used by another program (perhaps another Sluice). Pick another port, or quit the program using it and try again.", port)
	}
	return capitalize(err.Error())
}

// startProblem explains a failed start, or returns "" when it has nothing
// to add to the error's own words. err may have crossed the control socket
// as text only (Snapshot.StartError), so the port-in-use case is also
// recognised by the sentinel's message.
func startProblem(err error, addr string) string {
	if errors.Is(err, api.ErrPortInUse) || strings.Contains(err.Error(), api.ErrPortInUse.Error()) {
		port := "its port"
		if _, p, serr := net.SplitHostPort(addr); serr == nil {
			port = "port " + p
		}
		return "The proxy could not start: " + port + " is used by another program (perhaps another Sluice). " +
			"Pick another port in Settings -> Port, or quit the program using it and turn the proxy on."
	}
	return ""
}

// showConnect shows what a client needs to connect. After a failed start
// the export lines are hidden: their port is not served (another program
// holds it), and the reason shows under the status line instead. A proxy
// merely turned off keeps them: that port is where it will listen. UI
// goroutine only.
func (v *view) showConnect() {
	v.showToken()
	v.shellLines.Hidden = !v.running && v.startErr != ""
	v.shellLines.Refresh()
	v.empty.Refresh()
}

// claudeCodeBaseURL reads the ANTHROPIC_BASE_URL that Claude Code's
// settings file (home/.claude/settings.json) sets; "" when none.
func claudeCodeBaseURL(home string) string {
	b, err := os.ReadFile(filepath.Join(home, ".claude", "settings.json"))
	if err != nil {
		return ""
	}
	var doc struct {
		Env map[string]any `json:"env"`
	}
	if json.Unmarshal(b, &doc) != nil {
		return ""
	}
	u, _ := doc.Env["ANTHROPIC_BASE_URL"].(string)
	return strings.TrimRight(u, "/")
}

// offerClaudeCodeMove asks, after the proxy moved from oldAddr to addr,
// whether Claude Code's settings file, which still names oldAddr, should
// follow: otherwise Claude Code breaks without a word. Yes runs what the
// "Set up Claude Code" button runs. UI goroutine only.
// The button's action edits the file through package claudecode, as
// `sluice setup claude-code` does.
func (v *view) offerClaudeCodeMove(oldAddr, addr string) {
	home, err := os.UserHomeDir()
	if err != nil || oldAddr == "" || oldAddr == addr || claudeCodeBaseURL(home) != "http://"+oldAddr {
		return
	}
	d := dialog.NewConfirm("Update Claude Code?",
		"Claude Code is set up to use the old address http://"+oldAddr+
			" and cannot reach Sluice there any more.\n\nPoint it at http://"+addr+"?",
		func(yes bool) {
			if yes {
				v.setUpClaudeCode()
			}
		}, v.win)
	d.SetConfirmText("Update Claude Code")
	d.SetDismissText("Not now")
	v.track(d)
	d.Show()
}
