//go:build !linux

package vault_test

// stopAutolaunchedBus has nothing to do: keyring autolaunches a bus on Linux only.
func stopAutolaunchedBus() {}
