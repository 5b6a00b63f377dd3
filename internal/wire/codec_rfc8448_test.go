package wire

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/tabletls/tabletls/internal/rfc8448"
	"golang.org/x/crypto/cryptobyte"
)

// The codec tests' shared helpers live here, with the fuzz targets of
// this file, which OSS-Fuzz builds with no other test file (fuzz/README.md).

// codecMsg is what every generated struct and extension set is.
type codecMsg interface {
	Unmarshal([]byte) error
	Append([]byte) ([]byte, error)
}

// codecTB is what codecEncode needs of a *testing.T (or of the
// replacement of package testing the OSS-Fuzz build links in, which has
// no testing.TB).
type codecTB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// codecEncode is Append(nil) that must work.
func codecEncode(t codecTB, m codecMsg) []byte {
	t.Helper()
	b, err := m.Append(nil)
	if err != nil {
		t.Fatalf("%T.Append: %v", m, err)
	}
	return b
}

// The generated codecs on the RFC 8448 traces (sections 3 to 7): every
// handshake message, every record, decoded, checked and re-encoded byte
// for byte; then every truncation and many corruptions of them.

// codecRFCMessage says how to decode one named value of a trace.
type codecRFCMessage struct {
	value string
	typ   HandshakeType
	fresh func() codecMsg
}

var codecRFCMessages = []codecRFCMessage{
	{"client_hello", HandshakeTypeClientHello, func() codecMsg { return new(ClientHello) }},
	{"hello_retry_request", HandshakeTypeServerHello, func() codecMsg { return new(HelloRetryRequest) }},
	{"client_hello_2", HandshakeTypeClientHello, func() codecMsg { return new(ClientHello) }},
	{"server_hello", HandshakeTypeServerHello, func() codecMsg { return new(ServerHello) }},
	{"encrypted_extensions", HandshakeTypeEncryptedExtensions, func() codecMsg { return new(EncryptedExtensions) }},
	{"certificate_request", HandshakeTypeCertificateRequest, func() codecMsg { return new(CertificateRequest) }},
	{"server_certificate", HandshakeTypeCertificate, func() codecMsg { return new(Certificate) }},
	{"server_certificate_verify", HandshakeTypeCertificateVerify, func() codecMsg { return new(CertificateVerify) }},
	{"server_finished", HandshakeTypeFinished, func() codecMsg { return new(Finished) }},
	{"end_of_early_data", HandshakeTypeEndOfEarlyData, func() codecMsg { return new(EndOfEarlyData) }},
	{"client_certificate", HandshakeTypeCertificate, func() codecMsg { return new(Certificate) }},
	{"client_certificate_verify", HandshakeTypeCertificateVerify, func() codecMsg { return new(CertificateVerify) }},
	{"client_finished", HandshakeTypeFinished, func() codecMsg { return new(Finished) }},
	{"new_session_ticket", HandshakeTypeNewSessionTicket, func() codecMsg { return new(NewSessionTicket) }},
}

var codecRFCSections = []int{3, 4, 5, 6, 7}

// codecHandshake decodes the 4-octet handshake header and returns the body.
func codecHandshake(t *testing.T, what string, raw []byte, want HandshakeType) []byte {
	t.Helper()
	var h Handshake
	if err := h.Unmarshal(raw); err != nil {
		t.Fatalf("%s: Handshake.Unmarshal: %v", what, err)
	}
	if h.MsgType != want {
		t.Fatalf("%s: msg_type %v, want %v", what, h.MsgType, want)
	}
	if again := codecEncode(t, &h); !bytes.Equal(again, raw) {
		t.Fatalf("%s: Handshake re-encodes differently", what)
	}
	return h.Body
}

// codecDecodeRFC decodes a named message of a section and checks that it
// re-encodes to the same bytes.
func codecDecodeRFC(t *testing.T, sec *rfc8448.Section, msg codecRFCMessage) codecMsg {
	t.Helper()
	what := fmt.Sprintf("%s: %s", sec.Title, msg.value)
	body := codecHandshake(t, what, sec.Value(msg.value), msg.typ)
	m := msg.fresh()
	if err := m.Unmarshal(body); err != nil {
		t.Fatalf("%s: %T.Unmarshal: %v", what, m, err)
	}
	if again := codecEncode(t, m); !bytes.Equal(again, body) {
		t.Fatalf("%s: re-encoding differs:\n got %x\nwant %x", what, again, body)
	}
	return m
}

func codecRFCMsg(value string) codecRFCMessage {
	for _, m := range codecRFCMessages {
		if m.value == value {
			return m
		}
	}
	panic("no message " + value)
}

// TestCodecRFC8448AllMessages decodes and re-encodes every handshake
// message of every section, with each CertificateEntry through the
// vector iterator.
func TestCodecRFC8448AllMessages(t *testing.T) {
	seen := 0
	for _, n := range codecRFCSections {
		sec := rfc8448.Get(n)
		for _, msg := range codecRFCMessages {
			if !sec.Has(msg.value) {
				continue
			}
			seen++
			m := codecDecodeRFC(t, sec, msg)
			if c, ok := m.(*Certificate); ok {
				entries := 0
				var e CertificateEntry
				for it := c.CertificateList.Iter(); it.Next(&e); entries++ {
					if len(e.CertData) < 100 || e.CertData[0] != 0x30 {
						t.Errorf("%s %s: entry %d is not a DER certificate", sec.Title, msg.value, entries)
					}
					if again := codecEncode(t, &e); !bytes.Contains(c.CertificateList.Bytes(), again) {
						t.Errorf("%s %s: entry %d re-encodes differently", sec.Title, msg.value, entries)
					}
				}
				if entries != 1 {
					t.Errorf("%s %s: %d certificate entries, want 1", sec.Title, msg.value, entries)
				}
			}
		}
	}
	if seen != 40 {
		t.Errorf("decoded %d messages, want 40", seen)
	}
}

func TestCodecRFC8448Section3(t *testing.T) {
	sec := rfc8448.Get(3)

	ch := codecDecodeRFC(t, sec, codecRFCMsg("client_hello")).(*ClientHello)
	if ch.LegacyVersion != 0x0303 || len(ch.Random) != 32 || len(ch.LegacySessionID) != 0 || !bytes.Equal(ch.LegacyCompressionMethods, []byte{0}) {
		t.Errorf("ClientHello header fields: %+v", ch)
	}
	var suites []CipherSuite
	var cs CipherSuite
	for it := ch.CipherSuites.Iter(); it.Next(&cs); {
		suites = append(suites, cs)
	}
	if fmt.Sprint(suites) != fmt.Sprint([]CipherSuite{TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256, TLS_AES_256_GCM_SHA384}) {
		t.Errorf("cipher suites %v", suites)
	}
	x := &ch.Extensions
	var sn ServerName
	if it := x.ServerName.ServerNameList.Iter(); !it.Next(&sn) || sn.NameType != NameTypeHostName || string(sn.HostName) != "server" || it.Next(&sn) {
		t.Errorf("server_name %+v", sn)
	}
	if !codecHasVersion(x.SupportedVersions.Versions, 0x0304) {
		t.Errorf("supported_versions %x has no 0x0304", x.SupportedVersions.Versions.Bytes())
	}
	var ks KeyShareEntry
	if it := x.KeyShare.ClientShares.Iter(); !it.Next(&ks) || ks.Group != NamedGroupX25519 || !bytes.Equal(ks.KeyExchange, sec.Value("client_x25519_public")) || it.Next(&ks) {
		t.Errorf("key_share %v %x", ks.Group, ks.KeyExchange)
	}
	if g := x.SupportedGroups.NamedGroupList; g.Len() != 9 || g.At(0) != NamedGroupX25519 || g.At(1) != NamedGroupSecp256r1 || g.At(8) != NamedGroupFfdhe8192 {
		t.Errorf("supported_groups %x", g.Bytes())
	}
	if s := x.SignatureAlgorithms.SupportedSignatureAlgorithms; s.Len() != 15 || s.At(0) != SignatureSchemeEcdsaSecp256r1Sha256 || s.At(4) != SignatureSchemeRsaPssRsaeSha256 {
		t.Errorf("signature_algorithms %x", s.Bytes())
	}
	if m := x.PskKeyExchangeModes.KeModes; m.Len() != 1 || m.At(0) != PskKeyExchangeModePskDheKe {
		t.Errorf("psk_key_exchange_modes %x", m.Bytes())
	}
	if x.RecordSizeLimit != 0x4001 {
		t.Errorf("record_size_limit %#x", x.RecordSizeLimit)
	}
	// renegotiation_info and session_ticket are not in the spec's
	// ExtensionType: kept as unknown, in order.
	if d, ok := x.Unknown(0xff01); !ok || !bytes.Equal(d, []byte{0}) {
		t.Errorf("renegotiation_info: %x %v", d, ok)
	}
	if _, ok := x.Unknown(0x0023); !ok || x.Type(3) != 0x0023 || x.Len() != 9 {
		t.Errorf("session_ticket not kept in place")
	}
	if x.Has(ExtensionTypePreSharedKey) || x.Has(ExtensionTypeEarlyData) {
		t.Error("a PSK in the first handshake")
	}

	sh := codecDecodeRFC(t, sec, codecRFCMsg("server_hello")).(*ServerHello)
	if sh.CipherSuite != TLS_AES_128_GCM_SHA256 || sh.LegacyCompressionMethod != 0 || sh.LegacyVersion != 0x0303 {
		t.Errorf("ServerHello %+v", sh)
	}
	if sh.Extensions.KeyShare.ServerShare.Group != NamedGroupX25519 || !bytes.Equal(sh.Extensions.KeyShare.ServerShare.KeyExchange, sec.Value("server_x25519_public")) {
		t.Errorf("server key_share %x", sh.Extensions.KeyShare.ServerShare.KeyExchange)
	}
	if sh.Extensions.SupportedVersions.SelectedVersion != 0x0304 || sh.Extensions.Has(ExtensionTypePreSharedKey) {
		t.Errorf("ServerHello extensions")
	}

	ee := codecDecodeRFC(t, sec, codecRFCMsg("encrypted_extensions")).(*EncryptedExtensions)
	if ee.Extensions.Len() != 3 || !ee.Extensions.Has(ExtensionTypeServerName) || ee.Extensions.RecordSizeLimit != 0x4001 ||
		ee.Extensions.SupportedGroups.NamedGroupList.Len() != 9 {
		t.Errorf("EncryptedExtensions %+v", ee.Extensions)
	}

	cert := codecDecodeRFC(t, sec, codecRFCMsg("server_certificate")).(*Certificate)
	if len(cert.CertificateRequestContext) != 0 {
		t.Errorf("server Certificate has a request context")
	}
	var e CertificateEntry
	if it := cert.CertificateList.Iter(); !it.Next(&e) || len(e.CertData) != 432 || e.Extensions.Len() != 0 {
		t.Errorf("certificate entry: %d octets, %d extensions", len(e.CertData), e.Extensions.Len())
	}

	cv := codecDecodeRFC(t, sec, codecRFCMsg("server_certificate_verify")).(*CertificateVerify)
	if cv.Algorithm != SignatureSchemeRsaPssRsaeSha256 || len(cv.Signature) != 128 {
		t.Errorf("CertificateVerify %v, %d octets", cv.Algorithm, len(cv.Signature))
	}

	for _, who := range []string{"server", "client"} {
		fin := codecDecodeRFC(t, sec, codecRFCMsg(who+"_finished")).(*Finished)
		if !bytes.Equal(fin.VerifyData, sec.Value(who+"_finished_verify_data")) {
			t.Errorf("%s Finished verify_data %x", who, fin.VerifyData)
		}
	}

	nst := codecDecodeRFC(t, sec, codecRFCMsg("new_session_ticket")).(*NewSessionTicket)
	if nst.TicketLifetime != 30 || nst.TicketAgeAdd != 0xfad6aac5 || !bytes.Equal(nst.TicketNonce, sec.Value("ticket_nonce")) || len(nst.Ticket) != 0xb2 {
		t.Errorf("NewSessionTicket %+v", nst)
	}
	if !nst.Extensions.Has(ExtensionTypeEarlyData) || nst.Extensions.EarlyData.MaxEarlyDataSize != 0x400 {
		t.Errorf("NewSessionTicket early_data %+v", nst.Extensions)
	}
}

func codecHasVersion(v ProtocolVersionVector, want ProtocolVersion) bool {
	var p ProtocolVersion
	for it := v.Iter(); it.Next(&p); {
		if p == want {
			return true
		}
	}
	return false
}

func TestCodecRFC8448Section4(t *testing.T) {
	sec := rfc8448.Get(4)
	ch := codecDecodeRFC(t, sec, codecRFCMsg("client_hello")).(*ClientHello)
	x := &ch.Extensions
	if x.Type(x.Len()-1) != ExtensionTypePreSharedKey || !x.Has(ExtensionTypeEarlyData) {
		t.Errorf("pre_shared_key not last or early_data missing")
	}
	// The identity is the ticket of section 3.
	nst := codecDecodeRFC(t, rfc8448.Get(3), codecRFCMsg("new_session_ticket")).(*NewSessionTicket)
	var id PskIdentity
	if it := x.PreSharedKey.Identities.Iter(); !it.Next(&id) || !bytes.Equal(id.Identity, nst.Ticket) || id.ObfuscatedTicketAge == 0 || it.Next(&id) {
		t.Errorf("psk identity %+v", id)
	}
	var binder []byte
	if it := x.PreSharedKey.Binders.Iter(); !it.Next(&binder) || !bytes.Equal(binder, sec.Value("psk_binder")) || it.Next(&binder) {
		t.Errorf("psk binder %x", binder)
	}
	// The binder covers the ClientHello up to the binders list (§4.2.11.2).
	raw := sec.Value("client_hello")
	if prefix := sec.Value("client_hello_prefix_for_binder"); !bytes.HasPrefix(raw, prefix) || len(raw)-len(prefix) != 2+1+32 {
		t.Errorf("client_hello_prefix_for_binder is not the ClientHello minus its binders")
	}
	if d, ok := x.Unknown(0x0015); !ok || len(d) == 0 {
		t.Errorf("padding not kept")
	}

	sh := codecDecodeRFC(t, sec, codecRFCMsg("server_hello")).(*ServerHello)
	if !sh.Extensions.Has(ExtensionTypePreSharedKey) || sh.Extensions.PreSharedKey.SelectedIdentity != 0 || sh.Extensions.Type(0) != ExtensionTypePreSharedKey {
		t.Errorf("ServerHello pre_shared_key %+v", sh.Extensions)
	}
	ee := codecDecodeRFC(t, sec, codecRFCMsg("encrypted_extensions")).(*EncryptedExtensions)
	if !ee.Extensions.Has(ExtensionTypeEarlyData) {
		t.Error("EncryptedExtensions: no early_data")
	}
	if body := codecHandshake(t, "end_of_early_data", sec.Value("end_of_early_data"), HandshakeTypeEndOfEarlyData); len(body) != 0 {
		t.Errorf("EndOfEarlyData body %x", body)
	}
	codecDecodeRFC(t, sec, codecRFCMsg("end_of_early_data"))
	fin := codecDecodeRFC(t, sec, codecRFCMsg("server_finished")).(*Finished)
	if !bytes.Equal(fin.VerifyData, sec.Value("server_finished_verify_data")) {
		t.Errorf("server Finished %x", fin.VerifyData)
	}
}

func TestCodecRFC8448Section5(t *testing.T) {
	sec := rfc8448.Get(5)
	// The HelloRetryRequest is a ServerHello on the wire (§4.1.4), decoded
	// with the struct whose extension table is the HRR row.
	hrr := codecDecodeRFC(t, sec, codecRFCMsg("hello_retry_request")).(*HelloRetryRequest)
	if hrr.CipherSuite != TLS_AES_128_GCM_SHA256 || hrr.Extensions.KeyShare.SelectedGroup != NamedGroupSecp256r1 ||
		hrr.Extensions.SupportedVersions.SelectedVersion != 0x0304 {
		t.Errorf("HelloRetryRequest %+v", hrr)
	}
	if !hrr.Extensions.Has(ExtensionTypeCookie) || len(hrr.Extensions.Cookie.Cookie) != 0x72 {
		t.Errorf("HelloRetryRequest cookie: %d octets", len(hrr.Extensions.Cookie.Cookie))
	}
	// Its random is SHA-256("HelloRetryRequest") (§4.1.3).
	if !bytes.HasPrefix(hrr.Random, []byte{0xcf, 0x21, 0xad, 0x74}) {
		t.Errorf("HelloRetryRequest random %x", hrr.Random)
	}
	// Decoded as a ServerHello, its key_share does not parse: the reason
	// for two structs.
	var sh ServerHello
	if err := sh.Unmarshal(codecHandshake(t, "hrr", sec.Value("hello_retry_request"), HandshakeTypeServerHello)); err == nil {
		t.Error("a HelloRetryRequest decodes as a ServerHello")
	}

	ch1 := codecDecodeRFC(t, sec, codecRFCMsg("client_hello")).(*ClientHello)
	var ks KeyShareEntry
	if it := ch1.Extensions.KeyShare.ClientShares.Iter(); !it.Next(&ks) || ks.Group != NamedGroupX25519 || !bytes.Equal(ks.KeyExchange, sec.Value("client_x25519_public")) {
		t.Errorf("ClientHello1 key_share %v", ks.Group)
	}
	ch2 := codecDecodeRFC(t, sec, codecRFCMsg("client_hello_2")).(*ClientHello)
	if it := ch2.Extensions.KeyShare.ClientShares.Iter(); !it.Next(&ks) || ks.Group != NamedGroupSecp256r1 || !bytes.Equal(ks.KeyExchange, sec.Value("client_p256_public")) || it.Next(&ks) {
		t.Errorf("ClientHello2 key_share %v", ks.Group)
	}
	if !bytes.Equal(ch2.Extensions.Cookie.Cookie, hrr.Extensions.Cookie.Cookie) {
		t.Error("ClientHello2 does not echo the cookie")
	}
	sh2 := codecDecodeRFC(t, sec, codecRFCMsg("server_hello")).(*ServerHello)
	if sh2.Extensions.KeyShare.ServerShare.Group != NamedGroupSecp256r1 || !bytes.Equal(sh2.Extensions.KeyShare.ServerShare.KeyExchange, sec.Value("server_p256_public")) {
		t.Errorf("ServerHello key_share %v", sh2.Extensions.KeyShare.ServerShare.Group)
	}
	fin := codecDecodeRFC(t, sec, codecRFCMsg("server_finished")).(*Finished)
	if !bytes.Equal(fin.VerifyData, sec.Value("server_finished_verify_data")) {
		t.Errorf("server Finished %x", fin.VerifyData)
	}
}

func TestCodecRFC8448Section6(t *testing.T) {
	sec := rfc8448.Get(6)
	cr := codecDecodeRFC(t, sec, codecRFCMsg("certificate_request")).(*CertificateRequest)
	if len(cr.CertificateRequestContext) != 0 || cr.Extensions.Len() != 1 || !cr.Extensions.Has(ExtensionTypeSignatureAlgorithms) ||
		cr.Extensions.SignatureAlgorithms.SupportedSignatureAlgorithms.Len() != 15 {
		t.Errorf("CertificateRequest %+v", cr)
	}
	// The server signs with ECDSA in this trace, the client with RSA-PSS.
	for _, c := range []struct {
		who    string
		alg    SignatureScheme
		sigLen int
	}{{"server", SignatureSchemeEcdsaSecp256r1Sha256, 71}, {"client", SignatureSchemeRsaPssRsaeSha256, 128}} {
		who := c.who
		cert := codecDecodeRFC(t, sec, codecRFCMsg(who+"_certificate")).(*Certificate)
		var e CertificateEntry
		if it := cert.CertificateList.Iter(); !it.Next(&e) || len(e.CertData) < 100 {
			t.Errorf("%s Certificate entry", who)
		}
		cv := codecDecodeRFC(t, sec, codecRFCMsg(who+"_certificate_verify")).(*CertificateVerify)
		if cv.Algorithm != c.alg || len(cv.Signature) != c.sigLen {
			t.Errorf("%s CertificateVerify %v, %d octets", who, cv.Algorithm, len(cv.Signature))
		}
		fin := codecDecodeRFC(t, sec, codecRFCMsg(who+"_finished")).(*Finished)
		if !bytes.Equal(fin.VerifyData, sec.Value(who+"_finished_verify_data")) {
			t.Errorf("%s Finished %x", who, fin.VerifyData)
		}
	}
}

func TestCodecRFC8448Section7(t *testing.T) {
	sec := rfc8448.Get(7)
	ch := codecDecodeRFC(t, sec, codecRFCMsg("client_hello")).(*ClientHello)
	sh := codecDecodeRFC(t, sec, codecRFCMsg("server_hello")).(*ServerHello)
	if len(ch.LegacySessionID) != 32 || !bytes.Equal(sh.LegacySessionIDEcho, ch.LegacySessionID) {
		t.Errorf("compatibility mode session id: %x / %x", ch.LegacySessionID, sh.LegacySessionIDEcho)
	}
}

// TestCodecRFC8448Records decodes every record of every trace with
// RecordHeader, and TLSPlaintext or TLSCiphertext, and walks the
// handshake messages and alerts in their payloads.
func TestCodecRFC8448Records(t *testing.T) {
	for _, n := range codecRFCSections {
		sec := rfc8448.Get(n)
		for i, r := range sec.Records {
			what := fmt.Sprintf("%s record %d", sec.Title, i)
			wire := r.Wire()
			var h RecordHeader
			if err := h.Unmarshal(wire[:5]); err != nil {
				t.Fatalf("%s: RecordHeader: %v", what, err)
			}
			if int(h.Length) != len(wire)-5 || h.LegacyRecordVersion&0xff00 != 0x0300 {
				t.Errorf("%s: header %+v for %d octets", what, h, len(wire))
			}
			if again := codecEncode(t, &h); !bytes.Equal(again, wire[:5]) {
				t.Errorf("%s: RecordHeader re-encodes as %x", what, again)
			}
			var m codecMsg
			if r.Protection == "none" {
				var pt TLSPlaintext
				if err := pt.Unmarshal(wire); err != nil {
					t.Fatalf("%s: TLSPlaintext: %v", what, err)
				}
				if !bytes.Equal(pt.Fragment, r.Payload()) || pt.Type.String() != r.InnerContentType {
					t.Errorf("%s: TLSPlaintext %v %x", what, pt.Type, pt.Fragment)
				}
				m = &pt
			} else {
				var ct TLSCiphertext
				if err := ct.Unmarshal(wire); err != nil {
					t.Fatalf("%s: TLSCiphertext: %v", what, err)
				}
				if ct.OpaqueType != ContentTypeApplicationData || ct.LegacyRecordVersion != 0x0303 || len(ct.EncryptedRecord) != len(r.Payload())+1+16 {
					t.Errorf("%s: TLSCiphertext %v %#x, %d octets", what, ct.OpaqueType, ct.LegacyRecordVersion, len(ct.EncryptedRecord))
				}
				m = &ct
			}
			if again := codecEncode(t, m); !bytes.Equal(again, wire) {
				t.Errorf("%s: record re-encodes differently", what)
			}

			switch r.InnerContentType {
			case "handshake":
				// The payload is the named messages, one after the other.
				s := cryptobyte.String(r.Payload())
				for _, name := range r.HandshakeMessages {
					var hs Handshake
					if err := hs.unmarshal(&s); err != nil {
						t.Fatalf("%s: %s: %v", what, name, err)
					}
					if again := codecEncode(t, &hs); !bytes.Equal(again, sec.Value(name)) {
						t.Errorf("%s: %s is not the named value", what, name)
					}
				}
				if !s.Empty() {
					t.Errorf("%s: %d octets after the messages", what, len(s))
				}
			case "alert":
				var a Alert
				if err := a.Unmarshal(r.Payload()); err != nil {
					t.Fatalf("%s: Alert: %v", what, err)
				}
				if a.Level != AlertLevelWarning || a.Description != AlertDescriptionCloseNotify {
					t.Errorf("%s: alert %v %v", what, a.Level, a.Description)
				}
				if again := codecEncode(t, &a); !bytes.Equal(again, r.Payload()) {
					t.Errorf("%s: Alert re-encodes differently", what)
				}
			case "change_cipher_spec":
				if !bytes.Equal(r.Payload(), []byte{1}) {
					t.Errorf("%s: change_cipher_spec %x", what, r.Payload())
				}
			}
		}
	}
}

// codecFuzzInputs is every RFC 8448 message body with the type to decode
// it with, plus the handshake messages and records whole.
type codecFuzzInput struct {
	what  string
	in    []byte
	fresh func() codecMsg
}

func codecFuzzInputs(t *testing.T) []codecFuzzInput {
	var out []codecFuzzInput
	for _, n := range codecRFCSections {
		sec := rfc8448.Get(n)
		for _, msg := range codecRFCMessages {
			if !sec.Has(msg.value) {
				continue
			}
			raw := sec.Value(msg.value)
			out = append(out,
				codecFuzzInput{fmt.Sprintf("%d/%s", n, msg.value), raw[4:], msg.fresh},
				codecFuzzInput{fmt.Sprintf("%d/%s/handshake", n, msg.value), raw, func() codecMsg { return new(Handshake) }})
		}
		for i, r := range sec.Records {
			fresh := func() codecMsg { return new(TLSCiphertext) }
			if r.Protection == "none" {
				fresh = func() codecMsg { return new(TLSPlaintext) }
			}
			out = append(out, codecFuzzInput{fmt.Sprintf("%d/record%d", n, i), r.Wire(), fresh})
		}
	}
	return out
}

// codecCheckDecode decodes in and fails the test unless the result is
// either an *Error with a decoding alert, or a value that re-encodes
// to exactly in. It also walks every vector and nested list of a value
// that decoded, which must not panic either.
func codecCheckDecode(t *testing.T, what string, m codecMsg, in []byte) (ok bool) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("%s: panic on %x: %v", what, in, r)
		}
	}()
	err := m.Unmarshal(in)
	if err != nil {
		var ae Error
		if !errors.As(err, &ae) {
			t.Fatalf("%s: error %v is not an Error", what, err)
		}
		switch ae.Alert() {
		case AlertDescriptionDecodeError, AlertDescriptionIllegalParameter, AlertDescriptionUnsupportedExtension:
		default:
			t.Fatalf("%s: alert %v for malformed input", what, ae.Alert())
		}
		return false
	}
	again, err := m.Append(nil)
	if err != nil {
		t.Fatalf("%s: decoded %x but cannot re-encode it: %v", what, in, err)
	}
	if !bytes.Equal(again, in) {
		t.Fatalf("%s: decoded %x but re-encodes as %x", what, in, again)
	}
	codecWalk(m)
	return true
}

// codecWalk iterates every list in a decoded message.
func codecWalk(m codecMsg) {
	switch m := m.(type) {
	case *Certificate:
		var e CertificateEntry
		for it := m.CertificateList.Iter(); it.Next(&e); {
		}
	case *ClientHello:
		var cs CipherSuite
		for it := m.CipherSuites.Iter(); it.Next(&cs); {
		}
		for i := 0; i < m.CipherSuites.Len(); i++ {
			_ = m.CipherSuites.At(i)
		}
		var ks KeyShareEntry
		for it := m.Extensions.KeyShare.ClientShares.Iter(); it.Next(&ks); {
		}
		var id PskIdentity
		for it := m.Extensions.PreSharedKey.Identities.Iter(); it.Next(&id); {
		}
		var b []byte
		for it := m.Extensions.PreSharedKey.Binders.Iter(); it.Next(&b); {
		}
		var sn ServerName
		for it := m.Extensions.ServerName.ServerNameList.Iter(); it.Next(&sn); {
		}
		for i := 0; i < m.Extensions.SupportedGroups.NamedGroupList.Len(); i++ {
			_ = m.Extensions.SupportedGroups.NamedGroupList.At(i)
		}
		for i := 0; i < m.Extensions.Len(); i++ {
			_ = m.Extensions.Type(i)
		}
	case *CertificateRequest:
		var s SignatureScheme
		for it := m.Extensions.SignatureAlgorithms.SupportedSignatureAlgorithms.Iter(); it.Next(&s); {
		}
	}
}

// TestCodecTruncation decodes every prefix of every RFC 8448 message and
// record.
func TestCodecTruncation(t *testing.T) {
	n := 0
	for _, c := range codecFuzzInputs(t) {
		if !codecCheckDecode(t, c.what, c.fresh(), c.in) {
			t.Fatalf("%s: the whole input does not decode", c.what)
		}
		for i := 0; i < len(c.in); i++ {
			// A copy with no room after it, so a read past the end
			// would show.
			in := append([]byte(nil), c.in[:i]...)
			codecCheckDecode(t, fmt.Sprintf("%s[:%d]", c.what, i), c.fresh(), in)
			n++
		}
	}
	t.Logf("%d truncations", n)
}

// TestCodecCorruption changes every octet of every RFC 8448 message and
// record, length fields included, to a few other values.
func TestCodecCorruption(t *testing.T) {
	n, accepted := 0, 0
	for _, c := range codecFuzzInputs(t) {
		in := append([]byte(nil), c.in...)
		for i := range in {
			orig := in[i]
			for _, v := range []byte{orig + 1, orig - 1, 0x00, 0xff, orig ^ 0x80} {
				if v == orig {
					continue
				}
				in[i] = v
				if codecCheckDecode(t, fmt.Sprintf("%s[%d]=%#x", c.what, i, v), c.fresh(), in) {
					accepted++
				}
				n++
			}
			in[i] = orig
		}
	}
	t.Logf("%d corruptions, %d still valid", n, accepted)
}

// FuzzCodecClientHello lets `go test -fuzz` look further, starting from
// the RFC 8448 ClientHellos.
func FuzzCodecClientHello(f *testing.F) {
	for _, n := range codecRFCSections {
		f.Add(rfc8448.Get(n).Value("client_hello")[4:])
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		codecCheckDecode(t, "ClientHello", new(ClientHello), in)
	})
}

// FuzzCodecServerMessages does the same for what a client decodes.
func FuzzCodecServerMessages(f *testing.F) {
	sec := rfc8448.Get(6)
	for i, name := range []string{"server_hello", "encrypted_extensions", "certificate_request", "server_certificate", "server_certificate_verify", "server_finished"} {
		f.Add(uint8(i), sec.Value(name)[4:])
	}
	f.Add(uint8(6), rfc8448.Get(3).Value("new_session_ticket")[4:])
	f.Add(uint8(7), rfc8448.Get(5).Value("hello_retry_request")[4:])
	types := []func() codecMsg{
		func() codecMsg { return new(ServerHello) },
		func() codecMsg { return new(EncryptedExtensions) },
		func() codecMsg { return new(CertificateRequest) },
		func() codecMsg { return new(Certificate) },
		func() codecMsg { return new(CertificateVerify) },
		func() codecMsg { return new(Finished) },
		func() codecMsg { return new(NewSessionTicket) },
		func() codecMsg { return new(HelloRetryRequest) },
	}
	f.Fuzz(func(t *testing.T, which uint8, in []byte) {
		codecCheckDecode(t, "server message", types[int(which)%len(types)](), in)
	})
}
