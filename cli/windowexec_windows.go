package cli

import (
	"errors"
	"os"
	"os/exec"
)

// execWindow runs the window program until it ends, with this process's
// console, and exits with its code: Windows cannot replace a process.
func execWindow(path string, args []string) error {
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		os.Exit(exit.ExitCode())
	}
	return err
}
