// Package testkit is the support this module's tests share (tailscale's
// tstest): a locked buffer, waiting on a condition, a settable clock,
// starting helper processes in a group of their own, and a private desktop
// (Xvfb, a session bus, a StatusNotifierWatcher).
//
// Only tests import it: deps_test.go fails the build's tests when a
// non-test package does, so none of it is linked into a binary we ship.
// It imports nothing of ours, so any package's internal tests can use it
// without an import cycle.
package testkit
