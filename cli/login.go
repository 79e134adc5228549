package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/sluice-proxy/sluice/proxy"
	"github.com/sluice-proxy/sluice/vault"
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

func (l *loginFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&l.mode, "mode", "max", "max (Claude Pro/Max subscription) or console (creates a Console API key)")
	fs.BoolVar(&l.noBrowser, "no-browser", false, "print the sign-in URL instead of opening the browser")
	fs.BoolVar(&l.paste, "paste", false, "paste the code shown after sign-in instead of using the local callback")
	fs.BoolVar(&l.reauth, "reauth", false, "sign in again to an existing account, keeping its settings and history")
}

// loginCmd signs in through the browser with PKCE and stores the result.
func loginCmd(ctx context.Context, svc *proxy.Service, name string, l loginFlags, io IO) error {
	mode := vault.Mode(l.mode)
	if mode != vault.ModeMax && mode != vault.ModeConsole {
		return fmt.Errorf("%w: --mode must be max or console", errUsage)
	}
	if mode == vault.ModeMax && !l.reauth {
		if show, err := svc.ShowOnce(ctx, "subscription-terms"); err != nil {
			return err
		} else if show {
			fmt.Fprint(io.Err, termsNotice+"\n")
		}
	}
	req := proxy.LoginRequest{Name: name, Mode: mode, Reauth: l.reauth, Out: io.Err, Paste: l.paste, In: io.In}
	if !l.noBrowser && io.OpenBrowser != nil {
		req.OpenBrowser = io.OpenBrowser
	}
	if l.paste {
		fmt.Fprintln(io.Err, "After signing in, copy the code shown (code#state) and paste it here.")
	}
	v, err := svc.Login(ctx, req)
	if err != nil {
		return err
	}
	if l.reauth {
		fmt.Fprintf(io.Out, "Signed in to %s again.\n", name)
		return nil
	}
	fmt.Fprintf(io.Out, "Added %s (%s, priority %d).\n", v.Name, v.Kind, v.Priority)
	return nil
}

// importCCFlare runs `sluice import-ccflare PATH`.
func importCCFlare(ctx context.Context, args []string, set Settings, io IO) error {
	fs := newFlags("import-ccflare", io)
	set.commonFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: import-ccflare takes the path of a better-ccflare database", errUsage)
	}
	path := fs.Arg(0)
	eng, err := Open(ctx, set, set.Logger(io.Err))
	if err != nil {
		return err
	}
	defer eng.Close(context.Background())
	rep, err := eng.Service.ImportCCFlare(ctx, path)
	if err != nil {
		return err
	}
	for _, n := range rep.Imported {
		fmt.Fprintf(io.Out, "Imported %s\n", n)
	}
	for _, n := range rep.Skipped {
		fmt.Fprintf(io.Out, "Skipped %s: an account with this name exists already\n", n)
	}
	for _, n := range rep.Ignored {
		fmt.Fprintf(io.Out, "Ignored %s: not an Anthropic account, or no credential\n", n)
	}
	if len(rep.Imported)+len(rep.Skipped) == 0 {
		return errors.New("no Anthropic account found to import")
	}
	fmt.Fprintf(io.Out, "\nThe credentials are now in your keyring. better-ccflare keeps them in plaintext in\n%s: once Sluice works for you, delete that file (e.g. `shred -u %s`).\n", path, path)
	return nil
}
