// Command pinned512 is the footprint program of the pinned profile with
// 512-octet records (profile.PinnedSmall): the same handshake and
// request/response, replayed from an openssl s_server that honoured
// max_fragment_length, in buffers of under 3 KB.
package main

import (
	"github.com/tabletls/tabletls/firmware/size/harness"
	"github.com/tabletls/tabletls/firmware/size/profile"
	"github.com/tabletls/tabletls/firmware/size/recorded"
	"github.com/tabletls/tabletls/tls"
)

var (
	recordIn  [profile.SmallRecordBuffer]byte
	recordOut [profile.SmallRecordBuffer]byte
	hsIn      [profile.SmallHandshakeIn]byte
	hsOut     [profile.SmallHandshakeOut]byte
)

func main() {
	var m profile.Meter
	cfg, err := profile.PinnedSmall(harness.NewRand(profile.Seed), recorded.Pin)
	if err == nil {
		m.Attach(cfg)
		err = profile.Run(harness.NewReplay(recorded.Pinned512), cfg, tls.Buffers{
			Read: recordIn[:], Write: recordOut[:], HandshakeIn: hsIn[:], HandshakeOut: hsOut[:],
		})
	}
	harness.Report("pinned512", err)
	println("heap-peak", m.Peak, "heap-total", m.Total, "mallocs", m.Mallocs)
}
