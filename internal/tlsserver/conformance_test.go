package tlsserver_test

import (
	"bytes"
	"testing"

	"github.com/tabletls/tabletls/internal/tlsserver"
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
	if !bytes.Equal(r.AppData, tlsserver.Probe) {
		t.Errorf("client received %q, want the echo %q", r.AppData, tlsserver.Probe)
	}
	return srv, r
}

// clientShares lists the groups of the key shares in the first ClientHello.
func clientShares(t *testing.T, srv *tlsserver.Server) []tls.KeyShareEntry {
	t.Helper()
	var ch tls.ClientHello
	msgs := srv.Messages()
	if len(msgs) == 0 || msgs[0].Type != tls.HandshakeTypeClientHello {
		t.Fatal("no ClientHello received")
	}
	if err := ch.Unmarshal(msgs[0].Body); err != nil {
		t.Fatal(err)
	}
	var out []tls.KeyShareEntry
	it := ch.Extensions.KeyShare.ClientShares.Iter()
	var e tls.KeyShareEntry
	for it.Next(&e) {
		out = append(out, e)
	}
	return out
}

// Issue 13, item 7: with a hybrid first group the client also sends an
// x25519 share (its X25519 half, as crypto/tls does), so a server without
// ML-KEM, like this one, needs no HelloRetryRequest.
func TestKeySharesClassicalBesideHybrid(t *testing.T) {
	hybridX25519 := []tls.NamedGroup{tls.X25519MLKEM768, tls.NamedGroupX25519, tls.NamedGroupSecp256r1}
	for _, c := range []struct {
		name   string
		cfg    func(*tls.Config)
		shares []tls.NamedGroup
		hrr    bool
		group  tls.NamedGroup
	}{
		{"hybrid_then_x25519", func(c *tls.Config) { c.CurvePreferences = hybridX25519 },
			[]tls.NamedGroup{tls.X25519MLKEM768, tls.NamedGroupX25519}, false, tls.NamedGroupX25519},
		// Only if x25519 is enabled at all.
		{"hybrid_without_x25519", func(c *tls.Config) {
			c.CurvePreferences = []tls.NamedGroup{tls.X25519MLKEM768, tls.NamedGroupSecp256r1}
		}, []tls.NamedGroup{tls.X25519MLKEM768}, true, tls.NamedGroupSecp256r1},
		// Explicit KeyShares are sent as given.
		{"explicit_key_shares", func(c *tls.Config) {
			c.CurvePreferences = hybridX25519
			c.KeyShares = []tls.NamedGroup{tls.X25519MLKEM768}
		}, []tls.NamedGroup{tls.X25519MLKEM768}, true, tls.NamedGroupX25519},
		{"default", nil, []tls.NamedGroup{tls.NamedGroupX25519}, false, tls.NamedGroupX25519},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := happyPipe(t, c.name, tlsserver.Options{}, c.cfg)
			shares := clientShares(t, srv)
			var groups []tls.NamedGroup
			for _, s := range shares {
				groups = append(groups, s.Group)
			}
			if !equalGroups(groups, c.shares) {
				t.Errorf("first ClientHello has shares for %v, want %v", groups, c.shares)
			}
			if len(shares) == 2 && !bytes.Equal(shares[1].KeyExchange, shares[0].KeyExchange[len(shares[0].KeyExchange)-32:]) {
				t.Error("the x25519 share is not the hybrid's X25519 half")
			}
			if srv.DidHelloRetryRequest() != c.hrr || srv.Group() != c.group {
				t.Errorf("HelloRetryRequest %v, group %v; want %v, %v", srv.DidHelloRetryRequest(), srv.Group(), c.hrr, c.group)
			}
		})
	}
}

func equalGroups(a, b []tls.NamedGroup) bool {
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
			name := string(bytes.Repeat([]byte("a"), n)) + ".test"
			if len(name) > 253 {
				continue
			}
			srv, _ := happyPipe(t, "padding", tlsserver.Options{HelloRetryRequest: hrr}, func(c *tls.Config) {
				c.ServerName = name
				c.NextProtos = []string{"mqtt"}
			})
			for _, m := range srv.Messages() {
				if m.Type != tls.HandshakeTypeClientHello {
					continue
				}
				size := 4 + len(m.Body)
				var ch tls.ClientHello
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
