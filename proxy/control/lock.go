// Package control is Sluice's local control API: one process per data dir
// owns the engine (the tray app or `sluice serve`) and serves it over a Unix
// socket in that dir; the command line and a second start are its clients.
//
// It sits beside cli rather than under proxy because it imports proxy
// (proxy/* packages are proxy's parts and never import it).
package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/gofrs/flock"

	"github.com/sluice-proxy/sluice/proxy/datadir"
)

// Kind says what sort of process owns a data dir.
type Kind string

const (
	// KindTray is the desktop app: a second start asks it to show its window.
	KindTray Kind = "tray"
	// KindServe is the headless `sluice serve`.
	KindServe Kind = "serve"
	// KindCLI is a command that opened the engine itself for its duration
	// because no owner ran. It serves no socket.
	KindCLI Kind = "cli"
)

// File names in the data dir.
const (
	lockFile   = "sluice.lock"
	pidFile    = "sluice.pid"
	socketFile = "sluice.sock"
)

// OwnedError reports that another process owns the data dir.
type OwnedError struct {
	PID  int  // 0 if the owner has not recorded itself yet
	Kind Kind // "" likewise
}

func (e *OwnedError) Error() string {
	if e.PID == 0 {
		return "another Sluice process owns the data dir"
	}
	return fmt.Sprintf("another Sluice process (%s, PID %d) owns the data dir", e.Kind, e.PID)
}

// owner is what sluice.pid holds.
type owner struct {
	PID  int  `json:"pid"`
	Kind Kind `json:"kind"`
}

// Lock is the exclusive ownership of a data dir. The OS drops it when the
// process dies, so a crash never leaves the dir locked; a stale pid file or
// socket left behind is overwritten by the next owner.
type Lock struct {
	dir  string
	kind Kind
	fl   *flock.Flock
}

// Acquire takes the data dir for this process, creating it (mode 0700) if
// needed, and records the PID and kind. It fails with *OwnedError when
// another process holds it; it does not wait.
func Acquire(dataDir string, kind Kind) (*Lock, error) {
	if err := privateDir(dataDir); err != nil {
		return nil, err
	}
	// A link planted at sluice.lock or sluice.pid is refused, not
	// followed (and the opens below use O_NOFOLLOW besides).
	for _, name := range []string{lockFile, pidFile} {
		if err := datadir.Regular(filepath.Join(dataDir, name)); err != nil {
			return nil, fmt.Errorf("lock the data dir: %w", err)
		}
	}
	fl := flock.New(filepath.Join(dataDir, lockFile), flock.SetPermissions(0o600),
		flock.SetFlag(os.O_CREATE|os.O_RDONLY|datadir.NoFollow))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock the data dir: %w", err)
	}
	if !ok {
		o := readOwner(dataDir)
		return nil, &OwnedError{PID: o.PID, Kind: o.Kind}
	}
	// The PID goes in a file of its own: on Windows a locked file cannot
	// be read by the others who want to name its owner.
	if err := writeOwner(dataDir, owner{PID: os.Getpid(), Kind: kind}); err != nil {
		_ = fl.Unlock()
		return nil, err
	}
	return &Lock{dir: dataDir, kind: kind, fl: fl}, nil
}

// Dir is the data dir the lock holds.
func (l *Lock) Dir() string { return l.dir }

// Kind is what the holder said it is.
func (l *Lock) Kind() Kind { return l.kind }

// Release gives the data dir up.
func (l *Lock) Release() error {
	_ = os.Remove(filepath.Join(l.dir, pidFile))
	if err := l.fl.Unlock(); err != nil {
		return fmt.Errorf("unlock the data dir: %w", err)
	}
	return nil
}

// privateDir creates dir 0700, or narrows it to 0700: it holds the
// control socket, the database and maybe the file keyring.
func privateDir(dir string) error {
	// Another user's dir (or a link to one) is refused before anything
	// is created in it: run as root, Sluice would follow what that user
	// planted there.
	if err := datadir.Check(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("make the data dir private (0700): %w", err)
		}
	}
	return nil
}

func writeOwner(dir string, o owner) error {
	b, _ := json.Marshal(o)
	// Written to a fresh file, never through a link planted at the
	// temporary name; the rename then replaces whatever sits at
	// sluice.pid (a link included) without following it.
	tmp := filepath.Join(dir, pidFile+".tmp")
	_ = os.Remove(tmp)
	f, err := datadir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("record the owner's PID: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if errc := f.Close(); err == nil {
		err = errc
	}
	if err != nil {
		return fmt.Errorf("record the owner's PID: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, pidFile)); err != nil {
		return fmt.Errorf("record the owner's PID: %w", err)
	}
	return nil
}

// readOwner reads who owns dir; the zero owner if unknown.
func readOwner(dir string) owner {
	var o owner
	f, err := datadir.OpenFile(filepath.Join(dir, pidFile), os.O_RDONLY, 0)
	if err != nil {
		return o
	}
	defer f.Close()
	_ = json.NewDecoder(io.LimitReader(f, 4096)).Decode(&o)
	return o
}

// ErrNotRunning reports that no process serves the data dir's control API.
var ErrNotRunning = errors.New("no Sluice is running for this data dir")
