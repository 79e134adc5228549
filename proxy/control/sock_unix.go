//go:build !windows

package control

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// socketPath is the Unix socket in the data dir (0700), itself 0600.
func socketPath(dataDir string) string { return filepath.Join(dataDir, socketFile) }

// listen replaces a socket left by a crashed owner (the caller holds the
// lock, so no live owner serves it) and makes the new one private.
func listen(path string) (net.Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale control socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on the control socket: %w", err)
	}
	// The chmod follows links: it is done only on the socket just
	// created, never on a link planted at its name.
	if fi, err := os.Lstat(path); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("the control socket: %w", err)
	} else if fi.Mode().Type() != os.ModeSocket {
		_ = ln.Close()
		return nil, fmt.Errorf("the control socket %s is not the socket Sluice created (%v)", path, fi.Mode().Type())
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("make the control socket private: %w", err)
	}
	return ln, nil
}

// dial connects to the socket; the server checks who we are (peer_linux.go).
func dial(ctx context.Context, _, path string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "unix", path)
}
