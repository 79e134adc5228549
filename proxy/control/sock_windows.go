package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// On Windows the control channel is a named pipe, not an AF_UNIX socket:
// Windows 10 has AF_UNIX but no peer credentials on it, and Wine, where
// the Windows build is tested, has no AF_UNIX before 9.x. The pipe's DACL
// admits this user only, so the OS makes the check SO_PEERCRED makes on
// Linux when the pipe is opened. Pipe names are machine-wide, so the
// client also checks that the pipe is served by the PID the owner wrote in
// the (user-only) data dir: another user who took the name first gets no
// commands, and the owner refuses to start on a taken name.

// socketPath is the data dir's pipe, named for its absolute path
// (case-folded: Windows paths are case-insensitive).
func socketPath(dataDir string) string {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		abs = dataDir
	}
	sum := sha256.Sum256([]byte(strings.ToLower(filepath.Clean(abs))))
	return `\\.\pipe\sluice-` + hex.EncodeToString(sum[:12])
}

// listen creates the pipe with a protected DACL granting this user alone.
func listen(path string) (net.Listener, error) {
	sid, err := userSID()
	if err != nil {
		return nil, fmt.Errorf("listen on the control pipe: %w", err)
	}
	// go-winio creates the first instance with FILE_CREATE, which Windows
	// refuses on a taken name but Wine 8 does not: look first.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	c, err := winio.DialPipeContext(ctx, path)
	cancel()
	if err == nil {
		_ = c.Close()
		return nil, fmt.Errorf("listen on the control pipe: another process serves %s", path)
	}
	ln, err := winio.ListenPipe(path, &winio.PipeConfig{SecurityDescriptor: "D:P(A;;GA;;;" + sid + ")"})
	if err != nil {
		return nil, fmt.Errorf("listen on the control pipe: %w", err)
	}
	return ln, nil
}

// userSID is the SID of the user this process runs as.
func userSID() (string, error) {
	u, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return "", fmt.Errorf("read this process's user: %w", err)
	}
	return u.User.Sid.String(), nil
}

// dial opens the pipe and checks who serves it.
func dial(ctx context.Context, dataDir, path string) (net.Conn, error) {
	c, err := winio.DialPipeContext(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := checkServer(c, dataDir); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// checkServer refuses a pipe served by any process but the data dir's
// owner, as recorded in its pid file.
func checkServer(c net.Conn, dataDir string) error {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return errors.New("control pipe: no handle to check its server")
	}
	var pid uint32
	if err := windows.GetNamedPipeServerProcessId(windows.Handle(f.Fd()), &pid); err != nil {
		return fmt.Errorf("control pipe: read its server's PID: %w", err)
	}
	if o := readOwner(dataDir); o.PID != int(pid) {
		return fmt.Errorf("refused the control pipe: it is served by PID %d, not by this data dir's owner (PID %d)", pid, o.PID)
	}
	return nil
}
