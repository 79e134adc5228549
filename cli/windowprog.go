package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// WindowProgram is the window's own program. Fyne and its GL driver live
// there alone, so the process that runs all day (the tray app with the
// engine) and every CLI command load neither: the window is started on
// demand and its process ends when it is closed.
const WindowProgram = "sluice-window"

// WindowPath finds the window program: beside this executable first, where
// `make install` and the packages put both, then on PATH.
func WindowPath() (string, error) {
	name := WindowProgram
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	self, err := os.Executable()
	if err == nil {
		if self, err = filepath.EvalSymlinks(self); err == nil {
			beside := filepath.Join(filepath.Dir(self), name)
			if info, err := os.Stat(beside); err == nil && !info.IsDir() {
				return beside, nil
			}
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	where := "beside this program"
	if self != "" {
		where = "in " + filepath.Dir(self)
	}
	return "", fmt.Errorf("the window program %s is not installed: not found %s nor on PATH "+
		"(it ships beside sluice; `sluice serve` and every other command work without it)", name, where)
}

// WindowCommand is the window program run with args. When the program
// cannot be found the command's Err says so, and Start returns it.
func WindowCommand(args ...string) *exec.Cmd {
	path, err := WindowPath()
	if err != nil {
		cmd := exec.Command(WindowProgram, args...)
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
