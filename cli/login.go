package cli

import (
	"context"
	"flag"
	"fmt"
)

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
	fs.BoolVar(&l.paste, "paste", false, "paste the code shown after sign-in instead of the local callback")
	fs.BoolVar(&l.reauth, "reauth", false, "sign in again to an existing account, keeping its settings and history")
}

func loginCmd(ctx context.Context, eng *Engine, name string, l loginFlags, io IO) error {
	return fmt.Errorf("login is not wired yet")
}

func importCCFlare(ctx context.Context, args []string, set Settings, io IO) error {
	return fmt.Errorf("import is not wired yet")
}
