// Package datadir guards Sluice's data dir against a second local user:
// the dir must belong to the user running Sluice, and the files Sluice
// creates in it are opened without following symbolic links. Run as root
// with a dir another user owns, a planted link would otherwise make Sluice
// overwrite or chmod a file of the planter's choosing.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrForeign reports a data dir, or a file in it, that belongs to another
// user.
var ErrForeign = errors.New("owned by another user")

// Check refuses dir unless the running user owns it, and, when dir is a
// symbolic link, unless the running user owns the link too. A dir that
// does not exist passes: the caller creates it.
func Check(dir string) error {
	li, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if err := owned(dir, li); err != nil {
		return err
	}
	if li.Mode()&fs.ModeSymlink == 0 {
		return nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	return owned(dir, fi)
}

// owned refuses fi (at path) unless the running user owns it.
func owned(path string, fi fs.FileInfo) error {
	if uid, ok := ownerOf(fi); ok && uid != os.Geteuid() {
		return fmt.Errorf("data dir %s is %w (uid %d), not the user running Sluice (uid %d): Sluice will not use it; run Sluice as that user or set SLUICE_DATA_DIR to a dir of your own",
			path, ErrForeign, uid, os.Geteuid())
	}
	return nil
}

// NoFollow is the open flag that makes opening a symbolic link fail
// (O_NOFOLLOW), 0 where the OS has none; for opens done by a library
// that takes flags (gofrs/flock's SetFlag).
const NoFollow = noFollow

// OpenFile opens name as os.OpenFile does, but fails on a symbolic link
// instead of following it (O_NOFOLLOW where the OS has it).
func OpenFile(name string, flag int, perm fs.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag|noFollow, perm)
}

// Regular fails unless name is absent or a regular file the running user
// owns: a link, a FIFO or another user's file where Sluice keeps one of
// its own is refused before Sluice (or SQLite) opens it.
func Regular(name string) error {
	fi, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (%s): Sluice will not open it; remove it if you did not put it there", name, fi.Mode().Type())
	}
	if uid, ok := ownerOf(fi); ok && uid != os.Geteuid() {
		return fmt.Errorf("%s is %w (uid %d): Sluice will not open it", name, ErrForeign, uid)
	}
	return nil
}
