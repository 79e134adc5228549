package cli

import (
	"fmt"
	"os/exec"

	"github.com/sluice-proxy/sluice/programs"
)

// WindowPath finds the window program (programs.Window): beside this
// executable first, then on PATH.
func WindowPath() (string, error) {
	p, err := programs.Path(programs.Window)
	if err != nil {
		return "", fmt.Errorf("the window program %w (it ships beside sluice; `sluice serve` and every other command work without it)", err)
	}
	return p, nil
}

// WindowCommand is the window program run with args. When the program
// cannot be found the command's Err says so, and Start returns it.
func WindowCommand(args ...string) *exec.Cmd {
	path, err := WindowPath()
	if err != nil {
		cmd := exec.Command(programs.Window, args...)
		cmd.Err = err
		return cmd
	}
	return exec.Command(path, args...)
}

// LaunchWindow runs `sluice window ARGS` in the sluice program: it answers
// --help and usage errors itself (so they work where the window program is
// not installed), then hands over to the window program with the same
// arguments, which opens the window as RunWindow says.
func LaunchWindow(io IO, args []string) int {
	dataDir := ""
	if _, done, code := parseWindowArgs(io, args, &dataDir); done {
		return code
	}
	path, err := WindowPath()
	if err != nil {
		fmt.Fprintln(io.Err, "sluice:", err)
		return ExitFailure
	}
	if err := execWindow(path, args); err != nil {
		fmt.Fprintf(io.Err, "sluice: run %s: %v\n", path, err)
		return ExitFailure
	}
	return ExitOK
}

// StartupErrorFlag asks the window program to show a startup failure
// (its argument) in a window of its own: the owner program cannot draw one.
const StartupErrorFlag = "--startup-error"
