//go:build !windows

package cli

import (
	"os"
	"syscall"
)

// execWindow replaces this process with the window program: `sluice
// window` leaves no sluice process waiting beside the window. It returns
// only on failure.
func execWindow(path string, args []string) error {
	return syscall.Exec(path, append([]string{path}, args...), os.Environ())
}
