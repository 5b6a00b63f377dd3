// Package tlsserver is a deterministic, scriptable TLS 1.3 server for
// testing the tabletls client: it speaks just enough TLS 1.3
// (TLS_AES_128_GCM_SHA256 or TLS_CHACHA20_POLY1305_SHA256; x25519,
// secp256r1 or secp384r1, with HelloRetryRequest; an ECDSA P-256
// certificate; client authentication; tickets; KeyUpdate) and lets a test
// change anything it sends. Its key schedule and record protection are
// written here, independently of package tls, so the two check each other.
//
// The server has no I/O: Input takes the client's octets and returns the
// server's. Each flight goes through three stages, each with a Mutator
// hook:
//
//  1. Flight: the flight as plaintext handshake messages and records of
//     their own (Items). A Mutator may drop, duplicate, reorder or insert
//     messages and records, change fields (Edit, with the generated
//     codecs), add or remove raw extensions, or choose the keys (Epoch)
//     and record boundaries (EndRecord).
//  2. Records: the messages are encoded in order, each added to the
//     transcript as sent, so that a CertificateVerify or Finished computed
//     after a changed message is valid over what was actually sent; the
//     key schedule moves on after the ServerHello, the server's Finished and
//     each KeyUpdate as sent. Handshake messages are packed into records; a
//     Mutator may split, coalesce or pad them, or change their version.
//  3. Wire: the records are protected; a Mutator may flip, drop, replay,
//     reorder or truncate them.
//
// The server also reads the client's flights (checking its ClientHello,
// Certificate, CertificateVerify and Finished) and its records, decrypting
// them, so tests see the alerts the client sends (Server.Alerts) and
// anything it must not do (Server.Violations).
//
// Pipe connects a real tls.Engine to a Server in memory, in bounded steps,
// catching panics; Run is a whole conversation and Result the invariants
// every conversation must keep. FromBytes turns fuzzer input into a
// server, a client setup and a Mutator.
//
// All of the server's keys and randomness are fixed (see Options.Seed) and
// its ECDSA signatures deterministic, so its output depends only on what
// the client sends: with ClientConfig's deterministic Config.Rand a whole
// conversation is reproducible, octet for octet.
package tlsserver

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/tabletls/tabletls/internal/wire"
)

// Options configure a Server. The zero value is a plain TLS 1.3 server with
// ServerCertificate.
type Options struct {
	// Seed varies the server's fixed randomness (random, key shares).
	Seed string
	// Certificate is the server's chain and key; nil means
	// ServerCertificate().
	Certificate *Certificate
	// CipherSuite is the preferred suite, if the client offers it: 0 means
	// TLS_AES_128_GCM_SHA256. Otherwise the first suite of the client's the
	// server supports is chosen.
	CipherSuite wire.CipherSuite
	// ALPN, if set, is selected in EncryptedExtensions whatever the client
	// offered.
	ALPN string
	// AckServerName sends an empty server_name in EncryptedExtensions when
	// the client sent one (RFC 6066 §3).
	AckServerName bool
	// RequestClientCert sends a CertificateRequest (§4.3.2).
	RequestClientCert bool
	// HelloRetryRequest answers the first ClientHello with a
	// HelloRetryRequest for HRRGroup (0 means secp256r1) (§4.1.4). The
	// server also sends one when the client offers no key share it can use.
	HelloRetryRequest bool
	HRRGroup          wire.NamedGroup
	// HRRCookie, if set, is sent in the HelloRetryRequest's cookie and
	// checked in the second ClientHello.
	HRRCookie []byte
	// MiddleboxCCS sends a change_cipher_spec right after the first
	// ServerHello or HelloRetryRequest (Appendix D.4).
	MiddleboxCCS bool
	// MaxFragment is the largest record payload of handshake records; 0
	// means 2^14. Small values split messages across records.
	MaxFragment int
	// After the client's Finished, the server sends Tickets
	// NewSessionTickets (nonces 0, 1, ...), then a KeyUpdate for each of
	// KeyUpdates, then AppData if it is not empty.
	Tickets    int
	KeyUpdates []wire.KeyUpdateRequest
	AppData    []byte
	// Echo sends every application data record from the client back.
	Echo bool
	// Mutator, if set, changes what the server sends.
	Mutator *Mutator
}

type serverState uint8

const (
	stateWaitCH serverState = iota
	stateWaitCH2
	stateWaitClientCert
	stateWaitClientCV
	stateWaitClientFinished
	stateConnected
)

// ClientRecord is a record the server received, decrypted when it was
// protected.
type ClientRecord struct {
	Type    wire.ContentType // inner type
	Epoch   Epoch            // keys it was protected under, or EpochPlaintext
	Payload []byte
	// AfterFinished is true if the server had verified the client's
	// Finished before this record.
	AfterFinished bool
}

// ClientMessage is a handshake message the server received.
type ClientMessage struct {
	Type wire.HandshakeType
	Body []byte
}

// Server is one connection of the scripted server. It is not safe for
// concurrent use.
type Server struct {
	opts  Options
	cert  *Certificate
	seed  []byte
	state serverState
	err   error

	suite    wire.CipherSuite
	group    wire.NamedGroup
	random   []byte
	ch       wire.ClientHello // the last ClientHello (it aliases a copy of the message)
	ch1Raw   []byte
	hrrDone  bool            // a HelloRetryRequest was sent
	hrrGroup wire.NamedGroup // the group it asked for, if any
	shared   []byte

	transcript []byte
	// Secrets (§7.1); nil until derived.
	hsSecret, master, cHS, sHS, cAP, sAP, resumption []byte

	writeKeys  map[Epoch]*trafficKeys
	writeEpoch Epoch
	readKeys   map[Epoch]*trafficKeys
	readEpoch  Epoch

	clientCerts    [][]byte
	clientFinished bool

	in   []byte
	hsIn []byte

	records     []ClientRecord
	messages    []ClientMessage
	alerts      []wire.Alert
	appData     []byte
	fatalAlert  bool
	closeNotify bool
	sentClose   bool // the server sent close_notify
	violations  []string
}

// New returns a server waiting for a ClientHello.
func New(opts Options) *Server {
	s := &Server{opts: opts, cert: opts.Certificate}
	if s.cert == nil {
		s.cert = ServerCertificate()
	}
	s.seed = []byte(opts.Seed)
	s.random = deterministicBytes(32, "server random", s.seed)
	s.writeKeys = map[Epoch]*trafficKeys{}
	s.readKeys = map[Epoch]*trafficKeys{}
	s.writeEpoch, s.readEpoch = EpochPlaintext, EpochPlaintext
	return s
}

// Options returns the server's options; a Mutator may read them.
func (s *Server) Options() *Options { return &s.opts }

// Err is the first error the server met: a message from the client it
// could not accept, or a flight it could not encode. The server stops then.
func (s *Server) Err() error { return s.err }

// ClientHello is the last ClientHello received (decoded; it must not be
// kept across calls to Input).
func (s *Server) ClientHello() *wire.ClientHello { return &s.ch }

// Records is every record received from the client, in order.
func (s *Server) Records() []ClientRecord { return s.records }

// Messages is every handshake message received from the client, in order.
func (s *Server) Messages() []ClientMessage { return s.messages }

// Alerts is every alert received from the client.
func (s *Server) Alerts() []wire.Alert { return s.alerts }

// Violations are things the client did that it must not, which the
// server noticed but which did not stop it (records after a fatal alert,
// ...). Err holds those that did.
func (s *Server) Violations() []string { return s.violations }

// AppData is the application data received from the client.
func (s *Server) AppData() []byte { return s.appData }

// HandshakeComplete reports whether the server verified the client's Finished.
func (s *Server) HandshakeComplete() bool { return s.clientFinished }

// DidHelloRetryRequest reports whether a HelloRetryRequest was sent.
func (s *Server) DidHelloRetryRequest() bool { return s.hrrDone }

// ClientCertificates is the chain of the client's Certificate.
func (s *Server) ClientCertificates() [][]byte { return s.clientCerts }

// CipherSuite and Group are what the server chose.
func (s *Server) CipherSuite() wire.CipherSuite { return s.suite }
func (s *Server) Group() wire.NamedGroup        { return s.group }

// WriteEpoch is the epoch EpochAuto currently means.
func (s *Server) WriteEpoch() Epoch { return s.writeEpoch }

// ResumptionPSK is the PSK of the ticket with the given nonce (§4.6.1),
// once the handshake is complete.
func (s *Server) ResumptionPSK(nonce []byte) []byte {
	if s.resumption == nil {
		return nil
	}
	return resumptionPSK(s.resumption, nonce)
}

func (s *Server) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
}

// Input processes octets from the client and returns the server's answer.
func (s *Server) Input(p []byte) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	s.in = append(s.in, p...)
	var out []byte
	for s.err == nil && len(s.in) >= 5 {
		n := int(binary.BigEndian.Uint16(s.in[3:5]))
		if n > 1<<14+256 {
			s.err = fmt.Errorf("tlsserver: client record of %d octets", n)
			break
		}
		if len(s.in) < 5+n {
			break
		}
		rec := s.in[:5+n]
		s.in = s.in[5+n:]
		o, err := s.handleRecord(rec)
		out = append(out, o...)
		if err != nil {
			s.err = err
		}
	}
	if len(s.in) == 0 {
		s.in = nil
	}
	return out, s.err
}

// Send sends items as a flight of kind FlightSend (through the Mutator).
func (s *Server) Send(items ...Item) ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	out, err := s.sendFlight(&Flight{Kind: FlightSend, Items: items})
	if err != nil {
		s.err = err
	}
	return out, err
}

func (s *Server) handleRecord(rec []byte) ([]byte, error) {
	outer := wire.ContentType(rec[0])
	typ, payload, ep := outer, rec[5:], EpochPlaintext
	if outer == wire.ContentTypeApplicationData {
		if len(s.readKeys) == 0 {
			return nil, errors.New("tlsserver: unprotected application_data record from the client")
		}
		var err error
		if typ, payload, ep, err = s.open(rec); err != nil {
			return nil, err
		}
	}
	if s.fatalAlert {
		s.violate("client sent a %v record after a fatal alert", typ)
	}
	s.checkClientRecord(rec, typ, ep)
	s.records = append(s.records, ClientRecord{Type: typ, Epoch: ep, Payload: bytes.Clone(payload), AfterFinished: s.clientFinished})
	if typ != wire.ContentTypeHandshake && len(s.hsIn) > 0 {
		return nil, fmt.Errorf("tlsserver: client interleaved a %v record with a handshake message", typ)
	}
	switch typ {
	case wire.ContentTypeChangeCipherSpec:
		if ep != EpochPlaintext || !bytes.Equal(payload, []byte{1}) {
			return nil, errors.New("tlsserver: invalid change_cipher_spec from the client")
		}
		if s.clientFinished {
			return nil, errors.New("tlsserver: change_cipher_spec from the client after its Finished")
		}
		return nil, nil
	case wire.ContentTypeAlert:
		var a wire.Alert
		if err := a.Unmarshal(payload); err != nil {
			return nil, fmt.Errorf("tlsserver: malformed alert from the client: %w", err)
		}
		s.alerts = append(s.alerts, a)
		switch {
		case a.Description == wire.AlertDescriptionCloseNotify:
			s.closeNotify = true
		case a.Description == wire.AlertDescriptionUserCanceled:
		default:
			if a.Level != wire.AlertLevelFatal {
				s.violate("client sent %v with level %v, not fatal", a.Description, a.Level)
			}
			s.fatalAlert = true
		}
		return nil, nil
	case wire.ContentTypeApplicationData:
		if !s.clientFinished {
			return nil, errors.New("tlsserver: client sent application data before its Finished")
		}
		if s.closeNotify {
			s.violate("client sent application data after close_notify")
		}
		s.appData = append(s.appData, payload...)
		if s.opts.Echo && len(payload) > 0 && !s.fatalAlert && !s.sentClose {
			return s.sendFlight(&Flight{Kind: FlightEcho, Items: []Item{AppDataItem(bytes.Clone(payload))}})
		}
		return nil, nil
	case wire.ContentTypeHandshake:
		if len(payload) == 0 {
			return nil, errors.New("tlsserver: empty handshake record from the client")
		}
		s.hsIn = append(s.hsIn, payload...)
		var out []byte
		for len(s.hsIn) >= 4 {
			n := int(s.hsIn[1])<<16 | int(s.hsIn[2])<<8 | int(s.hsIn[3])
			if len(s.hsIn) < 4+n {
				break
			}
			msg := bytes.Clone(s.hsIn[:4+n])
			s.hsIn = s.hsIn[4+n:]
			o, err := s.handleMessage(msg, ep)
			out = append(out, o...)
			if err != nil {
				return out, err
			}
		}
		if len(s.hsIn) == 0 {
			s.hsIn = nil
		}
		return out, nil
	}
	return nil, fmt.Errorf("tlsserver: client sent a record of type %v", typ)
}

// checkClientRecord notes what §5 and Appendix D.4 forbid in the client's
// records.
func (s *Server) checkClientRecord(rec []byte, typ wire.ContentType, ep Epoch) {
	version := uint16(rec[1])<<8 | uint16(rec[2])
	first := s.state == stateWaitCH && wire.ContentType(rec[0]) == wire.ContentTypeHandshake
	if version != 0x0303 && !(first && version == 0x0301) {
		s.violate("client %v record with legacy_record_version %#04x (§5.1)", typ, version)
	}
	n := len(rec) - 5
	if ep == EpochPlaintext && n > 1<<14 || ep != EpochPlaintext && n > 1<<14+1+16 {
		s.violate("client %v record of %d octets (§5.1, §5.2)", typ, n)
	}
	// Appendix D.4: in compatibility mode (a legacy_session_id in the
	// first ClientHello) the client's change_cipher_spec comes before
	// its first protected record, whatever that carries, so that a
	// middlebox sees the CCS a TLS 1.2 peer would send.
	if ep != EpochPlaintext && len(s.ch1Raw) > 0 && s.compat() && !slices.ContainsFunc(s.records, func(r ClientRecord) bool {
		return r.Type == wire.ContentTypeChangeCipherSpec
	}) && !slices.ContainsFunc(s.records, func(r ClientRecord) bool { return r.Epoch != EpochPlaintext }) {
		s.violate("client sent a protected %v record before its change_cipher_spec in compatibility mode (Appendix D.4)", typ)
	}
	if typ == wire.ContentTypeChangeCipherSpec {
		for _, r := range s.records {
			switch {
			case r.Type == wire.ContentTypeChangeCipherSpec:
				s.violate("client sent a second change_cipher_spec (Appendix D.4)")
			case r.Epoch != EpochPlaintext:
				s.violate("client sent change_cipher_spec after protected records (Appendix D.4)")
			}
		}
	}
}

// compat reports whether the client's first ClientHello asked for
// middlebox compatibility mode (Appendix D.4: a legacy_session_id).
func (s *Server) compat() bool {
	var ch wire.ClientHello
	return ch.Unmarshal(s.ch1Raw[4:]) == nil && len(ch.LegacySessionID) > 0
}

// open decrypts a protected client record, with the expected key first and
// then any other key the client could be using.
func (s *Server) open(rec []byte) (wire.ContentType, []byte, Epoch, error) {
	try := []Epoch{s.readEpoch}
	for ep := range s.readKeys {
		if ep != s.readEpoch {
			try = append(try, ep)
		}
	}
	slices.Sort(try[1:])
	for _, ep := range try {
		k := s.readKeys[ep]
		if k == nil {
			continue
		}
		if typ, p, err := k.open(rec); err == nil {
			if ep != s.readEpoch {
				s.violate("client record protected under %v keys, expected %v", ep, s.readEpoch)
			}
			return typ, p, ep, nil
		}
	}
	return 0, nil, 0, fmt.Errorf("tlsserver: cannot decrypt a client record (expected %v keys)", s.readEpoch)
}

func (s *Server) handleMessage(msg []byte, ep Epoch) ([]byte, error) {
	typ, body := wire.HandshakeType(msg[0]), msg[4:]
	s.messages = append(s.messages, ClientMessage{Type: typ, Body: bytes.Clone(body)})
	wantEpoch := EpochHandshake
	switch s.state {
	case stateWaitCH, stateWaitCH2:
		wantEpoch = EpochPlaintext
	case stateConnected:
		wantEpoch = s.readEpoch
	}
	if ep != wantEpoch {
		return nil, fmt.Errorf("tlsserver: client sent %v under %v keys, expected %v", typ, ep, wantEpoch)
	}
	switch {
	case s.state <= stateWaitCH2 && typ == wire.HandshakeTypeClientHello:
		return s.handleClientHello(msg)
	case s.state == stateWaitClientCert && typ == wire.HandshakeTypeCertificate:
		var c wire.Certificate
		if err := c.Unmarshal(body); err != nil {
			return nil, fmt.Errorf("tlsserver: client Certificate: %w", err)
		}
		if len(c.CertificateRequestContext) != 0 {
			return nil, errors.New("tlsserver: client Certificate with a certificate_request_context")
		}
		it := c.CertificateList.Iter()
		var e wire.CertificateEntry
		for it.Next(&e) {
			s.clientCerts = append(s.clientCerts, bytes.Clone(e.CertData))
		}
		s.transcript = append(s.transcript, msg...)
		s.state = stateWaitClientFinished
		if len(s.clientCerts) > 0 {
			s.state = stateWaitClientCV
		}
		return nil, nil
	case s.state == stateWaitClientCV && typ == wire.HandshakeTypeCertificateVerify:
		var cv wire.CertificateVerify
		if err := cv.Unmarshal(body); err != nil {
			return nil, fmt.Errorf("tlsserver: client CertificateVerify: %w", err)
		}
		if err := verify(s.clientCerts[0], cv.Algorithm, signatureContent(false, s.transcriptHash()), cv.Signature); err != nil {
			return nil, err
		}
		s.transcript = append(s.transcript, msg...)
		s.state = stateWaitClientFinished
		return nil, nil
	case s.state == stateWaitClientFinished && typ == wire.HandshakeTypeFinished:
		if !hmac.Equal(body, finishedMAC(s.cHS, s.transcriptHash())) {
			return nil, errors.New("tlsserver: bad client Finished")
		}
		s.transcript = append(s.transcript, msg...)
		s.resumption = deriveSecret(s.master, "res master", s.transcriptHash())
		s.clientFinished = true
		s.state = stateConnected
		s.readEpoch = EpochApplication
		return s.sendFlight(s.postHandshakeFlight())
	case s.state == stateConnected && typ == wire.HandshakeTypeKeyUpdate:
		var ku wire.KeyUpdate
		if err := ku.Unmarshal(body); err != nil {
			return nil, fmt.Errorf("tlsserver: client KeyUpdate: %w", err)
		}
		next, err := s.readKeys[s.readEpoch].next(s.suite)
		if err != nil {
			return nil, err
		}
		s.readEpoch++
		s.readKeys[s.readEpoch] = next
		if ku.RequestUpdate == wire.KeyUpdateRequestUpdateRequested && !s.fatalAlert {
			return s.sendFlight(&Flight{Kind: FlightKeyUpdateReply, Items: []Item{KeyUpdateItem(wire.KeyUpdateRequestUpdateNotRequested)}})
		}
		return nil, nil
	}
	return nil, fmt.Errorf("tlsserver: unexpected %v from the client", typ)
}

// checkClientHello notes, as violations, what RFC 8446 forbids in a
// ClientHello that the server can still answer.
func (s *Server) checkClientHello(ch *wire.ClientHello, msg []byte) {
	x := &ch.Extensions
	if ch.LegacyVersion != 0x0303 {
		s.violate("ClientHello legacy_version %#04x, not 0x0303 (§4.1.2)", uint16(ch.LegacyVersion))
	}
	if !bytes.Equal(ch.LegacyCompressionMethods, []byte{0}) {
		s.violate("ClientHello legacy_compression_methods %x, not just null (§4.1.2)", ch.LegacyCompressionMethods)
	}
	if n := len(ch.LegacySessionID); n != 0 && n != 32 {
		s.violate("ClientHello legacy_session_id of %d octets (Appendix D.4: 32 in compatibility mode, else 0)", n)
	}
	if !x.Has(wire.ExtensionTypeSignatureAlgorithms) {
		s.violate("ClientHello without signature_algorithms (§4.2.3)")
	}
	if x.Has(wire.ExtensionTypeKeyShare) != x.Has(wire.ExtensionTypeSupportedGroups) {
		s.violate("ClientHello with only one of key_share and supported_groups (§9.2)")
	}
	if x.Has(wire.ExtensionTypePreSharedKey) && !x.Has(wire.ExtensionTypePskKeyExchangeModes) {
		s.violate("ClientHello with pre_shared_key but no psk_key_exchange_modes (§4.2.9)")
	}
	// §4.2.8: shares are for distinct offered groups, in the order of supported_groups.
	var groups []wire.NamedGroup
	for i := range x.SupportedGroups.NamedGroupList.Len() {
		groups = append(groups, x.SupportedGroups.NamedGroupList.At(i))
	}
	it := x.KeyShare.ClientShares.Iter()
	var e wire.KeyShareEntry
	last := -1
	var seen []wire.NamedGroup
	for it.Next(&e) {
		i := slices.Index(groups, e.Group)
		switch {
		case i < 0:
			s.violate("ClientHello key share for %v, not in supported_groups (§4.2.8)", e.Group)
		case slices.Contains(seen, e.Group):
			s.violate("ClientHello with two key shares for %v (§4.2.8)", e.Group)
		case i < last:
			s.violate("ClientHello key shares not in the order of supported_groups (§4.2.8)")
		}
		seen = append(seen, e.Group)
		last = max(last, i)
	}
	if s.state != stateWaitCH2 {
		return
	}
	// §4.1.2: the second ClientHello is the first with only these changes.
	if s.hrrGroup != 0 && (len(seen) != 1 || seen[0] != s.hrrGroup) {
		s.violate("second ClientHello has key shares for %v, want one for %v as the HelloRetryRequest asked (§4.1.2)", seen, s.hrrGroup)
	}
	if s.hrrGroup == 0 {
		ch1 := Message{Type: wire.HandshakeTypeClientHello, Body: s.ch1Raw[4:]}
		ch2 := Message{Type: wire.HandshakeTypeClientHello, Body: msg[4:]}
		ks1, _ := ch1.Extension(wire.ExtensionTypeKeyShare)
		ks2, _ := ch2.Extension(wire.ExtensionTypeKeyShare)
		if !bytes.Equal(ks1, ks2) {
			s.violate("second ClientHello changed key_share, which the HelloRetryRequest did not ask for (§4.1.2)")
		}
	}
	changeable := func(t wire.ExtensionType) bool {
		switch t {
		case wire.ExtensionTypeKeyShare, wire.ExtensionTypeCookie, wire.ExtensionTypeEarlyData, wire.ExtensionTypePreSharedKey, 21: // padding
			return true
		}
		return false
	}
	exts := func(raw []byte) []wire.Extension {
		m := Message{Type: wire.HandshakeTypeClientHello, Body: raw[4:]}
		all, _ := m.Extensions()
		return slices.DeleteFunc(all, func(e wire.Extension) bool { return changeable(e.ExtensionType) })
	}
	if !slices.EqualFunc(exts(s.ch1Raw), exts(msg), func(a, b wire.Extension) bool {
		return a.ExtensionType == b.ExtensionType && bytes.Equal(a.ExtensionData, b.ExtensionData)
	}) {
		s.violate("second ClientHello changed extensions other than key_share, cookie, early_data, pre_shared_key, padding (§4.1.2)")
	}
}

var supportedSuites = []wire.CipherSuite{wire.TLS_AES_128_GCM_SHA256, wire.TLS_CHACHA20_POLY1305_SHA256}
var supportedGroups = []wire.NamedGroup{wire.NamedGroupX25519, wire.NamedGroupSecp256r1, wire.NamedGroupSecp384r1}

func (s *Server) handleClientHello(msg []byte) ([]byte, error) {
	var ch wire.ClientHello
	if err := ch.Unmarshal(msg[4:]); err != nil {
		return nil, fmt.Errorf("tlsserver: ClientHello: %w", err)
	}
	x := &ch.Extensions
	if !x.Has(wire.ExtensionTypeSupportedVersions) {
		return nil, errors.New("tlsserver: ClientHello without supported_versions")
	}
	tls13 := false
	for i := range x.SupportedVersions.Versions.Len() {
		tls13 = tls13 || x.SupportedVersions.Versions.At(i) == 0x0304
	}
	if !tls13 {
		return nil, errors.New("tlsserver: ClientHello does not offer TLS 1.3")
	}
	if s.state == stateWaitCH2 {
		var ch1 wire.ClientHello
		_ = ch1.Unmarshal(s.ch1Raw[4:])
		if !bytes.Equal(ch.Random, ch1.Random) || !bytes.Equal(ch.LegacySessionID, ch1.LegacySessionID) ||
			!bytes.Equal(ch.CipherSuites.Bytes(), ch1.CipherSuites.Bytes()) {
			return nil, errors.New("tlsserver: second ClientHello changed random, session id or cipher suites (§4.1.2)")
		}
		if s.opts.HRRCookie != nil && (!x.Has(wire.ExtensionTypeCookie) || !bytes.Equal(x.Cookie.Cookie, s.opts.HRRCookie)) {
			return nil, errors.New("tlsserver: second ClientHello did not echo the cookie")
		}
	}
	s.checkClientHello(&ch, msg)
	s.ch = ch
	if s.state == stateWaitCH {
		s.ch1Raw = msg
		s.suite = 0
		pref := s.opts.CipherSuite
		if pref == 0 {
			pref = wire.TLS_AES_128_GCM_SHA256
		}
		for i := range ch.CipherSuites.Len() {
			if ch.CipherSuites.At(i) == pref {
				s.suite = pref
			}
		}
		for i := 0; s.suite == 0 && i < ch.CipherSuites.Len(); i++ {
			if slices.Contains(supportedSuites, ch.CipherSuites.At(i)) {
				s.suite = ch.CipherSuites.At(i)
			}
		}
		if s.suite == 0 {
			return nil, errors.New("tlsserver: no cipher suite in common")
		}
	}
	s.transcript = append(s.transcript, msg...)

	// The client's share to use, if any.
	var share *wire.KeyShareEntry
	it := x.KeyShare.ClientShares.Iter()
	var e wire.KeyShareEntry
	for share == nil && it.Next(&e) {
		if slices.Contains(supportedGroups, e.Group) {
			share = &wire.KeyShareEntry{Group: e.Group, KeyExchange: bytes.Clone(e.KeyExchange)}
		}
	}
	if s.state == stateWaitCH && (s.opts.HelloRetryRequest || share == nil) {
		group := s.opts.HRRGroup
		if group == 0 {
			group = wire.NamedGroupSecp256r1
		}
		if !s.opts.HelloRetryRequest {
			group = 0
			sg := x.SupportedGroups.NamedGroupList
			for i := 0; group == 0 && i < sg.Len(); i++ {
				if slices.Contains(supportedGroups, sg.At(i)) {
					group = sg.At(i)
				}
			}
			if group == 0 {
				return nil, errors.New("tlsserver: no group in common")
			}
		}
		s.state = stateWaitCH2
		return s.sendFlight(s.helloRetryRequestFlight(group))
	}
	if share == nil {
		return nil, errors.New("tlsserver: second ClientHello has no usable key share")
	}
	priv, err := keyShareKey(share.Group, s.seed)
	if err != nil {
		return nil, err
	}
	var pub *ecdh.PublicKey
	if pub, err = priv.Curve().NewPublicKey(share.KeyExchange); err == nil {
		s.shared, err = priv.ECDH(pub)
	}
	if err != nil {
		return nil, fmt.Errorf("tlsserver: client key share: %w", err)
	}
	s.group = share.Group
	s.state = stateWaitClientFinished
	if s.opts.RequestClientCert {
		s.state = stateWaitClientCert
	}
	return s.sendFlight(s.serverHelloFlight(priv))
}

// HelloRetryRequestRandom is the random of a HelloRetryRequest (§4.1.3).
var HelloRetryRequestRandom = []byte{
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

func (s *Server) helloRetryRequestFlight(group wire.NamedGroup) *Flight {
	hrr := wire.HelloRetryRequest{
		LegacyVersion:       0x0303,
		Random:              HelloRetryRequestRandom,
		LegacySessionIDEcho: s.ch.LegacySessionID,
		CipherSuite:         s.suite,
	}
	x := &hrr.Extensions
	x.Add(wire.ExtensionTypeSupportedVersions)
	x.SupportedVersions.SelectedVersion = 0x0304
	x.Add(wire.ExtensionTypeKeyShare)
	x.KeyShare.SelectedGroup = group
	if s.opts.HRRCookie != nil {
		x.Add(wire.ExtensionTypeCookie)
		x.Cookie.Cookie = s.opts.HRRCookie
	}
	f := &Flight{Kind: FlightHelloRetryRequest, Items: []Item{EncodeItem(wire.HandshakeTypeServerHello, &hrr)}}
	if s.opts.MiddleboxCCS {
		f.Items = append(f.Items, CCSItem())
	}
	return f
}

func (s *Server) serverHelloFlight(priv *ecdh.PrivateKey) *Flight {
	sh := wire.ServerHello{
		LegacyVersion:       0x0303,
		Random:              s.random,
		LegacySessionIDEcho: s.ch.LegacySessionID,
		CipherSuite:         s.suite,
	}
	x := &sh.Extensions
	x.Add(wire.ExtensionTypeSupportedVersions)
	x.SupportedVersions.SelectedVersion = 0x0304
	x.Add(wire.ExtensionTypeKeyShare)
	x.KeyShare.ServerShare = wire.KeyShareEntry{Group: s.group, KeyExchange: priv.PublicKey().Bytes()}
	f := &Flight{Kind: FlightServerHello, Items: []Item{EncodeItem(wire.HandshakeTypeServerHello, &sh)}}
	if s.opts.MiddleboxCCS && !s.hrrDone {
		f.Items = append(f.Items, CCSItem())
	}

	var ee wire.EncryptedExtensions
	if s.opts.AckServerName && s.ch.Extensions.Has(wire.ExtensionTypeServerName) {
		ee.Extensions.Add(wire.ExtensionTypeServerName)
	}
	if s.opts.ALPN != "" {
		ee.Extensions.Add(wire.ExtensionTypeApplicationLayerProtocolNegotiation)
		list := append([]byte{byte(len(s.opts.ALPN))}, s.opts.ALPN...)
		if err := ee.Extensions.ApplicationLayerProtocolNegotiation.ProtocolNameList.SetBytes(list); err != nil {
			panic(err)
		}
	}
	f.Items = append(f.Items, EncodeItem(wire.HandshakeTypeEncryptedExtensions, &ee))

	if s.opts.RequestClientCert {
		var cr wire.CertificateRequest
		cr.Extensions.Add(wire.ExtensionTypeSignatureAlgorithms)
		var algs []byte
		for _, a := range []wire.SignatureScheme{wire.SignatureSchemeEcdsaSecp256r1Sha256, wire.SignatureSchemeEd25519,
			wire.SignatureSchemeRsaPssRsaeSha256, wire.SignatureSchemeEcdsaSecp384r1Sha384} {
			algs = binary.BigEndian.AppendUint16(algs, uint16(a))
		}
		if err := cr.Extensions.SignatureAlgorithms.SupportedSignatureAlgorithms.SetBytes(algs); err != nil {
			panic(err)
		}
		f.Items = append(f.Items, EncodeItem(wire.HandshakeTypeCertificateRequest, &cr))
	}

	f.Items = append(f.Items, EncodeItem(wire.HandshakeTypeCertificate, CertificateMessage(s.cert.Chain)))
	f.Items = append(f.Items,
		Item{Msg: &Message{Type: wire.HandshakeTypeCertificateVerify, Compute: ComputeCertificateVerify}},
		Item{Msg: &Message{Type: wire.HandshakeTypeFinished, Compute: ComputeFinished}})
	return f
}

// CertificateMessage is a Certificate (§4.4.2) carrying chain, with an
// empty context and no entry extensions.
func CertificateMessage(chain [][]byte) *wire.Certificate {
	var list []byte
	for _, der := range chain {
		e := wire.CertificateEntry{CertData: der}
		var err error
		if list, err = e.Append(list); err != nil {
			panic(err)
		}
	}
	var c wire.Certificate
	if err := c.CertificateList.SetBytes(list); err != nil {
		panic(err)
	}
	return &c
}

func (s *Server) postHandshakeFlight() *Flight {
	f := &Flight{Kind: FlightPostHandshake}
	for i := range s.opts.Tickets {
		f.Items = append(f.Items, TicketItem(byte(i)))
	}
	for _, req := range s.opts.KeyUpdates {
		f.Items = append(f.Items, KeyUpdateItem(req))
	}
	if len(s.opts.AppData) > 0 {
		f.Items = append(f.Items, AppDataItem(s.opts.AppData))
	}
	return f
}

// TranscriptHash is the hash of the handshake transcript so far. In a
// Message.Edit it covers everything sent before that message.
func (s *Server) TranscriptHash() []byte { return s.transcriptHash() }

// Sign signs content with the server's key and scheme, as a
// CertificateVerify does.
func (s *Server) Sign(content []byte) ([]byte, error) {
	return sign(s.cert.Key, s.cert.Scheme, content)
}

// SignatureContent is what a CertificateVerify signs (§4.4.3), with the
// server's or the client's context string.
func SignatureContent(server bool, transcriptHash []byte) []byte {
	return signatureContent(server, transcriptHash)
}

// FinishedVerifyData is the verify_data of a Finished over the transcript
// so far, keyed with the server's (or, if client, the client's) handshake
// traffic secret; nil before the handshake keys exist.
func (s *Server) FinishedVerifyData(client bool) []byte {
	key := s.sHS
	if client {
		key = s.cHS
	}
	if key == nil {
		return nil
	}
	return finishedMAC(key, s.transcriptHash())
}

func (s *Server) transcriptHash() []byte {
	h := sha256.Sum256(s.transcript)
	return h[:]
}

func (s *Server) resolve(e Epoch) Epoch {
	if e == EpochAuto {
		return s.writeEpoch
	}
	return e
}

// sendFlight runs the Mutator over f, encodes its messages (updating the
// transcript and keys), builds and protects its records, and lets the
// Mutator edit them on the wire.
func (s *Server) sendFlight(f *Flight) ([]byte, error) {
	if m := s.opts.Mutator; m != nil && m.Flight != nil {
		m.Flight(s, f)
	}
	maxFrag := f.MaxFragment
	if maxFrag <= 0 {
		maxFrag = s.opts.MaxFragment
	}
	if maxFrag <= 0 {
		maxFrag = 1 << 14
	}
	var recs []*Record
	var run []byte
	runEpoch := EpochPlaintext
	flush := func() {
		for len(run) > 0 {
			n := min(len(run), maxFrag)
			recs = append(recs, &Record{Type: wire.ContentTypeHandshake, Payload: run[:n:n], Epoch: runEpoch})
			run = run[n:]
		}
		run = nil
	}
	for _, it := range f.Items {
		switch {
		case it.Msg != nil:
			ep := s.resolve(it.Msg.Epoch)
			if len(run) > 0 && ep != runEpoch {
				flush()
			}
			enc, err := s.encodeMessage(it.Msg)
			if err != nil {
				return nil, err
			}
			run = append(run, enc...)
			runEpoch = ep
			if it.Msg.EndRecord {
				flush()
			}
		case it.Rec != nil:
			flush()
			r := *it.Rec
			r.Epoch = s.resolve(r.Epoch)
			recs = append(recs, &r)
		}
	}
	flush()
	if m := s.opts.Mutator; m != nil && m.Records != nil {
		recs = m.Records(s, f, recs)
	}
	raw := make([][]byte, 0, len(recs))
	for _, r := range recs {
		w, err := s.protect(r)
		if err != nil {
			return nil, err
		}
		raw = append(raw, w)
	}
	if m := s.opts.Mutator; m != nil && m.Wire != nil {
		raw = m.Wire(s, f, raw)
	}
	var out []byte
	for _, w := range raw {
		out = append(out, w...)
	}
	return out, nil
}

// encodeMessage encodes m as sent, adds it to the transcript while the
// handshake is on, and moves the key schedule on after a ServerHello,
// the server's Finished and a KeyUpdate.
func (s *Server) encodeMessage(m *Message) ([]byte, error) {
	body := m.Body
	switch m.Compute {
	case ComputeCertificateVerify:
		sig, err := sign(s.cert.Key, s.cert.Scheme, signatureContent(true, s.transcriptHash()))
		if err != nil {
			return nil, err
		}
		cv := wire.CertificateVerify{Algorithm: s.cert.Scheme, Signature: sig}
		if body, err = cv.Append(nil); err != nil {
			return nil, err
		}
	case ComputeFinished:
		key := s.sHS
		if key == nil {
			key = make([]byte, hashLen) // no handshake keys: a Finished nobody can check
		}
		body = finishedMAC(key, s.transcriptHash())
	}
	if m.Edit != nil {
		body = m.Edit(bytes.Clone(body))
	}
	enc := m.Raw
	if enc == nil {
		enc = make([]byte, 4, 4+len(body))
		enc[0] = byte(m.Type)
		enc[1], enc[2], enc[3] = byte(len(body)>>16), byte(len(body)>>8), byte(len(body))
		enc = append(enc, body...)
	}
	isHRR := m.Type == wire.HandshakeTypeServerHello && len(enc) >= 38 && bytes.Equal(enc[6:38], HelloRetryRequestRandom)
	if s.sAP == nil { // the handshake transcript ends with the server's Finished
		if isHRR && !s.hrrDone && s.sHS == nil {
			// §4.4.1: ClientHello1 becomes message_hash.
			h := sha256.Sum256(s.transcript)
			s.transcript = append([]byte{byte(wire.HandshakeTypeMessageHash), 0, 0, hashLen}, h[:]...)
		}
		s.transcript = append(s.transcript, enc...)
	}
	switch {
	case isHRR:
		if !s.hrrDone {
			var hrr wire.HelloRetryRequest
			if hrr.Unmarshal(enc[4:]) == nil && hrr.Extensions.Has(wire.ExtensionTypeKeyShare) {
				s.hrrGroup = hrr.Extensions.KeyShare.SelectedGroup
			}
		}
		s.hrrDone = true
	case m.Type == wire.HandshakeTypeServerHello && s.sHS == nil && s.shared != nil:
		return enc, s.deriveHandshake(enc)
	case m.Type == wire.HandshakeTypeFinished && s.sHS != nil && s.sAP == nil:
		return enc, s.deriveApplication()
	case m.Type == wire.HandshakeTypeKeyUpdate && s.sAP != nil:
		next, err := s.writeKeys[s.writeEpoch].next(s.suite)
		if err != nil {
			return nil, err
		}
		s.writeEpoch++
		s.writeKeys[s.writeEpoch] = next
	}
	return enc, nil
}

func (s *Server) deriveHandshake(sh []byte) error {
	// Follow the cipher suite the ServerHello as sent names, if the
	// server can; a mutated one it cannot do keeps the negotiated one.
	var msg wire.ServerHello
	if msg.Unmarshal(sh[4:]) == nil && slices.Contains(supportedSuites, msg.CipherSuite) {
		s.suite = msg.CipherSuite
	}
	zeros := make([]byte, hashLen)
	early := hkdfExtract(zeros, zeros)
	s.hsSecret = hkdfExtract(s.shared, deriveSecret(early, "derived", emptyHash()))
	th := s.transcriptHash()
	s.cHS = deriveSecret(s.hsSecret, "c hs traffic", th)
	s.sHS = deriveSecret(s.hsSecret, "s hs traffic", th)
	w, err := newTrafficKeys(s.suite, s.sHS)
	if err != nil {
		return err
	}
	r, err := newTrafficKeys(s.suite, s.cHS)
	if err != nil {
		return err
	}
	s.writeKeys[EpochHandshake], s.readKeys[EpochHandshake] = w, r
	s.writeEpoch, s.readEpoch = EpochHandshake, EpochHandshake
	return nil
}

func (s *Server) deriveApplication() error {
	s.master = hkdfExtract(make([]byte, hashLen), deriveSecret(s.hsSecret, "derived", emptyHash()))
	th := s.transcriptHash()
	s.cAP = deriveSecret(s.master, "c ap traffic", th)
	s.sAP = deriveSecret(s.master, "s ap traffic", th)
	w, err := newTrafficKeys(s.suite, s.sAP)
	if err != nil {
		return err
	}
	r, err := newTrafficKeys(s.suite, s.cAP)
	if err != nil {
		return err
	}
	s.writeKeys[EpochApplication], s.readKeys[EpochApplication] = w, r
	s.writeEpoch = EpochApplication
	return nil
}

// protect turns a record into octets on the wire.
func (s *Server) protect(r *Record) ([]byte, error) {
	if r.Raw != nil {
		return bytes.Clone(r.Raw), nil
	}
	if r.Type == wire.ContentTypeAlert && len(r.Payload) == 2 && r.Payload[1] == byte(wire.AlertDescriptionCloseNotify) {
		s.sentClose = true
	}
	version := r.Version
	if version == 0 {
		version = 0x0303
	}
	var w []byte
	if r.Epoch == EpochPlaintext || r.Epoch == EpochAuto {
		w = []byte{byte(r.Type), byte(version >> 8), byte(version), byte(len(r.Payload) >> 8), byte(len(r.Payload))}
		w = append(w, r.Payload...)
	} else {
		k := s.writeKeys[r.Epoch]
		if k == nil {
			return nil, fmt.Errorf("tlsserver: no %v keys yet for a %v record", r.Epoch, r.Type)
		}
		outer := r.OuterType
		if outer == 0 {
			outer = wire.ContentTypeApplicationData
		}
		w = k.seal(outer, version, r.Type, r.Payload, r.Padding)
	}
	if r.Corrupt != nil {
		w = r.Corrupt(w)
	}
	return w, nil
}
