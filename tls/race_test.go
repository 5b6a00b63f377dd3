//go:build race

package tls_test

// raceEnabled: the race detector is on, and sync.Pool drops some of what
// is put back (a quarter, sync/pool.go), so pooled buffers are made anew.
const raceEnabled = true
