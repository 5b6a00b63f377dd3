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
	var m profile.Meter
	cfg, err := profile.Pinned(harness.NewRand(profile.Seed), recorded.Pin)
	if err == nil {
		m.Attach(cfg)
		err = profile.Run(harness.NewReplay(recorded.Pinned), cfg, tls.Buffers{
			Read: recordIn[:], Write: recordOut[:], HandshakeIn: hsIn[:], HandshakeOut: hsOut[:],
		})
	}
	harness.Report("pinned", err)
	println("heap-peak", m.Peak, "heap-total", m.Total, "mallocs", m.Mallocs)
}
