//go:build !windows

package proxy

import "syscall"

// fileLimit is the process's soft limit on open files (1024 when it
// cannot be read).
func fileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur > 0 {
		return rl.Cur
	}
	return 1024
}
