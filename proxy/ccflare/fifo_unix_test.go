//go:build !windows

package ccflare

import "syscall"

// mkfifo makes a named pipe, which would block a reader forever.
func mkfifo(path string) error { return syscall.Mkfifo(path, 0o600) }
