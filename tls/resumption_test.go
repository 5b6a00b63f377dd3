package tls_test

import (
	"bytes"
	cryptotls "crypto/tls"
	"sync"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// slotCache is the single-slot cache firmware would keep in flash: every
// Put serializes the session, every Get parses it back.
type slotCache struct {
	mu   sync.Mutex
	key  string
	blob []byte
	puts int
}

func (c *slotCache) Put(key string, s *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.puts++
	if s == nil {
		c.blob = nil
		return
	}
	b, err := tls.MarshalClientSessionState(s)
	if err != nil {
		panic(err)
	}
	c.key, c.blob = key, b
}

func (c *slotCache) Get(key string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blob == nil || key != c.key {
		return nil, false
	}
	s, err := tls.ParseClientSessionState(c.blob)
	if err != nil {
		panic(err)
	}
	return s, true
}

func (c *slotCache) ticket() []byte {
	s, ok := c.Get(c.key)
	if !ok {
		return nil
	}
	return s.Ticket
}

func resumeConfig(ca *testpeer.CA, cache tls.ClientSessionCache) *tls.Config {
	return &tls.Config{
		ServerName:         "localhost",
		Verifier:           x509verify.New(x509verify.Options{Roots: ca.Pool}),
		Crypto:             tls.DefaultCrypto(),
		ClientSessionCache: cache,
	}
}

// TestResumeGoServer resumes sessions with the crypto/tls server: a full
// handshake fills the cache, the next ones resume with psk_dhe_ke, each
// with the ticket the one before received (tickets rotate), through a
// serialize/parse round trip of the session on every Put and Get.
func TestResumeGoServer(t *testing.T) {
	ca := testpeer.DefaultCA()
	for _, suite := range allSuites {
		t.Run(tls.CipherSuiteName(suite), func(t *testing.T) {
			srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: ca.Issue(testpeer.ECDSAP256)})
			cache := &slotCache{}
			cfg := resumeConfig(ca, cache)
			cfg.CipherSuites = []uint16{suite}
			st := exchange(t, srv.Addr, cfg)
			if res := srv.WaitHandshake(t); res.Err != nil || res.State.DidResume || st.DidResume {
				t.Fatalf("first handshake: server %v resumed %v, client resumed %v", res.Err, res.State.DidResume, st.DidResume)
			}
			if len(st.PeerCertificateChain) != 1 {
				t.Fatal("full handshake without the server's certificate")
			}
			leaf := st.PeerCertificateChain[0]
			prev := cache.ticket()
			if prev == nil {
				t.Fatal("no ticket cached after a full handshake")
			}
			for i := range 3 {
				st := exchange(t, srv.Addr, cfg)
				res := srv.WaitHandshake(t)
				if res.Err != nil || !res.State.DidResume {
					t.Fatalf("resumption %d: server err %v, resumed %v", i, res.Err, res.State.DidResume)
				}
				if !st.DidResume || st.DidExternalPSK || st.PSKMode != tls.PSKModeDHE || st.CipherSuite != suite {
					t.Fatalf("resumption %d: client state %+v", i, st)
				}
				// As crypto/tls: the chain of the first handshake, kept
				// in the session (through its serialization here).
				if len(st.PeerCertificateChain) != 1 || !bytes.Equal(st.PeerCertificateChain[0], leaf) {
					t.Fatalf("resumption %d: peer chain of %d certificates, not the first handshake's", i, len(st.PeerCertificateChain))
				}
				if st.PeerSignatureScheme != 0 {
					t.Fatal("a resumed handshake reported a CertificateVerify")
				}
				next := cache.ticket()
				if next == nil || bytes.Equal(next, prev) {
					t.Fatalf("resumption %d: the ticket did not rotate", i)
				}
				prev = next
			}
		})
	}
}

// TestResumeGoServerHRR: the server asks for another group after a PSK
// offer; ClientHello2 offers the PSK again with a binder over the new
// transcript (§4.1.4, §4.2.11.2), and the server accepts it.
func TestResumeGoServerHRR(t *testing.T) {
	ca := testpeer.DefaultCA()
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: ca.Issue(testpeer.ECDSAP256), CurvePreferences: []cryptotls.CurveID{cryptotls.CurveP256}})
	cfg := resumeConfig(ca, tls.NewLRUClientSessionCache(2))
	cfg.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
	exchange(t, srv.Addr, cfg)
	srv.WaitHandshake(t)
	st := exchange(t, srv.Addr, cfg)
	if res := srv.WaitHandshake(t); res.Err != nil || !res.State.DidResume {
		t.Fatalf("server: %v, resumed %v", res.Err, res.State.DidResume)
	}
	if !st.DidResume || !st.DidHelloRetryRequest || st.CurveID != tls.CurveP256 {
		t.Fatalf("client state %+v", st)
	}
}

// TestResumeGoServerDeclined: the server declines the PSK (a server with
// other ticket keys; a client offering psk_ke only, which crypto/tls does
// not do), and the client completes a full handshake that verifies the
// certificate.
func TestResumeGoServerDeclined(t *testing.T) {
	ca := testpeer.DefaultCA()
	cache := tls.NewLRUClientSessionCache(2)
	cfg := resumeConfig(ca, cache)
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: ca.Issue(testpeer.ECDSAP256)})
	exchange(t, srv.Addr, cfg)
	srv.WaitHandshake(t)

	other := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: ca.Issue(testpeer.ECDSAP256)})
	st := exchange(t, other.Addr, cfg)
	if res := other.WaitHandshake(t); res.Err != nil || res.State.DidResume {
		t.Fatalf("server: %v, resumed %v", res.Err, res.State.DidResume)
	}
	if st.DidResume || len(st.PeerCertificateChain) != 1 {
		t.Fatalf("declined PSK: client state %+v", st)
	}

	// psk_ke alone: no key share in ClientHello1, so the server that
	// declines asks for one.
	ke := resumeConfig(ca, cache)
	ke.ResumptionModes = []tls.PSKMode{tls.PSKModeKE}
	st = exchange(t, other.Addr, ke)
	if res := other.WaitHandshake(t); res.Err != nil || res.State.DidResume {
		t.Fatalf("server: %v, resumed %v", res.Err, res.State.DidResume)
	}
	if st.DidResume || !st.DidHelloRetryRequest || len(st.PeerCertificateChain) != 1 {
		t.Fatalf("psk_ke declined: client state %+v", st)
	}
}

// TestResumeExpired: a session past its ticket_lifetime (by Config.Time)
// is not offered.
func TestResumeExpired(t *testing.T) {
	ca := testpeer.DefaultCA()
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: ca.Issue(testpeer.ECDSAP256)})
	cache := &slotCache{}
	cfg := resumeConfig(ca, cache)
	exchange(t, srv.Addr, cfg)
	srv.WaitHandshake(t)
	s, _ := cache.Get("localhost")
	if s.Lifetime <= 0 || s.Lifetime > 7*24*time.Hour {
		t.Fatalf("lifetime %v", s.Lifetime)
	}
	later := s.ReceivedAt.Add(s.Lifetime + time.Second)
	cfg.Time = func() time.Time { return later }
	st := exchange(t, srv.Addr, cfg)
	if res := srv.WaitHandshake(t); res.State.DidResume || st.DidResume {
		t.Fatal("an expired session was resumed")
	}
}

// TestResumeTicketAge: obfuscated_ticket_age is the age in milliseconds
// by Config.Time plus ticket_age_add (§4.2.11.1), which the server checks
// for its 0-RTT window; here it is read back from the ClientHello.
func TestResumeTicketAge(t *testing.T) {
	s := &tls.ClientSessionState{Ticket: []byte("ticket"), PSK: make([]byte, 32), AgeAdd: 0xfffffff0,
		Lifetime: time.Hour, CipherSuite: tls.TLS_AES_128_GCM_SHA256, ServerName: "localhost", ReceivedAt: time.Unix(1000, 0)}
	cache := tls.NewLRUClientSessionCache(1)
	cache.Put("localhost", s)
	var age uint32
	var found bool
	cfg := &tls.Config{ServerName: "localhost", InsecureSkipVerify: true, Crypto: tls.DefaultCrypto(),
		ClientSessionCache: cache, Time: func() time.Time { return time.Unix(1000, 0).Add(1234 * time.Millisecond) },
		Trace: func(ev tls.TraceEvent) {
			if ev.Kind == tls.TraceHandshakeOut && ev.HandshakeType == uint8(wire.HandshakeTypeClientHello) {
				var ch wire.ClientHello
				if err := ch.Unmarshal(ev.Data[4:]); err != nil {
					t.Error(err)
					return
				}
				it := ch.Extensions.PreSharedKey.Identities.Iter()
				var id wire.PskIdentity
				found = it.Next(&id) && string(id.Identity) == "ticket"
				age = id.ObfuscatedTicketAge
			}
		}}
	e, err := tls.NewEngine(cfg, staticBuffers())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	if !found || age != uint32(1234+0xfffffff0-1<<32) {
		t.Fatalf("identity found %v, obfuscated age %#x", found, age)
	}
}

// TestSessionStateEncoding: MarshalClientSessionState round-trips, and
// ParseClientSessionState turns away other versions and damaged input.
func TestSessionStateEncoding(t *testing.T) {
	s := &tls.ClientSessionState{Ticket: []byte("t"), PSK: bytes.Repeat([]byte{7}, 48), AgeAdd: 9, Nonce: []byte{1},
		MaxEarlyDataSize: 16384, Lifetime: 2 * time.Hour, CipherSuite: tls.TLS_AES_256_GCM_SHA384, ServerName: "example.com",
		ReceivedAt: time.UnixMilli(1700000000123), PeerCertificateChain: [][]byte{[]byte("leaf"), []byte("intermediate")}}
	b, err := tls.MarshalClientSessionState(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tls.ParseClientSessionState(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.PSK, s.PSK) || !bytes.Equal(got.Ticket, s.Ticket) || !got.ReceivedAt.Equal(s.ReceivedAt) ||
		got.Lifetime != s.Lifetime || got.AgeAdd != 9 || got.MaxEarlyDataSize != 16384 || got.CipherSuite != s.CipherSuite || got.ServerName != s.ServerName ||
		len(got.PeerCertificateChain) != 2 || string(got.PeerCertificateChain[1]) != "intermediate" {
		t.Fatalf("round trip: %+v", got)
	}
	bad := append([]byte{2}, b[1:]...)
	if _, err := tls.ParseClientSessionState(bad); err != tls.ErrSessionState {
		t.Fatalf("version 2: %v", err)
	}
	for n := range len(b) {
		if _, err := tls.ParseClientSessionState(b[:n]); err != tls.ErrSessionState {
			t.Fatalf("truncated at %d: %v", n, err)
		}
	}
	for _, unfit := range []*tls.ClientSessionState{
		{Ticket: []byte("t")}, // no PSK
		{Ticket: make([]byte, 1<<16), PSK: s.PSK},
		{Ticket: []byte("t"), PSK: make([]byte, 256)},
		{Ticket: []byte("t"), PSK: s.PSK, Lifetime: 8 * 24 * time.Hour},
	} {
		if _, err := tls.MarshalClientSessionState(unfit); err == nil {
			t.Fatalf("serialized a session that cannot be read back: PSK %d, ticket %d octets", len(unfit.PSK), len(unfit.Ticket))
		}
	}
	if !s.Expired(s.ReceivedAt.Add(2*time.Hour)) || s.Expired(s.ReceivedAt.Add(time.Hour)) {
		t.Fatal("Expired")
	}
}

// TestLRUSessionCache: capacity, recency, deletion with nil.
func TestLRUSessionCache(t *testing.T) {
	c := tls.NewLRUClientSessionCache(2)
	a, b, d := &tls.ClientSessionState{}, &tls.ClientSessionState{}, &tls.ClientSessionState{}
	c.Put("a", a)
	c.Put("b", b)
	c.Get("a")
	c.Put("d", d) // evicts b, the least recently used
	if _, ok := c.Get("b"); ok {
		t.Fatal("b not evicted")
	}
	if s, ok := c.Get("a"); !ok || s != a {
		t.Fatal("a lost")
	}
	c.Put("a", nil)
	if _, ok := c.Get("a"); ok {
		t.Fatal("Put nil did not delete")
	}
}
