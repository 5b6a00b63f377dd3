package tls

import (
	"bytes"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/rfc8448"
	"github.com/tabletls/tabletls/internal/wire"
)

// TestRFC8448Resumed0RTT runs the client through RFC 8448 §4, the resumed
// 0-RTT handshake, with the session of §3's NewSessionTicket: every record
// it sends must be the trace's, byte for byte. The ClientHello's binder is
// computed by the client over the truncated ClientHello (the test hook
// gives the trace's ClientHello with a zeroed binder), and
// the early data, EndOfEarlyData and Finished follow from the secrets it
// derives from there.
func TestRFC8448Resumed0RTT(t *testing.T) {
	s3, s := rfc8448.Get(3), rfc8448.Get(4)
	var nst wire.NewSessionTicket
	if err := nst.Unmarshal(s3.Value("new_session_ticket")[4:]); err != nil {
		t.Fatal(err)
	}
	ch := s.Value("client_hello")
	var hello wire.ClientHello
	if err := hello.Unmarshal(ch[4:]); err != nil {
		t.Fatal(err)
	}
	var id wire.PskIdentity
	it := hello.Extensions.PreSharedKey.Identities.Iter()
	if !it.Next(&id) || !bytes.Equal(id.Identity, nst.Ticket) {
		t.Fatal("§4's wire.ClientHello does not carry §3's ticket")
	}
	// The ticket's age that gives the trace's obfuscated_ticket_age.
	now := time.Unix(1700000000, 0)
	age := time.Duration(id.ObfuscatedTicketAge-nst.TicketAgeAdd) * time.Millisecond
	session := &ClientSessionState{
		Ticket: bytes.Clone(nst.Ticket), Lifetime: time.Duration(nst.TicketLifetime) * time.Second, AgeAdd: nst.TicketAgeAdd,
		Nonce: bytes.Clone(nst.TicketNonce), MaxEarlyDataSize: nst.Extensions.EarlyData.MaxEarlyDataSize,
		PSK: s3.Value("resumption_psk"), CipherSuite: TLS_AES_128_GCM_SHA256, ServerName: "server", ReceivedAt: now.Add(-age),
	}
	if !bytes.Equal(session.PSK, s.Value("early_secret_ikm_psk")) {
		t.Fatal("§3's resumption PSK is not §4's")
	}
	cache := NewLRUClientSessionCache(1)
	cache.Put("server", session)

	var rnd bytes.Buffer
	rnd.Write(ch[6:38])
	rnd.Write(s.Value("client_x25519_private"))
	pin, err := PinFromCertificate(firstCertificate(t, s3.Value("server_certificate")))
	if err != nil {
		t.Fatal(err)
	}
	verifier, _ := NewPinVerifier(pin)
	var keyLog bytes.Buffer
	cfg := &Config{
		ServerName:             "server",
		Verifier:               verifier,
		Rand:                   &rnd,
		Time:                   func() time.Time { return now },
		RecordSizeLimit:        0x4001,
		DisableMiddleboxCompat: true,
		KeyLogWriter:           &keyLog,
		ClientSessionCache:     cache,
		Crypto:                 testCrypto,
	}
	x, err := NewEngine(cfg, newBuffers())
	if err != nil {
		t.Fatal(err)
	}
	// The trace's ClientHello with its binder zeroed: the client must
	// compute it (and compare equal to the trace's psk_binder).
	x.e.testHookClientHello = func(int) []byte {
		m := bytes.Clone(ch)
		clear(m[len(m)-32:])
		return m
	}
	if !bytes.Equal(ch[len(ch)-32:], s.Value("psk_binder")) {
		t.Fatal("the binder is not the last 32 octets of the ClientHello")
	}
	var early []byte
	for _, r := range s.Records {
		if r.Key == "client_early_write_key" && r.InnerContentType == "application_data" {
			early = r.Payload()
		}
	}
	if err := x.SetEarlyData(early); err != nil {
		t.Fatal(err)
	}
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	if _, ok := cache.Get("server"); ok {
		t.Fatal("the session used for 0-RTT is still in the cache")
	}
	for i, r := range s.Records {
		if r.Sender == "server" {
			inputServerRecord(t, x, i, r)
			continue
		}
		switch {
		case r.Key == "client_early_write_key": // sent by Start, or with the client's Finished
		case r.InnerContentType == "application_data":
			if n, err := x.WriteApplicationData(r.Payload()); err != nil || n != len(r.Payload()) {
				t.Fatalf("write: %d, %v", n, err)
			}
		case r.InnerContentType == "alert":
			if err := x.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
		}
		out := x.Output()
		if !bytes.HasPrefix(out, r.Wire()) {
			t.Fatalf("record %d (%v %v): the client sent\n%x\nwant\n%x", i, r.InnerContentType, r.HandshakeMessages, out, r.Wire())
		}
		x.OutputAck(len(r.Wire()))
	}
	if len(x.Output()) != 0 {
		t.Fatalf("extra output %x", x.Output())
	}
	if x.Err() != nil || !x.PeerClosed() || x.State() != StateClosed {
		t.Fatalf("end: err %v, peer closed %v, state %v", x.Err(), x.PeerClosed(), x.State())
	}
	st := x.ConnectionState()
	if !st.DidResume || st.PSKMode != PSKModeDHE || !st.EarlyDataAccepted || len(st.PeerCertificateChain) != 0 {
		t.Fatalf("state %+v", st)
	}
	checkKeyLog(t, keyLog.Bytes(), ch[6:38], s, map[string]string{
		"CLIENT_EARLY_TRAFFIC_SECRET":     "client_early_traffic_secret",
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET": "client_handshake_traffic_secret",
		"SERVER_HANDSHAKE_TRAFFIC_SECRET": "server_handshake_traffic_secret",
		"CLIENT_TRAFFIC_SECRET_0":         "client_application_traffic_secret_0",
		"SERVER_TRAFFIC_SECRET_0":         "server_application_traffic_secret_0",
		"EXPORTER_SECRET":                 "exporter_master_secret",
	})
}
