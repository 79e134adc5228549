package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/app/autostart"
	"github.com/sluice-proxy/sluice/proxy/api"
)

// settingsJSON is what `sluice settings --json` prints: every setting's
// value (api.Values, with Fixed naming those fixed on the command line)
// and every setting's built-in default, by key.
type settingsJSON struct {
	api.Values
	Defaults map[string]string `json:"defaults"`
}

// settingsCmd is `sluice settings` and `sluice settings set KEY VALUE`:
// both loop over the registry (api.Registry), so a setting declared there
// is listed, documented and settable here with no code of its own.
func (e *env) settingsCmd() *cobra.Command {
	var jsonOut bool
	var keys []string
	for _, s := range api.Registry() {
		line := fmt.Sprintf("  %-18s %s", s.Key, s.Help)
		if fixers := fixers(s); fixers != "" {
			line += " [" + fixers + "]"
		}
		keys = append(keys, line)
	}
	cmd := &cobra.Command{
		Use:   "settings",
		Short: "Show every setting: its value, its default, and what fixes it",
		Long: `Show every setting with its value, its default when it differs, and the
SLUICE_* variable or flag that fixes it for the running Sluice. They are
kept in the database (start-at-login by this computer's login items), the
window edits the same ones, and a change applies without a restart.
A setting fixed by a variable or flag (in brackets below) cannot be
changed while it is set. Change one with 'sluice settings set KEY VALUE':

` + strings.Join(keys, "\n"),
		Args: noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			v, err := e.values(ctx, eng)
			if err != nil {
				return err
			}
			if jsonOut {
				out := settingsJSON{Values: v, Defaults: map[string]string{}}
				for _, s := range api.Registry() {
					out.Defaults[s.Key] = s.Default()
				}
				return writeJSON(e.io.Out, out)
			}
			printValues(e.io.Out, v)
			return nil
		}),
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	cmd.AddCommand(&cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Change one setting (see `sluice settings --help` for the keys)",
		Args:  exactArgs("KEY", "VALUE"),
		RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
			v, err := e.setValue(ctx, eng, args[0], strings.TrimSpace(args[1]))
			if err != nil {
				return err
			}
			printValues(e.io.Out, v)
			return nil
		}),
	})
	return cmd
}

// values are the engine's settings with start-at-login read from this
// computer's login items.
func (e *env) values(ctx context.Context, eng Engine) (api.Values, error) {
	v, err := eng.Values(ctx)
	v.StartAtLogin = autostart.New().Enabled()
	return v, err
}

// setValue changes one setting. The value is parsed here first, so a
// typo is a usage error (exit 2) before it travels; the engine parses it
// again and saves it, except start-at-login, which this process writes
// (app/autostart) as the window's checkbox does.
func (e *env) setValue(ctx context.Context, eng Engine, key, value string) (api.Values, error) {
	v, err := e.values(ctx, eng)
	if err != nil {
		return v, err
	}
	def, err := api.SetSetting(&v, key, value)
	switch {
	case errors.Is(err, api.ErrNoSuchSetting), errors.Is(err, api.ErrBadSetting):
		return v, usageError{err}
	case err != nil:
		return v, err
	}
	if def.Store == api.StoreComputer {
		if err := autostart.New().Set(v.StartAtLogin); err != nil {
			return v, err
		}
		return e.values(ctx, eng)
	}
	if _, err := eng.SetSetting(ctx, key, value); err != nil {
		return v, err
	}
	return e.values(ctx, eng)
}

// printValues prints one line per setting: its key, its value, what fixes
// it, and its default when the value is another.
func printValues(w io.Writer, v api.Values) {
	for _, s := range api.Registry() {
		val := s.Format(v)
		line := fmt.Sprintf("%-19s %s", s.Key, val)
		if by := v.Fixed[s.Key]; by != "" {
			line += "  (fixed by " + by + ")"
		}
		if d := s.Default(); d != val {
			line += "  (default " + d + ")"
		}
		fmt.Fprintln(w, line)
	}
}

// fixers names the variable and flag that fix s, if any.
func fixers(s api.Setting) string {
	var f []string
	for _, x := range []string{s.Env, s.Flag} {
		if x != "" {
			f = append(f, x)
		}
	}
	return strings.Join(f, ", ")
}
