package proxy_test

//lint:file-ignore U1000 the old names are for tests on branches still in flight

import "github.com/sluice-proxy/sluice/internal/testkit"

// The names this package's tests knew the shared helpers by before they
// moved to internal/testkit (issue 15), kept so that tests written against
// them on branches still in flight build once merged (Go's aliases for
// gradual repair). New tests call testkit directly; when the branches of
// this session have landed, this file goes and its names are replaced.
var (
	waitFor  = testkit.WaitFor
	freePort = testkit.FreePort
)

type (
	syncBuffer = testkit.Buffer
	clock      = testkit.Clock
)
