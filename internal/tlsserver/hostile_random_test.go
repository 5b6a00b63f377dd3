package tlsserver_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// randomLegalServer returns options for a server that is unusual in every
// legal way at once, chosen by rng.
func randomLegalServer(rng *rand.Rand) (tlsserver.Options, func(*tls.Config), int) {
	opts := tlsserver.Options{
		Seed:              fmt.Sprint(rng.Uint64()),
		HelloRetryRequest: rng.IntN(3) == 0,
		MiddleboxCCS:      rng.IntN(2) == 0,
		RequestClientCert: rng.IntN(3) == 0,
		AckServerName:     rng.IntN(2) == 0,
		Tickets:           rng.IntN(3),
		Echo:              true,
	}
	if rng.IntN(2) == 0 {
		opts.MaxFragment = 1 + rng.IntN(200)
	}
	if opts.HelloRetryRequest {
		opts.HRRGroup = wire.NamedGroup([]tls.CurveID{tls.CurveP256, tls.CurveP384}[rng.IntN(2)])
		if rng.IntN(2) == 0 {
			opts.HRRCookie = []byte(fmt.Sprint("cookie", rng.IntN(100)))
		}
	}
	if rng.IntN(2) == 0 {
		opts.CipherSuite = wire.CipherSuite(tls.TLS_CHACHA20_POLY1305_SHA256)
	}
	for range rng.IntN(3) {
		opts.KeyUpdates = append(opts.KeyUpdates, wire.KeyUpdateRequest(rng.IntN(2)))
	}
	if rng.IntN(2) == 0 {
		opts.AppData = []byte(fmt.Sprint("data ", rng.IntN(1000)))
	}
	alpn := rng.IntN(2) == 0
	if alpn {
		opts.ALPN = "h2"
	}
	padding := rng.IntN(3) == 0
	ccsBeforeFinished := rng.IntN(3) == 0
	split := 0
	if rng.IntN(2) == 0 {
		split = 1 + rng.IntN(20)
	}
	coalesce := rng.IntN(2) == 0
	emptyRecords := rng.IntN(4)
	opts.Mutator = &tlsserver.Mutator{
		Flight: func(s *tlsserver.Server, f *tlsserver.Flight) {
			switch f.Kind {
			case tlsserver.FlightServerHello:
				if ccsBeforeFinished {
					f.Insert(f.Index(ht_FIN, 0), tlsserver.CCSItem())
				}
			case tlsserver.FlightPostHandshake:
				for range emptyRecords {
					f.Insert(0, tlsserver.AppDataItem(nil))
				}
			}
		},
		Records: func(s *tlsserver.Server, f *tlsserver.Flight, recs []*tlsserver.Record) []*tlsserver.Record {
			if coalesce && f.Kind == tlsserver.FlightPostHandshake {
				recs = tlsserver.CoalesceRecords(recs)
			}
			if split > 0 && f.Kind == tlsserver.FlightPostHandshake {
				recs = tlsserver.SplitRecords(recs, split)
			}
			if padding {
				for _, r := range recs {
					if r.Epoch != tlsserver.EpochPlaintext {
						r.Padding = rng.IntN(300)
					}
				}
			}
			return recs
		},
	}
	cfgFn := func(c *tls.Config) {
		if alpn {
			c.NextProtos = []string{"http/1.1", "h2"}
		}
		if rng.IntN(2) == 0 {
			c.Certificates = []tls.Certificate{tlsserver.ClientCertificate().TLSCertificate()}
		}
		if rng.IntN(2) == 0 {
			c.OnNewSessionTicket = func(*tls.SessionTicket) {}
		}
		c.DisableMiddleboxCompat = rng.IntN(3) == 0
	}
	chunk := 0
	if rng.IntN(2) == 0 {
		chunk = 1 + rng.IntN(64)
	}
	return opts, cfgFn, chunk
}

// Legal servers, many combinations: the client must always succeed.
func TestHostileRandomLegalServers(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 30
	}
	for i := range n {
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		opts, cfgFn, chunk := randomLegalServer(rng)
		cfg := tlsserver.ClientConfig(fmt.Sprint(i))
		cfgFn(cfg)
		p, err := tlsserver.NewPipe(cfg, tlsserver.New(opts))
		if err != nil {
			t.Fatal(err)
		}
		p.ChunkSize = chunk
		p.Handshake()
		p.ClientWrite(tlsserver.Probe)
		r := p.Result()
		if r.Err != nil || r.ServerErr != nil || len(r.Violations) > 0 || !r.HandshakeComplete || string(r.ServerAppData) != string(tlsserver.Probe) {
			t.Errorf("scenario %d (chunk %d, opts %+v): client error %v, server error %v, violations %q, complete %v, server got %q",
				i, chunk, opts, r.Err, r.ServerErr, r.Violations, r.HandshakeComplete, r.ServerAppData)
		}
	}
}

// Every server octet flipped in turn, or every record truncated: the
// client must fail cleanly (an alert it sends, matching its error) or,
// if the change did not matter, succeed; never panic, hang or break an
// invariant.
func TestHostileCorruptedOctets(t *testing.T) {
	opts := tlsserver.Options{RequestClientCert: true, Tickets: 1, KeyUpdates: []wire.KeyUpdateRequest{wire.KeyUpdateRequestUpdateRequested}, AppData: []byte("x"), Echo: true}
	base := tlsserver.Run(tlsserver.ClientConfig("corrupt"), opts)
	checkOK(t, base)
	step := 1
	if testing.Short() {
		step = 17
	}
	for kind, fk := range map[string]tlsserver.FlightKind{"main": tlsserver.FlightServerHello, "post": tlsserver.FlightPostHandshake} {
		// The flight's length, to know which offsets exist.
		var size int
		o := opts
		o.Mutator = tlsserver.OnWire(fk, func(s *tlsserver.Server, w [][]byte) [][]byte {
			for _, r := range w {
				size += len(r)
			}
			return w
		})
		tlsserver.Run(tlsserver.ClientConfig("corrupt"), o)
		for off := 0; off < size; off += step {
			for _, mode := range []string{"flip", "truncate"} {
				o := opts
				o.Mutator = tlsserver.OnWire(fk, func(s *tlsserver.Server, w [][]byte) [][]byte {
					all := []byte{}
					for _, r := range w {
						all = append(all, r...)
					}
					if mode == "flip" {
						all[off] ^= 0x41
					} else {
						all = all[:off]
					}
					return [][]byte{all}
				})
				r := tlsserver.Run(tlsserver.ClientConfig("corrupt"), o)
				if len(r.Violations) > 0 {
					t.Errorf("%s flight, %s at %d: %q", kind, mode, off, r.Violations)
				}
				// A change the client does not notice (a record header's
				// version) must not change what it delivers; a length
				// change may leave it waiting for more.
				if !bytes.HasPrefix(base.AppData, r.AppData) {
					t.Errorf("%s flight, %s at %d: the client delivered %q; the server sent %q", kind, mode, off, r.AppData, base.AppData)
				}
			}
		}
	}
}
