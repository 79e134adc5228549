//go:build race

package proxy_test

// raceSlowdown scales timing bounds: the race detector slows the engine
// (and its commits) several times over.
const raceSlowdown = 4
