// Command pinned is the footprint program of the pinned profile (see
// firmware/size/profile): one handshake and a request/response replayed from
// a recorded server, in static buffers. make firmware-size builds it for a
// Cortex-M4 with TinyGo.
package main

import (
	"github.com/tabletls/tabletls/firmware/size/harness"
	"github.com/tabletls/tabletls/firmware/size/profile"
	"github.com/tabletls/tabletls/firmware/size/recorded"
	"github.com/tabletls/tabletls/tls"
)

var (
	recordIn  [tls.MinReadBuffer]byte
	recordOut [tls.MinWriteBuffer]byte
	hsIn      [tls.MinHandshakeIn]byte
	hsOut     [tls.MinHandshakeOut]byte
)

func main() {
	cfg, err := profile.Pinned(harness.NewRand(profile.Seed), recorded.Pin)
	profile.Measure("pinned", cfg, err, recorded.Pinned, tls.Buffers{
		Read: recordIn[:], Write: recordOut[:], HandshakeIn: hsIn[:], HandshakeOut: hsOut[:],
	})
}
