// Package locale keeps Fyne quiet under the C locale. Fyne's lang package
// reads the locale in its init and logs "Error parsing user locale C" three
// times for LANG=C.UTF-8 (the default of Debian and Ubuntu containers and
// of many servers): jeandeaual/go-locale passes "C" through from "C.UTF-8"
// though it recognises a bare "C". The init here runs before Fyne's and
// gives go-locale a language it parses, English, which is what the C
// locale means for messages. Every command gets it because every package's
// init runs whatever the command.
//
// Import it from main only, and call Restore first thing in main. Init order: Go runs a
// package's init once its imports are initialised, taking the first such
// package by import path; this one imports only syscall, and sorts before
// golang.org/x/text/language, which Fyne's lang needs, so it always runs
// first. main_test.go checks the effect on the built binary.
package locale

import "syscall"

// set records that init set LANGUAGE, for Restore. It is written only by
// init, before any goroutine runs.
var set bool

func init() { set = Normalize(syscall.Getenv, syscall.Setenv) }

// Restore undoes what init changed once Fyne's init has read it, so the
// programs Sluice starts (the browser) inherit the user's environment as
// it was. Fyne reads the locale again later only through SystemLocale,
// which takes "C.UTF-8" as English without complaint.
func Restore() {
	if set {
		_ = syscall.Unsetenv("LANGUAGE")
	}
}

// Normalize sets LANGUAGE=en when the locale that decides messages is C or
// POSIX with a codeset ("C.UTF-8") and LANGUAGE is unset, and reports
// whether it did.
func Normalize(getenv func(string) (string, bool), setenv func(k, v string) error) bool {
	if v, ok := getenv("LANGUAGE"); ok && v != "" {
		return false
	}
	loc := ""
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v, ok := getenv(k); ok && v != "" {
			loc = v
			break
		}
	}
	for _, c := range []string{"C.", "POSIX.", "C@", "POSIX@"} {
		if len(loc) > len(c) && loc[:len(c)] == c {
			return setenv("LANGUAGE", "en") == nil
		}
	}
	return false
}
