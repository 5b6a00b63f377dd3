// Package recorded holds what a server sent to the footprint programs'
// clients, recorded by TestRecordings (go test ./firmware/size -update), so
// that a device without a network can replay a real handshake. They are
// strings, so that they stay in flash: a []byte would be copied to RAM.
package recorded

import _ "embed"

// Pin is the pin of the recording server's key.
//
//go:embed pin.txt
var Pin string

// Pinned is the server's side of profile.Pinned's handshake and reply.
//
//go:embed pinned.bin
var Pinned string

// Full is the server's side of profile.Full's handshake and reply.
//
//go:embed full.bin
var Full string

// Pinned512 is the server's side of profile.PinnedSmall's handshake and
// reply, from openssl s_server (which honours max_fragment_length).
//
//go:embed pinned512.bin
var Pinned512 string
