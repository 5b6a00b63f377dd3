package tlsserver_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// PSK, resumption and 0-RTT (RFC 8446 §2.2, §2.3, §4.2.9 to §4.2.11)
// against the scripted server: the paths a correct server takes, checked
// from both sides, then one rule broken per case.

var testPSK = bytes.Repeat([]byte{0x42}, 32)

const ht_EOED = wire.HandshakeTypeEndOfEarlyData

// withSession gives the client a session for the server's PSK (a ticket
// the scripted server takes at face value), allowing 0-RTT.
func withSession(suite uint16, alpn string, modes ...tls.PSKMode) func(*tls.Config) {
	return func(cfg *tls.Config) {
		cache := tls.NewLRUClientSessionCache(1)
		cache.Put(cfg.ServerName, &tls.ClientSessionState{Ticket: []byte("tlsserver ticket 0"), PSK: testPSK,
			Lifetime: time.Hour, AgeAdd: 7, MaxEarlyDataSize: 1024, CipherSuite: suite, ServerName: cfg.ServerName,
			NegotiatedProtocol: alpn, ReceivedAt: tlsserver.FixedTime.Add(-time.Minute)})
		cfg.ClientSessionCache = cache
		cfg.ResumptionModes = modes
		if alpn != "" {
			cfg.NextProtos = []string{alpn, "h2"}
		}
	}
}

func withExternalPSK(modes ...tls.PSKMode) func(*tls.Config) {
	return func(cfg *tls.Config) {
		cfg.Verifier = nil
		cfg.ExternalPSK = &tls.ExternalPSK{Identity: []byte("device-7"), Key: testPSK, Modes: modes}
	}
}

// conversePSK is converse with early data given before the handshake.
func conversePSK(t *testing.T, name string, opts tlsserver.Options, cfgFn func(*tls.Config), early []byte) (*tlsserver.Result, *tlsserver.Pipe) {
	t.Helper()
	cfg := tlsserver.ClientConfig(name)
	cfgFn(cfg)
	p, err := tlsserver.NewPipe(cfg, tlsserver.New(opts))
	if err != nil {
		t.Fatal(err)
	}
	if early != nil {
		if err := p.Client.SetEarlyData(early); err != nil {
			t.Fatal(err)
		}
	}
	p.Handshake()
	if p.Err() == nil && p.Client.HandshakeComplete() {
		p.ClientWrite(tlsserver.Probe)
	}
	return p.Result(), p
}

func TestPSKHappy(t *testing.T) {
	reading := []byte("t=21.5C seq=1")
	for _, c := range []struct {
		name      string
		opts      tlsserver.Options
		cfg       func(*tls.Config)
		early     []byte
		mode      tls.PSKMode
		resume    bool
		accepted  bool // early data
		hrr       bool
		declined  bool // full handshake
		earlySent bool // the server saw early_data in ClientHello1
	}{
		{name: "resume/psk_dhe_ke", opts: tlsserver.Options{PSK: testPSK}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, ""), mode: tls.PSKModeDHE, resume: true},
		{name: "resume/psk_ke", opts: tlsserver.Options{PSK: testPSK, PSKKE: true}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, "", tls.PSKModeKE), mode: tls.PSKModeKE, resume: true},
		{name: "resume/both-modes-server-prefers-ke", opts: tlsserver.Options{PSK: testPSK, PSKKE: true}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, "", tls.PSKModeKE, tls.PSKModeDHE), mode: tls.PSKModeKE, resume: true},
		{name: "resume/declined", opts: tlsserver.Options{}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, ""), declined: true},
		// §4.1.4, §4.2.11.2: the binder of ClientHello2 is over the new
		// transcript; the server checks it and accepts the PSK.
		{name: "resume/hrr", opts: tlsserver.Options{PSK: testPSK, HelloRetryRequest: true}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, ""), mode: tls.PSKModeDHE, resume: true, hrr: true},
		{name: "resume/hrr-cookie-compat", opts: tlsserver.Options{PSK: testPSK, HelloRetryRequest: true, HRRCookie: []byte("c"), MiddleboxCCS: true}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, ""), mode: tls.PSKModeDHE, resume: true, hrr: true},
		// psk_ke alone sends no key share: a declining server asks for one.
		{name: "resume/psk_ke-declined", opts: tlsserver.Options{}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, "", tls.PSKModeKE), declined: true, hrr: true},
		{name: "external/psk_dhe_ke", opts: tlsserver.Options{PSK: testPSK, ExternalPSK: true}, cfg: withExternalPSK(), mode: tls.PSKModeDHE},
		{name: "external/psk_ke", opts: tlsserver.Options{PSK: testPSK, ExternalPSK: true, PSKKE: true}, cfg: withExternalPSK(tls.PSKModeKE), mode: tls.PSKModeKE},
		{name: "early/accepted", opts: tlsserver.Options{PSK: testPSK, AcceptEarlyData: true}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, ""), early: reading, mode: tls.PSKModeDHE, resume: true, accepted: true, earlySent: true},
		{name: "early/accepted-psk_ke-compat", opts: tlsserver.Options{PSK: testPSK, PSKKE: true, AcceptEarlyData: true}, cfg: func(c *tls.Config) {
			withSession(tls.TLS_AES_128_GCM_SHA256, "", tls.PSKModeKE)(c)
		}, early: reading, mode: tls.PSKModeKE, resume: true, accepted: true, earlySent: true},
		{name: "early/accepted-alpn", opts: tlsserver.Options{PSK: testPSK, AcceptEarlyData: true, ALPN: "mqtt"}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, "mqtt"), early: reading, mode: tls.PSKModeDHE, resume: true, accepted: true, earlySent: true},
		{name: "early/rejected-psk-accepted", opts: tlsserver.Options{PSK: testPSK}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, ""), early: reading, mode: tls.PSKModeDHE, resume: true, earlySent: true},
		{name: "early/rejected-psk-declined", opts: tlsserver.Options{}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, ""), early: reading, declined: true, earlySent: true},
		{name: "early/rejected-by-hrr", opts: tlsserver.Options{PSK: testPSK, AcceptEarlyData: true, HelloRetryRequest: true}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, ""), early: reading, mode: tls.PSKModeDHE, resume: true, hrr: true, earlySent: true},
		// Not offered: more than the ticket allows, or an ALPN protocol
		// the Config no longer offers.
		{name: "early/too-large", opts: tlsserver.Options{PSK: testPSK, AcceptEarlyData: true}, cfg: withSession(tls.TLS_AES_128_GCM_SHA256, ""), early: make([]byte, 1025), mode: tls.PSKModeDHE, resume: true},
		{name: "early/alpn-gone", opts: tlsserver.Options{PSK: testPSK, AcceptEarlyData: true}, cfg: func(c *tls.Config) {
			withSession(tls.TLS_AES_128_GCM_SHA256, "mqtt")(c)
			c.NextProtos = []string{"h2"}
		}, early: reading, mode: tls.PSKModeDHE, resume: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, p := conversePSK(t, c.name, c.opts, c.cfg, c.early)
			checkOK(t, r)
			st := p.Client.ConnectionState()
			psk := !c.declined
			if st.DidResume != (psk && c.resume) || st.DidExternalPSK != (psk && !c.resume) || psk && st.PSKMode != c.mode {
				t.Fatalf("client state %+v", st)
			}
			if p.Server.PSKAccepted() != psk || (len(st.PeerCertificateChain) == 0) != psk {
				t.Fatalf("server accepted %v, client got %d certificates", p.Server.PSKAccepted(), len(st.PeerCertificateChain))
			}
			if st.DidHelloRetryRequest != c.hrr || st.EarlyDataAccepted != c.accepted || p.Server.EarlyDataAccepted() != c.accepted {
				t.Fatalf("hrr %v, early data accepted by the client %v, by the server %v", st.DidHelloRetryRequest, st.EarlyDataAccepted, p.Server.EarlyDataAccepted())
			}
			if c.accepted && !bytes.Equal(p.Server.EarlyData(), c.early) || !c.accepted && len(p.Server.EarlyData()) != 0 {
				t.Fatalf("server read early data %q", p.Server.EarlyData())
			}
			var ch1 wire.ClientHello
			must(ch1.Unmarshal(p.Server.Messages()[0].Body))
			if ch1.Extensions.Has(wire.ExtensionTypeEarlyData) != c.earlySent {
				t.Fatalf("early_data in ClientHello1: %v", !c.earlySent)
			}
			eoed := 0
			for _, m := range p.Server.Messages() {
				if m.Type == ht_EOED {
					eoed++
				}
			}
			if eoed != map[bool]int{false: 0, true: 1}[c.accepted] {
				t.Fatalf("%d EndOfEarlyData", eoed)
			}
			if !bytes.Contains(p.Server.AppData(), tlsserver.Probe) {
				t.Fatal("the probe did not arrive")
			}
		})
	}
}

// A PSK handshake the client must refuse, with §4.2.11's and §4.2.10's
// alerts.
func TestHostilePSK(t *testing.T) {
	session := withSession(tls.TLS_AES_128_GCM_SHA256, "")
	ke := withSession(tls.TLS_AES_128_GCM_SHA256, "", tls.PSKModeKE)
	pskSH := func(identity uint16) []byte { return u16(identity) }
	x25519Share := cat(u16(uint16(tls.X25519)), u16(32), repeat(9, 32))
	early := withSession(tls.TLS_AES_128_GCM_SHA256, "mqtt")
	for _, c := range []struct {
		hostileCase
		early []byte
	}{
		{hostileCase: hostileCase{name: "identity-out-of-range", opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) {
			sh.Extensions.Add(wire.ExtensionTypePreSharedKey)
			sh.Extensions.PreSharedKey.SelectedIdentity = 1
		})}, cfg: session, want: illegalParameter}},
		{hostileCase: hostileCase{name: "identity-out-of-range-external", opts: tlsserver.Options{Mutator: addExt(ht_SH, wire.ExtensionTypePreSharedKey, pskSH(0xffff))}, cfg: withExternalPSK(), want: illegalParameter}},
		{hostileCase: hostileCase{name: "psk-not-offered", opts: tlsserver.Options{Mutator: addExt(ht_SH, wire.ExtensionTypePreSharedKey, pskSH(0))}, want: unsupportedExtension}},
		// §4.2.11: the selected suite must have the PSK's hash.
		{hostileCase: hostileCase{name: "suite-with-other-hash", opts: tlsserver.Options{PSK: testPSK, Mutator: editSH(func(sh *wire.ServerHello) {
			sh.CipherSuite = wire.CipherSuite(tls.TLS_AES_256_GCM_SHA384)
		})}, cfg: session, want: illegalParameter}},
		// §4.2.9: the server may only use a mode the client offered.
		{hostileCase: hostileCase{name: "psk_ke-not-offered", opts: tlsserver.Options{PSK: testPSK, Mutator: removeExt(ht_SH, wire.ExtensionTypeKeyShare)}, cfg: session, want: missingExtension}},
		{hostileCase: hostileCase{name: "psk_dhe_ke-not-offered", opts: tlsserver.Options{PSK: testPSK, PSKKE: true, Mutator: addExt(ht_SH, wire.ExtensionTypeKeyShare, x25519Share)}, cfg: ke, want: illegalParameter}},
		{hostileCase: hostileCase{name: "no-key-share-without-psk", opts: tlsserver.Options{Mutator: removeExt(ht_SH, wire.ExtensionTypeKeyShare)}, cfg: session, want: missingExtension}},
		// §2.2, §4.3.2: a server that accepted a PSK authenticates with
		// Finished alone, and requests no client certificate.
		{hostileCase: hostileCase{name: "certificate-after-psk", opts: tlsserver.Options{PSK: testPSK, Mutator: insertAfter(ht_EE,
			tlsserver.EncodeItem(ht_CT, tlsserver.CertificateMessage(tlsserver.ServerCertificate().Chain)))}, cfg: session, want: unexpectedMessage}},
		{hostileCase: hostileCase{name: "certificate-request-after-psk", opts: tlsserver.Options{PSK: testPSK, Mutator: insertAfter(ht_EE, tlsserver.MsgItem(ht_CR, cat([]byte{0}, u16(8), u16(uint16(wire.ExtensionTypeSignatureAlgorithms)), u16(4), u16(2), u16(uint16(tls.ECDSAWithP256AndSHA256)))))}, cfg: session, want: unexpectedMessage}},
		{hostileCase: hostileCase{name: "bad-finished-after-psk", opts: tlsserver.Options{PSK: testPSK, Mutator: setBody(ht_FIN, func(b []byte) []byte { b[0] ^= 1; return b })}, cfg: session, want: decryptError}},
		{hostileCase: hostileCase{name: "bad-finished-external-psk_ke", opts: tlsserver.Options{PSK: testPSK, ExternalPSK: true, PSKKE: true, Mutator: setBody(ht_FIN, func(b []byte) []byte { b[31] ^= 1; return b })}, cfg: withExternalPSK(tls.PSKModeKE), want: decryptError}},
		// A server with another key for the identity declines the PSK.
		{hostileCase: hostileCase{name: "server-with-other-key", opts: tlsserver.Options{PSK: testPSK}, cfg: func(c *tls.Config) {
			withExternalPSK()(c)
			c.ExternalPSK.Key = bytes.Repeat([]byte{1}, 32)
		}, want: tls.AlertHandshakeFailure}},
		// §4.2.10: early_data in EncryptedExtensions only for early data sent.
		{hostileCase: hostileCase{name: "early-data-not-sent", opts: tlsserver.Options{PSK: testPSK, Mutator: addExt(ht_EE, wire.ExtensionTypeEarlyData, nil)}, cfg: session, want: unsupportedExtension}},
		{hostileCase: hostileCase{name: "early-data-not-sent-no-psk", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeEarlyData, nil)}, want: unsupportedExtension}},
		// §4.2.10: accepted early data keeps the session's ALPN protocol.
		{hostileCase: hostileCase{name: "early-data-other-alpn", opts: tlsserver.Options{PSK: testPSK, AcceptEarlyData: true, ALPN: "h2"}, cfg: early, want: illegalParameter}, early: []byte("x")},
	} {
		c := c
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			if cfg == nil {
				cfg = func(*tls.Config) {}
			}
			r, _ := conversePSK(t, c.name, c.opts, cfg, c.early)
			if c.name == "server-with-other-key" {
				// The server declines the binder (recording it as a
				// violation) and does a certificate handshake, which the
				// client, with no Verifier beside its external PSK, refuses.
				r.Violations = nil
			}
			checkAlert(t, r, c.want, c.received)
		})
	}
}
