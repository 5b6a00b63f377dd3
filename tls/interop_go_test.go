package tls_test

import (
	"bytes"
	cryptotls "crypto/tls"
	"io"
	"net"
	"testing"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	_ "github.com/tabletls/tabletls/tls/ed25519sig"
	_ "github.com/tabletls/tabletls/tls/hybrid"
	_ "github.com/tabletls/tabletls/tls/rsapss"
	"github.com/tabletls/tabletls/tls/x509verify"
)

var (
	allSuites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}
	allGroups = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.X25519MLKEM768}
)

// goCurve maps our group to crypto/tls's name for it.
func goCurve(g tls.CurveID) cryptotls.CurveID { return cryptotls.CurveID(g) }

// TestInteropGoServer runs the full matrix of RFC 8446 options against the
// crypto/tls server: every suite × group × server key type × client auth ×
// HelloRetryRequest × ALPN, with real chain verification, data both ways and
// a clean close.
func TestInteropGoServer(t *testing.T) {
	ca := testpeer.DefaultCA()
	for _, kt := range testpeer.KeyTypes() {
		for _, clientAuth := range []bool{false, true} {
			for _, hrr := range []bool{false, true} {
				for _, alpn := range []bool{false, true} {
					name := kt.String() + map[bool]string{false: "/noauth", true: "/clientauth"}[clientAuth] +
						map[bool]string{false: "/nohrr", true: "/hrr"}[hrr] + map[bool]string{false: "/noalpn", true: "/alpn"}[alpn]
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						for _, g := range allGroups {
							opts := testpeer.GoServerOptions{Cert: ca.Issue(kt), CurvePreferences: []cryptotls.CurveID{goCurve(g)}}
							if clientAuth {
								opts.ClientAuth = cryptotls.RequireAndVerifyClientCert
							}
							if alpn {
								opts.NextProtos = []string{"mqtt", "h2"}
							}
							srv := testpeer.StartGoServer(t, opts)
							for _, suite := range allSuites {
								cfg := &tls.Config{
									ServerName:       "localhost",
									CipherSuites:     []uint16{suite},
									CurvePreferences: []tls.CurveID{g},
									Verifier:         x509verify.New(x509verify.Options{Roots: ca.Pool}),
									Crypto:           tls.DefaultCrypto(),
								}
								if hrr {
									other := tls.X25519
									if g == tls.X25519 {
										other = tls.CurveP256
									}
									cfg.CurvePreferences = []tls.CurveID{other, g}
									cfg.KeyShares = []tls.CurveID{other}
								}
								if clientAuth {
									cc := ca.Issue(kt)
									cfg.Certificates = []tls.Certificate{{Certificate: cc.Chain, PrivateKey: cc.Key}}
								}
								if alpn {
									cfg.NextProtos = []string{"h2", "http/1.1"}
								}
								state := exchange(t, srv.Addr, cfg)
								res := srv.WaitHandshake(t)
								if res.Err != nil {
									t.Fatalf("%v/%v: server: %v", suite, g, res.Err)
								}
								if state.CipherSuite != suite || state.CurveID != g || state.DidHelloRetryRequest != hrr {
									t.Fatalf("%v/%v: got suite %v group %v hrr %v", tls.CipherSuiteName(suite), g, tls.CipherSuiteName(state.CipherSuite), state.CurveID, state.DidHelloRetryRequest)
								}
								if alpn && state.NegotiatedProtocol != "h2" || !alpn && state.NegotiatedProtocol != "" {
									t.Fatalf("ALPN %q", state.NegotiatedProtocol)
								}
								if clientAuth != (len(res.State.PeerCertificates) == 1) || clientAuth != state.ClientCertificateSent {
									t.Fatalf("client auth: server saw %d certs, client sent %v", len(res.State.PeerCertificates), state.ClientCertificateSent)
								}
								if len(state.PeerCertificateChain) != 1 || !bytes.Equal(state.PeerCertificateChain[0], srv.Cert.Chain[0]) {
									t.Fatal("peer certificates not reported")
								}
							}
						}
					})
				}
			}
		}
	}
}

// exchange handshakes, sends 20000 bytes (several records) to an echo
// server, reads them back, closes, and returns the connection state.
func exchange(t *testing.T, addr string, cfg *tls.Config) tls.ConnectionState {
	t.Helper()
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := tls.Client(raw, cfg)
	defer c.Close()
	if err := c.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	msg := bytes.Repeat([]byte("telemetry "), 2000)
	go func() { c.Write(msg) }()
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read: %v", err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatal("echo mismatch")
	}
	state := c.ConnectionState()
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return state
}
