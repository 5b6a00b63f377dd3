package fuzz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gofuzzheaders "github.com/AdaLogics/go-fuzz-headers"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// FuzzClient runs the whole client (a tls.Engine) against the scripted
// server of internal/tlsserver, changed by a plan the fuzzer's octets
// decode to (with go-fuzz-headers' consumer):
//
//   - server and client options: the server's preferred cipher suite and
//     the client's list, a HelloRetryRequest (its group and cookie), client
//     authentication (with or without a client certificate), ALPN on both
//     sides, tickets, KeyUpdates and data after the handshake, the
//     middlebox change_cipher_spec, the server's record size and
//     server_name acknowledgement, the client's key shares,
//     record_size_limit, key log, a client KeyUpdate and Close after the
//     handshake, a client Rand that runs dry, and how the server's octets
//     are cut when given to the client;
//   - up to cfMaxMuts mutations, each aimed at the first flight of one
//     kind (HelloRetryRequest, ServerHello...Finished, the tickets and
//     KeyUpdates after the handshake, the answer to a client KeyUpdate, the
//     echo of the client's data), applied by a tlsserver.Mutator at one of
//     its three stages:
//     messages and records before encryption (drop, duplicate, move, insert
//     a handshake message of any type with a plausible or a fuzzed body,
//     insert a record, maybe many times: change_cipher_spec, alert,
//     application data, empty,
//     unknown type; change a field with the generated types: versions,
//     cipher suite, session id echo, compression, key share group and
//     octets, random, cookie, ALPN, contexts, signature algorithms, the
//     CertificateVerify scheme and signature, verify_data, ticket fields,
//     request_update; add extensions, known or unknown, plausible or fuzzed,
//     duplicates, many unknown ones; remove extensions; flip, truncate or
//     extend a body), records before protection (split, coalesce, pad,
//     legacy_record_version), and protected records on the wire (flip an
//     octet, drop, replay).
//
// Properties, on every input:
//
//   - no panic, no violation the Pipe or the server notices (tlsserver's
//     Result.Violations: application data before the client's Finished,
//     an error that is not a *tls.AlertError, an alert sent that is not the
//     error, records after a fatal alert, a malformed ClientHello...), and
//     no hang (the Pipe runs in bounded steps);
//   - a failure is a *tls.AlertError: an alert the client sent whose
//     description is in the class of one of the plan's defects (see
//     "Classes" below), or, if the plan injected an alert or broke the
//     framing on the wire, one received from the server;
//   - the client delivers no application data before its handshake is
//     complete;
//   - a plan whose every change is harmless (framing, a legal
//     change_cipher_spec, unknown extensions where the RFC says to ignore
//     them, ...) completes: the client's handshake, the server's view of it
//     (it verified the client's Finished, same suite and group), and a
//     round trip of application data;
//   - a plan with a single definite defect (a wrong field the client must
//     check, a broken MAC, ...) and otherwise only framing changes fails;
//   - a completed handshake negotiated a suite, a group and an ALPN
//     protocol the client offered; without changes the server could not
//     follow (see desync below), the server agrees; without changes after
//     the handshake, data written by the client comes back.
//
// The client may also stall (wait for octets that never come) when the
// plan dropped something or broke the framing, or when the server gave up
// because a change made it disagree with the client (desync).
//
// # Classes
//
// Each change the plan makes to what the server sends is classified, when
// it is applied, into a cfEffect: the alerts the client may answer it with
// (RFC 8446 §6.2 and the section of the message), and whether it is a
// definite defect (fatal), may leave the client waiting (stall), may make
// the server reject the client's next flight (desync), may make the client
// fail on an alert from the server (recv), or happens after the handshake
// (post). The allowed alerts of a run are the union over its changes. In
// short:
//
//   - messages dropped, duplicated, moved or inserted during the handshake:
//     unexpected_message (§4, the state machine), plus, for each inserted
//     or duplicated message, what checking a message of its type may say
//     (cfParseClass: e.g. a ServerHello decode_error, illegal_parameter,
//     protocol_version, missing_extension, unsupported_extension,
//     handshake_failure; a Finished decode_error, decrypt_error), since it
//     may arrive where that type is expected; a dropped message may stall;
//   - after the handshake, tickets and KeyUpdates are legal; other
//     messages are unexpected_message; a fuzzed ticket or KeyUpdate body is
//     decode_error or illegal_parameter;
//   - records: a change_cipher_spec of 0x01, unprotected, before the
//     server's Finished is legal (§5); any other change_cipher_spec, or
//     after the Finished, is unexpected_message; application data before
//     the Finished, an empty handshake record, an unknown content type:
//     unexpected_message (§5); an alert: whatever the server said
//     (received), or decode_error if malformed; a record under keys other
//     than the current ones: bad_record_mac, unexpected_message or
//     decode_error (§5.2);
//   - fields (cfRun.editField): legacy_version, compression, supported_versions
//     (illegal_parameter, protocol_version, decode_error; §4.1.3, §4.2.1),
//     session id echo and a suite not offered or changed after a
//     HelloRetryRequest (illegal_parameter, §4.1.3, §4.1.4), key share
//     group (illegal_parameter, §4.2.8) and octets (illegal_parameter, or
//     bad_record_mac once the keys differ), a HelloRetryRequest group the
//     client offered a share for or did not offer (illegal_parameter,
//     §4.1.4), ALPN not offered or more than one (illegal_parameter or
//     no_application_protocol, unsupported_extension when the client sent
//     none; RFC 7301 §3.1), a non-empty certificate_request_context
//     (illegal_parameter, §4.3.2, §4.4.2), an empty certificate list
//     (decode_error, §4.4.2.4), a CertificateVerify scheme or signature
//     (illegal_parameter, decrypt_error; §4.4.3), verify_data
//     (decrypt_error, decode_error; §4.4.4), a ticket lifetime over 7 days
//     (illegal_parameter, §4.6.1), request_update (illegal_parameter,
//     §4.6.3);
//   - extensions added (cfRun.addExtension): unknown ones in a
//     CertificateRequest or NewSessionTicket are legal ("Clients MUST
//     ignore unrecognized extensions", §4.3.2, §4.6.1); elsewhere an
//     extension the client did not offer is unsupported_extension, one not
//     allowed in that message illegal_parameter, a duplicate or malformed
//     one decode_error or illegal_parameter (§4.2); removed: supported_versions
//     (protocol_version, §4.2.1; missing_extension from a HelloRetryRequest,
//     §4.1.4), key_share (missing_extension, §4.2.8,
//     §9.2), signature_algorithms from a CertificateRequest
//     (missing_extension, §4.3.2);
//   - raw edits of a body: what checking that message type may say;
//   - split, coalesce, legacy_record_version: legal (§5.1: the version
//     "MUST be ignored for all purposes"); padding: legal up to 2^14+1
//     octets of TLSInnerPlaintext, record_overflow beyond (§5.2, §5.4);
//   - an octet flipped on the wire: bad_record_mac in a protected record
//     (§5.2); in a header, unexpected_message, decode_error,
//     record_overflow or bad_record_mac, and the framing may break (stall,
//     or any record after it); in an unprotected ServerHello or
//     HelloRetryRequest, what checking it may say, or bad_record_mac once
//     the transcripts differ; a record dropped or replayed:
//     bad_record_mac, unexpected_message, or a stall; and where the
//     unprotected handshake octets were changed, a message header longer
//     than the client's HandshakeIn buffer is internal_error (an
//     implementation limit, as in crypto/tls);
//   - implementation limits the RFC does not set: more than 32 records
//     without content in a row may be unexpected_message (the client
//     allows 64, crypto/tls 16), a chain of more than 10 certificates
//     bad_certificate, more than 32 unrecognized extensions in a
//     CertificateRequest or NewSessionTicket decode_error (the client
//     keeps 32 to bound its memory);
//   - options: a HelloRetryRequest for a group the client sent a share for
//     or did not offer (illegal_parameter, §4.1.4), an ALPN protocol the
//     client did not offer (unsupported_extension, illegal_parameter,
//     no_application_protocol), a Rand that fails (internal_error).
func FuzzClient(f *testing.F) {
	for _, s := range cfSeedPlans() {
		f.Add(s.plan.encode())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkClientPlan(t, decodeCFPlan(data))
	})
}

// --- Alert classes ---

// alertClass is a set of alert descriptions.
type alertClass [4]uint64

func alertsOf(ds ...tls.AlertDescription) alertClass {
	var c alertClass
	for _, d := range ds {
		c[d>>6] |= 1 << (d & 63)
	}
	return c
}

func (c alertClass) has(d tls.AlertDescription) bool { return c[d>>6]&(1<<(d&63)) != 0 }

func (c alertClass) or(o alertClass) alertClass {
	for i := range c {
		c[i] |= o[i]
	}
	return c
}

func (c alertClass) empty() bool { return c == alertClass{} }

func (c alertClass) list() []tls.AlertDescription {
	var out []tls.AlertDescription
	for d := range 256 {
		if c.has(tls.AlertDescription(d)) {
			out = append(out, tls.AlertDescription(d))
		}
	}
	return out
}

func (c alertClass) String() string {
	var names []string
	for d := range 256 {
		if c.has(tls.AlertDescription(d)) {
			names = append(names, tls.AlertDescription(d).String())
		}
	}
	return "{" + strings.Join(names, ", ") + "}"
}

const (
	adUnexpected   = tls.AlertUnexpectedMessage
	adBadMAC       = tls.AlertBadRecordMAC
	adOverflow     = tls.AlertRecordOverflow
	adHandshake    = tls.AlertHandshakeFailure
	adBadCert      = tls.AlertBadCertificate
	adUnsuppCert   = tls.AlertUnsupportedCertificate
	adCertUnknown  = tls.AlertCertificateUnknown
	adIllegal      = tls.AlertIllegalParameter
	adDecode       = tls.AlertDecodeError
	adDecrypt      = tls.AlertDecryptError
	adProtoVersion = tls.AlertProtocolVersion
	adMissingExt   = tls.AlertMissingExtension
	adUnsuppExt    = tls.AlertUnsupportedExtension
	adNoALPN       = tls.AlertNoApplicationProtocol
)

var (
	acUnexpected = alertsOf(adUnexpected)
	// acWrongKeys: a record the client cannot open or place (§5.2).
	acWrongKeys = alertsOf(adBadMAC, adUnexpected, adDecode)
	// acFraming: record boundaries broken on the wire.
	acFraming = alertsOf(adUnexpected, adDecode, adOverflow, adBadMAC)
	// What checking a message of each type may say.
	acServerHello = alertsOf(adDecode, adIllegal, adProtoVersion, adMissingExt, adUnsuppExt, adHandshake,
		adBadMAC) // the key share octets changed: the keys differ
	acEncryptedExtensions = alertsOf(adDecode, adIllegal, adUnsuppExt, adNoALPN)
	acCertificateRequest  = alertsOf(adDecode, adIllegal, adMissingExt, adUnsuppExt)
	acCertificate         = alertsOf(adDecode, adIllegal, adUnsuppExt, adBadCert, adUnsuppCert, adCertUnknown)
	acCertificateVerify   = alertsOf(adDecode, adIllegal, adDecrypt)
	acFinished            = alertsOf(adDecode, adDecrypt)
	acTicket              = alertsOf(adDecode, adIllegal)
	acKeyUpdate           = alertsOf(adDecode, adIllegal)
	acExtension           = alertsOf(adUnsuppExt, adIllegal, adDecode)
)

// cfParseClass is what the client may say about a message of type typ
// arriving where one is expected.
func cfParseClass(typ wire.HandshakeType) alertClass {
	switch typ {
	case wire.HandshakeTypeServerHello:
		return acServerHello
	case wire.HandshakeTypeEncryptedExtensions:
		return acEncryptedExtensions
	case wire.HandshakeTypeCertificateRequest:
		return acCertificateRequest
	case wire.HandshakeTypeCertificate:
		return acCertificate
	case wire.HandshakeTypeCertificateVerify:
		return acCertificateVerify
	case wire.HandshakeTypeFinished:
		return acFinished
	case wire.HandshakeTypeNewSessionTicket:
		return acTicket
	case wire.HandshakeTypeKeyUpdate:
		return acKeyUpdate
	}
	return alertClass{}
}

// --- The plan ---

// cfMaxMuts bounds the mutations of a plan.
const cfMaxMuts = 8

// cfPlan is what FuzzClient's input decodes to. Its fields are raw
// octets; cfPlan.setup and the mutation code interpret them.
type cfPlan struct {
	Seed         byte
	Flags        byte // cfFlag*
	ServerSuite  byte // %2: TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256
	ClientSuites byte // %4: default, [AES-128], [ChaCha20], [AES-256, ChaCha20]
	HRRGroup     byte // %6: default (secp256r1), secp384r1, x25519, secp256r1, X25519MLKEM768, ffdhe2048
	ServerALPN   byte // %4: none, h2, http/1.1, spdy/3 (never offered)
	ClientALPN   byte // %3: none, [h2 http/1.1], [http/1.1]
	Tickets      byte // %4
	KeyUpdates   byte // bits 0-1: how many; bits 2-4: update_requested for each
	MaxFragment  byte // 1..127: the server's record size; else 2^14
	KeyShares    byte // %4: default (x25519), [x25519 secp256r1], [secp256r1], [X25519MLKEM768 x25519]
	RecordLimit  byte // 0: none; else 64*n (at most 16385)
	Chunk        byte // >= 200: the client gets the server's octets Chunk-199 at a time
	Flags2       byte // cfFlag2*
	RandLimit    byte // 1..24: the client's Rand fails after 8*RandLimit octets
	Cookie       []byte
	Muts         []cfMut
}

const (
	cfFlagHRR = 1 << iota
	cfFlagClientAuth
	cfFlagClientCert
	cfFlagMiddleboxCCS
	cfFlagNoCompat
	cfFlagTicketCallback
	cfFlagServerData
	cfFlagClientKeyUpdate
)

const (
	cfFlag2KeyLog        = 1 << iota // Config.KeyLogWriter
	cfFlag2Close                     // the client closes after the data round trip
	cfFlag2AckServerName             // the server acknowledges server_name
)

// cfMut is one mutation: Op on the first flight of kind Flight, with
// operands A, B, C, V and Data (their meaning depends on Op).
type cfMut struct {
	Flight, Op, A, B, C byte
	V                   uint16
	Data                []byte
}

// cfStream reads or writes a plan, field by field, so that decoding and
// encoding cannot disagree.
type cfStream interface {
	u8(*byte)
	u16(*uint16)
	blob(p *[]byte, max int)
}

func (p *cfPlan) stream(s cfStream) {
	for _, b := range []*byte{&p.Seed, &p.Flags, &p.ServerSuite, &p.ClientSuites, &p.HRRGroup, &p.ServerALPN, &p.ClientALPN,
		&p.Tickets, &p.KeyUpdates, &p.MaxFragment, &p.KeyShares, &p.RecordLimit, &p.Chunk, &p.Flags2, &p.RandLimit} {
		s.u8(b)
	}
	s.blob(&p.Cookie, 40)
	n := byte(len(p.Muts))
	s.u8(&n)
	n %= cfMaxMuts + 1
	if len(p.Muts) != int(n) {
		p.Muts = make([]cfMut, n)
	}
	for i := range p.Muts {
		m := &p.Muts[i]
		s.u8(&m.Flight)
		s.u8(&m.Op)
		s.u8(&m.A)
		s.u8(&m.B)
		s.u8(&m.C)
		s.u16(&m.V)
		s.blob(&m.Data, 48)
	}
}

// cfDecoder reads with go-fuzz-headers' consumer; once the input is used
// up, everything reads as zero.
type cfDecoder struct{ c *gofuzzheaders.ConsumeFuzzer }

func (d cfDecoder) u8(p *byte) {
	b, err := d.c.GetByte()
	if err != nil {
		b = 0
	}
	*p = b
}

func (d cfDecoder) u16(p *uint16) {
	v, err := d.c.GetUint16() // two octets, then one for the byte order
	if err != nil {
		v = 0
	}
	*p = v
}

func (d cfDecoder) blob(p *[]byte, max int) {
	var n byte
	d.u8(&n)
	*p = nil
	if k := int(n) % (max + 1); k > 0 {
		if b, err := d.c.GetNBytes(k); err == nil {
			*p = b
		}
	}
}

// cfEncoder writes what cfDecoder reads back.
type cfEncoder struct{ b []byte }

func (e *cfEncoder) u8(p *byte) { e.b = append(e.b, *p) }

func (e *cfEncoder) u16(p *uint16) {
	e.b = append(e.b, byte(*p>>8), byte(*p), 1) // an odd octet: big endian
}

func (e *cfEncoder) blob(p *[]byte, max int) {
	if len(*p) > max {
		panic(fmt.Sprintf("cfEncoder: %d octets, at most %d", len(*p), max))
	}
	e.b = append(e.b, byte(len(*p)))
	e.b = append(e.b, *p...)
}

func decodeCFPlan(data []byte) *cfPlan {
	p := new(cfPlan)
	p.stream(cfDecoder{gofuzzheaders.NewConsumer(data)})
	return p
}

func (p *cfPlan) encode() []byte {
	c := *p
	c.Muts = slices.Clone(p.Muts)
	e := new(cfEncoder)
	c.stream(e)
	return e.b
}

func (p *cfPlan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed=%d flags=%#02x,%#02x suite=%d clientSuites=%d hrrGroup=%d alpn=%d/%d tickets=%d ku=%#x frag=%d shares=%d rsl=%d chunk=%d rand=%d cookie=%x",
		p.Seed, p.Flags, p.Flags2, p.ServerSuite, p.ClientSuites, p.HRRGroup, p.ServerALPN, p.ClientALPN, p.Tickets, p.KeyUpdates,
		p.MaxFragment, p.KeyShares, p.RecordLimit, p.Chunk, p.RandLimit, p.Cookie)
	for _, m := range p.Muts {
		fmt.Fprintf(&b, "\n  %v %s a=%d b=%d c=%d v=%#04x data=%x", cfFlightKind(m.Flight), cfOpName(m.Op), m.A, m.B, m.C, m.V, m.Data)
	}
	return b.String()
}

// cfOffer is what the client offers.
type cfOffer struct {
	suites            []uint16
	curves, keyShares []tls.CurveID
	alpn              []string
	recordLimit       uint16
}

var (
	cfDefaultSuites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}
	cfDefaultCurves = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}
	// The suites and groups the scripted server implements.
	cfServerSuites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_CHACHA20_POLY1305_SHA256}
	cfServerGroups = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}
)

// setup turns the plan's options into the server's Options (without the
// Mutator) and the client's Config, and says what the client offers.
func (p *cfPlan) setup() (tlsserver.Options, *tls.Config, cfOffer) {
	seed := fmt.Sprintf("fuzzclient-%d", p.Seed)
	cfg := tlsserver.ClientConfig(seed)
	opts := tlsserver.Options{
		Seed:              seed,
		HelloRetryRequest: p.Flags&cfFlagHRR != 0,
		RequestClientCert: p.Flags&cfFlagClientAuth != 0,
		MiddleboxCCS:      p.Flags&cfFlagMiddleboxCCS != 0,
		Tickets:           int(p.Tickets % 4),
		Echo:              true,
	}
	if p.ServerSuite%2 == 1 {
		opts.CipherSuite = wire.CipherSuite(tls.TLS_CHACHA20_POLY1305_SHA256)
	}
	switch p.ClientSuites % 4 {
	case 1:
		cfg.CipherSuites = []uint16{tls.TLS_AES_128_GCM_SHA256}
	case 2:
		cfg.CipherSuites = []uint16{tls.TLS_CHACHA20_POLY1305_SHA256}
	case 3:
		cfg.CipherSuites = []uint16{tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}
	}
	opts.HRRGroup = []wire.NamedGroup{0, wire.NamedGroupSecp384r1, wire.NamedGroupX25519, wire.NamedGroupSecp256r1,
		wire.X25519MLKEM768, wire.NamedGroupFfdhe2048}[p.HRRGroup%6]
	if opts.HelloRetryRequest && len(p.Cookie) > 0 {
		opts.HRRCookie = p.Cookie
	}
	opts.ALPN = []string{"", "h2", "http/1.1", "spdy/3"}[p.ServerALPN%4]
	switch p.ClientALPN % 3 {
	case 1:
		cfg.NextProtos = []string{"h2", "http/1.1"}
	case 2:
		cfg.NextProtos = []string{"http/1.1"}
	}
	for i := range int(p.KeyUpdates & 3) {
		opts.KeyUpdates = append(opts.KeyUpdates, wire.KeyUpdateRequest(p.KeyUpdates>>(2+i)&1))
	}
	if p.Flags&cfFlagServerData != 0 {
		opts.AppData = []byte("server data")
	}
	if p.MaxFragment > 0 && p.MaxFragment < 128 {
		opts.MaxFragment = int(p.MaxFragment)
	}
	switch p.KeyShares % 4 {
	case 1:
		cfg.KeyShares = []tls.CurveID{tls.X25519, tls.CurveP256}
	case 2:
		cfg.KeyShares = []tls.CurveID{tls.CurveP256}
	case 3:
		cfg.CurvePreferences = []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256, tls.CurveP384}
		cfg.KeyShares = []tls.CurveID{tls.X25519MLKEM768, tls.X25519}
	}
	if p.RecordLimit > 0 {
		cfg.RecordSizeLimit = uint16(min(64*int(p.RecordLimit), 16385))
	}
	if p.Flags&cfFlagClientCert != 0 {
		cfg.Certificates = []tls.Certificate{tlsserver.ClientCertificate().TLSCertificate()}
	}
	if p.Flags&cfFlagTicketCallback != 0 {
		cfg.OnNewSessionTicket = func(*tls.SessionTicket) {}
	}
	cfg.DisableMiddleboxCompat = p.Flags&cfFlagNoCompat != 0
	if p.Flags2&cfFlag2KeyLog != 0 {
		cfg.KeyLogWriter = io.Discard
	}
	opts.AckServerName = p.Flags2&cfFlag2AckServerName != 0
	if p.RandLimit > 0 && p.RandLimit <= 24 {
		cfg.Rand = &cfFailingRand{r: cfg.Rand, left: 8 * int(p.RandLimit)}
	}

	o := cfOffer{suites: cfg.CipherSuites, curves: cfg.CurvePreferences, keyShares: cfg.KeyShares, alpn: cfg.NextProtos,
		recordLimit: cfg.RecordSizeLimit}
	if o.suites == nil {
		o.suites = cfDefaultSuites
	}
	if o.curves == nil {
		o.curves = cfDefaultCurves
	}
	if o.keyShares == nil {
		o.keyShares = o.curves[:1]
	}
	return opts, cfg, o
}

// cfFailingRand fails once left octets are read.
type cfFailingRand struct {
	r    io.Reader
	left int
}

func (f *cfFailingRand) Read(p []byte) (int, error) {
	if len(p) > f.left {
		return 0, errors.New("cfFailingRand: no more randomness")
	}
	f.left -= len(p)
	return f.r.Read(p)
}

// --- Effects ---

// cfEffect is the class of one change the plan made (see FuzzClient).
type cfEffect struct {
	what   string
	alerts alertClass // what the client may answer it with
	fatal  bool       // a definite defect: the client must not accept it
	stall  bool       // the client may wait for more
	desync bool       // the server may reject the client's next flight
	recv   bool       // the client may fail on an alert from the server
	post   bool       // after the server's Finished: no data round trip check
	// framing marks a harmless change that cannot undo a defect (record
	// boundaries, a legal change_cipher_spec, data after the handshake).
	framing bool
	// hrrWire: the HelloRetryRequest changed on the wire, after the
	// server noted what it asked for.
	hrrWire bool
	// msg is the message a change to a message was made to.
	msg *tlsserver.Message
	// garbage: unprotected handshake octets changed on the wire, so the
	// client may read a message header of any length: one longer than its
	// HandshakeIn buffer is internal_error, an implementation limit (as in
	// crypto/tls; RFC 8446 §6.2 names "a memory allocation failure").
	garbage bool
}

func (e cfEffect) benign() bool {
	return e.alerts.empty() && !e.fatal && !e.stall && !e.desync && !e.recv
}

func (e cfEffect) String() string {
	s := e.what
	if !e.alerts.empty() {
		s += " " + e.alerts.String()
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{e.fatal, "fatal"}, {e.stall, "stall"}, {e.desync, "desync"}, {e.recv, "recv"}, {e.post, "post"}, {e.framing, "framing"}} {
		if f.on {
			s += " " + f.name
		}
	}
	return s
}

// --- Running a plan ---

// cfRun is one conversation under a plan.
type cfRun struct {
	plan    *cfPlan
	offer   cfOffer
	opts    tlsserver.Options
	effects []cfEffect
	done    map[tlsserver.FlightKind]bool
	cur     *cfFlight // the flight being sent, if the plan changes it
	// appDataIn notes a transition on application data from a state
	// other than CONNECTED or LOCAL_CLOSED.
	appDataIn []string
}

func (r *cfRun) add(e cfEffect) { r.effects = append(r.effects, e) }

// cfFlight is the first flight of a kind the plan changes.
type cfFlight struct {
	s        *tlsserver.Server
	f        *tlsserver.Flight
	kind     tlsserver.FlightKind
	origMsgs []*tlsserver.Message
	inserted map[*tlsserver.Message]bool // inserted messages (true: plausible body)
	dupOf    map[*tlsserver.Message]*tlsserver.Message
	origRecs map[*tlsserver.Record]bool
	recs     []cfRecMeta // the records as built, then on the wire
}

// cfRecMeta is what the wire stage knows of a record.
type cfRecMeta struct {
	typ       wire.ContentType
	plaintext bool
	post      bool // under application keys
	hrr       bool // the flight is the HelloRetryRequest's
}

var cfFlightKinds = [8]tlsserver.FlightKind{
	tlsserver.FlightServerHello, tlsserver.FlightServerHello, tlsserver.FlightServerHello,
	tlsserver.FlightHelloRetryRequest, tlsserver.FlightPostHandshake, tlsserver.FlightPostHandshake,
	tlsserver.FlightKeyUpdateReply, tlsserver.FlightEcho,
}

func cfFlightKind(b byte) tlsserver.FlightKind { return cfFlightKinds[b%8] }

func isPostFlight(k tlsserver.FlightKind) bool {
	return k != tlsserver.FlightHelloRetryRequest && k != tlsserver.FlightServerHello
}

// The operations, by stage.
const (
	// Flight: messages and records before encoding.
	opDrop = iota
	opDup
	opMove
	opInsertMessage
	opInsertRecord
	opField
	opAddExtension
	opRemoveExtension
	opRawEdit
	opManyExtensions
	// Records: before protection.
	opSplit
	opCoalesce
	opPad
	opRecordVersion
	// Wire: after protection.
	opWireFlip
	opWireDrop
	opWireReplay
	numCFOps
)

var cfOpNames = [numCFOps]string{"drop", "dup", "move", "insert-message", "insert-record", "field", "add-extension",
	"remove-extension", "raw-edit", "many-extensions", "split", "coalesce", "pad", "record-version", "wire-flip",
	"wire-drop", "wire-replay"}

func cfOpName(op byte) string { return cfOpNames[op%numCFOps] }

func (r *cfRun) muts(kind tlsserver.FlightKind, from, to int) []cfMut {
	var out []cfMut
	for _, m := range r.plan.Muts {
		if op := int(m.Op % numCFOps); cfFlightKind(m.Flight) == kind && op >= from && op < to {
			out = append(out, m)
		}
	}
	return out
}

func (r *cfRun) mutator() *tlsserver.Mutator {
	return &tlsserver.Mutator{Flight: r.onFlight, Records: r.onRecords, Wire: r.onWire}
}

func (r *cfRun) onFlight(s *tlsserver.Server, f *tlsserver.Flight) {
	r.cur = nil
	if r.done[f.Kind] || len(r.muts(f.Kind, 0, numCFOps)) == 0 {
		return
	}
	r.done[f.Kind] = true
	fs := &cfFlight{s: s, f: f, kind: f.Kind, inserted: map[*tlsserver.Message]bool{},
		dupOf: map[*tlsserver.Message]*tlsserver.Message{}, origRecs: map[*tlsserver.Record]bool{}}
	for _, it := range f.Items {
		if it.Msg != nil {
			fs.origMsgs = append(fs.origMsgs, it.Msg)
		} else {
			fs.origRecs[it.Rec] = true
		}
	}
	r.cur = fs
	orig := slices.Clone(f.Items)
	first := len(r.effects)
	for _, m := range r.muts(f.Kind, opDrop, opSplit) {
		r.flightOp(fs, m)
	}
	for i := range r.effects[first:] {
		e := &r.effects[first+i]
		if e.msg != nil && !slices.ContainsFunc(f.Items, func(it tlsserver.Item) bool { return it.Msg == e.msg }) {
			e.fatal = false // the message was dropped after the change
		}
	}
	if isPostFlight(f.Kind) && !slices.Equal(orig, f.Items) {
		// What the client receives changed.
		r.add(cfEffect{what: fmt.Sprintf("%v flight changed", f.Kind), post: true, framing: true})
	}
	r.classifyFlight(fs)
}

func (r *cfRun) onRecords(s *tlsserver.Server, f *tlsserver.Flight, recs []*tlsserver.Record) []*tlsserver.Record {
	fs := r.cur
	if fs == nil || fs.f != f {
		return recs
	}
	for _, m := range r.muts(f.Kind, opSplit, opWireFlip) {
		recs = r.recordOp(fs, m, recs)
	}
	fs.recs = fs.recs[:0]
	for _, rec := range recs {
		fs.recs = append(fs.recs, cfRecMeta{typ: rec.Type, plaintext: rec.Epoch == tlsserver.EpochPlaintext,
			post: rec.Epoch >= tlsserver.EpochApplication, hrr: f.Kind == tlsserver.FlightHelloRetryRequest})
	}
	return recs
}

func (r *cfRun) onWire(s *tlsserver.Server, f *tlsserver.Flight, raw [][]byte) [][]byte {
	fs := r.cur
	if fs == nil || fs.f != f || len(fs.recs) != len(raw) {
		return raw
	}
	for _, m := range r.muts(f.Kind, opWireFlip, numCFOps) {
		raw = r.wireOp(fs, m, raw)
	}
	return raw
}

// --- Flight stage ---

func (fs *cfFlight) messages() []*tlsserver.Message {
	var ms []*tlsserver.Message
	for _, it := range fs.f.Items {
		if it.Msg != nil {
			ms = append(ms, it.Msg)
		}
	}
	return ms
}

// message picks a message of the flight.
func (fs *cfFlight) message(a byte) *tlsserver.Message {
	ms := fs.messages()
	if len(ms) == 0 {
		return nil
	}
	return ms[int(a)%len(ms)]
}

func isHRRMessage(m *tlsserver.Message) bool {
	return m.Type == wire.HandshakeTypeServerHello && len(m.Body) >= 34 && bytes.Equal(m.Body[2:34], tlsserver.HelloRetryRequestRandom)
}

func (r *cfRun) flightOp(fs *cfFlight, m cfMut) {
	f := fs.f
	n := len(f.Items)
	switch int(m.Op % numCFOps) {
	case opDrop:
		if n > 0 {
			f.Remove(int(m.A) % n)
		}
	case opDup:
		if n > 0 {
			i := int(m.A) % n
			it := f.Items[i]
			if it.Msg != nil {
				c := it.Msg.Clone()
				fs.dupOf[c] = it.Msg
				it = tlsserver.Item{Msg: c}
			} else {
				c := *it.Rec
				if fs.origRecs[it.Rec] {
					fs.origRecs[&c] = true
				}
				it = tlsserver.Item{Rec: &c}
			}
			f.Insert(i+1, it)
		}
	case opMove:
		if n > 0 {
			f.Move(int(m.A)%n, int(m.B)%n)
		}
	case opInsertMessage:
		msg, plausible := cfNewMessage(fs, m)
		fs.inserted[msg] = plausible
		f.Insert(int(m.A)%(n+1), tlsserver.Item{Msg: msg})
	case opInsertRecord:
		// Repeated: 64 records without content in a row are too many.
		var recs []tlsserver.Item
		for range 1 + int(m.C>>3)*4 {
			recs = append(recs, tlsserver.Item{Rec: cfNewRecord(fs, m)})
		}
		f.Insert(int(m.A)%(n+1), recs...)
	case opField:
		if msg := fs.message(m.A); msg != nil {
			if e, ok := r.editField(fs, msg, m); ok {
				e.msg = msg
				r.add(e)
			}
		}
	case opAddExtension:
		if msg := fs.message(m.A); msg != nil {
			if e, ok := r.addExtension(fs, msg, m); ok {
				e.msg = msg
				r.add(e)
			}
		}
	case opRemoveExtension:
		if msg := fs.message(m.A); msg != nil {
			if e, ok := r.removeExtension(fs, msg, m); ok {
				e.msg = msg
				r.add(e)
			}
		}
	case opRawEdit:
		if msg := fs.message(m.A); msg != nil {
			if e, ok := r.rawEdit(fs, msg, m); ok {
				e.msg = msg
				r.add(e)
			}
		}
	case opManyExtensions:
		if msg := fs.message(m.A); msg != nil && msg.Compute == tlsserver.ComputeNone {
			exts, err := msg.Extensions()
			if err != nil {
				return
			}
			k := 1 + int(m.B)%40
			for i := range k {
				exts = append(exts, wire.Extension{ExtensionType: wire.ExtensionType(0xff00 + i), ExtensionData: m.Data[:min(len(m.Data), int(m.C)%8)]})
			}
			if msg.SetExtensions(exts) != nil {
				return
			}
			e := cfEffect{what: fmt.Sprintf("%d unknown extensions in %v", k, cfMsgName(msg))}
			switch msg.Type {
			case wire.HandshakeTypeCertificateRequest, wire.HandshakeTypeNewSessionTicket: // §4.3.2, §4.6.1: ignored
				e.alerts = cfUnknownExtensionLimit(msg)
			default:
				e.alerts = alertsOf(adUnsuppExt)
			}
			e.post = isPostFlight(fs.kind) || msg.Type == wire.HandshakeTypeNewSessionTicket
			e.msg = msg
			r.add(e)
		}
	}
}

// cfNewMessage builds a message to insert: a plausible one of the type, or
// one with the fuzzer's body.
func cfNewMessage(fs *cfFlight, m cfMut) (*tlsserver.Message, bool) {
	types := []wire.HandshakeType{
		wire.HandshakeTypeServerHello, wire.HandshakeTypeServerHello /* HelloRetryRequest */, wire.HandshakeTypeEncryptedExtensions,
		wire.HandshakeTypeCertificateRequest, wire.HandshakeTypeCertificate, wire.HandshakeTypeCertificateVerify,
		wire.HandshakeTypeFinished, wire.HandshakeTypeNewSessionTicket, wire.HandshakeTypeKeyUpdate,
		wire.HandshakeTypeClientHello, wire.HandshakeTypeEndOfEarlyData, wire.HandshakeTypeMessageHash, 0x63,
		wire.HandshakeType(m.V >> 8), // any
	}
	k := int(m.B) % len(types)
	typ := types[k]
	if m.C%2 == 1 {
		return &tlsserver.Message{Type: typ, Body: slices.Clone(m.Data)}, false
	}
	var body []byte
	switch {
	case k == 0: // a copy of the flight's ServerHello, or a minimal one
		if sh := fs.f.Message(wire.HandshakeTypeServerHello); sh != nil && !isHRRMessage(sh) {
			body = slices.Clone(sh.Body)
		} else {
			body = cfMinimalHello(make([]byte, 32))
		}
	case k == 1:
		body = cfMinimalHello(tlsserver.HelloRetryRequestRandom)
	case typ == wire.HandshakeTypeEncryptedExtensions:
		body = []byte{0, 0}
	case typ == wire.HandshakeTypeCertificateRequest:
		body = []byte{0, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3}
	case typ == wire.HandshakeTypeCertificate:
		body, _ = tlsserver.CertificateMessage(tlsserver.ServerCertificate().Chain).Append(nil)
	case typ == wire.HandshakeTypeCertificateVerify:
		body = append([]byte{4, 3, 0, byte(len(m.Data))}, m.Data...)
	case typ == wire.HandshakeTypeFinished:
		body = append(slices.Clone(m.Data), make([]byte, 32)...)[:32]
	case typ == wire.HandshakeTypeNewSessionTicket:
		body = tlsserver.TicketItem(byte(m.V)).Msg.Body
	case typ == wire.HandshakeTypeKeyUpdate:
		body = []byte{byte(m.V) % 2}
	case typ == wire.HandshakeTypeClientHello:
		body, _ = fs.s.ClientHello().Append(nil)
	case typ == wire.HandshakeTypeMessageHash:
		body = make([]byte, 32)
	default:
		body = slices.Clone(m.Data)
	}
	return &tlsserver.Message{Type: typ, Body: body}, true
}

// cfMinimalHello is a ServerHello body with the given random, an empty
// session id, TLS_AES_128_GCM_SHA256 and supported_versions only.
func cfMinimalHello(random []byte) []byte {
	b := append([]byte{3, 3}, random...)
	return append(b, 0, 0x13, 0x01, 0, 0, 6, 0, 0x2b, 0, 2, 3, 4)
}

func cfNewRecord(fs *cfFlight, m cfMut) *tlsserver.Record {
	var rec tlsserver.Record
	switch m.B % 8 {
	case 0:
		rec = tlsserver.Record{Type: wire.ContentTypeChangeCipherSpec, Payload: []byte{1}, Epoch: tlsserver.EpochPlaintext}
	case 1:
		rec = tlsserver.Record{Type: wire.ContentTypeAlert, Payload: []byte{byte(m.V >> 8), byte(m.V)}}
	case 2:
		rec = tlsserver.Record{Type: wire.ContentTypeApplicationData, Payload: slices.Clone(m.Data)}
	case 3:
		rec = tlsserver.Record{Type: wire.ContentTypeHandshake}
	case 4:
		rec = tlsserver.Record{Type: wire.ContentType(m.V), Payload: slices.Clone(m.Data)}
	case 5:
		rec = tlsserver.Record{Type: wire.ContentTypeChangeCipherSpec, Payload: slices.Clone(m.Data), Epoch: tlsserver.EpochPlaintext}
	case 6:
		rec = tlsserver.Record{Type: wire.ContentTypeAlert, Payload: slices.Clone(m.Data)}
	case 7:
		rec = tlsserver.Record{Type: wire.ContentTypeApplicationData}
	}
	// C chooses the keys: the natural ones (auto; unprotected for a
	// change_cipher_spec), or explicit ones the flight has.
	switch m.C % 4 {
	case 2:
		rec.Epoch = tlsserver.EpochPlaintext
	case 3:
		switch {
		case fs.kind == tlsserver.FlightHelloRetryRequest:
			rec.Epoch = tlsserver.EpochPlaintext
		case m.C&4 != 0:
			rec.Epoch = tlsserver.EpochHandshake
		default:
			rec.Epoch = tlsserver.EpochApplication
		}
	}
	return &rec
}

// classifyFlight classifies the structure of a flight after the flight
// stage: which messages it has in which order, and its records.
func (r *cfRun) classifyFlight(fs *cfFlight) {
	items := fs.f.Items
	hsEnd := 0 // items[:hsEnd] are before and with the server's Finished
	var fin *tlsserver.Message
	switch fs.kind {
	case tlsserver.FlightHelloRetryRequest:
		hsEnd = len(items)
	case tlsserver.FlightServerHello:
		hsEnd = len(items)
		for _, m := range fs.origMsgs {
			if m.Type == wire.HandshakeTypeFinished {
				fin = m
			}
		}
		for i, it := range items {
			if fin != nil && it.Msg == fin {
				hsEnd = i + 1
			}
		}
	}
	if !isPostFlight(fs.kind) {
		var got []*tlsserver.Message
		for _, it := range items[:hsEnd] {
			if it.Msg != nil {
				got = append(got, it.Msg)
			}
		}
		if !slices.Equal(got, fs.origMsgs) {
			e := cfEffect{what: fmt.Sprintf("%v flight messages %s", fs.kind, cfMsgNames(got)), alerts: acUnexpected, desync: true}
			for _, m := range got {
				if _, ok := fs.inserted[m]; ok || fs.dupOf[m] != nil {
					e.alerts = e.alerts.or(cfParseClass(m.Type))
				}
			}
			for _, m := range fs.origMsgs {
				if !slices.Contains(got, m) {
					e.stall = true
				}
			}
			r.add(e)
		}
	}
	run, longest := 0, 0
	for _, it := range items {
		switch {
		case it.Rec != nil && (it.Rec.Type == wire.ContentTypeChangeCipherSpec ||
			it.Rec.Type == wire.ContentTypeApplicationData && len(it.Rec.Payload) == 0):
			run++
			longest = max(longest, run)
		case it.Msg != nil || it.Rec != nil && len(it.Rec.Payload) > 0:
			run = 0
		}
	}
	if longest > 32 {
		// The RFC sets no bound; the client refuses more than a few dozen
		// records without content in a row, as crypto/tls does.
		r.add(cfEffect{what: fmt.Sprintf("%d records without content in a row", longest), alerts: acUnexpected})
	}
	for i, it := range items {
		post := i >= hsEnd
		switch {
		case it.Msg != nil && post:
			if e, ok := classifyPostMessage(fs, it.Msg); ok {
				r.add(e)
			}
		case it.Rec != nil:
			if e, ok := classifyRecord(fs, it.Rec, post); ok {
				r.add(e)
			}
		}
	}
}

// classifyPostMessage classifies a message after the server's Finished;
// ok is false for one the flight had from the start.
func classifyPostMessage(fs *cfFlight, m *tlsserver.Message) (e cfEffect, ok bool) {
	e = cfEffect{what: "after the handshake: " + cfMsgName(m), post: true}
	orig := slices.Contains(fs.origMsgs, m) || fs.dupOf[m] != nil
	plausible, inserted := fs.inserted[m]
	switch {
	case m.Type != wire.HandshakeTypeNewSessionTicket && m.Type != wire.HandshakeTypeKeyUpdate:
		// §4.6: only tickets, KeyUpdates (and post-handshake
		// authentication, which the client does not offer).
		e.alerts, e.fatal = acUnexpected, true
		if !isPostFlight(fs.kind) {
			e.desync = true // moved out of the handshake
		}
	case orig && isPostFlight(fs.kind), inserted && plausible:
		if !inserted && fs.dupOf[m] == nil {
			return e, false
		}
		e.framing = true
	case m.Type == wire.HandshakeTypeKeyUpdate && len(m.Body) == 1 && m.Body[0] <= 1:
	case m.Type == wire.HandshakeTypeKeyUpdate:
		e.alerts, e.fatal = acKeyUpdate, true
	default:
		e.alerts = acTicket
	}
	return e, true
}

// classifyRecord classifies a record of the flight; ok is false for one
// the flight had from the start, where it was.
func classifyRecord(fs *cfFlight, rec *tlsserver.Record, post bool) (cfEffect, bool) {
	if fs.origRecs[rec] && !post && rec.Type == wire.ContentTypeChangeCipherSpec {
		return cfEffect{}, false // the middlebox change_cipher_spec (maybe moved or copied)
	}
	if fs.origRecs[rec] && post && isPostFlight(fs.kind) {
		return cfEffect{}, false // the server's data, or its echo
	}
	e := cfEffect{what: fmt.Sprintf("%v record (%v, %d octets)", rec.Type, rec.Epoch, len(rec.Payload)), post: post}
	natural := rec.Epoch == tlsserver.EpochAuto || rec.Type == wire.ContentTypeChangeCipherSpec && rec.Epoch == tlsserver.EpochPlaintext
	if !natural {
		e.alerts = acWrongKeys
	}
	switch rec.Type {
	case wire.ContentTypeChangeCipherSpec:
		if bytes.Equal(rec.Payload, []byte{1}) && rec.Epoch == tlsserver.EpochPlaintext && !post {
			e.framing = true // §5: dropped
			return e, true
		}
		e.alerts = e.alerts.or(acUnexpected) // §5
	case wire.ContentTypeAlert:
		e.recv = true
		if len(rec.Payload) != 2 {
			e.alerts = e.alerts.or(alertsOf(adDecode))
		}
	case wire.ContentTypeApplicationData:
		if post && natural {
			e.framing = true
			return e, true
		}
		e.alerts = e.alerts.or(acUnexpected)
	default: // an empty handshake record (§5.1), or an unknown type (§5)
		e.alerts = e.alerts.or(alertsOf(adUnexpected, adDecode))
	}
	return e, true
}

func cfMsgName(m *tlsserver.Message) string {
	if isHRRMessage(m) {
		return "HelloRetryRequest"
	}
	return m.Type.String()
}

func cfMsgNames(ms []*tlsserver.Message) string {
	var names []string
	for _, m := range ms {
		names = append(names, cfMsgName(m))
	}
	return "[" + strings.Join(names, " ") + "]"
}

// --- Field edits ---

// editBody changes msg's body with fn now, or, for a message the server
// computes (CertificateVerify, Finished), when it is sent. The change is
// classified as e if it changed anything: for a computed message, e is
// added then, and editBody reports false.
func (r *cfRun) editBody(msg *tlsserver.Message, e cfEffect, fn func([]byte) []byte) (cfEffect, bool) {
	if msg.Compute == tlsserver.ComputeNone {
		before := msg.Body
		msg.Body = fn(slices.Clone(before))
		return e, !bytes.Equal(before, msg.Body)
	}
	old := msg.Edit
	msg.Edit = func(b []byte) []byte {
		if old != nil {
			b = old(b)
		}
		before := slices.Clone(b)
		if b = fn(b); !bytes.Equal(before, b) {
			r.add(e)
		}
		return b
	}
	return e, false
}

// cfEditAs decodes msg's body as a T, lets fn change it and encodes it back;
// it reports whether anything changed.
func cfEditAs[T any, P interface {
	*T
	Unmarshal([]byte) error
	Append([]byte) ([]byte, error)
}](msg *tlsserver.Message, fn func(P)) bool {
	before := slices.Clone(msg.Body)
	if tlsserver.Edit[T, P](msg, fn) != nil {
		return false
	}
	return !bytes.Equal(before, msg.Body)
}

var (
	cfSuiteChoices = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256,
		0x1304, 0x1305, 0xc02f, 0}
	cfGroupChoices = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384,
		tls.X25519MLKEM768, tls.CurveID(wire.NamedGroupFfdhe2048)}
	cfSchemeChoices = []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256, tls.ECDSAWithP384AndSHA384,
		tls.Ed25519, tls.PSSWithSHA256, tls.PKCS1WithSHA256,
		tls.SignatureScheme(wire.SignatureSchemeEcdsaSha1), 0}
)

func cfChoose[T any](list []T, v uint16, other T) T {
	if i := int(v) % (len(list) + 1); i < len(list) {
		return list[i]
	}
	return other
}

// cfChangeBytes changes b by mode: empty, flip an octet, one more, one
// less, or replace with data. It returns b unchanged when it cannot.
func cfChangeBytes(b []byte, mode byte, v uint16, data []byte, max int) []byte {
	switch mode % 5 {
	case 0:
		return nil
	case 1:
		if len(b) > 0 {
			b = slices.Clone(b)
			b[int(v)%len(b)] ^= byte(v>>8) | 1
		}
	case 2:
		if len(b) < max {
			b = append(slices.Clone(b), byte(v))
		}
	case 3:
		if len(b) > 0 {
			b = b[:len(b)-1]
		}
	case 4:
		b = slices.Clone(data[:min(len(data), max)])
	}
	return b
}

func (r *cfRun) editField(fs *cfFlight, msg *tlsserver.Message, m cfMut) (cfEffect, bool) {
	o := r.offer
	e := cfEffect{post: isPostFlight(fs.kind)}
	fatal := func(what string, cls ...tls.AlertDescription) (cfEffect, bool) {
		e.what, e.alerts, e.fatal = what, alertsOf(cls...), true
		return e, true
	}
	tolerated := func(what string, cls ...tls.AlertDescription) (cfEffect, bool) {
		e.what, e.alerts = what, alertsOf(cls...)
		return e, true
	}
	legal := func(what string) (cfEffect, bool) {
		e.what = what
		return e, true
	}
	defect := func(what string, cls ...tls.AlertDescription) cfEffect {
		d := e
		d.what, d.alerts, d.fatal = what, alertsOf(cls...), true
		return d
	}
	hrr := isHRRMessage(msg)
	switch {
	case msg.Type == wire.HandshakeTypeServerHello && !hrr:
		var sh wire.ServerHello
		if sh.Unmarshal(slices.Clone(msg.Body)) != nil {
			return e, false
		}
		switch m.B % 8 {
		case 0:
			if cfEditAs(msg, func(sh *wire.ServerHello) { sh.LegacyVersion = wire.ProtocolVersion(m.V) }) {
				return fatal("ServerHello legacy_version", adIllegal, adProtoVersion, adDecode)
			}
		case 1:
			suite := cfChoose(cfSuiteChoices, m.V, uint16(m.V))
			if !cfEditAs(msg, func(sh *wire.ServerHello) { sh.CipherSuite = wire.CipherSuite(suite) }) {
				return e, false
			}
			switch {
			case fs.s.DidHelloRetryRequest() || !slices.Contains(o.suites, suite):
				return fatal("ServerHello cipher_suite "+tls.CipherSuiteName(suite), adIllegal) // §4.1.3, §4.1.4
			case slices.Contains(cfServerSuites, suite):
				return legal("ServerHello cipher_suite " + tls.CipherSuiteName(suite)) // the server follows
			default:
				e.desync = true // the server keeps its keys: the client cannot read it
				return fatal("ServerHello cipher_suite "+tls.CipherSuiteName(suite)+" the server cannot do", adBadMAC)
			}
		case 2:
			if cfEditAs(msg, func(sh *wire.ServerHello) {
				sh.LegacySessionIDEcho = cfChangeBytes(sh.LegacySessionIDEcho, m.C, m.V, m.Data, 32)
			}) {
				return fatal("ServerHello legacy_session_id_echo", adIllegal) // §4.1.3
			}
		case 3:
			if cfEditAs(msg, func(sh *wire.ServerHello) { sh.LegacyCompressionMethod = m.C | 1 }) {
				return fatal("ServerHello legacy_compression_method", adIllegal, adDecode)
			}
		case 4:
			if !sh.Extensions.Has(wire.ExtensionTypeSupportedVersions) {
				return e, false
			}
			if cfEditAs(msg, func(sh *wire.ServerHello) {
				sh.Extensions.SupportedVersions.SelectedVersion = wire.ProtocolVersion(m.V)
			}) {
				return fatal("ServerHello selected_version", adIllegal, adProtoVersion) // §4.2.1
			}
		case 5:
			if !sh.Extensions.Has(wire.ExtensionTypeKeyShare) {
				return e, false
			}
			g := cfChoose(cfGroupChoices, m.V, tls.CurveID(m.V))
			if cfEditAs(msg, func(sh *wire.ServerHello) { sh.Extensions.KeyShare.ServerShare.Group = wire.NamedGroup(g) }) {
				return fatal("ServerHello key share group "+g.String(), adIllegal, adDecode, adHandshake) // §4.2.8
			}
		case 6:
			if !sh.Extensions.Has(wire.ExtensionTypeKeyShare) {
				return e, false
			}
			if cfEditAs(msg, func(sh *wire.ServerHello) {
				ks := &sh.Extensions.KeyShare.ServerShare
				ks.KeyExchange = cfChangeBytes(ks.KeyExchange, m.C, m.V, m.Data, 200)
			}) {
				// §4.2.8.1, §4.2.8.2: an invalid share is illegal_parameter; a
				// valid other one gives other keys.
				e.desync = true
				return fatal("ServerHello key share octets", adIllegal, adDecode, adHandshake, adBadMAC)
			}
		case 7:
			random := append(slices.Clone(m.Data), make([]byte, 32)...)[:32]
			if m.C%2 == 1 {
				random = append(slices.Clone(sh.Random[:24]), "DOWNGRD\x01"...)
			}
			if cfEditAs(msg, func(sh *wire.ServerHello) { sh.Random = random }) {
				if bytes.Equal(random, tlsserver.HelloRetryRequestRandom) {
					e.desync = true
					return tolerated("ServerHello random of a HelloRetryRequest", adIllegal, adUnexpected, adDecode, adUnsuppExt)
				}
				// §4.1.3: the downgrade sentinels matter only in a TLS 1.2 ServerHello.
				return legal("ServerHello random")
			}
		}
	case hrr:
		var h wire.HelloRetryRequest
		if h.Unmarshal(slices.Clone(msg.Body)) != nil {
			return e, false
		}
		switch m.B % 7 {
		case 0:
			if cfEditAs(msg, func(h *wire.HelloRetryRequest) { h.LegacyVersion = wire.ProtocolVersion(m.V) }) {
				return fatal("HelloRetryRequest legacy_version", adIllegal, adProtoVersion, adDecode)
			}
		case 1:
			suite := cfChoose(cfSuiteChoices, m.V, uint16(m.V))
			if cfEditAs(msg, func(h *wire.HelloRetryRequest) { h.CipherSuite = wire.CipherSuite(suite) }) {
				// Not offered: §4.1.4; offered: the ServerHello then has another (§4.1.4).
				return fatal("HelloRetryRequest cipher_suite "+tls.CipherSuiteName(suite), adIllegal)
			}
		case 2:
			if cfEditAs(msg, func(h *wire.HelloRetryRequest) {
				h.LegacySessionIDEcho = cfChangeBytes(h.LegacySessionIDEcho, m.C, m.V, m.Data, 32)
			}) {
				return fatal("HelloRetryRequest legacy_session_id_echo", adIllegal)
			}
		case 3:
			if cfEditAs(msg, func(h *wire.HelloRetryRequest) { h.LegacyCompressionMethod = m.C | 1 }) {
				return fatal("HelloRetryRequest legacy_compression_method", adIllegal, adDecode)
			}
		case 4:
			if !h.Extensions.Has(wire.ExtensionTypeSupportedVersions) {
				return e, false
			}
			if cfEditAs(msg, func(h *wire.HelloRetryRequest) {
				h.Extensions.SupportedVersions.SelectedVersion = wire.ProtocolVersion(m.V)
			}) {
				return fatal("HelloRetryRequest selected_version", adIllegal, adProtoVersion)
			}
		case 5:
			if !h.Extensions.Has(wire.ExtensionTypeKeyShare) {
				return e, false
			}
			g := cfChoose(cfGroupChoices, m.V, tls.CurveID(m.V))
			if !cfEditAs(msg, func(h *wire.HelloRetryRequest) { h.Extensions.KeyShare.SelectedGroup = wire.NamedGroup(g) }) {
				return e, false
			}
			if slices.Contains(o.keyShares, tls.CurveID(g)) || !slices.Contains(o.curves, tls.CurveID(g)) {
				return fatal("HelloRetryRequest group "+g.String(), adIllegal) // §4.1.4, §4.2.8
			}
			if !slices.Contains(cfServerGroups, g) {
				e.desync, e.stall = true, true // the server cannot use the share it asked for
			}
			return legal("HelloRetryRequest group " + g.String())
		case 6:
			if len(m.Data) == 0 {
				return e, false
			}
			had := h.Extensions.Has(wire.ExtensionTypeCookie)
			if !cfEditAs(msg, func(h *wire.HelloRetryRequest) {
				h.Extensions.Add(wire.ExtensionTypeCookie)
				h.Extensions.Cookie.Cookie = slices.Clone(m.Data)
			}) {
				return e, false
			}
			if had && r.opts.HRRCookie != nil {
				e.desync, e.stall = true, true // the server checks its own cookie
			}
			return legal("HelloRetryRequest cookie")
		}
	case msg.Type == wire.HandshakeTypeEncryptedExtensions:
		switch m.B % 4 {
		case 0, 1:
			name := string(m.Data)
			list := []string{name}
			if m.B%3 == 1 {
				list = []string{"h2", name}
			}
			var body []byte
			for _, p := range list {
				body = append(body, byte(len(p)))
				body = append(body, p...)
			}
			body = append([]byte{byte(len(body) >> 8), byte(len(body))}, body...)
			if msg.RemoveExtension(wire.ExtensionTypeApplicationLayerProtocolNegotiation) != nil ||
				msg.AddExtension(wire.ExtensionTypeApplicationLayerProtocolNegotiation, body) != nil {
				return e, false
			}
			switch {
			case len(o.alpn) == 0 && name == "":
				return fatal("malformed ALPN the client did not offer", adUnsuppExt, adDecode)
			case len(o.alpn) == 0:
				return fatal("ALPN the client did not offer", adUnsuppExt) // §4.2
			case len(list) > 1 || name == "":
				return fatal(fmt.Sprintf("ALPN %q", list), adIllegal, adDecode) // RFC 7301 §3.1
			case !slices.Contains(o.alpn, name):
				return fatal(fmt.Sprintf("ALPN %q not offered", name), adIllegal, adNoALPN)
			}
			return legal(fmt.Sprintf("ALPN %q", name))
		case 2:
			if _, ok := msg.Extension(wire.ExtensionTypeServerName); ok {
				return e, false
			}
			if msg.AddExtension(wire.ExtensionTypeServerName, nil) != nil {
				return e, false
			}
			return legal("empty server_name acknowledged") // RFC 6066 §3; the client sent one
		case 3:
			if msg.RemoveExtension(wire.ExtensionTypeRecordSizeLimit) != nil ||
				msg.AddExtension(wire.ExtensionTypeRecordSizeLimit, []byte{byte(m.V >> 8), byte(m.V)}) != nil {
				return e, false
			}
			switch {
			case o.recordLimit == 0:
				return fatal("record_size_limit the client did not offer", adUnsuppExt) // RFC 8449 §4, §4.2
			case m.V < 64:
				return fatal(fmt.Sprintf("record_size_limit %d", m.V), adIllegal) // RFC 8449 §4
			}
			return legal(fmt.Sprintf("record_size_limit %d", m.V))
		}
	case msg.Type == wire.HandshakeTypeCertificateRequest:
		switch m.B % 2 {
		case 0:
			ctx := m.Data
			if len(ctx) == 0 {
				ctx = []byte{m.C}
			}
			if cfEditAs(msg, func(cr *wire.CertificateRequest) { cr.CertificateRequestContext = slices.Clone(ctx) }) {
				return fatal("CertificateRequest context", adIllegal, adDecode) // §4.3.2
			}
		case 1:
			list := m.Data[:len(m.Data)&^1]
			body := append([]byte{byte(len(list) >> 8), byte(len(list))}, list...)
			if msg.RemoveExtension(wire.ExtensionTypeSignatureAlgorithms) != nil ||
				msg.AddExtension(wire.ExtensionTypeSignatureAlgorithms, body) != nil {
				return e, false
			}
			if len(list) == 0 {
				return fatal("CertificateRequest with empty signature_algorithms", adDecode, adIllegal)
			}
			// The client answers with the certificate it can sign for, or none.
			return legal(fmt.Sprintf("CertificateRequest signature_algorithms %x", list))
		}
	case msg.Type == wire.HandshakeTypeCertificate:
		switch m.B % 5 {
		case 0:
			ctx := m.Data
			if len(ctx) == 0 {
				ctx = []byte{m.C}
			}
			if cfEditAs(msg, func(c *wire.Certificate) { c.CertificateRequestContext = slices.Clone(ctx) }) {
				return fatal("Certificate context", adIllegal, adDecode) // §4.4.2
			}
		case 1:
			if cfEditAs(msg, func(c *wire.Certificate) { _ = c.CertificateList.SetBytes(nil) }) {
				return fatal("empty Certificate", adDecode) // §4.4.2.4
			}
		case 2:
			var c wire.Certificate
			if c.Unmarshal(slices.Clone(msg.Body)) != nil {
				return e, false
			}
			it := c.CertificateList.Iter()
			var entry wire.CertificateEntry
			if !it.Next(&entry) || len(entry.CertData) == 0 {
				return e, false
			}
			der := slices.Clone(entry.CertData)
			der[int(m.V)%len(der)] ^= m.C | 1
			chain := [][]byte{der}
			for it.Next(&entry) {
				chain = append(chain, slices.Clone(entry.CertData))
			}
			body, err := tlsserver.CertificateMessage(chain).Append(nil)
			if err != nil {
				return e, false
			}
			msg.Body = body
			// The pin is over the key: a changed key or a certificate that
			// does not parse is refused, anything else is no matter.
			return tolerated("Certificate octet flipped", acCertificate.list()...)
		case 3:
			extra := m.Data
			if len(extra) == 0 {
				extra = tlsserver.ServerCertificate().Chain[0]
			}
			body, err := tlsserver.CertificateMessage([][]byte{tlsserver.ServerCertificate().Chain[0], extra}).Append(nil)
			if err != nil || bytes.Equal(body, msg.Body) {
				return e, false
			}
			msg.Body = body
			return tolerated("Certificate with a second certificate", adBadCert, adDecode, adUnsuppCert, adCertUnknown)
		case 4:
			n := 2 + int(m.V)%12
			chain := slices.Repeat([][]byte{tlsserver.ServerCertificate().Chain[0]}, n)
			body, err := tlsserver.CertificateMessage(chain).Append(nil)
			if err != nil {
				return e, false
			}
			msg.Body = body
			// The RFC sets no bound; the client has one (bad_certificate).
			return tolerated(fmt.Sprintf("Certificate chain of %d", n), adBadCert)
		}
	case msg.Type == wire.HandshakeTypeCertificateVerify && msg.Compute == tlsserver.ComputeCertificateVerify:
		switch m.B % 3 {
		case 0:
			scheme := cfChoose(cfSchemeChoices, m.V, tls.SignatureScheme(m.V))
			if scheme == tls.SignatureScheme(tlsserver.ServerCertificate().Scheme) {
				return e, false
			}
			// §4.4.3
			return r.editBody(msg, defect("CertificateVerify scheme "+scheme.String(), adIllegal, adDecrypt), func(b []byte) []byte {
				var cv wire.CertificateVerify
				if cv.Unmarshal(b) != nil {
					return b
				}
				cv.Algorithm = wire.SignatureScheme(scheme)
				out, _ := cv.Append(nil)
				return out
			})
		case 1, 2:
			return r.editBody(msg, defect("CertificateVerify signature", adDecrypt, adDecode), func(b []byte) []byte {
				var cv wire.CertificateVerify
				if cv.Unmarshal(b) != nil {
					return b
				}
				sig := slices.Clone(cv.Signature)
				if m.B%3 == 1 && len(sig) > 0 {
					sig[int(m.V)%len(sig)] ^= m.C | 1
				} else {
					sig = append(sig[:int(m.V)%(len(sig)+1)], m.Data...)
				}
				cv.Signature = sig
				out, _ := cv.Append(nil)
				return out
			})
		}
	case msg.Type == wire.HandshakeTypeFinished && msg.Compute == tlsserver.ComputeFinished:
		switch m.B % 2 {
		case 0:
			return r.editBody(msg, defect("Finished verify_data flipped", adDecrypt), func(b []byte) []byte { // §4.4.4
				if len(b) > 0 {
					b[int(m.V)%len(b)] ^= m.C | 1
				}
				return b
			})
		case 1:
			if m.V%2 == 0 {
				k := int(m.V>>1) % 32
				return r.editBody(msg, defect("Finished verify_data truncated", adDecode, adDecrypt),
					func(b []byte) []byte { return b[:min(k, len(b))] })
			}
			extra := append(slices.Clone(m.Data), m.C)
			return r.editBody(msg, defect("Finished verify_data extended", adDecode, adDecrypt),
				func(b []byte) []byte { return append(b, extra...) })
		}
	case msg.Type == wire.HandshakeTypeNewSessionTicket:
		e.post = true
		switch m.B % 4 {
		case 0:
			lifetime := []uint32{0, 604800, 604801, uint32(m.V) * (uint32(m.C) + 1) * 64}[m.C%4]
			if !cfEditAs(msg, func(t *wire.NewSessionTicket) { t.TicketLifetime = lifetime }) {
				return e, false
			}
			if lifetime > 604800 {
				// §4.6.1: servers MUST NOT; the client may refuse.
				return tolerated(fmt.Sprintf("ticket lifetime %d", lifetime), adIllegal)
			}
			return legal(fmt.Sprintf("ticket lifetime %d", lifetime))
		case 1:
			if cfEditAs(msg, func(t *wire.NewSessionTicket) { t.TicketNonce = slices.Clone(m.Data) }) {
				return legal("ticket nonce")
			}
		case 2:
			if cfEditAs(msg, func(t *wire.NewSessionTicket) { t.TicketAgeAdd = uint32(m.V) << (m.C % 17) }) {
				return legal("ticket age_add")
			}
		case 3:
			if len(m.Data) == 0 {
				body, ok := cfTicketWithEmptyTicket(msg.Body)
				if !ok {
					return e, false
				}
				msg.Body = body
				return fatal("ticket with an empty ticket", adDecode) // ticket<1..2^16-1>
			}
			if cfEditAs(msg, func(t *wire.NewSessionTicket) { t.Ticket = slices.Clone(m.Data) }) {
				return legal("ticket")
			}
		}
	case msg.Type == wire.HandshakeTypeKeyUpdate:
		e.post = true
		if !cfEditAs(msg, func(k *wire.KeyUpdate) { k.RequestUpdate = wire.KeyUpdateRequest(m.C) }) {
			return e, false
		}
		if m.C > 1 {
			return fatal(fmt.Sprintf("KeyUpdate request_update %d", m.C), adIllegal, adDecode) // §4.6.3
		}
		return legal(fmt.Sprintf("KeyUpdate request_update %d", m.C))
	}
	return e, false
}

// cfTicketWithEmptyTicket re-encodes a NewSessionTicket body with an empty
// ticket field, which the generated encoder refuses.
func cfTicketWithEmptyTicket(body []byte) ([]byte, bool) {
	if len(body) < 9 {
		return nil, false
	}
	off := 8 + 1 + int(body[8]) // lifetime, age_add, nonce
	if off+2 > len(body) {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(body[off:]))
	if off+2+n > len(body) {
		return nil, false
	}
	out := append(slices.Clone(body[:off]), 0, 0)
	return append(out, body[off+2+n:]...), true
}

// --- Extensions ---

// cfExtensionChoices are the extensions the plan adds: RFC 8446's, a few
// the client does not know, and GREASE.
var cfExtensionChoices = []wire.ExtensionType{
	wire.ExtensionTypeServerName, wire.ExtensionTypeMaxFragmentLength, wire.ExtensionTypeStatusRequest,
	wire.ExtensionTypeSupportedGroups, wire.ExtensionTypeSignatureAlgorithms, 14 /* use_srtp */, 15, /* heartbeat */
	wire.ExtensionTypeApplicationLayerProtocolNegotiation, 18 /* signed_certificate_timestamp */, 21, /* padding */
	wire.ExtensionTypeRecordSizeLimit, wire.ExtensionTypePreSharedKey, wire.ExtensionTypeEarlyData,
	wire.ExtensionTypeSupportedVersions, wire.ExtensionTypeCookie, wire.ExtensionTypePskKeyExchangeModes,
	wire.ExtensionTypeCertificateAuthorities, wire.ExtensionTypeOidFilters, wire.ExtensionTypePostHandshakeAuth,
	wire.ExtensionTypeSignatureAlgorithmsCert, wire.ExtensionTypeKeyShare, 0x0a0a, 0xff01,
}

// cfExtensionAllowed is RFC 8446 §4.2's table (plus RFC 8449's
// record_size_limit and RFC 6962's signed_certificate_timestamp) for the
// messages a server sends; nil for extensions RFC 8446 does not list.
func cfExtensionAllowed(x wire.ExtensionType) []string {
	switch x {
	case wire.ExtensionTypeServerName, wire.ExtensionTypeMaxFragmentLength, wire.ExtensionTypeSupportedGroups, 14, 15,
		wire.ExtensionTypeApplicationLayerProtocolNegotiation, 19, 20, wire.ExtensionTypeRecordSizeLimit:
		return []string{"EE"}
	case wire.ExtensionTypeStatusRequest, 18:
		return []string{"CR", "CT"}
	case wire.ExtensionTypeSignatureAlgorithms, wire.ExtensionTypeCertificateAuthorities, wire.ExtensionTypeOidFilters,
		wire.ExtensionTypeSignatureAlgorithmsCert:
		return []string{"CR"}
	case wire.ExtensionTypePreSharedKey:
		return []string{"SH"}
	case wire.ExtensionTypeEarlyData:
		return []string{"EE", "NST"}
	case wire.ExtensionTypeSupportedVersions, wire.ExtensionTypeKeyShare:
		return []string{"SH", "HRR"}
	case wire.ExtensionTypeCookie:
		return []string{"HRR"}
	case 21, wire.ExtensionTypePskKeyExchangeModes, wire.ExtensionTypePostHandshakeAuth:
		return []string{"CH"}
	}
	return nil
}

func cfMsgCode(m *tlsserver.Message) string {
	switch {
	case isHRRMessage(m):
		return "HRR"
	case m.Type == wire.HandshakeTypeServerHello:
		return "SH"
	case m.Type == wire.HandshakeTypeEncryptedExtensions:
		return "EE"
	case m.Type == wire.HandshakeTypeCertificateRequest:
		return "CR"
	case m.Type == wire.HandshakeTypeCertificate:
		return "CT"
	case m.Type == wire.HandshakeTypeNewSessionTicket:
		return "NST"
	}
	return ""
}

// cfPlausibleExtension is a well-formed body for an extension.
func cfPlausibleExtension(x wire.ExtensionType, code string) []byte {
	switch x {
	case wire.ExtensionTypeMaxFragmentLength:
		return []byte{1}
	case wire.ExtensionTypeSupportedGroups:
		return []byte{0, 2, 0, 0x1d}
	case wire.ExtensionTypeSignatureAlgorithms, wire.ExtensionTypeSignatureAlgorithmsCert:
		return []byte{0, 2, 4, 3}
	case wire.ExtensionTypeApplicationLayerProtocolNegotiation:
		return []byte{0, 3, 2, 'h', '2'}
	case wire.ExtensionTypeRecordSizeLimit:
		return []byte{0x40, 0}
	case wire.ExtensionTypePreSharedKey:
		return []byte{0, 0}
	case wire.ExtensionTypeEarlyData:
		if code == "NST" {
			return []byte{0, 0, 0x40, 0}
		}
	case wire.ExtensionTypeSupportedVersions:
		return []byte{3, 4}
	case wire.ExtensionTypeCookie:
		return []byte{0, 1, 1}
	case wire.ExtensionTypeCertificateAuthorities:
		return []byte{0, 5, 0, 3, 0x30, 1, 0}
	case wire.ExtensionTypeOidFilters:
		return []byte{0, 0}
	case wire.ExtensionTypeKeyShare:
		return append([]byte{0, 0x1d, 0, 32}, make([]byte, 32)...)
	}
	return nil
}

func (r *cfRun) addExtension(fs *cfFlight, msg *tlsserver.Message, m cfMut) (cfEffect, bool) {
	code := cfMsgCode(msg)
	exts, err := msg.Extensions()
	if code == "" || err != nil || msg.Compute != tlsserver.ComputeNone {
		return cfEffect{}, false
	}
	x := cfChoose(cfExtensionChoices, m.V, wire.ExtensionType(m.V))
	var data []byte
	switch m.C % 4 {
	case 0:
		data = slices.Clone(m.Data)
	case 1:
		data = cfPlausibleExtension(x, code)
	case 2:
		if len(exts) > 0 { // a copy of one that is there
			c := exts[int(m.B)%len(exts)]
			x, data = c.ExtensionType, slices.Clone(c.ExtensionData)
		}
	}
	present := slices.ContainsFunc(exts, func(e wire.Extension) bool { return e.ExtensionType == x })
	if msg.AddExtension(x, data) != nil {
		return cfEffect{}, false
	}
	e := cfEffect{what: fmt.Sprintf("%v in %s: %x", x, code, data), post: isPostFlight(fs.kind) || code == "NST"}
	allowed := cfExtensionAllowed(x)
	o := r.offer
	switch {
	case present:
		e.alerts = alertsOf(adIllegal, adDecode) // §4.2: at most one of each
	case allowed == nil && (code == "CR" || code == "NST"):
		// §4.3.2, §4.6.1: "Clients MUST ignore unrecognized extensions."
		e.alerts = cfUnknownExtensionLimit(msg)
	case allowed == nil:
		e.alerts = alertsOf(adUnsuppExt) // §4.2: not requested
	case !slices.Contains(allowed, code):
		e.alerts = acExtension // §4.2: illegal_parameter if recognized
	case code == "CR" || code == "NST":
		e.alerts = alertsOf(adDecode, adIllegal)
		if x == wire.ExtensionTypeEarlyData && len(data) == 4 || m.C%4 == 1 {
			e.alerts = alertClass{} // well-formed: no matter
		}
	case code == "EE" && x == wire.ExtensionTypeServerName:
		if len(data) > 0 {
			e.alerts = alertsOf(adDecode) // RFC 6066 §3: empty
		}
	case code == "EE" && x == wire.ExtensionTypeSupportedGroups:
		if m.C%4 != 1 {
			e.alerts = alertsOf(adDecode)
		}
	case code == "EE" && x == wire.ExtensionTypeApplicationLayerProtocolNegotiation && len(o.alpn) > 0:
		e.alerts = alertsOf(adDecode, adIllegal, adNoALPN)
	case code == "EE" && x == wire.ExtensionTypeRecordSizeLimit && o.recordLimit != 0:
		e.alerts = alertsOf(adDecode, adIllegal) // RFC 8449 §4: under 64 is illegal_parameter
		if len(data) == 2 && binary.BigEndian.Uint16(data) >= 64 {
			e.alerts = alertClass{}
		}
	case code == "HRR" && x == wire.ExtensionTypeCookie:
		// The one extension a server may send unasked (§4.2).
		e.alerts = alertsOf(adDecode)
		if m.C%4 == 1 {
			e.alerts = alertClass{}
		}
	default:
		// Allowed there, but the client did not ask for it (§4.2).
		e.alerts = alertsOf(adUnsuppExt, adDecode, adIllegal)
	}
	return e, true
}

// cfUnknownExtensionLimit is decode_error if msg has more unrecognized
// extensions than the client keeps (32), else nothing.
func cfUnknownExtensionLimit(msg *tlsserver.Message) alertClass {
	exts, _ := msg.Extensions()
	n := 0
	for _, x := range exts {
		if !x.ExtensionType.IsKnown() {
			n++
		}
	}
	if n > 32 {
		return alertsOf(adDecode)
	}
	return alertClass{}
}

func (r *cfRun) removeExtension(fs *cfFlight, msg *tlsserver.Message, m cfMut) (cfEffect, bool) {
	code := cfMsgCode(msg)
	exts, err := msg.Extensions()
	if code == "" || err != nil || len(exts) == 0 || msg.Compute != tlsserver.ComputeNone {
		return cfEffect{}, false
	}
	k := int(m.B) % len(exts)
	x := exts[k].ExtensionType
	if msg.SetExtensions(append(exts[:k:k], exts[k+1:]...)) != nil {
		return cfEffect{}, false
	}
	has := func(t wire.ExtensionType) bool {
		_, ok := msg.Extension(t)
		return ok
	}
	e := cfEffect{what: fmt.Sprintf("%v removed from %s", x, code), post: isPostFlight(fs.kind) || code == "NST"}
	switch {
	case has(x):
		// A copy is left.
	case code == "SH" && x == wire.ExtensionTypeSupportedVersions:
		e.alerts, e.fatal = alertsOf(adProtoVersion, adIllegal, adDecode), true // §4.2.1, §4.1.3
	case code == "HRR" && x == wire.ExtensionTypeSupportedVersions:
		e.alerts, e.fatal = alertsOf(adMissingExt, adIllegal, adDecode), true // §4.1.4: mandatory in an HRR
	case code == "SH" && x == wire.ExtensionTypeKeyShare:
		e.alerts, e.fatal = alertsOf(adMissingExt, adIllegal, adHandshake, adDecode), true // §4.2.8, §9.2
	case code == "HRR" && x == wire.ExtensionTypeKeyShare && !has(wire.ExtensionTypeCookie),
		code == "HRR" && x == wire.ExtensionTypeCookie && !has(wire.ExtensionTypeKeyShare):
		e.alerts, e.fatal = alertsOf(adIllegal, adDecode), true // §4.1.4: no change to the ClientHello
	case code == "HRR" && x == wire.ExtensionTypeCookie:
		e.desync, e.stall = true, true // the server checks its cookie
	case code == "HRR" && x == wire.ExtensionTypeKeyShare:
		e.desync = true // legal; the server then takes the client's share
	case code == "CR" && x == wire.ExtensionTypeSignatureAlgorithms:
		e.alerts, e.fatal = alertsOf(adMissingExt, adDecode), true // §4.3.2
	}
	return e, true
}

// --- Raw edits ---

func (r *cfRun) rawEdit(fs *cfFlight, msg *tlsserver.Message, m cfMut) (cfEffect, bool) {
	var fn func([]byte) []byte
	var what string
	switch m.B % 3 {
	case 0:
		what = "flipped"
		fn = func(b []byte) []byte {
			if len(b) > 0 {
				b[int(m.V)%len(b)] ^= m.C | 1
			}
			return b
		}
	case 1:
		what = "truncated"
		fn = func(b []byte) []byte { return b[:int(m.V)%(len(b)+1)] }
	case 2:
		what = "extended"
		extra := append(slices.Clone(m.Data), m.C)
		fn = func(b []byte) []byte { return append(b, extra...) }
	}
	e := cfEffect{what: cfMsgName(msg) + " body " + what, alerts: cfParseClass(msg.Type), post: isPostFlight(fs.kind)}
	switch {
	case isHRRMessage(msg):
		e.desync, e.stall = true, true // the second ClientHello follows what it says
		e.alerts = e.alerts.or(acUnexpected)
	case msg.Type == wire.HandshakeTypeServerHello:
		e.desync = true // other keys
		e.alerts = e.alerts.or(acUnexpected)
	case msg.Type == wire.HandshakeTypeCertificateRequest:
		e.desync = true // the client may answer another request
	case msg.Type == wire.HandshakeTypeNewSessionTicket || msg.Type == wire.HandshakeTypeKeyUpdate:
		e.post = true
	case msg.Compute != tlsserver.ComputeNone:
		e.fatal = true // any change to a signature or a MAC
	}
	if _, ok := fs.inserted[msg]; ok || fs.dupOf[msg] != nil {
		e.alerts = e.alerts.or(acUnexpected)
	}
	return r.editBody(msg, e, fn)
}

// --- Records stage ---

func (r *cfRun) recordOp(fs *cfFlight, m cfMut, recs []*tlsserver.Record) []*tlsserver.Record {
	post := isPostFlight(fs.kind)
	switch int(m.Op % numCFOps) {
	case opSplit:
		n := 1 + int(m.B)
		var out []*tlsserver.Record
		for _, rec := range recs {
			if rec.Raw != nil || len(rec.Payload) <= n ||
				rec.Type != wire.ContentTypeHandshake && rec.Type != wire.ContentTypeApplicationData {
				out = append(out, rec)
				continue
			}
			for p := rec.Payload; len(p) > 0; {
				k := min(n, len(p))
				c := *rec
				c.Payload = p[:k:k]
				out = append(out, &c)
				p = p[k:]
			}
		}
		r.add(cfEffect{what: fmt.Sprintf("%v records split to %d octets", fs.kind, n), framing: true, post: post})
		return out
	case opCoalesce:
		var out []*tlsserver.Record
		for _, rec := range recs {
			if k := len(out); k > 0 && cfCanMerge(out[k-1], rec) {
				c := *out[k-1]
				c.Payload = append(slices.Clone(c.Payload), rec.Payload...)
				out[k-1] = &c
				continue
			}
			out = append(out, rec)
		}
		r.add(cfEffect{what: fmt.Sprintf("%v records coalesced", fs.kind), framing: true, post: post})
		return out
	case opPad:
		if len(recs) == 0 {
			break
		}
		rec := recs[int(m.A)%len(recs)]
		if rec.Raw != nil || rec.Epoch == tlsserver.EpochPlaintext {
			break
		}
		rec.Padding = int(m.V) % (1<<14 + 256 + 1)
		e := cfEffect{what: fmt.Sprintf("%v record padded with %d", rec.Type, rec.Padding), framing: true,
			post: post || rec.Epoch >= tlsserver.EpochApplication}
		if len(rec.Payload)+1+rec.Padding > 1<<14+1 {
			e.alerts, e.fatal, e.framing = alertsOf(adOverflow), true, false // §5.2, §5.4
		}
		r.add(e)
	case opRecordVersion:
		if len(recs) == 0 {
			break
		}
		rec := recs[int(m.A)%len(recs)]
		rec.Version = m.V
		// §5.1: legacy_record_version "MUST be ignored for all purposes".
		r.add(cfEffect{what: fmt.Sprintf("%v record version %#04x", rec.Type, m.V), framing: true, post: post})
	}
	return recs
}

// cfCanMerge says whether two adjacent records can be one: handshake or
// application data of the same keys, version and no padding.
func cfCanMerge(a, b *tlsserver.Record) bool {
	return a.Raw == nil && b.Raw == nil && a.Type == b.Type &&
		(a.Type == wire.ContentTypeHandshake || a.Type == wire.ContentTypeApplicationData) &&
		a.Epoch == b.Epoch && a.Version == b.Version && a.Padding == 0 && b.Padding == 0 &&
		a.OuterType == b.OuterType && a.Corrupt == nil && b.Corrupt == nil &&
		len(a.Payload) > 0 && len(b.Payload) > 0 && len(a.Payload)+len(b.Payload) <= 1<<14
}

// --- Wire stage ---

func (r *cfRun) wireOp(fs *cfFlight, m cfMut, raw [][]byte) [][]byte {
	if len(raw) == 0 {
		return raw
	}
	i := int(m.A) % len(raw)
	meta := fs.recs[i]
	e := cfEffect{desync: true, post: isPostFlight(fs.kind) || meta.post, hrrWire: meta.hrr,
		garbage: meta.plaintext && meta.typ == wire.ContentTypeHandshake}
	switch int(m.Op % numCFOps) {
	case opWireFlip:
		w := raw[i]
		off := int(m.V) % len(w)
		w[off] ^= m.C | 1
		e.what = fmt.Sprintf("wire: octet %d of a %v record flipped", off, meta.typ)
		switch {
		case off >= 1 && off <= 2 && meta.plaintext:
			e.alerts = alertClass{} // legacy_record_version: ignored (§5.1)
		case off < 5:
			// Type or length: the framing breaks; what follows is anything
			// (a protected record read as plaintext, if the client has no
			// keys yet).
			e.alerts = acFraming.or(acServerHello).or(acUnexpected)
			e.stall, e.recv, e.garbage = true, true, true
		case !meta.plaintext:
			e.alerts, e.fatal = alertsOf(adBadMAC), true // §5.2
		case meta.typ == wire.ContentTypeHandshake:
			e.alerts = acServerHello.or(acUnexpected).or(alertsOf(adBadMAC))
			e.stall = true // a handshake length
		case meta.typ == wire.ContentTypeAlert:
			e.alerts, e.recv = alertsOf(adDecode), true
		default:
			e.alerts = acUnexpected
		}
	case opWireDrop:
		raw = append(raw[:i:i], raw[i+1:]...)
		fs.recs = append(fs.recs[:i:i], fs.recs[i+1:]...)
		e.what = fmt.Sprintf("wire: a %v record dropped", meta.typ)
		if meta.typ == wire.ContentTypeChangeCipherSpec {
			e = cfEffect{what: e.what, framing: true, post: e.post}
			break
		}
		e.alerts, e.stall = alertsOf(adBadMAC, adUnexpected), true
	case opWireReplay:
		raw = append(raw[:i+1:i+1], raw[i:]...)
		fs.recs = append(fs.recs[:i+1:i+1], fs.recs[i:]...)
		e.what = fmt.Sprintf("wire: a %v record replayed", meta.typ)
		if meta.typ == wire.ContentTypeChangeCipherSpec && !meta.post {
			e = cfEffect{what: e.what, framing: true, post: e.post}
			break
		}
		e.alerts = alertsOf(adBadMAC, adUnexpected)
		e.recv = meta.typ == wire.ContentTypeAlert
	}
	if e.garbage && !e.framing {
		// Unprotected handshake octets (the ServerHello or
		// HelloRetryRequest, maybe in fragments) lost, repeated or changed:
		// what follows is read as the rest of a message, or a header.
		e.alerts = e.alerts.or(acServerHello).or(acUnexpected).or(alertsOf(adBadMAC))
		e.stall = true
	}
	r.add(e)
	return raw
}

// --- Checking a run ---

// optionEffects classifies the plan's options.
func (r *cfRun) optionEffects() {
	o, opts := r.offer, r.opts
	if r.plan.RandLimit > 0 && r.plan.RandLimit <= 24 {
		// The client cannot go on: internal_error (§6.2).
		r.add(cfEffect{what: "the client's Rand fails", alerts: alertsOf(tls.AlertInternalError), stall: true})
	}
	if opts.HelloRetryRequest {
		g := opts.HRRGroup
		if g == 0 {
			g = wire.NamedGroup(tls.CurveP256)
		}
		if slices.Contains(o.keyShares, tls.CurveID(g)) || !slices.Contains(o.curves, tls.CurveID(g)) {
			r.add(cfEffect{what: "HelloRetryRequest for " + g.String(), alerts: alertsOf(adIllegal), fatal: true}) // §4.1.4
		}
	}
	if opts.ALPN != "" {
		switch {
		case len(o.alpn) == 0:
			r.add(cfEffect{what: "ALPN not offered", alerts: alertsOf(adUnsuppExt), fatal: true})
		case !slices.Contains(o.alpn, opts.ALPN):
			r.add(cfEffect{what: "ALPN " + opts.ALPN + " not offered", alerts: alertsOf(adIllegal, adNoALPN), fatal: true})
		}
	}
}

func checkClientPlan(t *testing.T, p *cfPlan) {
	t.Helper()
	opts, cfg, offer := p.setup()
	r := &cfRun{plan: p, offer: offer, opts: opts, done: map[tlsserver.FlightKind]bool{}}
	if len(p.Muts) > 0 {
		opts.Mutator = r.mutator()
	}
	r.opts = opts
	cfg.Trace = func(ev tls.TraceEvent) {
		if ev.Kind == tls.TraceTransition && ev.Event == tls.EventApplicationData &&
			ev.From != tls.StateConnected && ev.From != tls.StateLocalClosed {
			r.appDataIn = append(r.appDataIn, fmt.Sprintf("%v -> %v", ev.From, ev.To))
		}
	}
	r.optionEffects()

	srv := tlsserver.New(opts)
	pipe, err := tlsserver.NewPipe(cfg, srv)
	if err != nil {
		t.Fatalf("NewPipe: %v", err)
	}
	if p.Chunk >= 200 {
		pipe.ChunkSize = int(p.Chunk) - 199
	}
	pipe.Handshake()
	if pipe.Err() == nil && pipe.Client.HandshakeComplete() {
		if p.Flags&cfFlagClientKeyUpdate != 0 {
			pipe.ClientKeyUpdate()
		}
		if pipe.Err() == nil {
			pipe.ClientWrite(tlsserver.Probe)
		}
		if p.Flags2&cfFlag2Close != 0 && pipe.Err() == nil {
			pipe.ClientClose()
		}
	}
	res := pipe.Result()
	r.check(t, res, srv, pipe)
}

func (r *cfRun) check(t *testing.T, res *tlsserver.Result, srv *tlsserver.Server, pipe *tlsserver.Pipe) {
	t.Helper()
	var allowed alertClass
	var stall, desync, recv, post, hrrWire, garbage, allBenign = false, false, false, false, false, false, true
	fatal := 0
	nonFraming := 0
	var fatalEffect cfEffect
	for _, e := range r.effects {
		allowed = allowed.or(e.alerts)
		stall, desync, recv, post, hrrWire = stall || e.stall, desync || e.desync, recv || e.recv, post || e.post, hrrWire || e.hrrWire
		garbage = garbage || e.garbage
		allBenign = allBenign && e.benign()
		if e.fatal {
			fatal++
			fatalEffect = e
		}
		if !e.framing {
			nonFraming++
		}
	}
	fail := func(format string, args ...any) {
		t.Helper()
		var eff []string
		for _, e := range r.effects {
			eff = append(eff, "  "+e.String())
		}
		t.Fatalf("%s\nplan: %v\neffects:\n%s\nclient: err=%v complete=%v state=%v sent=%v\nserver: err=%v complete=%v violations=%q",
			fmt.Sprintf(format, args...), r.plan, strings.Join(eff, "\n"), res.Err, res.HandshakeComplete, res.State, res.Sent,
			res.ServerErr, srv.HandshakeComplete(), srv.Violations())
	}

	if res.Panic != "" {
		fail("client panicked: %s", res.Panic)
	}
	for _, v := range res.Violations {
		if hrrWire && strings.HasPrefix(v, "second ClientHello") {
			continue // the client followed the HelloRetryRequest as received
		}
		fail("violation: %s", v)
	}
	if len(r.appDataIn) > 0 {
		fail("application data taken in %v", r.appDataIn)
	}
	if !res.HandshakeComplete && len(res.AppData) > 0 {
		fail("client delivered %q before completing its handshake", res.AppData)
	}
	if res.Err != nil && res.Alert == nil {
		fail("client error is not a *tls.AlertError: %T", res.Err)
	}
	if res.ServerErr != nil && !desync {
		fail("the server rejected the client: %v", res.ServerErr)
	}

	switch {
	case res.Alert != nil && res.Alert.Received:
		if !recv {
			fail("client failed on a %v alert from the server, which the plan did not send", res.Alert.Alert)
		}
	case res.Alert != nil:
		if garbage && res.Alert.Alert == tls.AlertInternalError && strings.Contains(res.Alert.Msg, "larger than the HandshakeIn buffer") {
			allowed = allowed.or(alertsOf(tls.AlertInternalError))
		}
		if !allowed.has(res.Alert.Alert) {
			fail("client failed with %v (%q); the plan's defects allow %v", res.Alert.Alert, res.Alert.Msg, allowed)
		}
		if res.ServerErr != nil {
			// The server stopped reading: check the client's last record.
			if !cfEndsWithAlert(res.ClientWire, res.Alert.Alert) {
				fail("client failed with %v but its last record is not an alert: %x", res.Alert.Alert, cfLastRecord(res.ClientWire))
			}
		}
	case res.Stalled:
		if !stall && !(desync && res.ServerErr != nil) {
			fail("client stalled in %v", res.State)
		}
	}

	if res.HandshakeComplete {
		cs := res.ConnectionState
		if !slices.Contains(r.offer.suites, cs.CipherSuite) || !slices.Contains(r.offer.curves, cs.CurveID) {
			fail("negotiated %v and %v, not offered", cs.CipherSuite, cs.CurveID)
		}
		if cs.NegotiatedProtocol != "" && !slices.Contains(r.offer.alpn, cs.NegotiatedProtocol) {
			fail("negotiated ALPN %q, not offered", cs.NegotiatedProtocol)
		}
		if !desync {
			if !srv.HandshakeComplete() {
				fail("client completed its handshake; the server did not")
			}
			if srv.CipherSuite() != wire.CipherSuite(cs.CipherSuite) || srv.Group() != wire.NamedGroup(cs.CurveID) {
				fail("client negotiated %v/%v, server %v/%v", cs.CipherSuite, cs.CurveID, srv.CipherSuite(), srv.Group())
			}
		}
		if !post && !desync && res.Err == nil && res.ServerErr == nil {
			if !bytes.Equal(res.ServerAppData, tlsserver.Probe) || !bytes.HasSuffix(pipe.Received(), tlsserver.Probe) {
				fail("data round trip: the server got %q, the client got back %q", res.ServerAppData, pipe.Received())
			}
		}
	}
	if allBenign && (res.Err != nil || !res.HandshakeComplete || res.ServerErr != nil) {
		fail("a plan of harmless changes did not complete")
	}
	if fatal == 1 && nonFraming == 1 {
		switch {
		case !fatalEffect.post && res.HandshakeComplete:
			fail("client accepted a defect: %v", fatalEffect)
		case res.Err == nil && !(res.Stalled && fatalEffect.stall):
			fail("client did not fail on a defect: %v", fatalEffect)
		}
	}
}

// cfEndsWithAlert says whether wire ends with an alert record: the
// plaintext fatal alert desc, or a protected record the size of an alert
// (2 octets, the inner type and a 16-octet tag).
func cfEndsWithAlert(raw []byte, desc tls.AlertDescription) bool {
	last := cfLastRecord(raw)
	switch {
	case len(last) == 7 && wire.ContentType(last[0]) == wire.ContentTypeAlert:
		return last[5] == byte(wire.AlertLevelFatal) && last[6] == byte(desc)
	case len(last) == 5+2+1+16 && wire.ContentType(last[0]) == wire.ContentTypeApplicationData:
		return true
	}
	return false
}

// --- Seeds ---

// cfSeed is a named plan of FuzzClient's seed corpus.
type cfSeed struct {
	name string
	plan cfPlan
}

// Flight bytes of cfMut (see cfFlightKinds).
const (
	cfSH     = 0
	cfHRR    = 3
	cfPost   = 4
	cfKUResp = 6
	cfEcho   = 7
)

func cfM(flight byte, op int, a, b, c byte, v uint16, data string) cfMut {
	var d []byte
	if data != "" {
		d = []byte(data)
	}
	return cfMut{Flight: flight, Op: byte(op), A: a, B: b, C: c, V: v, Data: d}
}

// cfSeedPlans are representative plans: each option, and each kind of
// mutation on the messages it is meant for. In the ServerHello flight
// without client authentication the items are ServerHello (0),
// EncryptedExtensions (1), Certificate (2), CertificateVerify (3) and
// Finished (4); with it, CertificateRequest is 2.
func cfSeedPlans() []cfSeed {
	muts := func(ms ...cfMut) []cfMut { return ms }
	return []cfSeed{
		{"plain", cfPlan{}},
		{"hrr", cfPlan{Flags: cfFlagHRR}},
		{"hrr-p384-cookie", cfPlan{Flags: cfFlagHRR | cfFlagMiddleboxCCS, HRRGroup: 1, Cookie: []byte("cookie")}},
		{"hrr-for-sent-share", cfPlan{Flags: cfFlagHRR, HRRGroup: 2}},
		{"client-auth", cfPlan{Flags: cfFlagClientAuth | cfFlagClientCert}},
		{"client-auth-no-cert", cfPlan{Flags: cfFlagClientAuth}},
		{"alpn", cfPlan{ServerALPN: 1, ClientALPN: 1}},
		{"alpn-not-offered", cfPlan{ServerALPN: 3, ClientALPN: 1}},
		{"tickets-keyupdates-data", cfPlan{Flags: cfFlagServerData | cfFlagTicketCallback | cfFlagClientKeyUpdate, Tickets: 2, KeyUpdates: 3 | 1<<2}},
		{"middlebox-small-records-chunks", cfPlan{Flags: cfFlagMiddleboxCCS, MaxFragment: 7, Chunk: 203}},
		{"chacha-mlkem-record-limit", cfPlan{Flags: cfFlagNoCompat, ServerSuite: 1, ClientSuites: 3, KeyShares: 3, RecordLimit: 4}},
		{"sh-legacy-version", cfPlan{Muts: muts(cfM(cfSH, opField, 0, 0, 0, 0x0302, ""))}},
		{"sh-suite-not-server", cfPlan{Muts: muts(cfM(cfSH, opField, 0, 1, 0, 1, ""))}},
		{"sh-suite-chacha", cfPlan{Muts: muts(cfM(cfSH, opField, 0, 1, 0, 2, ""))}},
		{"sh-session-id", cfPlan{Muts: muts(cfM(cfSH, opField, 0, 2, 1, 5, ""))}},
		{"sh-compression", cfPlan{Muts: muts(cfM(cfSH, opField, 0, 3, 0, 0, ""))}},
		{"sh-selected-version", cfPlan{Muts: muts(cfM(cfSH, opField, 0, 4, 0, 0x0303, ""))}},
		{"sh-key-share-group", cfPlan{Muts: muts(cfM(cfSH, opField, 0, 5, 0, 2, ""))}},
		{"sh-key-share-octets", cfPlan{Muts: muts(cfM(cfSH, opField, 0, 6, 1, 7, ""))}},
		{"sh-downgrade-sentinel", cfPlan{Muts: muts(cfM(cfSH, opField, 0, 7, 1, 0, ""))}},
		{"hrr-group", cfPlan{Flags: cfFlagHRR, Muts: muts(cfM(cfHRR, opField, 0, 5, 0, 0, ""))}},
		{"hrr-cookie", cfPlan{Flags: cfFlagHRR, Muts: muts(cfM(cfHRR, opField, 0, 6, 0, 0, "a cookie"))}},
		{"ee-alpn-not-offered", cfPlan{ClientALPN: 1, Muts: muts(cfM(cfSH, opField, 1, 0, 0, 0, "bogus"))}},
		{"cr-context", cfPlan{Flags: cfFlagClientAuth | cfFlagClientCert, Muts: muts(cfM(cfSH, opField, 2, 0, 0, 0, "ctx"))}},
		{"cr-signature-algorithms", cfPlan{Flags: cfFlagClientAuth | cfFlagClientCert, Muts: muts(cfM(cfSH, opField, 2, 1, 0, 0, "\x08\x07\x04\x03"))}},
		{"certificate-empty", cfPlan{Muts: muts(cfM(cfSH, opField, 2, 1, 0, 0, ""))}},
		{"certificate-flip", cfPlan{Muts: muts(cfM(cfSH, opField, 2, 2, 0x10, 300, ""))}},
		{"cv-scheme", cfPlan{Muts: muts(cfM(cfSH, opField, 3, 0, 0, 2, ""))}},
		{"cv-signature", cfPlan{Muts: muts(cfM(cfSH, opField, 3, 1, 1, 20, ""))}},
		{"finished-flip", cfPlan{Muts: muts(cfM(cfSH, opField, 4, 0, 1, 3, ""))}},
		{"ticket-lifetime", cfPlan{Tickets: 1, Muts: muts(cfM(cfPost, opField, 0, 0, 2, 0, ""))}},
		{"keyupdate-request", cfPlan{KeyUpdates: 1, Muts: muts(cfM(cfPost, opField, 0, 0, 2, 0, ""))}},
		{"drop-ee", cfPlan{Muts: muts(cfM(cfSH, opDrop, 1, 0, 0, 0, ""))}},
		{"drop-finished", cfPlan{Muts: muts(cfM(cfSH, opDrop, 4, 0, 0, 0, ""))}},
		{"dup-certificate", cfPlan{Muts: muts(cfM(cfSH, opDup, 2, 0, 0, 0, ""))}},
		{"move-finished", cfPlan{Muts: muts(cfM(cfSH, opMove, 4, 3, 0, 0, ""))}},
		{"insert-unknown-message", cfPlan{Muts: muts(cfM(cfSH, opInsertMessage, 1, 12, 1, 0, "garbage"))}},
		{"insert-ticket-in-handshake", cfPlan{Muts: muts(cfM(cfSH, opInsertMessage, 2, 7, 0, 0, ""))}},
		{"insert-ee-fuzzed", cfPlan{Muts: muts(cfM(cfSH, opInsertMessage, 1, 2, 1, 0, "\x00\x04\xfa\xfa\x00\x00"))}},
		{"insert-ccs", cfPlan{Muts: muts(cfM(cfSH, opInsertRecord, 2, 0, 0, 0, ""))}},
		{"insert-alert", cfPlan{Muts: muts(cfM(cfSH, opInsertRecord, 1, 1, 0, 0x0228, ""))}},
		{"insert-data-in-handshake", cfPlan{Muts: muts(cfM(cfSH, opInsertRecord, 3, 2, 0, 0, "early"))}},
		{"insert-data-after", cfPlan{Tickets: 1, Muts: muts(cfM(cfPost, opInsertRecord, 1, 2, 0, 0, "hello"))}},
		{"insert-record-wrong-keys", cfPlan{Muts: muts(cfM(cfSH, opInsertRecord, 2, 2, 3, 0, "data"))}},
		{"ee-unknown-extension", cfPlan{Muts: muts(cfM(cfSH, opAddExtension, 1, 0, 0, 21, "grease"))}},
		{"cr-unknown-extension", cfPlan{Flags: cfFlagClientAuth, Muts: muts(cfM(cfSH, opAddExtension, 2, 0, 0, 22, "x"))}},
		{"sh-extension-not-allowed", cfPlan{Muts: muts(cfM(cfSH, opAddExtension, 0, 0, 1, 7, ""))}},
		{"ticket-unknown-extensions", cfPlan{Tickets: 1, Muts: muts(cfM(cfPost, opManyExtensions, 0, 3, 2, 0, "ab"))}},
		{"sh-no-supported-versions", cfPlan{Muts: muts(cfM(cfSH, opRemoveExtension, 0, 0, 0, 0, ""))}},
		{"sh-no-key-share", cfPlan{Muts: muts(cfM(cfSH, opRemoveExtension, 0, 1, 0, 0, ""))}},
		{"ee-truncated", cfPlan{Muts: muts(cfM(cfSH, opRawEdit, 1, 1, 0, 1, ""))}},
		{"split-coalesce", cfPlan{Flags: cfFlagClientAuth | cfFlagClientCert, Muts: muts(cfM(cfSH, opSplit, 0, 0, 0, 0, ""), cfM(cfSH, opCoalesce, 0, 0, 0, 0, ""))}},
		{"split-records", cfPlan{Muts: muts(cfM(cfSH, opSplit, 0, 4, 0, 0, ""))}},
		{"padding", cfPlan{Muts: muts(cfM(cfSH, opPad, 1, 0, 0, 100, ""))}},
		{"padding-overflow", cfPlan{Muts: muts(cfM(cfSH, opPad, 1, 0, 0, 16400, ""))}},
		{"record-version", cfPlan{Muts: muts(cfM(cfSH, opRecordVersion, 0, 0, 0, 0x0301, ""))}},
		{"wire-flip-protected", cfPlan{Muts: muts(cfM(cfSH, opWireFlip, 1, 0, 0, 10, ""))}},
		{"wire-flip-length", cfPlan{Muts: muts(cfM(cfSH, opWireFlip, 0, 0, 0, 3, ""))}},
		{"wire-drop-ccs", cfPlan{Flags: cfFlagMiddleboxCCS, Muts: muts(cfM(cfSH, opWireDrop, 1, 0, 0, 0, ""))}},
		{"wire-replay", cfPlan{Muts: muts(cfM(cfSH, opWireReplay, 1, 0, 0, 0, ""))}},
		{"echo-extra-data", cfPlan{Muts: muts(cfM(cfEcho, opInsertRecord, 0, 2, 0, 0, "more"))}},
		{"keyupdate-reply", cfPlan{Flags: cfFlagClientKeyUpdate, Muts: muts(cfM(cfKUResp, opField, 0, 0, 0, 0, ""))}},
		{"keylog-sni-close", cfPlan{Flags2: cfFlag2KeyLog | cfFlag2Close | cfFlag2AckServerName}},
		{"rand-fails", cfPlan{RandLimit: 10}},
		{"rand-fails-after-hrr", cfPlan{Flags: cfFlagHRR, RandLimit: 12}},
		{"rand-fails-signing", cfPlan{Flags: cfFlagClientAuth | cfFlagClientCert, RandLimit: 13}},
		{"ee-record-size-limit", cfPlan{RecordLimit: 4, Muts: muts(cfM(cfSH, opField, 1, 3, 0, 0x100, ""))}},
		{"ee-record-size-limit-small", cfPlan{RecordLimit: 4, Muts: muts(cfM(cfSH, opField, 1, 3, 0, 10, ""))}},
		{"certificate-chain-too-long", cfPlan{Muts: muts(cfM(cfSH, opField, 2, 4, 0, 10, ""))}},
		{"certificate-entry-extension", cfPlan{Muts: muts(cfM(cfSH, opAddExtension, 2, 0, 0, 2, "ocsp"))}},
		{"many-ccs", cfPlan{Muts: muts(cfM(cfSH, opInsertRecord, 1, 0, 0x80, 0, ""))}},
		{"tls12-downgrade-sentinel", cfPlan{Muts: muts(cfM(cfSH, opField, 0, 7, 1, 0, ""), cfM(cfSH, opRemoveExtension, 0, 0, 0, 0, ""))}},
		{"sh-pre-shared-key", cfPlan{Muts: muts(cfM(cfSH, opAddExtension, 0, 0, 1, 11, ""))}},
		{"cr-32-unknown-extensions", cfPlan{Flags: cfFlagClientAuth, Muts: muts(cfM(cfSH, opManyExtensions, 2, 31, 0, 0, ""))}},
		{"ticket-33-unknown-extensions", cfPlan{Tickets: 1, Muts: muts(cfM(cfPost, opManyExtensions, 0, 32, 0, 0, ""))}},
	}
}

// TestFuzzClientSeeds checks that the seed plans encode and decode back,
// and that their files are in testdata/fuzz/FuzzClient (with
// -cfseeds, it writes them).
func TestFuzzClientSeeds(t *testing.T) {
	dir := "testdata/fuzz/FuzzClient"
	for _, s := range cfSeedPlans() {
		data := s.plan.encode()
		got := decodeCFPlan(data)
		if got.String() != s.plan.String() || !bytes.Equal(got.encode(), data) {
			t.Errorf("%s: decodes to\n%v\nwant\n%v", s.name, got, &s.plan)
		}
		checkSeedFile(t, dir, "plan-"+s.name, data)
	}
}

var writeCFSeeds = flag.Bool("cfseeds", false, "write the seed corpora of FuzzClient and FuzzRawInState")

// checkSeedFile checks that dir/name holds data in Go's corpus format, or
// writes it with -cfseeds.
func checkSeedFile(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
	path := filepath.Join(dir, name)
	if *writeCFSeeds {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Errorf("%s is missing or stale (err %v): run go test ./fuzz -run TestFuzzClientSeeds -cfseeds", path, err)
	}
}
