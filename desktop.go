package main

import (
	"context"
	"fmt"

	"github.com/sluice-proxy/sluice/cli"
)

// runDesktop starts the tray app with the proxy running.
func runDesktop(ctx context.Context, stdio cli.IO) int {
	fmt.Fprintln(stdio.Err, "sluice: the desktop app is not wired yet; use `sluice serve`")
	return 1
}
