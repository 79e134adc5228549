package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// ClaudeCodeSetup is what SetUpClaudeCode changed, to undo it.
type ClaudeCodeSetup struct {
	Path   string // ~/.claude/settings.json
	Backup string // the copy made first; "" when there was no file
}

// SetUpClaudeCode points Claude Code at Sluice: it sets ANTHROPIC_BASE_URL
// and ANTHROPIC_AUTH_TOKEN in the env block of home/.claude/settings.json,
// after copying the file aside. Every other key, in env and outside it, is
// kept as it was. The file holds a secret, so it is written 0600.
func SetUpClaudeCode(home, baseURL, token string) (ClaudeCodeSetup, error) {
	s := ClaudeCodeSetup{Path: filepath.Join(home, ".claude", "settings.json")}
	doc := map[string]json.RawMessage{}
	old, err := os.ReadFile(s.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return s, fmt.Errorf("read %s: %w", s.Path, err)
	default:
		if len(bytes.TrimSpace(old)) > 0 {
			if err := json.Unmarshal(old, &doc); err != nil {
				return s, fmt.Errorf("%s is not a JSON object, left as it is: %w", s.Path, err)
			}
		}
		s.Backup = s.Path + ".sluice-backup-" + time.Now().Format("20060102-150405")
		if err := os.WriteFile(s.Backup, old, 0o600); err != nil {
			return s, fmt.Errorf("back up %s: %w", s.Path, err)
		}
	}
	env := map[string]json.RawMessage{}
	if raw, ok := doc["env"]; ok {
		if err := json.Unmarshal(raw, &env); err != nil {
			return s, fmt.Errorf("the env block of %s is not an object, left as it is: %w", s.Path, err)
		}
	}
	env["ANTHROPIC_BASE_URL"], _ = json.Marshal(baseURL)
	env["ANTHROPIC_AUTH_TOKEN"], _ = json.Marshal(token)
	doc["env"], _ = json.Marshal(env)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return s, fmt.Errorf("encode %s: %w", s.Path, err)
	}
	if err := writeAtomic(s.Path, append(out, '\n')); err != nil {
		return s, err
	}
	return s, nil
}

// Undo puts the file back as it was before SetUpClaudeCode: the backup,
// or no file when there was none.
func (s ClaudeCodeSetup) Undo() error {
	if s.Backup == "" {
		if err := os.Remove(s.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("undo: %w", err)
		}
		return nil
	}
	old, err := os.ReadFile(s.Backup)
	if err != nil {
		return fmt.Errorf("undo: read the backup: %w", err)
	}
	return writeAtomic(s.Path, old)
}

// writeAtomic replaces path with data through a temporary file, so Claude
// Code never reads half a file.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".settings-*.json")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// setUpClaudeCode writes Claude Code's settings with the known client key
// and offers to undo it. UI goroutine only.
func (v *view) setUpClaudeCode() {
	if v.token == "" {
		d := dialog.NewInformation("Create a client key first", NoKeyHint, v.win)
		v.track(d)
		d.Show()
		return
	}
	home, err := os.UserHomeDir()
	if err != nil {
		v.showError(fmt.Errorf("set up Claude Code: %w", err))
		return
	}
	addr := v.addr
	if addr == "" {
		ctx, cancel := context.WithTimeout(context.Background(), v.timeout)
		snap, err := v.eng.Snapshot(ctx)
		cancel()
		if err != nil {
			v.showError(fmt.Errorf("set up Claude Code: %w", err))
			return
		}
		addr = snap.Addr
	}
	s, err := SetUpClaudeCode(home, "http://"+addr, v.token)
	if err != nil {
		v.showError(fmt.Errorf("set up Claude Code: %w", err))
		return
	}
	msg := "Claude Code now uses Sluice (" + s.Path + ")."
	if s.Backup != "" {
		msg += "\nThe previous file is kept as " + s.Backup + "."
	}
	d := dialog.NewConfirm("Claude Code set up", msg+"\n\nUndo?", func(undo bool) {
		if undo {
			if err := s.Undo(); err != nil {
				v.showError(err)
			}
		}
	}, v.win)
	d.SetConfirmText("Undo")
	d.SetConfirmImportance(widget.MediumImportance) // keeping it is the usual answer
	d.SetDismissText("Keep")
	v.track(d)
	d.Show()
}
