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
	cfg, err := profile.PinnedSmall(harness.NewRand(profile.Seed), recorded.Pin)
	profile.Measure("pinned512", cfg, err, recorded.Pinned512, tls.Buffers{
		Read: recordIn[:], Write: recordOut[:], HandshakeIn: hsIn[:], HandshakeOut: hsOut[:],
	})
}
