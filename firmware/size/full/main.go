// Command full is the footprint program of the full profile (see
// firmware/size/profile): one handshake and a request/response replayed from
// a recorded server, in static buffers. make firmware-size builds it for a
// Cortex-M4 with TinyGo.
package main

import (
	"github.com/tabletls/tabletls/firmware/size/harness"
	"github.com/tabletls/tabletls/firmware/size/profile"
	"github.com/tabletls/tabletls/firmware/size/recorded"
	"github.com/tabletls/tabletls/tls"
	// Everything tabletls implements is in tls.DefaultCrypto.
	_ "github.com/tabletls/tabletls/tls/ed25519sig"
	_ "github.com/tabletls/tabletls/tls/hybrid"
	_ "github.com/tabletls/tabletls/tls/rsapss"
)

var (
	recordIn  [tls.MinReadBuffer]byte
	recordOut [tls.MinWriteBuffer]byte
	hsIn      [tls.MinHandshakeIn]byte
	hsOut     [tls.MinHandshakeOut]byte
)

func main() {
	cfg, err := profile.Full(harness.NewRand(profile.Seed), recorded.Pin)
	profile.Measure("full", cfg, err, recorded.Full, tls.Buffers{
		Read: recordIn[:], Write: recordOut[:], HandshakeIn: hsIn[:], HandshakeOut: hsOut[:],
	})
}
