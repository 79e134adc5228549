package vault_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	stopAutolaunchedBus()
	os.Exit(code)
}
