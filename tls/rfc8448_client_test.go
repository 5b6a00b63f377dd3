package tls

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"io"
	"testing"

	"github.com/tabletls/tabletls/internal/rfc8448"
	"github.com/tabletls/tabletls/internal/wire"
)

// traceSigner stands in for the RFC 8448 §6 client key, which the RFC does
// not give: it has the certificate's public key and returns the trace's
// signature, so every byte the client sends can be compared.
type traceSigner struct {
	pub crypto.PublicKey
	sig []byte
}

func (s traceSigner) Public() crypto.PublicKey                                  { return s.pub }
func (s traceSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return s.sig, nil }

// firstCertificate returns the first cert_data of a Certificate message.
func firstCertificate(t *testing.T, msg []byte) []byte {
	t.Helper()
	var c wire.Certificate
	if err := c.Unmarshal(msg[4:]); err != nil {
		t.Fatal(err)
	}
	var e wire.CertificateEntry
	it := c.CertificateList.Iter()
	if !it.Next(&e) {
		t.Fatal("no certificate")
	}
	return e.CertData
}

// TestRFC8448Client runs the client through the traces of RFC 8448 and
// checks every record it sends, byte for byte, and every secret.
func TestRFC8448Client(t *testing.T) {
	for _, tc := range []struct {
		section int
		compat  bool
	}{{3, false}, {5, false}, {6, false}, {7, true}} {
		t.Run("section"+string(rune('0'+tc.section)), func(t *testing.T) {
			s := rfc8448.Get(tc.section)
			ch1 := s.Value("client_hello")
			// The randomness the client draws, in order: random, session id
			// (compatibility mode), key share, and after an HRR the new share.
			var rnd bytes.Buffer
			rnd.Write(ch1[6:38])
			if tc.compat {
				rnd.Write(ch1[39:71])
			}
			rnd.Write(s.Value("client_x25519_private"))
			if s.Has("client_p256_private") {
				rnd.Write(s.Value("client_p256_private"))
			}
			pin, err := PinFromCertificate(firstCertificate(t, s.Value("server_certificate")))
			if err != nil {
				t.Fatal(err)
			}
			verifier, _ := NewPinVerifier(pin)
			var tickets []*ClientSessionState
			var keyLog bytes.Buffer
			cfg := &Config{
				ServerName:             "server",
				Verifier:               verifier,
				Rand:                   &rnd,
				RecordSizeLimit:        0x4001,
				DisableMiddleboxCompat: !tc.compat,
				KeyLogWriter:           &keyLog,
				OnNewSessionTicket:     func(st *ClientSessionState) { tickets = append(tickets, st) },
			}
			if s.Has("client_certificate") {
				der := firstCertificate(t, s.Value("client_certificate"))
				cert, err := x509.ParseCertificate(der)
				if err != nil {
					t.Fatal(err)
				}
				var cv wire.CertificateVerify
				if err := cv.Unmarshal(s.Value("client_certificate_verify")[4:]); err != nil {
					t.Fatal(err)
				}
				cfg.Certificates = []Certificate{{Certificate: [][]byte{der}, PrivateKey: traceSigner{cert.PublicKey, cv.Signature}}}
			}
			cfg.Crypto = testCrypto
			x, err := NewEngine(cfg, newBuffers())
			if err != nil {
				t.Fatal(err)
			}
			x.e.testHookClientHello = func(n int) []byte {
				if n == 2 {
					return s.Value("client_hello_2")
				}
				return ch1
			}
			if err := x.Start(); err != nil {
				t.Fatal(err)
			}
			for i, r := range s.Records {
				if r.Sender == "server" {
					inputServerRecord(t, x, i, r)
					continue
				}
				switch r.InnerContentType {
				case "application_data":
					if n, err := x.WriteApplicationData(r.Payload()); err != nil || n != len(r.Payload()) {
						t.Fatalf("write: %d, %v", n, err)
					}
				case "alert":
					if err := x.Close(); err != nil {
						t.Fatalf("close: %v", err)
					}
				}
				out := x.Output()
				if !bytes.HasPrefix(out, r.Wire()) {
					t.Fatalf("record %d (%v): the client sent\n%x\nwant\n%x", i, r.HandshakeMessages, out, r.Wire())
				}
				x.OutputAck(len(r.Wire()))
			}
			if len(x.Output()) != 0 {
				t.Fatalf("extra output %x", x.Output())
			}
			if x.Err() != nil || !x.PeerClosed() || x.State() != StateClosed {
				t.Fatalf("end: err %v, peer closed %v, state %v", x.Err(), x.PeerClosed(), x.State())
			}

			// The secrets, as the key log shows them (NSS format).
			checkKeyLog(t, keyLog.Bytes(), ch1[6:38], s, map[string]string{
				"CLIENT_HANDSHAKE_TRAFFIC_SECRET": "client_handshake_traffic_secret",
				"SERVER_HANDSHAKE_TRAFFIC_SECRET": "server_handshake_traffic_secret",
				"CLIENT_TRAFFIC_SECRET_0":         "client_application_traffic_secret_0",
				"SERVER_TRAFFIC_SECRET_0":         "server_application_traffic_secret_0",
				"EXPORTER_SECRET":                 "exporter_master_secret",
			})
			if s.Has("new_session_ticket") {
				if len(tickets) != 1 || !bytes.Equal(tickets[0].PSK, s.Value("resumption_psk")) {
					t.Fatalf("tickets %v: PSK is not the trace's resumption_psk", tickets)
				}
			}
			st := x.ConnectionState()
			if st.DidHelloRetryRequest != s.Has("hello_retry_request") || st.ClientCertificateSent != s.Has("client_certificate") {
				t.Fatalf("state %+v", st)
			}
		})
	}
}

// inputServerRecord gives the Engine the server's record i of a trace and
// checks that it takes all of it and delivers its application data.
func inputServerRecord(t *testing.T, x *Engine, i int, r rfc8448.Record) {
	t.Helper()
	if n, err := x.Input(r.Wire()); err != nil || n != len(r.Wire()) {
		t.Fatalf("record %d from the server: took %d, %v", i, n, err)
	}
	if r.InnerContentType == "application_data" {
		if got := x.ApplicationData(); !bytes.Equal(got, r.Payload()) {
			t.Fatalf("record %d: application data %x", i, got)
		}
		x.ApplicationDataAck(len(r.Payload()))
	}
}

// checkKeyLog checks that keyLog has a line for each NSS label of secrets
// with the ClientHello's random and the value of the section's secret.
func checkKeyLog(t *testing.T, keyLog, random []byte, s *rfc8448.Section, secrets map[string]string) {
	t.Helper()
	for label, name := range secrets {
		line := label + " " + hex.EncodeToString(random) + " " + hex.EncodeToString(s.Value(name)) + "\n"
		if !bytes.Contains(keyLog, []byte(line)) {
			t.Errorf("key log lacks %s", line)
		}
	}
}
