package tlsserver_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// Conformance details that strict peers (BoringSSL's runner, crypto/tls,
// NSS) check, each against the hostile server.

// happyPipe runs a handshake and a probe echo against a server with opts,
// and checks that everything went well.
func happyPipe(t *testing.T, name string, opts tlsserver.Options, cfgFn func(*tls.Config)) (*tlsserver.Server, *tlsserver.Result) {
	t.Helper()
	cfg := tlsserver.ClientConfig(name)
	if cfgFn != nil {
		cfgFn(cfg)
	}
	opts.Echo = true
	srv := tlsserver.New(opts)
	p, err := tlsserver.NewPipe(cfg, srv)
	if err != nil {
		t.Fatal(err)
	}
	p.Handshake()
	p.ClientWrite(tlsserver.Probe)
	r := p.Result()
	checkOK(t, r)
	if !bytes.HasSuffix(r.AppData, tlsserver.Probe) {
		t.Errorf("client received %q, want it to end with the echo %q", r.AppData, tlsserver.Probe)
	}
	return srv, r
}

// clientShares lists the groups of the key shares in the first ClientHello.
func clientShares(t *testing.T, srv *tlsserver.Server) []wire.KeyShareEntry {
	t.Helper()
	var ch wire.ClientHello
	msgs := srv.Messages()
	if len(msgs) == 0 || msgs[0].Type != wire.HandshakeTypeClientHello {
		t.Fatal("no ClientHello received")
	}
	if err := ch.Unmarshal(msgs[0].Body); err != nil {
		t.Fatal(err)
	}
	var out []wire.KeyShareEntry
	it := ch.Extensions.KeyShare.ClientShares.Iter()
	var e wire.KeyShareEntry
	for it.Next(&e) {
		out = append(out, e)
	}
	return out
}

// Issue 13, item 7: with a hybrid first group the client also sends an
// x25519 share (its X25519 half, as crypto/tls does), so a server without
// ML-KEM, like this one, needs no HelloRetryRequest.
func TestKeySharesClassicalBesideHybrid(t *testing.T) {
	hybridX25519 := []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256}
	for _, c := range []struct {
		name   string
		cfg    func(*tls.Config)
		shares []tls.CurveID
		hrr    bool
		group  tls.CurveID
	}{
		{"hybrid_then_x25519", func(c *tls.Config) { c.CurvePreferences = hybridX25519 },
			[]tls.CurveID{tls.X25519MLKEM768, tls.X25519}, false, tls.X25519},
		// Only if x25519 is enabled at all.
		{"hybrid_without_x25519", func(c *tls.Config) {
			c.CurvePreferences = []tls.CurveID{tls.X25519MLKEM768, tls.CurveP256}
		}, []tls.CurveID{tls.X25519MLKEM768}, true, tls.CurveP256},
		// Explicit KeyShares are sent as given.
		{"explicit_key_shares", func(c *tls.Config) {
			c.CurvePreferences = hybridX25519
			c.KeyShares = []tls.CurveID{tls.X25519MLKEM768}
		}, []tls.CurveID{tls.X25519MLKEM768}, true, tls.X25519},
		{"default", nil, []tls.CurveID{tls.X25519}, false, tls.X25519},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := happyPipe(t, c.name, tlsserver.Options{}, c.cfg)
			shares := clientShares(t, srv)
			var groups []tls.CurveID
			for _, s := range shares {
				groups = append(groups, tls.CurveID(s.Group))
			}
			if !equalGroups(groups, c.shares) {
				t.Errorf("first ClientHello has shares for %v, want %v", groups, c.shares)
			}
			if len(shares) == 2 && !bytes.Equal(shares[1].KeyExchange, shares[0].KeyExchange[len(shares[0].KeyExchange)-32:]) {
				t.Error("the x25519 share is not the hybrid's X25519 half")
			}
			if srv.DidHelloRetryRequest() != c.hrr || srv.Group() != wire.NamedGroup(c.group) {
				t.Errorf("HelloRetryRequest %v, group %v; want %v, %v", srv.DidHelloRetryRequest(), srv.Group(), c.hrr, c.group)
			}
		})
	}
}

// opaqueHybrid is an X25519MLKEM768 share from an implementation that
// does not offer its X25519 half (no tls.X25519Sharer). The server here
// has no ML-KEM, so it is never used.
type opaqueHybrid struct{ pub []byte }

func (h *opaqueHybrid) Public() []byte { return h.pub }
func (h *opaqueHybrid) SharedSecret([]byte) ([]byte, error) {
	return nil, &tls.AlertError{Alert: tls.AlertInternalError, Msg: "tls: opaque hybrid used"}
}

// With a hybrid implementation that does not offer its X25519 key, the
// default key shares still put an x25519 share beside it: a fresh key.
func TestKeySharesClassicalBesideOpaqueHybrid(t *testing.T) {
	opaque := tls.NewKeyExchange(tls.X25519MLKEM768, func(r io.Reader) (tls.KeyShare, error) {
		pub := make([]byte, 1216)
		_, err := io.ReadFull(r, pub)
		return &opaqueHybrid{pub: pub}, err
	})
	def := tls.DefaultCrypto()
	srv, _ := happyPipe(t, "opaque_hybrid", tlsserver.Options{}, func(c *tls.Config) {
		c.Crypto = &tls.Crypto{CipherSuites: def.CipherSuites, Signatures: def.Signatures,
			KeyExchanges: []*tls.KeyExchange{opaque, tls.X25519KeyExchange()}}
		c.CurvePreferences = []tls.CurveID{tls.X25519MLKEM768, tls.X25519}
	})
	shares := clientShares(t, srv)
	if len(shares) != 2 || shares[0].Group != wire.NamedGroup(tls.X25519MLKEM768) || shares[1].Group != wire.NamedGroup(tls.X25519) {
		t.Fatalf("first ClientHello has shares %v, want X25519MLKEM768 and x25519", shares)
	}
	if len(shares[1].KeyExchange) != 32 || bytes.Equal(shares[1].KeyExchange, shares[0].KeyExchange[1184:]) {
		t.Errorf("x25519 share %x: want a fresh 32-octet key", shares[1].KeyExchange)
	}
	if srv.DidHelloRetryRequest() || srv.Group() != wire.NamedGroup(tls.X25519) {
		t.Errorf("HelloRetryRequest %v, group %v; want none, x25519", srv.DidHelloRetryRequest(), srv.Group())
	}
}

func equalGroups(a, b []tls.CurveID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Issue 13, item 8 (RFC 7685): no ClientHello is 256 to 511 octets long
// (with its header); one that would be is padded to 512 with zeros, and
// the server takes it. Server names of every length walk the ClientHello
// through that range, with and without a HelloRetryRequest.
func TestClientHelloPadding(t *testing.T) {
	padded := 0
	for n := 1; n <= 250; n += 3 {
		for _, hrr := range []bool{false, true} {
			// Labels of at most 63 octets (RFC 1035 §2.3.4): "aaa.a…".
			label := bytes.Repeat([]byte("a"), n)
			for i := 60; i < len(label)-1; i += 61 {
				label[i] = '.'
			}
			name := string(label) + ".test"
			if len(name) > 253 {
				continue
			}
			srv, _ := happyPipe(t, "padding", tlsserver.Options{HelloRetryRequest: hrr}, func(c *tls.Config) {
				c.ServerName = name
				c.NextProtos = []string{"mqtt"}
			})
			for _, m := range srv.Messages() {
				if m.Type != wire.HandshakeTypeClientHello {
					continue
				}
				size := 4 + len(m.Body)
				var ch wire.ClientHello
				if err := ch.Unmarshal(m.Body); err != nil {
					t.Fatal(err)
				}
				pad, hasPad := ch.Extensions.Unknown(21)
				switch {
				case size >= 256 && size < 512:
					t.Fatalf("server name of %d octets (hrr %v): ClientHello of %d octets", len(name), hrr, size)
				case hasPad && size != 512:
					t.Errorf("padded ClientHello of %d octets, want 512", size)
				case hasPad && (len(pad) == 0 || !bytes.Equal(pad, make([]byte, len(pad)))):
					t.Errorf("padding %x: want at least one octet, all zero", pad)
				case hasPad && ch.Extensions.Type(ch.Extensions.Len()-1) != 21:
					t.Error("padding is not the last extension")
				}
				if hasPad {
					padded++
				}
			}
		}
	}
	if padded == 0 {
		t.Fatal("no ClientHello was padded: the sweep does not reach the range")
	}
}

// --- Record layer (items 1 to 6, 9) ---

// postFlight appends items to the server's post-handshake flight.
func postFlight(items ...tlsserver.Item) *tlsserver.Mutator {
	return onPost(func(s *tlsserver.Server, f *tlsserver.Flight) { f.Items = append(f.Items, items...) })
}

func manyItems(n int, it func() tlsserver.Item) []tlsserver.Item {
	var items []tlsserver.Item
	for range n {
		items = append(items, it())
	}
	return items
}

// Item 1 (Appendix D.4): in compatibility mode the client's CCS goes
// before its first protected record, an alert too. (The hostile server
// flags any protected record before the CCS as a violation, so every
// hostile case that fails after the ServerHello checks this as well.)
func TestCompatCCSBeforeEncryptedAlert(t *testing.T) {
	badCV := setBody(ht_CV, func(b []byte) []byte { b[len(b)-1] ^= 1; return b })
	for _, compat := range []bool{true, false} {
		r := converse("ccs", tlsserver.Options{Mutator: badCV}, func(c *tls.Config) { c.DisableMiddleboxCompat = !compat }, nil)
		checkAlert(t, r, decryptError, false)
		var types []wire.ContentType
		for _, rec := range r.Records {
			types = append(types, rec.Type)
		}
		want := []wire.ContentType{wire.ContentTypeHandshake, wire.ContentTypeChangeCipherSpec, wire.ContentTypeAlert}
		if !compat {
			want = []wire.ContentType{wire.ContentTypeHandshake, wire.ContentTypeAlert}
		}
		if len(types) != len(want) || string(typesBytes(types)) != string(typesBytes(want)) {
			t.Errorf("compat %v: client records %v, want %v", compat, types, want)
		}
		if last := r.Records[len(r.Records)-1]; last.Epoch == tlsserver.EpochPlaintext {
			t.Errorf("compat %v: the alert is not protected", compat)
		}
	}
}

// Item 1 again, for the client's own close in the handshake after the
// ServerHello (the server's Finished never comes): the CCS goes before
// the protected user_canceled and close_notify.
func TestCompatCCSBeforeUserCanceled(t *testing.T) {
	noFinished := onMain(func(s *tlsserver.Server, f *tlsserver.Flight) { f.RemoveMessage(ht_FIN) })
	for _, compat := range []bool{true, false} {
		var state tls.HandshakeState
		r := converse("ccs-close", tlsserver.Options{Mutator: noFinished}, func(c *tls.Config) { c.DisableMiddleboxCompat = !compat },
			func(p *tlsserver.Pipe) {
				state = p.Client.State()
				if err := p.ClientClose(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				p.Pump()
			})
		checkInvariants(t, r)
		if state != tls.StateWaitFinished {
			t.Fatalf("compat %v: client in %v before Close, want WAIT_FINISHED", compat, state)
		}
		var types []wire.ContentType
		for _, rec := range r.Records {
			types = append(types, rec.Type)
		}
		want := []wire.ContentType{wire.ContentTypeHandshake, wire.ContentTypeChangeCipherSpec, wire.ContentTypeAlert, wire.ContentTypeAlert}
		if !compat {
			want = []wire.ContentType{wire.ContentTypeHandshake, wire.ContentTypeAlert, wire.ContentTypeAlert}
		}
		if string(typesBytes(types)) != string(typesBytes(want)) {
			t.Errorf("compat %v: client records %v, want %v", compat, types, want)
		}
		var got []tls.AlertDescription
		for _, a := range r.Sent {
			got = append(got, tls.AlertDescription(a.Description))
		}
		if len(got) != 2 || got[0] != tls.AlertUserCanceled || got[1] != tls.AlertCloseNotify {
			t.Errorf("compat %v: client sent alerts %v, want user_canceled, close_notify", compat, got)
		}
		for _, rec := range r.Records[len(r.Records)-2:] {
			if rec.Epoch == tlsserver.EpochPlaintext {
				t.Errorf("compat %v: an alert is not protected", compat)
			}
		}
	}
}

func typesBytes(ts []wire.ContentType) []byte {
	var b []byte
	for _, t := range ts {
		b = append(b, byte(t))
	}
	return b
}

// Item 2 (§6.1): user_canceled is a closure alert. Alone, during the
// handshake or after it, at any level, it ends nothing; the client reads
// on. Followed by close_notify in the handshake, the handshake fails
// naming the cancellation (TestHostileServerAlerts).
func TestUserCanceled(t *testing.T) {
	canceled := func(l wire.AlertLevel) tlsserver.Item {
		return tlsserver.AlertItem(l, wire.AlertDescription(tls.AlertUserCanceled))
	}
	t.Run("during_handshake", func(t *testing.T) {
		happyPipe(t, "uc", tlsserver.Options{Mutator: insertAfter(ht_EE, canceled(wire.AlertLevelWarning))}, nil)
	})
	t.Run("after_handshake_fatal_level", func(t *testing.T) {
		_, r := happyPipe(t, "uc", tlsserver.Options{Mutator: postFlight(canceled(wire.AlertLevelFatal), tlsserver.AppDataItem([]byte("still here ")))}, nil)
		if !bytes.HasPrefix(r.AppData, []byte("still here ")) {
			t.Errorf("client received %q after user_canceled", r.AppData)
		}
	})
	t.Run("after_handshake_then_close_notify", func(t *testing.T) {
		cfg := tlsserver.ClientConfig("uc")
		srv := tlsserver.New(tlsserver.Options{Mutator: postFlight(canceled(wire.AlertLevelWarning),
			tlsserver.AlertItem(wire.AlertLevelWarning, wire.AlertDescription(tls.AlertCloseNotify)))})
		p, err := tlsserver.NewPipe(cfg, srv)
		if err != nil {
			t.Fatal(err)
		}
		p.Handshake()
		r := p.Result()
		checkInvariants(t, r)
		if r.Err != nil || !p.Client.PeerClosed() {
			t.Errorf("error %v, peer closed %v; want a clean close", r.Err, p.Client.PeerClosed())
		}
	})
}

// Item 3: bounds against floods, each fatal unexpected_message (the
// argument is at the limits in tls/engine.go). One under each bound works.
func TestBounds(t *testing.T) {
	empty := func() tlsserver.Item { return tlsserver.AppDataItem(nil) }
	canceled := func() tlsserver.Item {
		return tlsserver.AlertItem(wire.AlertLevelWarning, wire.AlertDescription(tls.AlertUserCanceled))
	}
	ku := func() tlsserver.Item { return tlsserver.KeyUpdateItem(wire.KeyUpdateRequestUpdateNotRequested) }
	data := tlsserver.AppDataItem([]byte("data "))
	// CCS records split over the flight: the bound is on the handshake,
	// not on a run of them.
	ccsSpread := func(before, after int) *tlsserver.Mutator {
		return onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Insert(f.Index(ht_EE, 0)+1, manyItems(after, tlsserver.CCSItem)...)
			f.Insert(f.Index(ht_SH, 0)+1, manyItems(before, tlsserver.CCSItem)...)
		})
	}
	t.Run("ok", func(t *testing.T) {
		for _, c := range []struct {
			name string
			opts tlsserver.Options
		}{
			{"32_empty_records", tlsserver.Options{Mutator: postFlight(append(manyItems(32, empty), data)...)}},
			{"32_user_canceled", tlsserver.Options{Mutator: postFlight(append(manyItems(32, canceled), data)...)}},
			{"empty_records_with_data_between", tlsserver.Options{Mutator: postFlight(append(append(manyItems(30, empty), data), manyItems(30, empty)...)...)}},
			{"32_ccs", tlsserver.Options{Mutator: ccsSpread(16, 16)}},
			{"32_key_updates", tlsserver.Options{Mutator: postFlight(manyItems(32, ku)...)}},
			{"32_tickets", tlsserver.Options{Tickets: 32}},
			{"key_updates_with_data_between", tlsserver.Options{Mutator: postFlight(append(append(manyItems(30, ku), data), manyItems(30, ku)...)...)}},
		} {
			t.Run(c.name, func(t *testing.T) { happyPipe(t, c.name, c.opts, nil) })
		}
	})
	runHostile(t, []hostileCase{
		{name: "33_empty_records", opts: tlsserver.Options{Mutator: postFlight(manyItems(33, empty)...)}, want: unexpectedMessage},
		{name: "33_user_canceled", opts: tlsserver.Options{Mutator: postFlight(manyItems(33, canceled)...)}, want: unexpectedMessage},
		{name: "33_ccs_spread_over_the_handshake", opts: tlsserver.Options{Mutator: ccsSpread(17, 16)}, want: unexpectedMessage},
		{name: "33_key_updates", opts: tlsserver.Options{Mutator: postFlight(manyItems(33, ku)...)}, want: unexpectedMessage},
		{name: "33_tickets", opts: tlsserver.Options{Tickets: 33}, want: unexpectedMessage},
		{name: "17_tickets_16_key_updates", opts: tlsserver.Options{Tickets: 17, Mutator: postFlight(manyItems(16, ku)...)}, want: unexpectedMessage},
	})
}

// Item 4 (RFC 8449 §4): once the server took our record_size_limit, a
// protected record over it is record_overflow; at the limit it is fine.
func TestRecordSizeLimitEnforced(t *testing.T) {
	const limit = 64
	ack := func(extra ...tlsserver.Item) *tlsserver.Mutator {
		return &tlsserver.Mutator{Flight: func(s *tlsserver.Server, f *tlsserver.Flight) {
			switch f.Kind {
			case tlsserver.FlightServerHello:
				must(f.Message(ht_EE).AddExtension(wire.ExtensionTypeRecordSizeLimit, u16(16385)))
			case tlsserver.FlightPostHandshake:
				f.Items = append(f.Items, extra...)
			}
		}}
	}
	withLimit := func(c *tls.Config) { c.RecordSizeLimit = limit }
	// TLSInnerPlaintext is the content and one octet of type.
	atLimit := tlsserver.AppDataItem(repeat('a', limit-1))
	t.Run("at_the_limit", func(t *testing.T) {
		cfg := tlsserver.ClientConfig("rsl")
		withLimit(cfg)
		p, err := tlsserver.NewPipe(cfg, tlsserver.New(tlsserver.Options{Mutator: ack(atLimit)}))
		if err != nil {
			t.Fatal(err)
		}
		p.Handshake()
		r := p.Result()
		checkOK(t, r)
		if len(r.AppData) != limit-1 {
			t.Errorf("received %d octets, want %d", len(r.AppData), limit-1)
		}
	})
	runHostile(t, []hostileCase{
		{name: "one_over_the_limit", cfg: withLimit, opts: tlsserver.Options{Mutator: ack(tlsserver.AppDataItem(repeat('a', limit)))},
			post: func(p *tlsserver.Pipe) {}, want: recordOverflow},
		{name: "1000_octets", cfg: withLimit, opts: tlsserver.Options{Mutator: ack(tlsserver.AppDataItem(repeat('a', 1000)))},
			post: func(p *tlsserver.Pipe) {}, want: recordOverflow},
		{name: "padding_over_the_limit", cfg: withLimit, opts: tlsserver.Options{Mutator: ack(tlsserver.Item{Rec: &tlsserver.Record{
			Type: wire.ContentTypeApplicationData, Payload: []byte("x"), Padding: limit}})},
			post: func(p *tlsserver.Pipe) {}, want: recordOverflow},
	})
	// Without the server's acknowledgement the limit is not negotiated.
	happyPipe(t, "rsl", tlsserver.Options{AppData: repeat('a', 1000)}, withLimit)
}

// Item 5 (§5.1): nothing may follow a HelloRetryRequest, a ServerHello or
// a Finished in its record, and the client finds out before it answers:
// no second ClientHello, no Finished.
func TestMessagesThatEndTheirRecord(t *testing.T) {
	ee := func(epoch tlsserver.Epoch) tlsserver.Item {
		it := tlsserver.EncodeItem(ht_EE, &wire.EncryptedExtensions{})
		it.Msg.Epoch = epoch
		return it
	}
	count := func(srv *tlsserver.Server, typ wire.HandshakeType) int {
		n := 0
		for _, m := range srv.Messages() {
			if m.Type == typ {
				n++
			}
		}
		return n
	}
	for _, c := range []struct {
		name string
		opts tlsserver.Options
		typ  wire.HandshakeType // the client must not have sent this
		n    int                // more than this many times
	}{
		{"data_after_hello_retry_request", tlsserver.Options{HelloRetryRequest: true, Mutator: onHRR(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Items = append(f.Items, ee(tlsserver.EpochPlaintext))
		})}, wire.HandshakeTypeClientHello, 1},
		{"data_after_finished", tlsserver.Options{Mutator: onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
			t := tlsserver.TicketItem(0)
			t.Msg.Epoch = tlsserver.EpochHandshake
			f.Items = append(f.Items, t)
		})}, wire.HandshakeTypeFinished, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := tlsserver.ClientConfig(c.name)
			srv := tlsserver.New(c.opts)
			p, err := tlsserver.NewPipe(cfg, srv)
			if err != nil {
				t.Fatal(err)
			}
			p.Handshake()
			r := p.Result()
			checkAlert(t, r, unexpectedMessage, false)
			if got := count(srv, c.typ); got > c.n {
				t.Errorf("client sent %d %v, want at most %d: it answered before checking the record boundary", got, c.typ, c.n)
			}
		})
	}
}

// Item 6 (§5.1): legacy_record_version "MUST be ignored for all purposes"
// on received records, plaintext or protected (where it is in the
// additional data, and the server seals with what it sends).
func TestLegacyRecordVersionIgnored(t *testing.T) {
	versions := []uint16{0x0000, 0x0301, 0x0302, 0x0304, 0x0200, 0xffff}
	i := 0
	each := &tlsserver.Mutator{Records: func(s *tlsserver.Server, f *tlsserver.Flight, recs []*tlsserver.Record) []*tlsserver.Record {
		for _, r := range recs {
			r.Version = versions[i%len(versions)]
			i++
		}
		return recs
	}}
	happyPipe(t, "version", tlsserver.Options{MaxFragment: 200, MiddleboxCCS: true, Tickets: 2, AppData: []byte("data "), Mutator: each}, nil)
	if i < len(versions) {
		t.Fatalf("only %d records", i)
	}
}

// Item 9: a handshake message too big for the HandshakeIn buffer is
// reported with its size and the buffer's, as illegal_parameter (argued
// at checkMessageSize); with a buffer that holds it, it is fine.
func TestOversizedHandshakeMessage(t *testing.T) {
	bigChain := editMain(ht_CT, func(m *tlsserver.Message) {
		c := tlsserver.CertificateMessage([][]byte{tlsserver.ServerCertificate().Chain[0], repeat(0x30, 5000)})
		body, err := c.Append(nil)
		must(err)
		m.Body = body
	})
	for _, frag := range []int{1000, 3} {
		cfg := tlsserver.ClientConfig("big")
		b := tlsserver.NewBuffers()
		b.HandshakeIn = make([]byte, tls.MinHandshakeIn)
		p, err := tlsserver.NewPipeWithBuffers(cfg, tlsserver.New(tlsserver.Options{MaxFragment: frag, Mutator: bigChain}), b)
		if err != nil {
			t.Fatal(err)
		}
		p.Handshake()
		r := p.Result()
		checkAlert(t, r, illegalParameter, false)
		if r.Alert != nil && !strings.Contains(r.Alert.Msg, "certificate message of ") ||
			!strings.Contains(r.Err.Error(), "does not fit the HandshakeIn buffer of 4096 octets") {
			t.Errorf("fragments %d: error %q does not give the sizes", frag, r.Err)
		}
	}
	happyPipe(t, "big", tlsserver.Options{MaxFragment: 1000, Mutator: bigChain}, nil)
	// In one record, the message is read where it is, so a small
	// HandshakeIn does not limit it.
	cfg := tlsserver.ClientConfig("big")
	b := tlsserver.NewBuffers()
	b.HandshakeIn = make([]byte, tls.MinHandshakeIn)
	p, err := tlsserver.NewPipeWithBuffers(cfg, tlsserver.New(tlsserver.Options{Mutator: bigChain}), b)
	if err != nil {
		t.Fatal(err)
	}
	p.Handshake()
	checkOK(t, p.Result())
}

// Item 14, in the library: a server that answers in plain text is named
// as such at once, from the first record header (an unknown content
// type), not after waiting for a "record" of its length.
func TestPlainTextAnswer(t *testing.T) {
	for _, text := range []string{"HTTP/1.1 400 Bad Request\r\n\r\n", "SSH-2.0-OpenSSH_9.6\r\n"} {
		r := converse("text", tlsserver.Options{Mutator: tlsserver.OnWire(tlsserver.FlightServerHello, func(s *tlsserver.Server, w [][]byte) [][]byte {
			return [][]byte{[]byte(text)}
		})}, nil, nil)
		checkAlert(t, r, unexpectedMessage, false)
		if want := `tls: the server answered in plain text, not TLS: "` + text[:5] + `..."`; r.Err == nil || r.Err.Error() != want {
			t.Errorf("error %v, want %q", r.Err, want)
		}
	}
	// Not text, an unknown type with a header that claims 16 KiB: fails
	// on the header.
	r := converse("text", tlsserver.Options{Mutator: tlsserver.OnWire(tlsserver.FlightServerHello, func(s *tlsserver.Server, w [][]byte) [][]byte {
		return [][]byte{{0x63, 3, 3, 0x40, 0}}
	})}, nil, nil)
	checkAlert(t, r, unexpectedMessage, false)
}
