package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/claudecode"
)

// envLines are the two settings that point a client at Sluice, in a
// shell's syntax.
func envLines(shell, url, token string) (string, error) {
	switch shell {
	case "sh", "bash", "zsh", "":
		return fmt.Sprintf("export %s=%s\nexport %s=%s\n", claudecode.BaseURLVar, url, claudecode.TokenVar, token), nil
	case "fish":
		return fmt.Sprintf("set -gx %s %s\nset -gx %s %s\n", claudecode.BaseURLVar, url, claudecode.TokenVar, token), nil
	case "powershell", "pwsh":
		return fmt.Sprintf("$env:%s = \"%s\"\n$env:%s = \"%s\"\n", claudecode.BaseURLVar, url, claudecode.TokenVar, token), nil
	}
	return "", usagef("--shell must be sh, fish or powershell, not %q", shell)
}

// connectionKey asks the engine for the connection key and tells stderr
// when a new one had to be made.
func (e *env) connectionKey(ctx context.Context, eng Engine) (string, error) {
	k, secret, minted, err := eng.ConnectionKey(ctx)
	if err != nil {
		return "", err
	}
	if minted {
		fmt.Fprintf(e.io.Err, "Sluice made a new client key, %q, for connection settings (the one before was revoked or is unknown).\n", k.Name)
	}
	return secret, nil
}

func (e *env) envCmd() *cobra.Command {
	var shell string
	cmd := &cobra.Command{
		Use:   "env [--shell sh|fish|powershell]",
		Short: "Print the settings that point Claude Code at Sluice",
		Long: `Print ANTHROPIC_BASE_URL (the running proxy's address) and
ANTHROPIC_AUTH_TOKEN (the connection key, kept in the keyring) in a shell's
syntax, e.g. eval "$(sluice env)".`,
		Args: noArgs,
		RunE: e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
			if _, err := envLines(shell, "", ""); err != nil {
				return err
			}
			token, err := e.connectionKey(ctx, eng)
			if err != nil {
				return err
			}
			out, _ := envLines(shell, e.proxyURL(ctx, eng), token)
			fmt.Fprint(e.io.Out, out)
			return nil
		}),
	}
	cmd.Flags().StringVar(&shell, "shell", "sh", "sh, fish or powershell")
	return cmd
}

func (e *env) setupCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Point a client at Sluice",
		RunE:  group,
	}
	var undo bool
	cc := &cobra.Command{
		Use:   "claude-code [--undo]",
		Short: "Set ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN in ~/.claude/settings.json",
		Long: `Write Sluice's address and the connection key into the env block of
~/.claude/settings.json after backing it up; no other byte of the file
changes. --undo restores the most recent backup.`,
		Args: noArgs,
		RunE: func(c *cobra.Command, args []string) error {
			home, err := os.UserHomeDir()
			if err != nil {
				return fmt.Errorf("set up Claude Code: %w", err)
			}
			if undo {
				s, err := claudecode.Last(home)
				if err != nil {
					return err
				}
				if err := s.Undo(); err != nil {
					return err
				}
				fmt.Fprintf(e.io.Out, "Restored %s from %s.\n", s.Path, s.Backup)
				return nil
			}
			return e.withEngine(func(ctx context.Context, eng Engine, _ []string) error {
				token, err := e.connectionKey(ctx, eng)
				if err != nil {
					return err
				}
				s, err := claudecode.SetUp(home, e.proxyURL(ctx, eng), token)
				if err != nil {
					return fmt.Errorf("set up Claude Code: %w", err)
				}
				fmt.Fprintf(e.io.Out, "Claude Code now uses Sluice (%s).\nThe previous state is kept as %s; `sluice setup claude-code --undo` restores it.\n", s.Path, s.Backup)
				return nil
			})(c, args)
		},
	}
	cc.Flags().BoolVar(&undo, "undo", false, "restore the file as it was before the last set-up")
	cmd.AddCommand(cc)
	return cmd
}
