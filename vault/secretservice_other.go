//go:build !linux

package vault

import "errors"

// checkSecretService fails: keyring supports the Secret Service on Linux only.
func checkSecretService(string) error {
	return errors.New("the Secret Service is supported on Linux only")
}

// busAutolaunched is false: keyring autolaunches a bus on Linux only.
func busAutolaunched() bool { return false }
