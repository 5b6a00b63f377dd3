package tls_test

import (
	cryptotls "crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// Issue 13 items against real peers.

// Item 7: with X25519MLKEM768 first, the client sends an x25519 share too,
// so a crypto/tls server limited to x25519 answers without a
// HelloRetryRequest, and one with ML-KEM still picks the hybrid.
func TestInteropHybridWithClassicalShare(t *testing.T) {
	ca := testpeer.DefaultCA()
	for _, c := range []struct {
		name   string
		server []cryptotls.CurveID
		want   tls.CurveID
	}{
		{"server_x25519_only", []cryptotls.CurveID{cryptotls.X25519}, tls.X25519},
		{"server_default", nil, tls.X25519MLKEM768},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{CurvePreferences: c.server})
			cfg := &tls.Config{
				ServerName:       "localhost",
				CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.X25519},
				Verifier:         x509verify.New(x509verify.Options{Roots: ca.Pool}),
			}
			state := exchange(t, srv.Addr, cfg)
			if res := srv.WaitHandshake(t); res.Err != nil {
				t.Fatalf("server: %v", res.Err)
			}
			if state.DidHelloRetryRequest || state.CurveID != c.want {
				t.Errorf("HelloRetryRequest %v, group %v; want none, %v", state.DidHelloRetryRequest, state.CurveID, c.want)
			}
		})
	}
}

// Item 8: a ClientHello that would be 256 to 511 octets goes out padded to
// 512 (RFC 7685), and crypto/tls and OpenSSL accept it.
func TestInteropPaddedClientHello(t *testing.T) {
	ca := testpeer.DefaultCA()
	// localhost, ALPN and this long a name make a ClientHello of about 300
	// octets before padding.
	cfgFor := func(sizes *[]int) *tls.Config {
		return &tls.Config{
			ServerName: "localhost",
			NextProtos: []string{"h2", "http/1.1", strings.Repeat("x", 80)},
			Verifier:   x509verify.New(x509verify.Options{Roots: ca.Pool}),
			Trace: func(ev tls.TraceEvent) {
				if ev.Kind == tls.TraceHandshakeOut && ev.HandshakeType == uint8(wire.HandshakeTypeClientHello) {
					*sizes = append(*sizes, ev.Length)
				}
			},
		}
	}
	check := func(t *testing.T, sizes []int) {
		t.Helper()
		if len(sizes) != 1 || sizes[0] != 512 {
			t.Errorf("ClientHello sizes %v, want [512]", sizes)
		}
	}
	t.Run("crypto_tls", func(t *testing.T) {
		srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{NextProtos: []string{"h2"}})
		var sizes []int
		exchange(t, srv.Addr, cfgFor(&sizes))
		if res := srv.WaitHandshake(t); res.Err != nil {
			t.Fatalf("server: %v", res.Err)
		}
		check(t, sizes)
	})
	t.Run("openssl", func(t *testing.T) {
		testpeer.RequireOpenSSL(t)
		srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Cert: ca.Issue(testpeer.ECDSAP256)})
		var sizes []int
		c := dialOpenSSL(t, srv, cfgFor(&sizes))
		if !c.ConnectionState().HandshakeComplete {
			t.Fatal("handshake not complete")
		}
		check(t, sizes)
	})
}

// Item 11: x509verify turns away a crypto/tls server whose leaf has a
// KeyUsage extension without digitalSignature (RFC 5280 §4.2.1.3): it
// cannot sign a CertificateVerify (RFC 8446 §4.4.2.2). With
// digitalSignature the same chain is accepted.
func TestInteropKeyUsageDigitalSignature(t *testing.T) {
	ca := testpeer.DefaultCA()
	for _, c := range []struct {
		name string
		ku   x509.KeyUsage
		ok   bool
	}{
		{"key_encipherment_only", x509.KeyUsageKeyEncipherment, false},
		{"digital_signature", x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			cert := ca.IssueEdited(testpeer.CachedKey(testpeer.ECDSAP256), func(tmpl *x509.Certificate) { tmpl.KeyUsage = c.ku })
			srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: cert})
			raw, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			conn := tls.Client(raw, &tls.Config{ServerName: "localhost", Verifier: x509verify.New(x509verify.Options{Roots: ca.Pool})})
			defer conn.Close()
			err = conn.Handshake()
			if c.ok {
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				return
			}
			var ae *tls.AlertError
			if !errors.As(err, &ae) || ae.Alert != tls.AlertBadCertificate || ae.Received || !strings.Contains(ae.Msg, "digitalSignature") {
				t.Fatalf("handshake error %v; want a bad_certificate naming digitalSignature", err)
			}
			if res := srv.WaitHandshake(t); res.Err == nil || !strings.Contains(res.Err.Error(), "bad certificate") {
				t.Errorf("server saw %v; want our bad_certificate alert", res.Err)
			}
		})
	}
}
