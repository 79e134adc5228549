// Package programs finds Sluice's programs, which are installed side by
// side: sluice (engine, tray, CLI), sluice-window (the Fyne window) and
// sluice-statusline. Each looks for the others beside itself first, where
// `make install`, the .deb, the tarball and the Windows zip put them, then
// on PATH. It imports nothing of ours, so every program can use it.
package programs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// The programs' names, without the .exe Windows adds.
const (
	// Sluice is the tray app, `sluice serve` and the CLI.
	Sluice = "sluice"
	// Window is the window: Fyne and its GL driver live there alone, so the
	// process that runs all day loads neither.
	Window = "sluice-window"
)

// Path finds the program name: beside this executable, then on PATH. The
// error says where it looked.
func Path(name string) (string, error) {
	return path(name, os.Executable, exec.LookPath)
}

func path(name string, self func() (string, error), lookPath func(string) (string, error)) (string, error) {
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	dir := ""
	if exe, err := self(); err == nil {
		if exe, err = filepath.EvalSymlinks(exe); err == nil {
			dir = filepath.Dir(exe)
			beside := filepath.Join(dir, name)
			if info, err := os.Stat(beside); err == nil && !info.IsDir() {
				return beside, nil
			}
		}
	}
	if p, err := lookPath(name); err == nil {
		return p, nil
	}
	where := "beside this program"
	if dir != "" {
		where = "in " + dir
	}
	return "", fmt.Errorf("%s is not installed: not found %s nor on PATH", name, where)
}
