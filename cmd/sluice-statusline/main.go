// Command sluice-statusline prints the line for Claude Code's statusLine
// hook, as `sluice statusline` does, from a binary without the GUI: Claude
// Code runs it on every redraw, and sluice itself maps the GUI libraries
// and runs Fyne's init before main (docs/BENCHMARKS.md has both timings).
//
// It reads the data dir from --data-dir or SLUICE_DATA_DIR, like sluice,
// and prints nothing (exit 0) when it has nothing to say.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sluice-proxy/sluice/cli/statusline"
)

func main() {
	fs := flag.NewFlagSet("sluice-statusline", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data-dir", os.Getenv("SLUICE_DATA_DIR"), "where Sluice keeps its database (SLUICE_DATA_DIR)")
	// Silent on any error, a bad flag included: the status bar shows
	// whatever is printed.
	if fs.Parse(os.Args[1:]) != nil {
		return
	}
	if *dataDir == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return
		}
		*dataDir = filepath.Join(dir, "sluice")
	}
	if line := statusline.Line(context.Background(), os.Stdin, *dataDir, time.Now()); line != "" {
		fmt.Println(line)
	}
}
