package tls_test

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/ed25519sig"
	"github.com/tabletls/tabletls/tls/hybrid"
	"github.com/tabletls/tabletls/tls/rsapss"
)

// p256Only is a firmware profile: one suite, one group, one signature.
func p256Only() *tls.Crypto {
	return &tls.Crypto{
		CipherSuites: []*tls.Suite{tls.AES128GCMSHA256()},
		KeyExchanges: []*tls.KeyExchange{tls.X25519KeyExchange()},
		Signatures:   []*tls.SignatureVerifier{tls.ECDSAP256SHA256Verifier()},
	}
}

func dialGo(t *testing.T, srv *testpeer.GoServer, cfg *tls.Config, b *tls.Buffers) error {
	t.Helper()
	raw, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	var c *tls.Conn
	if b != nil {
		c = tls.ClientWithBuffers(raw, cfg, *b)
	} else {
		c = tls.Client(raw, cfg)
	}
	defer c.Close()
	return c.Handshake()
}

func pinOf(t *testing.T, cert *testpeer.Cert) tls.Verifier {
	pin, err := tls.PinFromCertificate(cert.Chain[0])
	if err != nil {
		t.Fatal(err)
	}
	v, err := tls.NewPinVerifier(pin)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCryptoProfile: a P-256-only profile handshakes with a P-256 server;
// an RSA server finds no signature scheme in common (the ClientHello lists
// only ecdsa_secp256r1_sha256) and refuses it.
func TestCryptoProfile(t *testing.T) {
	ecdsaSrv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	cfg := &tls.Config{ServerName: "localhost", Verifier: pinOf(t, ecdsaSrv.Cert), Crypto: p256Only()}
	if err := dialGo(t, ecdsaSrv, cfg, nil); err != nil {
		t.Fatalf("P-256 server: %v", err)
	}
	rsaCert := testpeer.DefaultCA().Issue(testpeer.RSA2048)
	rsaSrv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: rsaCert})
	cfg = &tls.Config{ServerName: "localhost", Verifier: pinOf(t, rsaCert), Crypto: p256Only()}
	err := dialGo(t, rsaSrv, cfg, nil)
	var ae *tls.AlertError
	if !errors.As(err, &ae) || ae.Alert != tls.AlertHandshakeFailure || !ae.Received {
		t.Fatalf("RSA server with a P-256 profile: %v", err)
	}
	// The same with RSA-PSS named works.
	cfg.Crypto.Signatures = append(cfg.Crypto.Signatures, rsapss.RSAEWithSHA256())
	if err := dialGo(t, rsaSrv, cfg, nil); err != nil {
		t.Fatalf("RSA server with rsapss: %v", err)
	}
}

// TestCryptoDefault: with a nil Crypto, Client uses DefaultCrypto, which
// has the implementations of the packages this program imports.
func TestCryptoDefault(t *testing.T) {
	c := tls.DefaultCrypto()
	has := func(v *tls.SignatureVerifier) bool {
		for _, s := range c.Signatures {
			if s == v {
				return true
			}
		}
		return false
	}
	if !has(ed25519sig.Verifier()) || !has(rsapss.PSSWithSHA512()) || !has(tls.ECDSAP384SHA384Verifier()) {
		t.Error("DefaultCrypto lacks a signature scheme of an imported package")
	}
	hasHybrid := false
	for _, k := range c.KeyExchanges {
		hasHybrid = hasHybrid || k == hybrid.X25519MLKEM768()
	}
	if !hasHybrid || len(c.CipherSuites) != 3 {
		t.Errorf("DefaultCrypto: %d suites, hybrid %v", len(c.CipherSuites), hasHybrid)
	}
	rsaCert := testpeer.DefaultCA().Issue(testpeer.RSA2048)
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: rsaCert})
	if err := dialGo(t, srv, &tls.Config{ServerName: "localhost", Verifier: pinOf(t, rsaCert)}, nil); err != nil {
		t.Fatalf("Client with nil Crypto, RSA server: %v", err)
	}
}

// TestCryptoConfigErrors: ClientWithBuffers and NewEngine need a Crypto,
// and preferences must name implementations it has.
func TestCryptoConfigErrors(t *testing.T) {
	b := tls.Buffers{Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, tls.MinWriteBuffer),
		HandshakeIn: make([]byte, tls.MinHandshakeIn), HandshakeOut: make([]byte, tls.MinHandshakeOut)}
	_, err := tls.NewEngine(&tls.Config{InsecureSkipVerify: true}, b)
	var ce *tls.ConfigError
	if !errors.As(err, &ce) || ce.Field != "Config.Crypto" || err.Error() != "tls: invalid Config.Crypto: nil: ClientWithBuffers and NewEngine link only the cryptography the Config names; set Crypto (tls.DefaultCrypto() for all)" {
		t.Errorf("NewEngine without Crypto: %v", err)
	}
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	if err := dialGo(t, srv, &tls.Config{InsecureSkipVerify: true}, &b); err == nil || !strings.Contains(err.Error(), "Config.Crypto: nil") {
		t.Errorf("ClientWithBuffers without Crypto: %v", err)
	}
	for _, tc := range []struct {
		name string
		cfg  tls.Config
		want string
	}{
		{"suite", tls.Config{CipherSuites: []uint16{tls.TLS_AES_256_GCM_SHA384}}, "Config.CipherSuites: TLS_AES_256_GCM_SHA384 is not implemented by Config.Crypto"},
		{"group", tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP256}}, "Config.CurvePreferences: secp256r1 is not implemented"},
		{"hybrid", tls.Config{CurvePreferences: []tls.CurveID{tls.X25519MLKEM768}}, "tls/hybrid"},
		{"duplicate suite", tls.Config{CipherSuites: []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_128_GCM_SHA256}}, "Config.CipherSuites: TLS_AES_128_GCM_SHA256 is listed twice"},
	} {
		cfg := tc.cfg
		cfg.InsecureSkipVerify, cfg.Crypto = true, p256Only()
		if _, err := tls.NewEngine(&cfg, b); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// Nil preferences are the defaults this Crypto implements.
	cfg := &tls.Config{InsecureSkipVerify: true, Crypto: p256Only()}
	if _, err := tls.NewEngine(cfg, b); err != nil {
		t.Errorf("defaults: %v", err)
	}
	cfg.Crypto.KeyExchanges = []*tls.KeyExchange{hybrid.X25519MLKEM768()} // no default group
	if _, err := tls.NewEngine(cfg, b); err != nil {
		t.Errorf("only a non-default group: %v", err)
	}
}
