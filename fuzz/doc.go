// Package fuzz holds the fuzz targets of tabletls, all in test files: one
// per generated message, extension body and extension list
// (zz_generated_codec_fuzz_test.go, written by cmd/gen from spec/), and
// the record layer of the client engine (record_fuzz_test.go). Their seed
// corpus, in testdata/fuzz, comes from RFC 8448 and from real handshakes;
// TestSeedCorpus checks it and, with -update, rebuilds it. See README.md
// for running them, here and on OSS-Fuzz.
package fuzz
