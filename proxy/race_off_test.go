//go:build !race

package proxy_test

// raceSlowdown scales timing bounds: 1 without the race detector.
const raceSlowdown = 1
