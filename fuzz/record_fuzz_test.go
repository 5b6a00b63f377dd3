package fuzz

import "testing"

// FuzzRecordLayer feeds arbitrary octets, as received from the server, to
// a client engine waiting for the ServerHello. It must not panic; Input
// takes every octet unless it fails or application data waits to be read
// (which the harness then reads); the work done is bounded by the input;
// and a failure is a *tls.AlertError, sticky, after which the output ends
// with exactly one alert record: the plaintext alert of the error (before
// any key) or one protected alert record (after the ServerHello), or none
// if the alert came from the server.
func FuzzRecordLayer(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { checkRecordLayer(t, data) })
}
