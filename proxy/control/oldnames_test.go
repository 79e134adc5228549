package control

//lint:file-ignore U1000 the old names are for tests on branches still in flight

import "github.com/sluice-proxy/sluice/internal/testkit"

// The name this package's tests knew testkit.ShortDir by before it moved
// to internal/testkit (issue 15), kept so that tests written against it on
// branches still in flight build once merged (Go's aliases for gradual
// repair). New tests call testkit directly; when the branches of this
// session have landed, this file goes and its name is replaced.
var shortDir = testkit.ShortDir
