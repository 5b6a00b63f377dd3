package tlsserver_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// Unusual but legal servers: the client must complete the handshake and
// exchange data both ways.

type happyCase struct {
	name     string
	opts     tlsserver.Options
	cfg      func(*tls.Config)
	chunk    int                                                        // Pipe.ChunkSize
	post     func(t *testing.T, p *tlsserver.Pipe)                      // after the handshake, before the probe
	check    func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) // after the probe
	noEcho   bool                                                       // the server does not echo the probe
	knownBug string
}

// runHappy runs each case with buffers of the caller and again with
// tls.PooledBuffers (taken from pools and given back when idle, as
// tls.Client has them).
func runHappy(t *testing.T, cases []happyCase) {
	t.Helper()
	for _, c := range cases {
		for _, own := range []bool{false, true} {
			name := c.name
			if own {
				name += "/own_buffers"
			}
			runHappyCase(t, name, c, own)
		}
	}
}

func runHappyCase(t *testing.T, name string, c happyCase, own bool) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		skipKnownBug(t, c.knownBug)
		cfg := tlsserver.ClientConfig(c.name)
		if c.cfg != nil {
			c.cfg(cfg)
		}
		opts := c.opts
		opts.Echo = true
		b := tlsserver.NewBuffers()
		if own {
			b = tls.PooledBuffers()
		}
		p, err := tlsserver.NewPipeWithBuffers(cfg, tlsserver.New(opts), b)
		if err != nil {
			t.Fatal(err)
		}
		p.ChunkSize = c.chunk
		p.Handshake()
		if c.post != nil && p.Err() == nil {
			c.post(t, p)
		}
		p.ClientWrite(tlsserver.Probe)
		r := p.Result()
		checkOK(t, r)
		if !bytes.Equal(r.ServerAppData, tlsserver.Probe) {
			t.Errorf("server received %q, want %q", r.ServerAppData, tlsserver.Probe)
		}
		// The echo proves the client still reads after whatever the
		// server did.
		if want := append(append([]byte(nil), opts.AppData...), tlsserver.Probe...); !c.noEcho && !bytes.Equal(r.AppData, want) {
			t.Errorf("client received %q, want %q (after what the test sent)", r.AppData, want)
		}
		if c.check != nil {
			c.check(t, p, r)
		}
	})
}

func TestHostileHappyPaths(t *testing.T) {
	withRecords := func(kind tlsserver.FlightKind, fn func([]*tlsserver.Record) []*tlsserver.Record) *tlsserver.Mutator {
		return tlsserver.OnRecords(kind, func(s *tlsserver.Server, recs []*tlsserver.Record) []*tlsserver.Record { return fn(recs) })
	}
	eachRecord := func(fn func(r *tlsserver.Record)) *tlsserver.Mutator {
		return &tlsserver.Mutator{Records: func(s *tlsserver.Server, f *tlsserver.Flight, recs []*tlsserver.Record) []*tlsserver.Record {
			for _, r := range recs {
				fn(r)
			}
			return recs
		}}
	}
	ccsBetweenMessages := onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
		var items []tlsserver.Item
		for _, it := range f.Items {
			items = append(items, it)
			if it.Msg == nil || it.Msg.Type != ht_FIN { // none after the server's Finished (§5)
				items = append(items, tlsserver.CCSItem())
			}
		}
		f.Items = items
	})
	endEveryRecord := &tlsserver.Mutator{Flight: func(s *tlsserver.Server, f *tlsserver.Flight) {
		for _, it := range f.Items {
			if it.Msg != nil {
				it.Msg.EndRecord = true
			}
		}
	}}
	ticketsAndKeyUpdate := tlsserver.Options{Tickets: 2, KeyUpdates: []wire.KeyUpdateRequest{wire.KeyUpdateRequestUpdateNotRequested}, AppData: []byte("hello")}
	state := func(fn func(t *testing.T, cs tls.ConnectionState)) func(*testing.T, *tlsserver.Pipe, *tlsserver.Result) {
		return func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) { fn(t, r.ConnectionState) }
	}
	clientEpoch := func(want tlsserver.Epoch) func(*testing.T, *tlsserver.Pipe, *tlsserver.Result) {
		return func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) {
			last := r.Records[len(r.Records)-1]
			if last.Type != wire.ContentTypeApplicationData || last.Epoch != want {
				t.Errorf("client's last record: %v under %v keys, want application_data under %v", last.Type, last.Epoch, want)
			}
		}
	}
	// As many KeyUpdates in a row as the client takes (32, as BoringSSL;
	// TestBounds has one more).
	var kuFlood []wire.KeyUpdateRequest
	for range 32 {
		kuFlood = append(kuFlood, wire.KeyUpdateRequestUpdateRequested)
	}
	groups := cat(u16(4), u16(uint16(tls.CurveP256)), u16(uint16(tls.X25519)))

	runHappy(t, []happyCase{
		{name: "plain"},
		{name: "fed_one_octet_at_a_time", chunk: 1, opts: ticketsAndKeyUpdate},
		{name: "one_octet_records", opts: tlsserver.Options{MaxFragment: 1}},
		{name: "seven_octet_records", opts: tlsserver.Options{MaxFragment: 7, RequestClientCert: true}},
		{name: "every_message_in_its_own_record", opts: tlsserver.Options{Mutator: endEveryRecord}},
		{name: "post_handshake_messages_coalesced", opts: tlsserver.Options{Tickets: 3, KeyUpdates: []wire.KeyUpdateRequest{wire.KeyUpdateRequestUpdateNotRequested}, AppData: []byte("x"),
			Mutator: withRecords(tlsserver.FlightPostHandshake, tlsserver.CoalesceRecords)}},
		{name: "post_handshake_messages_split", opts: tlsserver.Options{Tickets: 3, AppData: []byte("x"),
			Mutator: withRecords(tlsserver.FlightPostHandshake, func(r []*tlsserver.Record) []*tlsserver.Record { return tlsserver.SplitRecords(r, 3) })}},
		{name: "middlebox_ccs", opts: tlsserver.Options{MiddleboxCCS: true}},
		{name: "ccs_before_server_hello", opts: tlsserver.Options{Mutator: insertBefore(ht_SH, tlsserver.CCSItem())}},
		{name: "ccs_between_every_message", opts: tlsserver.Options{Mutator: ccsBetweenMessages}},
		{name: "ccs_twice", opts: tlsserver.Options{MiddleboxCCS: true, Mutator: insertAfter(ht_EE, tlsserver.CCSItem())}},
		{name: "empty_application_data_records", opts: tlsserver.Options{AppData: []byte("data"), Mutator: onPost(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Insert(0, tlsserver.AppDataItem(nil), tlsserver.AppDataItem(nil), tlsserver.AppDataItem(nil))
		})}},
		{name: "padded_records", opts: tlsserver.Options{Tickets: 1, AppData: []byte("data"), Mutator: eachRecord(func(r *tlsserver.Record) {
			if r.Epoch != tlsserver.EpochPlaintext {
				r.Padding = 100
			}
		})}},
		{name: "maximum_padding", opts: tlsserver.Options{Mutator: onPost(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Items = append(f.Items, tlsserver.Item{Rec: &tlsserver.Record{Type: wire.ContentTypeApplicationData, Padding: 1 << 14}})
		})}},
		{name: "maximum_record", opts: tlsserver.Options{AppData: bytes.Repeat([]byte("m"), 1<<14)}},
		{name: "record_version_ignored", opts: tlsserver.Options{Tickets: 1, AppData: []byte("data"), Mutator: eachRecord(func(r *tlsserver.Record) { r.Version = 0x0301 })}},
		{name: "hello_retry_request", opts: tlsserver.Options{HelloRetryRequest: true},
			check: state(func(t *testing.T, cs tls.ConnectionState) {
				if !cs.DidHelloRetryRequest || cs.CurveID != tls.CurveP256 {
					t.Errorf("DidHelloRetryRequest %v, group %v; want true, secp256r1", cs.DidHelloRetryRequest, cs.CurveID)
				}
			})},
		{name: "hello_retry_request_secp384r1_with_cookie_and_ccs", opts: tlsserver.Options{HelloRetryRequest: true, HRRGroup: wire.NamedGroup(tls.CurveP384), HRRCookie: []byte("cookie"), MiddleboxCCS: true}},
		{name: "hello_retry_request_cookie_only", opts: tlsserver.Options{HelloRetryRequest: true, HRRCookie: []byte("cookie"), Mutator: onHRR(func(s *tlsserver.Server, f *tlsserver.Flight) {
			must(f.Message(ht_SH).RemoveExtension(wire.ExtensionTypeKeyShare))
		})}},
		{name: "hello_retry_request_without_compat_mode", cfg: func(c *tls.Config) { c.DisableMiddleboxCompat = true }, opts: tlsserver.Options{HelloRetryRequest: true}},
		{name: "client_auth_without_certificate", opts: tlsserver.Options{RequestClientCert: true},
			check: func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) {
				if n := len(p.Server.ClientCertificates()); n != 0 || !r.ConnectionState.ClientAuthRequested || r.ConnectionState.ClientCertificateSent {
					t.Errorf("client sent %d certificates, state %+v", n, r.ConnectionState)
				}
			}},
		{name: "client_auth_with_certificate", opts: tlsserver.Options{RequestClientCert: true},
			cfg: func(c *tls.Config) {
				c.Certificates = []tls.Certificate{tlsserver.ClientCertificate().TLSCertificate()}
			},
			check: func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) {
				got := p.Server.ClientCertificates()
				if len(got) != 1 || !bytes.Equal(got[0], tlsserver.ClientCertificate().Chain[0]) || !r.ConnectionState.ClientCertificateSent {
					t.Errorf("server got %d client certificates; ClientCertificateSent %v", len(got), r.ConnectionState.ClientCertificateSent)
				}
			}},
		{name: "client_auth_no_acceptable_scheme", opts: tlsserver.Options{RequestClientCert: true, Mutator: editMain(ht_CR, func(m *tlsserver.Message) {
			tlsserver.MustEdit(m, func(cr *wire.CertificateRequest) {
				must(cr.Extensions.SignatureAlgorithms.SupportedSignatureAlgorithms.SetBytes(u16(uint16(tls.Ed25519))))
			})
		})},
			cfg: func(c *tls.Config) {
				c.Certificates = []tls.Certificate{tlsserver.ClientCertificate().TLSCertificate()}
			},
			check: func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) {
				if len(p.Server.ClientCertificates()) != 0 {
					t.Errorf("client sent a certificate the server cannot accept")
				}
			}},
		{name: "certificate_request_with_ignorable_extensions", opts: tlsserver.Options{RequestClientCert: true, Mutator: editMain(ht_CR, func(m *tlsserver.Message) {
			must(m.AddExtension(0xfafa, nil))
			must(m.AddExtension(wire.ExtensionTypeCertificateAuthorities, cat(u16(5), u16(3), []byte{0x30, 1, 0})))
			must(m.AddExtension(wire.ExtensionTypeSignatureAlgorithmsCert, cat(u16(2), u16(uint16(tls.ECDSAWithP256AndSHA256)))))
			must(m.AddExtension(wire.ExtensionTypeOidFilters, u16(0)))
			must(m.AddExtension(wire.ExtensionTypeStatusRequest, nil))
		})}},
		// §4.3.2: "Clients MUST ignore unrecognized extensions."
		{name: "certificate_request_with_nine_unknown_extensions", opts: tlsserver.Options{RequestClientCert: true, Mutator: editMain(ht_CR, func(m *tlsserver.Message) {
			for i := range 9 {
				must(m.AddExtension(wire.ExtensionType(0xfa00+i), nil))
			}
		})}},
		{name: "alpn", opts: tlsserver.Options{ALPN: "h2"}, cfg: func(c *tls.Config) { c.NextProtos = []string{"http/1.1", "h2"} },
			check: state(func(t *testing.T, cs tls.ConnectionState) {
				if cs.NegotiatedProtocol != "h2" {
					t.Errorf("NegotiatedProtocol %q, want h2", cs.NegotiatedProtocol)
				}
			})},
		{name: "server_name_acknowledged", opts: tlsserver.Options{AckServerName: true}},
		{name: "encrypted_extensions_supported_groups", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeSupportedGroups, groups)}},
		{name: "chacha20_poly1305", opts: tlsserver.Options{CipherSuite: wire.CipherSuite(tls.TLS_CHACHA20_POLY1305_SHA256)},
			check: state(func(t *testing.T, cs tls.ConnectionState) {
				if cs.CipherSuite != tls.TLS_CHACHA20_POLY1305_SHA256 {
					t.Errorf("CipherSuite %v", tls.CipherSuiteName(cs.CipherSuite))
				}
			})},
		{name: "server_key_update_requested", opts: tlsserver.Options{KeyUpdates: []wire.KeyUpdateRequest{wire.KeyUpdateRequestUpdateRequested}, AppData: []byte("after update")},
			check: func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) {
				var kus int
				for _, m := range p.Server.Messages() {
					if m.Type == ht_KU {
						kus++
						if !bytes.Equal(m.Body, []byte{byte(wire.KeyUpdateRequestUpdateNotRequested)}) {
							t.Errorf("client KeyUpdate %x, want update_not_requested", m.Body)
						}
					}
				}
				if kus != 1 {
					t.Errorf("client sent %d KeyUpdates, want 1", kus)
				}
				clientEpoch(tlsserver.EpochApplication+1)(t, p, r)
			}},
		{name: "server_key_update_not_requested", opts: tlsserver.Options{KeyUpdates: []wire.KeyUpdateRequest{wire.KeyUpdateRequestUpdateNotRequested}, AppData: []byte("after update")},
			check: clientEpoch(tlsserver.EpochApplication)},
		{name: "server_key_updates_many", opts: tlsserver.Options{KeyUpdates: []wire.KeyUpdateRequest{
			wire.KeyUpdateRequestUpdateRequested, wire.KeyUpdateRequestUpdateNotRequested, wire.KeyUpdateRequestUpdateRequested,
		}, AppData: []byte("after updates")}},
		// §4.6.3 lets the client answer many requests with one update; at
		// worst Input should stop taking records while Output is full.
		// Each batch of records the client takes in gets at most one answer:
		// 1,000 requests of 27 octets fill two Read buffers.
		{name: "key_update_flood", opts: tlsserver.Options{KeyUpdates: kuFlood, AppData: []byte("after the flood")},
			check: func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) {
				var kus int
				for _, m := range p.Server.Messages() {
					if m.Type == ht_KU {
						kus++
					}
				}
				if max := 1000*27/tls.MinReadBuffer + 2; kus < 1 || kus > max {
					t.Errorf("client answered 1000 KeyUpdate requests with %d KeyUpdates, want 1 to %d", kus, max)
				}
				t.Logf("1000 requests, %d answers", kus)
			}},
		{name: "client_key_update", post: func(t *testing.T, p *tlsserver.Pipe) {
			if err := p.ClientKeyUpdate(); err != nil {
				t.Fatal(err)
			}
		}, check: clientEpoch(tlsserver.EpochApplication + 1)},
		{name: "ticket_with_unknown_extension", opts: tlsserver.Options{Tickets: 1, Mutator: onPost(func(s *tlsserver.Server, f *tlsserver.Flight) {
			must(f.Message(ht_NST).AddExtension(0xfafa, []byte("grease")))
		})}},
		// §4.6.1: "Clients MUST ignore unrecognized extensions."
		{name: "ticket_with_nine_unknown_extensions", opts: tlsserver.Options{Tickets: 1, Mutator: onPost(func(s *tlsserver.Server, f *tlsserver.Flight) {
			for i := range 9 {
				must(f.Message(ht_NST).AddExtension(wire.ExtensionType(0xfa00+i), nil))
			}
		})}},
		{name: "tickets_without_callback", opts: tlsserver.Options{Tickets: 2}},
		// §4.6.1 note, §2: a server may send tickets, KeyUpdates and data
		// right after its Finished, before the client's.
		{name: "ticket_right_after_server_finished", opts: tlsserver.Options{Mutator: insertAfter(ht_FIN, tlsserver.TicketItem(7))}},
		{name: "key_update_right_after_server_finished", opts: tlsserver.Options{Mutator: insertAfter(ht_FIN, tlsserver.KeyUpdateItem(wire.KeyUpdateRequestUpdateRequested))},
			check: clientEpoch(tlsserver.EpochApplication + 1)},
		{name: "half_rtt_application_data", opts: tlsserver.Options{Mutator: insertAfter(ht_FIN, tlsserver.AppDataItem([]byte("half-RTT ")))}, noEcho: true,
			check: func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) {
				if want := append([]byte("half-RTT "), tlsserver.Probe...); !bytes.Equal(r.AppData, want) {
					t.Errorf("client received %q, want %q", r.AppData, want)
				}
			}},
		{name: "no_compatibility_mode", cfg: func(c *tls.Config) { c.DisableMiddleboxCompat = true },
			check: func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) {
				for _, rec := range r.Records {
					if rec.Type == wire.ContentTypeChangeCipherSpec {
						t.Errorf("client sent change_cipher_spec with DisableMiddleboxCompat")
					}
				}
				if n := len(p.Server.ClientHello().LegacySessionID); n != 0 {
					t.Errorf("client sent a %d-octet session id with DisableMiddleboxCompat", n)
				}
			}},
		{name: "ip_server_name", cfg: func(c *tls.Config) { c.ServerName = "192.0.2.1" }, opts: tlsserver.Options{AckServerName: true},
			check: func(t *testing.T, p *tlsserver.Pipe, r *tlsserver.Result) {
				if p.Server.ClientHello().Extensions.Has(wire.ExtensionTypeServerName) {
					t.Errorf("client sent server_name for an IP address (RFC 6066 §3)")
				}
			}},
		{name: "everything_at_once", chunk: 3, opts: tlsserver.Options{HelloRetryRequest: true, HRRCookie: []byte{1, 2, 3}, MiddleboxCCS: true,
			RequestClientCert: true, ALPN: "h2", AckServerName: true, MaxFragment: 11, Tickets: 2,
			KeyUpdates: []wire.KeyUpdateRequest{wire.KeyUpdateRequestUpdateRequested}, AppData: []byte("all"),
			CipherSuite: wire.CipherSuite(tls.TLS_CHACHA20_POLY1305_SHA256)},
			cfg: func(c *tls.Config) {
				c.NextProtos = []string{"h2"}
				c.Certificates = []tls.Certificate{tlsserver.ClientCertificate().TLSCertificate()}
				c.OnNewSessionTicket = func(*tls.ClientSessionState) {}
			}},
		{name: "close_notify_after_handshake", noEcho: true, post: func(t *testing.T, p *tlsserver.Pipe) {
			p.ServerSend(tlsserver.AlertItem(wire.AlertLevelWarning, wire.AlertDescription(tls.AlertCloseNotify)))
			if !p.Client.PeerClosed() {
				t.Errorf("client did not see close_notify")
			}
		}},
	})
}

// §4.6.1: tickets reach Config.OnNewSessionTicket with the PSK the
// server computes.
func TestHostileNewSessionTickets(t *testing.T) {
	for _, split := range []int{0, 5, -5} { // -5: 5, with tls.PooledBuffers
		t.Run(fmt.Sprint("split", split), func(t *testing.T) {
			b := tlsserver.NewBuffers()
			if split < 0 {
				split, b = -split, tls.PooledBuffers()
			}
			var got []*tls.ClientSessionState
			cfg := tlsserver.ClientConfig("tickets")
			cfg.OnNewSessionTicket = func(st *tls.ClientSessionState) { got = append(got, st) }
			opts := tlsserver.Options{Tickets: 3, Mutator: onPost(func(s *tlsserver.Server, f *tlsserver.Flight) {
				must(f.Message(ht_NST).AddExtension(wire.ExtensionTypeEarlyData, []byte{0, 0, 0x40, 0}))
			})}
			opts.MaxFragment = split
			p, err := tlsserver.NewPipeWithBuffers(cfg, tlsserver.New(opts), b)
			if err != nil {
				t.Fatal(err)
			}
			p.Handshake()
			p.ClientWrite(tlsserver.Probe)
			checkOK(t, p.Result())
			if len(got) != 3 {
				t.Fatalf("got %d tickets, want 3", len(got))
			}
			for i, st := range got {
				nonce := []byte{byte(i)}
				if !bytes.Equal(st.Nonce, nonce) || !bytes.Equal(st.Ticket, []byte(fmt.Sprintf("tlsserver ticket %d", i))) {
					t.Errorf("ticket %d: nonce %x ticket %q", i, st.Nonce, st.Ticket)
				}
				if want := p.Server.ResumptionPSK(nonce); !bytes.Equal(st.PSK, want) {
					t.Errorf("ticket %d: PSK %x, server's %x", i, st.PSK, want)
				}
				if st.Lifetime != time.Hour || st.AgeAdd != 0x01020304+uint32(i) || st.CipherSuite != tls.TLS_AES_128_GCM_SHA256 ||
					st.ServerName != "server.test" || !st.ReceivedAt.Equal(tlsserver.FixedTime) {
					t.Errorf("ticket %d: %+v", i, st)
				}
				if wantED := uint32(0); i == 0 {
					wantED = 0x4000
					if st.MaxEarlyDataSize != wantED {
						t.Errorf("ticket %d: MaxEarlyDataSize %d, want %d", i, st.MaxEarlyDataSize, wantED)
					}
				}
			}
			if !p.Server.ClientHello().Extensions.Has(wire.ExtensionTypePskKeyExchangeModes) {
				t.Errorf("client with OnNewSessionTicket sent no psk_key_exchange_modes")
			}
		})
	}
}

// §6.1: "Any data received after a closure alert has been received MUST
// be ignored."
func TestHostileAfterCloseNotify(t *testing.T) {
	for _, c := range []struct {
		name     string
		item     tlsserver.Item
		knownBug string
	}{
		{name: "application_data", item: tlsserver.AppDataItem([]byte("late"))},
		{name: "ticket", item: tlsserver.TicketItem(0)},
		{name: "key_update", item: tlsserver.KeyUpdateItem(wire.KeyUpdateRequestUpdateRequested)},
	} {
		t.Run(c.name, func(t *testing.T) {
			skipKnownBug(t, c.knownBug)
			p, err := tlsserver.NewPipe(tlsserver.ClientConfig(c.name), tlsserver.New(tlsserver.Options{}))
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Handshake(); err != nil {
				t.Fatal(err)
			}
			p.ServerSend(tlsserver.AlertItem(wire.AlertLevelWarning, wire.AlertDescription(tls.AlertCloseNotify)), c.item)
			r := p.Result()
			checkInvariants(t, r)
			if r.Err != nil {
				t.Fatalf("client error after close_notify: %v; the RFC says to ignore what follows", r.Err)
			}
			if !p.Client.PeerClosed() {
				t.Fatalf("client did not see close_notify")
			}
			if len(r.AppData) != 0 {
				t.Errorf("client delivered %q after close_notify", r.AppData)
			}
			// The client may still write and close (§6.1).
			p.ClientWrite([]byte("still writing"))
			p.ClientClose()
			r = p.Result()
			checkInvariants(t, r)
			if a, ok := r.SentAlert(); !ok || a.Description != wire.AlertDescription(tls.AlertCloseNotify) {
				t.Errorf("client's last alert %v (%v), want close_notify", a, ok)
			}
		})
	}
}

// The client never sends application data before the handshake is
// complete, whatever the application asks.
func TestHostileNoEarlyApplicationData(t *testing.T) {
	p, err := tlsserver.NewPipe(tlsserver.ClientConfig("early"), tlsserver.New(tlsserver.Options{RequestClientCert: true, HelloRetryRequest: true}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Client.WriteApplicationData([]byte("too early")); err == nil {
		t.Fatal("WriteApplicationData before Start succeeded")
	}
	if err := p.Client.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Client.WriteApplicationData([]byte("too early")); err == nil {
		t.Fatal("WriteApplicationData after Start succeeded")
	}
	// Step through the handshake, trying to write at every step.
	p.MaxSteps = 1
	for range 50 {
		if p.Client.HandshakeComplete() {
			break
		}
		if _, err := p.Client.WriteApplicationData([]byte("too early")); err == nil {
			t.Fatalf("WriteApplicationData in state %v succeeded", p.Client.State())
		}
		p.Pump()
	}
	p.MaxSteps = 0
	p.ClientWrite(tlsserver.Probe)
	checkOK(t, p.Result())
}

// §6.1: a client that gives up sends user_canceled then close_notify, and
// nothing after; after Close it writes no more data. What the server
// already sent must not turn into an error of the client's.
func TestHostileClientClose(t *testing.T) {
	for steps := range 4 {
		t.Run(fmt.Sprint("after_", steps, "_steps"), func(t *testing.T) {
			p, err := tlsserver.NewPipe(tlsserver.ClientConfig("cancel"), tlsserver.New(tlsserver.Options{HelloRetryRequest: true}))
			if err != nil {
				t.Fatal(err)
			}
			must(p.Client.Start())
			p.MaxSteps = 1
			for range steps {
				p.Pump()
			}
			p.MaxSteps = 0
			complete := p.Client.HandshakeComplete()
			if err := p.ClientClose(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if _, err := p.Client.WriteApplicationData([]byte("after close")); err == nil {
				t.Errorf("WriteApplicationData after Close succeeded")
			}
			p.Pump()
			r := p.Result()
			checkInvariants(t, r)
			var want []tls.AlertDescription
			if !complete {
				want = append(want, tls.AlertUserCanceled)
			}
			want = append(want, tls.AlertCloseNotify)
			var got []tls.AlertDescription
			for _, a := range r.Sent {
				got = append(got, tls.AlertDescription(a.Description))
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("client sent alerts %v, want %v", got, want)
			}
			if last := r.Records[len(r.Records)-1]; last.Type != wire.ContentTypeAlert {
				t.Errorf("client sent %v after its close_notify", last.Type)
			}
		})
	}
	// §6.1: close_notify closes the client's writing only; it still reads.
	t.Run("half_close", func(t *testing.T) {
		p, err := tlsserver.NewPipe(tlsserver.ClientConfig("half"), tlsserver.New(tlsserver.Options{}))
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Handshake(); err != nil {
			t.Fatal(err)
		}
		if err := p.ClientClose(); err != nil {
			t.Fatal(err)
		}
		p.ServerSend(tlsserver.TicketItem(0), tlsserver.KeyUpdateItem(wire.KeyUpdateRequestUpdateRequested))
		p.ServerSend(tlsserver.AppDataItem([]byte("still coming")), tlsserver.AlertItem(wire.AlertLevelWarning, wire.AlertDescription(tls.AlertCloseNotify)))
		r := p.Result()
		checkInvariants(t, r)
		if r.Err != nil || string(r.AppData) != "still coming" || !p.Client.PeerClosed() {
			t.Errorf("after the client's close_notify: error %v, data %q, peer closed %v", r.Err, r.AppData, p.Client.PeerClosed())
		}
		if len(r.Sent) != 1 || r.Records[len(r.Records)-1].Type != wire.ContentTypeAlert {
			t.Errorf("client sent %v after its close_notify (alerts %v)", r.Records[len(r.Records)-1].Type, r.Sent)
		}
	})
}

// TestOwnBuffersGoBack: an Engine with tls.PooledBuffers (as tls.Client
// has) holds no Read buffer once nothing is
// left in it: RecvBuffer is then the 64 octets a blocked read waits in;
// with caller-owned buffers it is the whole free Read buffer. Tickets
// split over records and a KeyUpdate each way go through both.
func TestOwnBuffersGoBack(t *testing.T) {
	for _, own := range []bool{false, true} {
		b := tlsserver.NewBuffers()
		want := len(b.Read)
		if own {
			b, want = tls.PooledBuffers(), 64
		}
		opts := tlsserver.Options{Echo: true, Tickets: 2, MaxFragment: 9, KeyUpdates: []wire.KeyUpdateRequest{wire.KeyUpdateRequestUpdateRequested}}
		p, err := tlsserver.NewPipeWithBuffers(tlsserver.ClientConfig("own"), tlsserver.New(opts), b)
		if err != nil {
			t.Fatal(err)
		}
		p.Handshake()
		if err := p.Client.KeyUpdate(); err != nil {
			t.Fatal(err)
		}
		p.ClientWrite(tlsserver.Probe)
		r := p.Result()
		checkOK(t, r)
		if !bytes.Equal(r.AppData, tlsserver.Probe) {
			t.Errorf("own buffers %v: client received %q, want the echo %q", own, r.AppData, tlsserver.Probe)
		}
		if n := len(p.Client.RecvBuffer()); n != want {
			t.Errorf("own buffers %v: idle RecvBuffer of %d octets, want %d", own, n, want)
		}
		if err := p.Client.RecvAck(0); err != nil {
			t.Error(err)
		}
	}
}
