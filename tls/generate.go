package tls

// The state machine, message codecs and registries of this package are
// compiled from ../spec by ../cmd/gen, with the fuzz targets of the codecs
// in ../fuzz.
//go:generate go run ../cmd/gen -spec ../spec -out . -pkg tls -docs ../docs -fuzz ../fuzz -import github.com/tabletls/tabletls/tls
