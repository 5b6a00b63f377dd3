package tls_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/tlsnet"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// recorder is a transport that records what is written to it.
type recorder struct{ bytes.Buffer }

func (r *recorder) Read([]byte) (int, error) { return 0, errors.New("recorder: no input") }

// TestConfigErrors: each mistake in a Config is a *ConfigError naming the
// field, from Client, ClientWithBuffers and NewEngine, before anything
// is sent.
func TestConfigErrors(t *testing.T) {
	cert := testpeer.DefaultCA().Issue(testpeer.ECDSAP256)
	long := strings.Repeat("a", 255)
	for _, tc := range []struct {
		name, field, want string
		edit              func(*tls.Config)
	}{
		{"nil Verifier", "Config.Verifier", "nil", func(c *tls.Config) { c.InsecureSkipVerify = false }},
		{"SNI with NUL", "Config.ServerName", "NUL", func(c *tls.Config) { c.ServerName = "example.com\x00.evil" }},
		{"SNI with space", "Config.ServerName", "contains a space", func(c *tls.Config) { c.ServerName = "exa mple.com" }},
		{"SNI not ASCII", "Config.ServerName", "A-label", func(c *tls.Config) { c.ServerName = "bücher.example" }},
		{"SNI empty label", "Config.ServerName", "empty label", func(c *tls.Config) { c.ServerName = "a..b" }},
		{"SNI with slash", "Config.ServerName", "which no host name has", func(c *tls.Config) { c.ServerName = "example.com/x" }},
		{"SNI too long", "Config.ServerName", "253", func(c *tls.Config) { c.ServerName = long + ".com" }},
		{"SNI long label", "Config.ServerName", "63", func(c *tls.Config) { c.ServerName = strings.Repeat("a", 64) + ".com" }},
		{"duplicate suite", "Config.CipherSuites", "listed twice", func(c *tls.Config) {
			c.CipherSuites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_128_GCM_SHA256}
		}},
		{"duplicate group", "Config.CurvePreferences", "listed twice", func(c *tls.Config) {
			c.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256, tls.X25519}
		}},
		{"duplicate share", "Config.KeyShares", "listed twice", func(c *tls.Config) {
			c.KeyShares = []tls.CurveID{tls.X25519, tls.X25519}
		}},
		{"share not offered", "Config.KeyShares", "not in CurvePreferences", func(c *tls.Config) {
			c.CurvePreferences = []tls.CurveID{tls.X25519}
			c.KeyShares = []tls.CurveID{tls.CurveP256}
		}},
		{"empty ALPN", "Config.NextProtos", "1 to 255", func(c *tls.Config) { c.NextProtos = []string{"h2", ""} }},
		{"long ALPN", "Config.NextProtos", "1 to 255", func(c *tls.Config) { c.NextProtos = []string{long + "x"} }},
		{"duplicate ALPN", "Config.NextProtos", "listed twice", func(c *tls.Config) { c.NextProtos = []string{"h2", "http/1.1", "h2"} }},
		{"ALPN list too long", "Config.NextProtos", "room for", func(c *tls.Config) {
			c.NextProtos = []string{long[1:] + "1", long[1:] + "2", long[1:] + "3", long[1:] + "4", long[1:] + "5"}
		}},
		{"record size limit", "Config.RecordSizeLimit", "64 to 16385", func(c *tls.Config) { c.RecordSizeLimit = 63 }},
		{"certificate without chain", "Config.Certificates[0]", "no certificate", func(c *tls.Config) {
			c.Certificates = []tls.Certificate{{PrivateKey: cert.Key}}
		}},
		{"certificate without signer", "Config.Certificates[0]", "crypto.Signer", func(c *tls.Config) {
			c.Certificates = []tls.Certificate{{Certificate: cert.Chain, PrivateKey: "not a key"}}
		}},
		{"signature scheme not implemented", "Config.SignatureSchemes", "not a CertificateVerify scheme", func(c *tls.Config) {
			c.SignatureSchemes = []tls.SignatureScheme{tls.PKCS1WithSHA256}
		}},
		{"duplicate signature scheme", "Config.SignatureSchemes", "listed twice", func(c *tls.Config) {
			c.SignatureSchemes = []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256, tls.ECDSAWithP256AndSHA256}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{ServerName: "localhost", InsecureSkipVerify: true}
			tc.edit(cfg)
			check := func(how string, err error) {
				t.Helper()
				var ce *tls.ConfigError
				if !errors.As(err, &ce) || ce.Field != tc.field || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("%s: %v; want a *ConfigError for %s saying %q", how, err, tc.field, tc.want)
				}
				var ae *tls.AlertError
				if errors.As(err, &ae) {
					t.Fatalf("%s: a usage error is an *AlertError", how)
				}
			}
			var w recorder
			c := tls.Client(&w, cfg)
			check("Client", c.Handshake())
			_, err := c.Write([]byte("x"))
			check("Write", err)
			if w.Len() != 0 {
				t.Fatalf("Client sent %d octets", w.Len())
			}
			withCrypto := *cfg
			withCrypto.Crypto = tls.DefaultCrypto()
			_, err = tls.NewEngine(&withCrypto, tls.Buffers{Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, tls.MinWriteBuffer),
				HandshakeIn: make([]byte, tls.MinHandshakeIn), HandshakeOut: make([]byte, tls.MinHandshakeOut)})
			check("NewEngine", err)
		})
	}
	// What is fine: an IP address, a trailing dot, an underscore, a wildcard-free name.
	for _, name := range []string{"127.0.0.1", "::1", "example.com.", "_acme.example.com", "xn--bcher-kva.example", "localhost"} {
		if _, err := tls.NewEngine(&tls.Config{ServerName: name, InsecureSkipVerify: true, Crypto: tls.DefaultCrypto()}, tls.Buffers{Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, tls.MinWriteBuffer), HandshakeIn: make([]byte, tls.MinHandshakeIn), HandshakeOut: make([]byte, tls.MinHandshakeOut)}); err != nil {
			var ce *tls.ConfigError
			if errors.As(err, &ce) && ce.Field == "Config.ServerName" {
				t.Errorf("%q: %v", name, err)
			}
		}
	}
}

// TestBuffersErrorSaysSize: a too-small caller-owned buffer is a
// *ConfigError with the size it needs.
func TestBuffersErrorSaysSize(t *testing.T) {
	cfg := &tls.Config{InsecureSkipVerify: true, Crypto: tls.DefaultCrypto()}
	b := tls.Buffers{Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, tls.MinWriteBuffer),
		HandshakeIn: make([]byte, 100), HandshakeOut: make([]byte, tls.MinHandshakeOut)}
	_, err := tls.NewEngine(cfg, b)
	var ce *tls.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Buffers.HandshakeIn" || !strings.Contains(err.Error(), "100 octets; it needs at least 4096") {
		t.Fatalf("%v", err)
	}
}

// TestUsageErrors: writing before the handshake, after Close, and with
// a full buffer are sentinel errors, and send nothing.
func TestUsageErrors(t *testing.T) {
	cfg := &tls.Config{InsecureSkipVerify: true, Crypto: tls.DefaultCrypto()}
	e, err := tls.NewEngine(cfg, tls.Buffers{Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, tls.MinWriteBuffer),
		HandshakeIn: make([]byte, tls.MinHandshakeIn), HandshakeOut: make([]byte, tls.MinHandshakeOut)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.WriteApplicationData([]byte("x")); !errors.Is(err, tls.ErrNotConnected) {
		t.Fatalf("write before Start: %v", err)
	}
	if err := e.KeyUpdate(); !errors.Is(err, tls.ErrNotConnected) {
		t.Fatalf("KeyUpdate before Start: %v", err)
	}
	if len(e.Output()) != 0 || e.Err() != nil {
		t.Fatal("a usage error changed the Engine")
	}
	if err := e.OutputAck(1); !errors.Is(err, tls.ErrMisuse) {
		t.Fatalf("OutputAck out of range: %v", err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); !errors.Is(err, tls.ErrMisuse) {
		t.Fatalf("Start twice: %v", err)
	}
	if _, err := e.WriteApplicationData([]byte("x")); !errors.Is(err, tls.ErrNotConnected) {
		t.Fatalf("write during the handshake: %v", err)
	}

	// Against crypto/tls: Write after Close is ErrClosed, on tls.Conn and,
	// as net.ErrClosed, on tlsnet.Conn.
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	raw, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	c := tls.Client(raw, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := c.Write([]byte("x")); !errors.Is(err, tls.ErrClosed) {
		t.Fatalf("tls.Conn Write after Close: %v", err)
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, tls.ErrClosed) && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("tls.Conn Read after Close: %v", err)
	}
	nc, err := tlsnet.Dial("tcp", srv.Addr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	if _, err := nc.Write([]byte("x")); !errors.Is(err, net.ErrClosed) || !errors.Is(err, tls.ErrClosed) {
		t.Fatalf("tlsnet Write after Close: %v, want net.ErrClosed", err)
	}
	if err := nc.KeyUpdate(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("tlsnet KeyUpdate after Close: %v, want net.ErrClosed", err)
	}
}

// TestVerifierErrorCause: a Verifier's error reaches the caller typed
// through the *AlertError: x509's UnknownAuthorityError and HostnameError
// from x509verify against crypto/tls, and the pin mismatch with the
// server's actual pin.
func TestVerifierErrorCause(t *testing.T) {
	cert := testpeer.NewCA().Issue(testpeer.ECDSAP256) // not under DefaultCA
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: cert})
	err := dialGo(t, srv, &tls.Config{ServerName: "localhost", Verifier: x509verify.New(x509verify.Options{Roots: testpeer.DefaultCA().Pool})}, nil)
	var ua x509.UnknownAuthorityError
	var ae *tls.AlertError
	if !errors.As(err, &ua) || !errors.As(err, &ae) || ae.Alert != tls.AlertUnknownCA || ae.Received {
		t.Fatalf("unknown CA: %v", err)
	}
	err = dialGo(t, srv, &tls.Config{ServerName: "other.example", Verifier: x509verify.New(x509verify.Options{Roots: cert.CA.Pool})}, nil)
	var he x509.HostnameError
	if !errors.As(err, &he) || he.Host != "other.example" {
		t.Fatalf("wrong name: %v", err)
	}

	other := testpeer.DefaultCA().Issue(testpeer.ECDSAP384)
	err = dialGo(t, srv, &tls.Config{ServerName: "localhost", Verifier: pinOf(t, other)}, nil)
	var pe *tls.PinMismatchError
	want, _ := tls.PinFromCertificate(cert.Chain[0])
	if !errors.As(err, &pe) || pe.Pin != want || !errors.As(err, &ae) || ae.Alert != tls.AlertBadCertificate {
		t.Fatalf("pin mismatch: %v; want a *PinMismatchError with %s", err, want)
	}

	// A Verifier's own error, not an *AlertError, is the cause of a
	// bad_certificate.
	mine := errors.New("policy: this server is banned")
	err = dialGo(t, srv, &tls.Config{ServerName: "localhost", Verifier: verifierFunc(func(string, [][]byte) error { return mine })}, nil)
	if !errors.Is(err, mine) || !errors.As(err, &ae) || ae.Alert != tls.AlertBadCertificate {
		t.Fatalf("own error: %v", err)
	}
}

type verifierFunc func(string, [][]byte) error

func (f verifierFunc) Verify(name string, chain [][]byte) (crypto.PublicKey, error) {
	return nil, f(name, chain)
}
