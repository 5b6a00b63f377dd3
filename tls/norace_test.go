//go:build !race

package tls_test

// raceEnabled: see race_test.go.
const raceEnabled = false
