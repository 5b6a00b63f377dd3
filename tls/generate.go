package tls

// The state machine, message codecs and registries of this package are
// compiled from ../spec by ../cmd/gen.
//go:generate go run ../cmd/gen -spec ../spec -out . -pkg tls -docs ../docs
