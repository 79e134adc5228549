//go:build unix

package datadir

import (
	"io/fs"
	"syscall"
)

const noFollow = syscall.O_NOFOLLOW

// ownerOf is the uid owning fi.
func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
