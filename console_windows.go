package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// The Windows release links as a GUI program (-H=windowsgui, see the
// Makefile's windows target) so the tray app opens no console window. A
// GUI program started from cmd or PowerShell gets no standard handles,
// though, and `sluice.exe status` would print nothing: a subcommand whose
// output was not redirected writes to the console it was started from.
func init() {
	if len(os.Args) < 2 {
		return // the tray app: no console wanted
	}
	attachParentConsole()
}

// attachParentConsole points each missing standard file at the parent's
// console, if the parent has one. The os package leaves a file nil when
// the process got no handle for it; redirected ones (a pipe, a file, as
// under a test harness) are kept.
func attachParentConsole() {
	if os.Stdin != nil && os.Stdout != nil && os.Stderr != nil {
		return
	}
	const attachParentProcess = ^uint32(0) // ATTACH_PARENT_PROCESS
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	if r, _, _ := attach.Call(uintptr(attachParentProcess)); r == 0 {
		return // started from Explorer, or the parent has no console
	}
	reopen := func(f **os.File, name string) {
		if *f != nil {
			return
		}
		if c, err := os.OpenFile(name, os.O_RDWR, 0); err == nil {
			*f = c
		}
	}
	reopen(&os.Stdin, "CONIN$")
	reopen(&os.Stdout, "CONOUT$")
	reopen(&os.Stderr, "CONOUT$")
}
