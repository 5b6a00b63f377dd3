package tls

// The state machine of this package is compiled from ../spec by ../cmd/gen,
// with the message codecs and registries in ../internal/wire and their fuzz
// targets in ../fuzz.
//go:generate go run ../cmd/gen -spec ../spec -out ../internal/wire -pkg wire -import github.com/tabletls/tabletls/internal/wire -machine . -machinepkg tls -docs ../docs -fuzz ../fuzz
