// Package claudecode points Claude Code at Sluice by editing the env block
// of ~/.claude/settings.json, and undoes it. It is shared by the window's
// "Set up Claude Code" button and `sluice setup claude-code`, and imports
// nothing of Sluice's (no Fyne, no engine).
//
// The user's file is edited surgically (tidwall/sjson): the two values
// change and every other byte (key order, indentation, other keys) stays.
package claudecode

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"
)

// The variables Claude Code reads its endpoint and key from.
const (
	BaseURLVar = "ANTHROPIC_BASE_URL"
	TokenVar   = "ANTHROPIC_AUTH_TOKEN"
)

// backupMark separates the settings file's name from a backup's stamp;
// noFile ends a backup that records "there was no file" (undo removes it).
const (
	backupMark = ".sluice-backup-"
	noFile     = ".none"
)

// Setup is what SetUp changed, to undo it.
type Setup struct {
	Path   string // ~/.claude/settings.json, as the user names it
	Target string // the file written: Path, or where its symlink points
	Backup string // the copy made first
}

// SettingsPath is Claude Code's user settings file under home.
func SettingsPath(home string) string { return filepath.Join(home, ".claude", "settings.json") }

// SetUp sets ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN in the env block
// of home/.claude/settings.json after backing the file up. A file that is
// not a JSON object (null included), or whose env is not an object, is an
// error and is left as it is. A symlinked file is written through to its
// target. The file holds a secret: group and other lose their access.
func SetUp(home, baseURL, token string) (Setup, error) {
	s := Setup{Path: SettingsPath(home)}
	target, err := filepath.EvalSymlinks(s.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		target = s.Path
		if fi, lerr := os.Lstat(s.Path); lerr == nil && fi.Mode()&fs.ModeSymlink != 0 {
			// A dangling link: create what it points to.
			if dest, rerr := os.Readlink(s.Path); rerr == nil {
				target = dest
				if !filepath.IsAbs(dest) {
					target = filepath.Join(filepath.Dir(s.Path), dest)
				}
			}
		}
	case err != nil:
		return s, fmt.Errorf("read %s: %w", s.Path, err)
	}
	s.Target = target
	old, err := os.ReadFile(target)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return s, fmt.Errorf("read %s: %w", s.Path, err)
	}
	doc := old
	if len(bytes.TrimSpace(doc)) == 0 {
		doc = []byte("{}")
	}
	if !gjson.ValidBytes(doc) || !gjson.ParseBytes(doc).IsObject() {
		return s, fmt.Errorf("%s is not a JSON object; it was left as it is: fix or remove it, then try again", s.Path)
	}
	if env := gjson.GetBytes(doc, "env"); env.Exists() && !env.IsObject() {
		return s, fmt.Errorf("the env entry of %s is not an object; the file was left as it is", s.Path)
	}
	out, err := sjson.SetBytes(doc, "env."+BaseURLVar, baseURL)
	if err == nil {
		out, err = sjson.SetBytes(out, "env."+TokenVar, token)
	}
	if err != nil {
		return s, fmt.Errorf("edit %s: %w", s.Path, err)
	}
	if len(old) == 0 || old[len(old)-1] == '\n' {
		out = append(bytes.TrimRight(out, "\n"), '\n')
	}
	mode := fs.FileMode(0o600)
	if exists {
		if fi, err := os.Stat(target); err == nil {
			mode = fi.Mode().Perm()&0o700 | 0o600
		}
	}
	if s.Backup, err = backup(target, old, exists); err != nil {
		return s, err
	}
	if err := writeAtomic(target, out, mode); err != nil {
		return s, err
	}
	return s, nil
}

// backup copies the file aside under a name no other backup has (a
// nanosecond stamp, created exclusively), or records that there was none.
func backup(target string, old []byte, exists bool) (string, error) {
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(target), err)
	}
	stamp := time.Now().Format("20060102-150405.000000000")
	for i := 0; ; i++ {
		name := target + backupMark + stamp
		if i > 0 {
			name += fmt.Sprintf("-%d", i)
		}
		if !exists {
			name += noFile
		}
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("back up %s: %w", target, err)
		}
		_, werr := f.Write(old)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(name)
			return "", fmt.Errorf("back up %s: %w", target, werr)
		}
		return name, nil
	}
}

// Undo puts the file back as it was before SetUp: the backup's contents,
// or no file when there was none. The backup is removed once restored.
func (s Setup) Undo() error {
	if strings.HasSuffix(s.Backup, noFile) {
		if err := os.Remove(s.Target); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("undo: %w", err)
		}
	} else {
		old, err := os.ReadFile(s.Backup)
		if err != nil {
			return fmt.Errorf("undo: read the backup: %w", err)
		}
		mode := fs.FileMode(0o600)
		if fi, err := os.Stat(s.Backup); err == nil {
			mode = fi.Mode().Perm()
		}
		if err := writeAtomic(s.Target, old, mode); err != nil {
			return fmt.Errorf("undo: %w", err)
		}
	}
	if err := os.Remove(s.Backup); err != nil {
		return fmt.Errorf("undo: remove the backup: %w", err)
	}
	return nil
}

// Last returns the most recent set-up under home that can still be undone
// (its backup is still there), for `sluice setup claude-code --undo`.
func Last(home string) (Setup, error) {
	s := Setup{Path: SettingsPath(home), Target: SettingsPath(home)}
	if t, err := filepath.EvalSymlinks(s.Path); err == nil {
		s.Target = t
	}
	names, err := filepath.Glob(s.Target + backupMark + "*")
	if err != nil || len(names) == 0 {
		return s, fmt.Errorf("no Sluice backup of %s to restore", s.Path)
	}
	// Stamps sort by time; a "-N" suffix orders backups of one instant.
	slices.SortFunc(names, func(a, b string) int {
		return strings.Compare(strings.TrimSuffix(a, noFile), strings.TrimSuffix(b, noFile))
	})
	s.Backup = names[len(names)-1]
	return s, nil
}

// writeAtomic replaces path with data through a temporary file in the same
// directory and a rename, so Claude Code never reads half a file.
func writeAtomic(path string, data []byte, mode fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".settings-*.json")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
