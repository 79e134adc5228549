package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluice-proxy/sluice/proxy/api"
)

// termsNotice is shown once, before the first subscription login.
const termsNotice = `Note: Anthropic's terms reserve Claude subscription (Pro/Max) credentials for
Anthropic's own apps, such as Claude Code. Using them through another program
may not be allowed for your account. Console API keys (sluice accounts
add-key, or login --mode console) are the supported way to use the API from
other tools. Sluice forwards what your client sends and adds only the
anthropic-beta value OAuth tokens require; it never poses as another client.
`

// loginFlags are the options of `sluice accounts login`.
type loginFlags struct {
	mode      string
	noBrowser bool
	paste     bool
	reauth    bool
}

func (e *env) loginCmd() *cobra.Command {
	var l loginFlags
	cmd := &cobra.Command{
		Use:   "login NAME",
		Short: "Sign in through the browser and add the account (or renew its login with --reauth)",
		Long: `Sign in through the browser with PKCE and add the account.

The engine (the running app's, when one runs) waits for the browser's
redirect on a loopback port. Where the browser cannot reach this machine
(SSH, containers), use --paste and paste the code#state the page shows.`,
		Args: exactArgs("NAME"),
		RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
			return e.login(ctx, eng, args[0], l)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&l.mode, "mode", "max", "max (Claude Pro/Max subscription) or console (creates a Console API key)")
	f.BoolVar(&l.noBrowser, "no-browser", false, "print the sign-in URL instead of opening the browser")
	f.BoolVar(&l.paste, "paste", false, "paste the code shown after sign-in instead of using the local callback")
	f.BoolVar(&l.reauth, "reauth", false, "sign in again to an existing account, keeping its settings and history")
	return cmd
}

// login runs the sign-in in two steps, so the engine doing the PKCE flow
// may be another process: start (the URL), then finish (the pasted code,
// or the wait for the browser's redirect).
func (e *env) login(ctx context.Context, eng Engine, name string, l loginFlags) error {
	mode := api.Mode(l.mode)
	if mode != api.ModeMax && mode != api.ModeConsole {
		return usagef("--mode must be max or console, not %q", l.mode)
	}
	if mode == api.ModeMax && !l.reauth {
		if show, err := eng.ShowOnce(ctx, "subscription-terms"); err != nil {
			return err
		} else if show {
			fmt.Fprint(e.io.Err, termsNotice+"\n")
		}
	}
	t, err := eng.LoginStart(ctx, api.LoginStartRequest{Name: name, Mode: mode, Reauth: l.reauth, Paste: l.paste})
	if err != nil {
		return err
	}
	if l.noBrowser || e.io.OpenBrowser == nil {
		fmt.Fprintf(e.io.Err, "Open this URL in a browser to sign in:\n\n  %s\n\n", t.URL)
	} else {
		fmt.Fprintf(e.io.Err, "Opening a browser window to sign in. If it does not appear, open:\n\n  %s\n\n", t.URL)
		page, remove, err := signInPage(e.set.DataDir, t.URL)
		if err != nil {
			_ = eng.LoginCancel(context.WithoutCancel(ctx), t.ID)
			return err
		}
		defer remove()                             // the login has ended, one way or another
		go func() { _ = e.io.OpenBrowser(page) }() // may block while the browser runs
	}
	code := ""
	if l.paste {
		fmt.Fprintln(e.io.Err, "After signing in, copy the code shown (code#state) and paste it here:")
		line, err := bufio.NewReader(e.io.In).ReadString('\n')
		if err != nil && line == "" {
			return errors.Join(fmt.Errorf("read the pasted code: %w", err), eng.LoginCancel(context.WithoutCancel(ctx), t.ID))
		}
		code = strings.TrimSpace(line)
	} else {
		fmt.Fprintln(e.io.Err, "Waiting for the sign-in to finish in the browser...")
	}
	v, err := eng.LoginFinish(ctx, t.ID, code)
	if err != nil {
		return err
	}
	if l.reauth {
		fmt.Fprintf(e.io.Out, "Signed in to %s again.\n", name)
		return nil
	}
	fmt.Fprintf(e.io.Out, "Added %s (%s, priority %d).\n", v.Name, v.Kind, v.Priority)
	return nil
}

func (e *env) importCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "import-ccflare PATH",
		Short: "Import the Anthropic accounts of a better-ccflare database",
		Args:  exactArgs("PATH"),
		RunE: e.withEngine(func(ctx context.Context, eng Engine, args []string) error {
			return e.importCCFlare(ctx, eng, args[0])
		}),
	}
}

func (e *env) importCCFlare(ctx context.Context, eng Engine, path string) error {
	// The running owner reads the file, from its own working directory.
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	rep, err := eng.ImportCCFlare(ctx, path)
	if err != nil {
		return err
	}
	out := e.io.Out
	for _, n := range rep.Imported {
		fmt.Fprintf(out, "Imported %s\n", n)
	}
	for _, n := range rep.Skipped {
		fmt.Fprintf(out, "Skipped %s: an account with this name exists already\n", n)
	}
	for _, n := range rep.Ignored {
		fmt.Fprintf(out, "Ignored %s: not an Anthropic account, or no credential\n", n)
	}
	if len(rep.Imported)+len(rep.Skipped) == 0 {
		return errors.New("no Anthropic account found to import")
	}
	fmt.Fprintf(out, "\nThe credentials are now in your keyring. better-ccflare keeps them in plaintext in\n%s: once Sluice works for you, delete that file (e.g. `shred -u %s`).\n", path, path)
	return nil
}
