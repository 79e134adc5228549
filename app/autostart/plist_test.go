package autostart

import (
	"encoding/xml"
	"slices"
	"strings"
	"testing"
)

// Started at login, Sluice must sit in the tray with no window (issue 17):
// the macOS LaunchAgent runs the binary with --background, as its own
// argument, whatever characters the path holds.
func TestLaunchAgentRunsInTheBackground(t *testing.T) {
	for _, exe := range []string{"/Applications/Sluice.app/Contents/MacOS/sluice", "/Users/a&b/<x> \"y\"/sluice"} {
		var plist struct {
			Dict struct {
				Keys    []string `xml:"key"`
				Strings []string `xml:"string"`
				Args    []string `xml:"array>string"`
			} `xml:"dict"`
		}
		if err := xml.Unmarshal([]byte(launchAgent(exe)), &plist); err != nil {
			t.Fatalf("%q: the plist does not parse: %v", exe, err)
		}
		if want := []string{exe, "--background"}; !slices.Equal(plist.Dict.Args, want) {
			t.Errorf("%q: ProgramArguments %q, want %q", exe, plist.Dict.Args, want)
		}
		if !slices.Contains(plist.Dict.Strings, AppID) || !slices.Contains(plist.Dict.Keys, "RunAtLoad") {
			t.Errorf("%q: label or RunAtLoad missing:\n%s", exe, launchAgent(exe))
		}
	}
}

// The Windows Run value quotes the path (it may hold spaces) and passes
// --background after it.
func TestRunValueRunsInTheBackground(t *testing.T) {
	got := runValue(`C:\Program Files\Sluice\sluice.exe`)
	if got != `"C:\Program Files\Sluice\sluice.exe" --background` {
		t.Fatalf("Run value %s", got)
	}
	if !strings.HasSuffix(runValue(`C:\s.exe`), " "+BackgroundFlag) {
		t.Fatal("no --background")
	}
}
