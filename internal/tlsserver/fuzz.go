package tlsserver

import (
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// FromBytes turns arbitrary octets into a server and client setup and a
// Mutator, for fuzzing the client: the first octets choose Options and
// client settings, the rest is a program of mutations (drop, duplicate,
// move or corrupt messages, add or remove extensions, inject records,
// split, pad or coalesce records, flip, drop, replay or swap protected
// records), each aimed at one flight. The same octets always give the same
// conversation. It never panics, whatever data is.
//
// Use it as
//
//	opts, setup := tlsserver.FromBytes(data)
//	cfg := tlsserver.ClientConfig("fuzz")
//	setup(cfg)
//	r := tlsserver.Run(cfg, opts)
//	// r.Violations must be empty.
func FromBytes(data []byte) (Options, func(*tls.Config)) {
	in := &byteReader{b: data}
	f1, f2 := in.byte(), in.byte()
	opts := Options{
		Seed:              string([]byte{in.byte()}),
		HelloRetryRequest: f1&1 != 0,
		MiddleboxCCS:      f1&2 != 0,
		RequestClientCert: f1&4 != 0,
		AckServerName:     f1&8 != 0,
		Tickets:           int(f1>>4) & 3,
		Echo:              true,
	}
	if f1&0x40 != 0 {
		opts.ALPN = "h2"
	}
	if f1&0x80 != 0 {
		opts.CipherSuite = wire.TLS_CHACHA20_POLY1305_SHA256
	}
	if f2&1 != 0 {
		opts.HRRGroup = wire.NamedGroupSecp384r1
	}
	if f2&2 != 0 {
		opts.HRRCookie = []byte("cookie")
	}
	for i := range int(f2>>2) & 3 {
		opts.KeyUpdates = append(opts.KeyUpdates, wire.KeyUpdateRequest(i&1))
	}
	if f2&0x10 != 0 {
		opts.AppData = []byte("server data")
	}
	if f2&0x20 != 0 {
		opts.MaxFragment = 1 + int(in.byte())
	}
	f3 := in.byte()
	setup := func(c *tls.Config) {
		if f3&1 != 0 {
			c.NextProtos = []string{"h2", "http/1.1"}
		}
		if f3&2 != 0 {
			c.Certificates = []tls.Certificate{ClientCertificate().TLSCertificate()}
		}
		if f3&4 != 0 {
			c.OnNewSessionTicket = func(*tls.SessionTicket) {}
		}
		c.DisableMiddleboxCompat = f3&8 != 0
		if f3&0x10 != 0 {
			c.KeyShares = []tls.CurveID{tls.X25519, tls.CurveP256}
		}
		if f3&0x20 != 0 {
			c.CipherSuites = []uint16{tls.TLS_AES_128_GCM_SHA256}
		}
	}
	var ops []fuzzOp
	for !in.empty() && len(ops) < 64 {
		ops = append(ops, fuzzOp{kind: FlightKind(1 + in.byte()%6), code: in.byte() % numFuzzOps, a: in.byte(), b: in.byte(), c: in.byte()})
	}
	if len(ops) > 0 {
		opts.Mutator = fuzzMutator(ops)
	}
	return opts, setup
}

type byteReader struct{ b []byte }

func (r *byteReader) empty() bool { return len(r.b) == 0 }

func (r *byteReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

type fuzzOp struct {
	kind    FlightKind
	code    byte
	a, b, c byte
}

const (
	opDrop = iota
	opDup
	opMove
	opFlip
	opTruncate
	opAppend
	opInsertRecord
	opInsertMessage
	opSetEpoch
	opAddExtension
	opRemoveExtension
	opEndRecord
	opMaxFragment
	opSplitRecords
	opCoalesce
	opPadding
	opRecordVersion
	opWireFlip
	opWireDrop
	opWireReplay
	opWireSwap
	opWireTruncate
	numFuzzOps
)

var fuzzExtensions = []wire.ExtensionType{
	wire.ExtensionTypeServerName, wire.ExtensionTypeMaxFragmentLength, wire.ExtensionTypeStatusRequest,
	wire.ExtensionTypeSupportedGroups, wire.ExtensionTypeSignatureAlgorithms, wire.ExtensionTypeApplicationLayerProtocolNegotiation,
	wire.ExtensionTypeRecordSizeLimit, wire.ExtensionTypePreSharedKey, wire.ExtensionTypeEarlyData, wire.ExtensionTypeSupportedVersions,
	wire.ExtensionTypeCookie, wire.ExtensionTypePskKeyExchangeModes, wire.ExtensionTypeCertificateAuthorities, wire.ExtensionTypeOidFilters,
	wire.ExtensionTypePostHandshakeAuth, wire.ExtensionTypeSignatureAlgorithmsCert, wire.ExtensionTypeKeyShare, 0xfafa,
}

var fuzzHandshakeTypes = []wire.HandshakeType{
	wire.HandshakeTypeClientHello, wire.HandshakeTypeServerHello, wire.HandshakeTypeNewSessionTicket, wire.HandshakeTypeEndOfEarlyData,
	wire.HandshakeTypeEncryptedExtensions, wire.HandshakeTypeCertificate, wire.HandshakeTypeCertificateRequest,
	wire.HandshakeTypeCertificateVerify, wire.HandshakeTypeFinished, wire.HandshakeTypeKeyUpdate, wire.HandshakeTypeMessageHash, 0x63,
}

// fuzzBody is a body for an injected message: some plausible ones, or
// octets.
func fuzzBody(typ wire.HandshakeType, n, v byte) []byte {
	switch {
	case typ == wire.HandshakeTypeNewSessionTicket && n%2 == 0:
		return TicketItem(v).Msg.Body
	case typ == wire.HandshakeTypeKeyUpdate && n < 128:
		return []byte{v % 3}
	case typ == wire.HandshakeTypeEncryptedExtensions && n%2 == 0:
		return []byte{0, 0}
	}
	b := make([]byte, n%40)
	for i := range b {
		b[i] = v + byte(i)
	}
	return b
}

func fuzzMutator(ops []fuzzOp) *Mutator {
	items := func(f *Flight, kind FlightKind) bool { return f.Kind == kind && len(f.Items) > 0 }
	return &Mutator{
		Flight: func(s *Server, f *Flight) {
			for _, op := range ops {
				if op.kind != f.Kind {
					continue
				}
				n := len(f.Items)
				i := 0
				if n > 0 {
					i = int(op.a) % n
				}
				msg := func() *Message {
					if n == 0 {
						return nil
					}
					return f.Items[i].Msg
				}
				switch op.code {
				case opDrop:
					if items(f, op.kind) {
						f.Remove(i)
					}
				case opDup:
					if items(f, op.kind) {
						it := f.Items[i]
						if it.Msg != nil {
							it = Item{Msg: it.Msg.Clone()}
						} else {
							r := *it.Rec
							it = Item{Rec: &r}
						}
						f.Insert(i+1, it)
					}
				case opMove:
					if items(f, op.kind) {
						f.Move(i, int(op.b)%n)
					}
				case opFlip:
					if m := msg(); m != nil {
						old := m.Edit
						k, v := int(op.b), op.c|1
						m.Edit = func(b []byte) []byte {
							if old != nil {
								b = old(b)
							}
							if len(b) > 0 {
								b[k%len(b)] ^= v
							}
							return b
						}
					}
				case opTruncate:
					if m := msg(); m != nil {
						old := m.Edit
						k := int(op.b)
						m.Edit = func(b []byte) []byte {
							if old != nil {
								b = old(b)
							}
							return b[:k%(len(b)+1)]
						}
					}
				case opAppend:
					if m := msg(); m != nil {
						old := m.Edit
						v := op.b
						m.Edit = func(b []byte) []byte {
							if old != nil {
								b = old(b)
							}
							return append(b, v)
						}
					}
				case opInsertRecord:
					var it Item
					switch op.b % 6 {
					case 0:
						it = CCSItem()
					case 1:
						it = AlertItem(wire.AlertLevel(1+op.c%2), wire.AlertDescription(op.c>>1))
					case 2:
						it = AppDataItem(make([]byte, op.c%5))
					case 3:
						it = RecItem(wire.ContentTypeHandshake, nil)
					case 4:
						it = RecItem(wire.ContentType(op.c), []byte{op.c})
					case 5:
						it = RecItem(wire.ContentTypeChangeCipherSpec, []byte{op.c})
					}
					it.Rec.Epoch = Epoch(op.c>>6) % (EpochApplication + 1)
					f.Insert(int(op.a)%(n+1), it)
				case opInsertMessage:
					typ := fuzzHandshakeTypes[int(op.b)%len(fuzzHandshakeTypes)]
					f.Insert(int(op.a)%(n+1), MsgItem(typ, fuzzBody(typ, op.c, op.b)))
				case opSetEpoch:
					if m := msg(); m != nil {
						m.Epoch = Epoch(op.b) % (EpochApplication + 1)
					}
				case opAddExtension:
					if m := msg(); m != nil {
						_ = m.AddExtension(fuzzExtensions[int(op.b)%len(fuzzExtensions)], make([]byte, op.c%8))
					}
				case opRemoveExtension:
					if m := msg(); m != nil {
						if exts, err := m.Extensions(); err == nil && len(exts) > 0 {
							k := int(op.b) % len(exts)
							_ = m.SetExtensions(append(exts[:k], exts[k+1:]...))
						}
					}
				case opEndRecord:
					if m := msg(); m != nil {
						m.EndRecord = true
					}
				case opMaxFragment:
					f.MaxFragment = 1 + int(op.b)
				}
			}
		},
		Records: func(s *Server, f *Flight, recs []*Record) []*Record {
			for _, op := range ops {
				if op.kind != f.Kind || len(recs) == 0 {
					continue
				}
				r := recs[int(op.a)%len(recs)]
				switch op.code {
				case opSplitRecords:
					recs = SplitRecords(recs, 1+int(op.b))
				case opCoalesce:
					recs = CoalesceRecords(recs)
				case opPadding:
					if r.Epoch != EpochPlaintext {
						r.Padding = int(op.b) << (op.c % 7)
					}
				case opRecordVersion:
					r.Version = uint16(op.b)<<8 | uint16(op.c)
				}
			}
			return recs
		},
		Wire: func(s *Server, f *Flight, raw [][]byte) [][]byte {
			for _, op := range ops {
				if op.kind != f.Kind || len(raw) == 0 {
					continue
				}
				i := int(op.a) % len(raw)
				switch op.code {
				case opWireFlip:
					if w := raw[i]; len(w) > 0 {
						w[int(op.b)%len(w)] ^= op.c | 1
					}
				case opWireDrop:
					raw = append(raw[:i:i], raw[i+1:]...)
				case opWireReplay:
					raw = append(raw[:i+1:i+1], raw[i:]...)
				case opWireSwap:
					j := int(op.b) % len(raw)
					raw[i], raw[j] = raw[j], raw[i]
				case opWireTruncate:
					if w := raw[i]; len(w) > 0 {
						raw[i] = w[:int(op.b)%len(w)]
					}
				}
			}
			return raw
		},
	}
}

// RunFromBytes is the conversation FuzzHostileServer has for data: the
// client with ClientConfig("fuzz"), set up by FromBytes, against the
// server FromBytes makes.
func RunFromBytes(data []byte) *Result {
	opts, setup := FromBytes(data)
	cfg := ClientConfig("fuzz")
	setup(cfg)
	return Run(cfg, opts)
}
