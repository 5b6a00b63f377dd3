package tls_test

import (
	"bufio"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/x509verify"
)

var (
	testPSKIdentity = []byte("device-0042")
	testPSKKey      = []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31}
)

const testPSKHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

// dialPSK connects cfg to addr and handshakes, returning the error.
func dialPSK(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	c, err := dialPSKNoHandshake(t, addr, cfg)
	if err != nil {
		return nil, err
	}
	return c, c.Handshake()
}

func dialPSKNoHandshake(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	c := tls.Client(raw, cfg)
	t.Cleanup(func() { c.Close() })
	return c, nil
}

// TestExternalPSKOpenSSL: an external PSK with psk_ke, psk_dhe_ke and
// both, against openssl s_server -psk -psk_identity; no Verifier is
// configured, since the PSK authenticates the server.
func TestExternalPSKOpenSSL(t *testing.T) {
	for _, tc := range []struct {
		name  string
		modes []tls.PSKMode
		want  tls.PSKMode
	}{
		{"psk_ke", []tls.PSKMode{tls.PSKModeKE}, tls.PSKModeKE},
		{"psk_dhe_ke", []tls.PSKMode{tls.PSKModeDHE}, tls.PSKModeDHE},
		{"default", nil, tls.PSKModeDHE},
		// OpenSSL prefers psk_dhe_ke when the client allows both.
		{"both", []tls.PSKMode{tls.PSKModeKE, tls.PSKModeDHE}, tls.PSKModeDHE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, NoTickets: true,
				ExtraArgs: []string{"-psk", testPSKHex, "-psk_identity", string(testPSKIdentity), "-allow_no_dhe_kex"}})
			cfg := &tls.Config{ServerName: "localhost", Crypto: tls.DefaultCrypto(),
				ExternalPSK: &tls.ExternalPSK{Identity: testPSKIdentity, Key: testPSKKey, Modes: tc.modes}}
			c, err := dialPSK(t, srv.Addr, cfg)
			if err != nil {
				t.Fatalf("handshake: %v\n%s", err, srv.Output())
			}
			reverseLine(t, c, bufio.NewReader(c), "reading 21.5C")
			st := c.ConnectionState()
			if !st.DidExternalPSK || st.DidResume || st.PSKMode != tc.want || len(st.PeerCertificateChain) != 0 {
				t.Fatalf("state %+v", st)
			}
		})
	}
}

// TestExternalPSKDeclinedOpenSSL: a server that does not know the
// identity does a certificate handshake, which the client verifies with
// its Verifier, or refuses without one.
func TestExternalPSKDeclinedOpenSSL(t *testing.T) {
	srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, NoTickets: true,
		ExtraArgs: []string{"-psk", testPSKHex, "-psk_identity", "someone-else"}})
	cfg := &tls.Config{ServerName: "localhost", Crypto: tls.DefaultCrypto(),
		ExternalPSK: &tls.ExternalPSK{Identity: testPSKIdentity, Key: testPSKKey}}
	_, err := dialPSK(t, srv.Addr, cfg)
	var ae *tls.AlertError
	if !errors.As(err, &ae) || ae.Alert != tls.AlertHandshakeFailure || ae.Received {
		t.Fatalf("declined PSK without a Verifier: %v", err)
	}
	cfg.Verifier = x509verify.New(x509verify.Options{Roots: srv.Cert.CA.Pool})
	c, err := dialPSK(t, srv.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	reverseLine(t, c, bufio.NewReader(c), "hello")
	if st := c.ConnectionState(); st.DidExternalPSK || len(st.PeerCertificateChain) != 1 {
		t.Fatalf("state %+v", st)
	}
}

// TestResumeOpenSSL resumes OpenSSL's tickets with psk_dhe_ke and with
// psk_ke (-allow_no_dhe_kex), which crypto/tls servers do not do.
func TestResumeOpenSSL(t *testing.T) {
	for _, mode := range []tls.PSKMode{tls.PSKModeDHE, tls.PSKModeKE} {
		t.Run(mode.String(), func(t *testing.T) {
			srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, ExtraArgs: []string{"-allow_no_dhe_kex"}})
			cache := &slotCache{}
			cfg := resumeConfig(srv.Cert.CA, cache)
			cfg.ResumptionModes = []tls.PSKMode{mode}
			for i := range 3 {
				c, err := dialPSK(t, srv.Addr, cfg)
				if err != nil {
					t.Fatalf("handshake %d: %v\n%s", i, err, srv.Output())
				}
				reverseLine(t, c, bufio.NewReader(c), "ping") // reads the tickets too
				st := c.ConnectionState()
				c.Close()
				if st.DidResume != (i > 0) || i > 0 && st.PSKMode != mode {
					t.Fatalf("handshake %d: state %+v", i, st)
				}
				if cache.ticket() == nil {
					t.Fatalf("handshake %d: no ticket", i)
				}
			}
		})
	}
}

// TestExternalPSKGnuTLS: external PSK with psk_dhe_ke and psk_ke against
// gnutls-serv --pskpasswd.
func TestExternalPSKGnuTLS(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "psk.txt")
	if err := os.WriteFile(pw, []byte(string(testPSKIdentity)+":"+testPSKHex+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := testpeer.StartGnuTLS(t, nil, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+PSK:+DHE-PSK:+ECDHE-PSK", "--pskpasswd", pw)
	for _, tc := range []struct {
		modes []tls.PSKMode
		want  tls.PSKMode
	}{{[]tls.PSKMode{tls.PSKModeDHE}, tls.PSKModeDHE}, {[]tls.PSKMode{tls.PSKModeKE}, tls.PSKModeKE}} {
		t.Run(tc.want.String(), func(t *testing.T) {
			cfg := &tls.Config{ServerName: "localhost", Crypto: tls.DefaultCrypto(),
				ExternalPSK: &tls.ExternalPSK{Identity: testPSKIdentity, Key: testPSKKey, Modes: tc.modes}}
			c, err := dialPSK(t, srv.Addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Write([]byte("echo me\n")); err != nil {
				t.Fatal(err)
			}
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || line != "echo me\n" {
				t.Fatalf("echo %q %v", line, err)
			}
			if st := c.ConnectionState(); !st.DidExternalPSK || st.PSKMode != tc.want {
				t.Fatalf("state %+v", st)
			}
		})
	}
}
