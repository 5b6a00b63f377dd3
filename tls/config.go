package tls

import (
	"crypto"
	"errors"
	"github.com/tabletls/tabletls/internal/wire"
	"io"
	"slices"
	"strings"
	"time"
)

// Config configures a client. Names follow crypto/tls where the meaning is
// the same. A Config may be shared by connections once in use and must not
// be modified after that.
type Config struct {
	// ServerName is sent in server_name (RFC 6066 §3), unless it is an IP
	// address, and passed to the Verifier.
	ServerName string

	// NextProtos are the ALPN protocols to offer (RFC 7301), most
	// preferred first.
	NextProtos []string

	// Crypto is the cryptography the connection may use (see Crypto): a
	// program links only the implementations it names. Nil means
	// DefaultCrypto for Client and the tlsnet package; ClientWithBuffers
	// and NewEngine, meant for firmware, require it.
	Crypto *Crypto

	// CipherSuites to offer, most preferred first; each must be in
	// Crypto.CipherSuites. Nil means TLS_AES_128_GCM_SHA256,
	// TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256: those of them
	// Crypto implements.
	CipherSuites []uint16

	// CurvePreferences are the groups to offer in supported_groups, most
	// preferred first; each must be in Crypto.KeyExchanges. Nil means
	// x25519, secp256r1, secp384r1, secp521r1, those of them Crypto
	// implements, or if it implements none of them, its KeyExchanges in
	// order.
	CurvePreferences []CurveID

	// KeyShares are the groups the first ClientHello carries a key share
	// for; each must be in CurvePreferences. Nil means the first group of
	// CurvePreferences (x25519 by default) and, when that is the hybrid
	// X25519MLKEM768 and x25519 is in CurvePreferences too, an x25519
	// share beside it made from the hybrid's X25519 key (see
	// X25519Sharer), as crypto/tls does. A server that wants another
	// offered group asks for it with a HelloRetryRequest.
	KeyShares []CurveID

	// Verifier authenticates the server's certificate chain. It is
	// required unless InsecureSkipVerify is set. See PinVerifier and the
	// x509verify package.
	Verifier Verifier

	// InsecureSkipVerify accepts any certificate chain: the server is still
	// required to prove it holds the leaf's private key, but nothing says
	// the key is the right one. For tests only.
	InsecureSkipVerify bool

	// Certificates are the client's, for a CertificateRequest: the first
	// whose key can sign with a scheme the server accepts is sent, or, if
	// none can, an empty Certificate.
	Certificates []Certificate

	// GetClientCertificate, if set, is called instead of looking in
	// Certificates on a CertificateRequest, as in crypto/tls. An empty
	// chain sends none; an error ends the handshake with internal_error,
	// the error as its cause. The certificate must stay unchanged until
	// the handshake is over.
	GetClientCertificate func(*CertificateRequestInfo) (*Certificate, error)

	// SignatureSchemes are the schemes the server may sign its
	// CertificateVerify with, most preferred first (RFC 8446 §4.2.3),
	// each implemented by Crypto. Nil means all Crypto implements: ECDSA,
	// Ed25519, RSA-PSS. Those for certificate chains only (PKCS #1 v1.5)
	// follow them in signature_algorithms either way.
	SignatureSchemes []SignatureScheme

	// Rand is the source of randomness (client random, session id, key
	// shares). Nil means crypto/rand. Firmware plugs its TRNG in here.
	Rand io.Reader

	// Time returns the current time; nil means time.Now. It stamps session
	// tickets. Nothing in the handshake needs a clock unless the Verifier
	// does.
	Time func() time.Time

	// KeyLogWriter, if set, receives the traffic secrets in the NSS key log
	// format, for Wireshark. It makes the connection's security void.
	KeyLogWriter io.Writer

	// DisableMiddleboxCompat turns off the middlebox compatibility mode of
	// RFC 8446 Appendix D.4 (a non-empty legacy_session_id and a dummy
	// change_cipher_spec before the client's second flight).
	DisableMiddleboxCompat bool

	// RecordSizeLimit, if non-zero, is the largest TLSInnerPlaintext the
	// client accepts, 64 to 16385, sent in record_size_limit (RFC 8449,
	// which GnuTLS, NSS and crypto/tls... servers honour) and, rounded down
	// to 512, 1024, 2048 or 4096 octets of content, in max_fragment_length
	// (RFC 6066, which OpenSSL, mbedTLS and wolfSSL servers honour). The
	// client honours the server's record_size_limit only if it sent one
	// (RFC 8449 §4).
	//
	// With a limit the Buffers may be smaller than the Min sizes: Read and
	// Write need only RecordBufferSize(RecordSizeLimit) octets. Then a
	// server that acknowledges neither extension fails the handshake with
	// an error that says so, as its records would not fit. The unprotected
	// ServerHello is not subject to the limit (RFC 8449 §5) but is small
	// (128 octets with x25519, 1,226 with X25519MLKEM768). HandshakeIn must
	// still hold the server's Certificate message: about 500 octets for a
	// pinned self-signed ECDSA P-256 certificate, 1.5 to 3 KB for a WebPKI
	// leaf and intermediate, more with RSA-4096 chains.
	RecordSizeLimit uint16

	// OnNewSessionTicket, if set, is given every NewSessionTicket the
	// server sends after the handshake, and makes the client send
	// psk_key_exchange_modes so that servers send them.
	OnNewSessionTicket func(*SessionTicket)

	// Trace, if set, is called for every state transition, record and
	// handshake message, for debugging tools. Nil costs nothing.
	Trace func(TraceEvent)
}

// Certificate is a certificate chain and its private key, with
// crypto/tls.Certificate's fields. Package x509verify makes one from PEM
// (X509KeyPair, LoadX509KeyPair).
type Certificate struct {
	// Certificate is the chain, DER, leaf first.
	Certificate [][]byte
	// PrivateKey is the leaf's private key; it must implement
	// crypto.Signer: ECDSA P-256, P-384 or P-521, Ed25519, or RSA (used
	// with RSA-PSS). A hardware key's crypto.Signer will do.
	PrivateKey crypto.PrivateKey
	// SupportedSignatureAlgorithms, if set, are the schemes the key may
	// sign with, most preferred first; nil means any that fits it.
	SupportedSignatureAlgorithms []SignatureScheme
}

// check reports an entry the handshake could not use.
func (c *Certificate) check(field string) error {
	if len(c.Certificate) == 0 {
		return configError(field, "no certificate")
	}
	if _, ok := c.PrivateKey.(crypto.Signer); !ok {
		return configError(field, "the PrivateKey does not implement crypto.Signer")
	}
	return nil
}

// signer is c's key; check made sure it is one.
func (c *Certificate) signer() crypto.Signer { return c.PrivateKey.(crypto.Signer) }

// CertificateRequestInfo is the server's CertificateRequest (RFC 8446
// §4.3.2), for Config.GetClientCertificate.
type CertificateRequestInfo struct {
	// AcceptableCAs are the DER distinguished names of the
	// certificate_authorities extension, if the server sent one.
	AcceptableCAs [][]byte
	// SignatureSchemes are the server's signature_algorithms, in its order
	// of preference.
	SignatureSchemes []SignatureScheme
	// Version is VersionTLS13.
	Version uint16

	crypto *Crypto
}

// SupportsCertificate returns nil if the server accepts a
// CertificateVerify from c's key with one of the schemes this connection
// implements, or an error that says why not. Like crypto/tls's, it does
// not check AcceptableCAs.
func (cri *CertificateRequestInfo) SupportsCertificate(c *Certificate) error {
	if err := c.check("certificate"); err != nil {
		return err
	}
	if cri.crypto == nil {
		return errors.New("tls: SupportsCertificate on a CertificateRequestInfo that no connection made")
	}
	if _, ok := cri.crypto.selectClientScheme(c, slices.Values(cri.SignatureSchemes)); !ok {
		return errors.New("tls: the server accepts no signature scheme this key can make")
	}
	return nil
}

// SessionTicket is a NewSessionTicket received after the handshake
// (RFC 8446 §4.6.1), with the PSK it resumes (§4.6.1, "resumption").
type SessionTicket struct {
	Ticket           []byte        // the ticket, opaque to the client
	Lifetime         time.Duration // ticket_lifetime: how long it may be used
	AgeAdd           uint32        // ticket_age_add, to obscure the ticket's age
	Nonce            []byte        // ticket_nonce, from which PSK is derived
	MaxEarlyDataSize uint32        // early_data's max_early_data_size, or 0
	PSK              []byte        // the resumption PSK (§4.6.1)
	CipherSuite      uint16        // the suite of the connection, whose hash PSK is for
	ServerName       string        // Config.ServerName of the connection
	ReceivedAt       time.Time     // Config.Time when the ticket arrived
}

// TraceKind says what a TraceEvent reports.
type TraceKind uint8

// The kinds of TraceEvent, and the fields each sets.
const (
	TraceTransition   TraceKind = iota // From, Event, To
	TraceRecordIn                      // ContentType, Length (on the wire)
	TraceRecordOut                     // ContentType, Length (on the wire)
	TraceHandshakeIn                   // HandshakeType, Length (with header)
	TraceHandshakeOut                  // HandshakeType, Length (with header)
)

// TraceEvent is one step of a connection, for Config.Trace.
type TraceEvent struct {
	// Kind says which of the fields below are set.
	Kind TraceKind
	// From and To are the states of a transition.
	From, To HandshakeState
	// Event is what caused the transition.
	Event HandshakeEvent
	// ContentType is a record's outer content type (RFC 8446 §5.1):
	// 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data
	// (what an encrypted record says on the outside).
	ContentType uint8
	// HandshakeType is a handshake message's msg_type (RFC 8446 §4), such
	// as 1 client_hello, 2 server_hello or 11 certificate.
	HandshakeType uint8
	// Length is the size of the record or of the handshake message,
	// header included.
	Length int
	// Encrypted says a record is protected (§5.2).
	Encrypted bool
	// Data is the record as on the wire, or the handshake message with
	// its header (in plaintext). It aliases the connection's buffers: it
	// is valid only during the call, and must not be kept or changed.
	Data []byte
	// Err is set on the transition to CLOSED that a fatal error causes:
	// an *AlertError, with Received set if the alert came from the
	// server, and not if the client found the error and sent the alert.
	Err error
}

var defaultCurvePreferences = []CurveID{X25519, CurveP256, CurveP384, CurveP521}

// profile is what a Config comes to for one connection: the Crypto and
// the preference lists, defaults filled in and checked against it.
type profile struct {
	crypto *Crypto
	suites []uint16
	groups []CurveID
	shares []CurveID
	// hybridX25519: the default x25519 share beside an X25519MLKEM768 one
	// is made from the hybrid's own X25519 key (see X25519Sharer).
	hybridX25519 bool

	// Room for the defaults, so that filling them in allocates nothing.
	suiteBuf [maxOfferedSuites]uint16
	groupBuf [maxOfferedGroups]CurveID
	shareBuf [2]CurveID
}

// resolve fills p for c with the Crypto cr and reports a configuration that
// cannot work, before anything is sent: a *ConfigError.
func (c *Config) resolve(cr *Crypto, p *profile) error {
	if cr == nil {
		return configError("Config.Crypto", "nil: ClientWithBuffers and NewEngine link only the cryptography the Config names; set Crypto (tls.DefaultCrypto() for all)")
	}
	p.crypto = cr
	if c.Verifier == nil && !c.InsecureSkipVerify {
		return configError("Config.Verifier", "nil: set a Verifier (PinVerifier, x509verify) or InsecureSkipVerify")
	}
	if len(cr.CipherSuites) == 0 || len(cr.KeyExchanges) == 0 || len(cr.Signatures) == 0 {
		return configError("Config.Crypto", "it needs at least one cipher suite, key exchange and signature algorithm")
	}
	p.suites = c.CipherSuites
	if len(p.suites) == 0 {
		p.suites = p.suiteBuf[:0]
		for _, s := range defaultCipherSuites {
			if cr.suite(s) != nil {
				p.suites = append(p.suites, s)
			}
		}
		if len(p.suites) == 0 {
			return configError("Config.Crypto", "none of its cipher suites is a default one: set Config.CipherSuites")
		}
	}
	if len(p.suites) > maxOfferedSuites {
		return configError("Config.CipherSuites", "more than "+itoa(maxOfferedSuites)+" suites")
	}
	for i, s := range p.suites {
		if cr.suite(s) == nil {
			return configError("Config.CipherSuites", CipherSuiteName(s)+" is not implemented by Config.Crypto")
		}
		if slices.Contains(p.suites[:i], s) {
			return configError("Config.CipherSuites", CipherSuiteName(s)+" is listed twice")
		}
	}
	p.groups = c.CurvePreferences
	if len(p.groups) == 0 {
		p.groups = p.groupBuf[:0]
		for _, g := range defaultCurvePreferences {
			if cr.keyExchange(g) != nil {
				p.groups = append(p.groups, g)
			}
		}
		if len(p.groups) == 0 { // none of the defaults: the Crypto's order
			for _, k := range cr.KeyExchanges {
				if k != nil && len(p.groups) < maxOfferedGroups && !slices.Contains(p.groups, k.id) {
					p.groups = append(p.groups, k.id)
				}
			}
		}
	}
	if len(p.groups) > maxOfferedGroups {
		return configError("Config.CurvePreferences", "more than "+itoa(maxOfferedGroups)+" groups")
	}
	for i, g := range p.groups {
		if cr.keyExchange(g) == nil {
			msg := g.String() + " is not implemented by Config.Crypto"
			if g == X25519MLKEM768 {
				msg += " (add hybrid.X25519MLKEM768() from package tls/hybrid)"
			}
			return configError("Config.CurvePreferences", msg)
		}
		if slices.Contains(p.groups[:i], g) {
			return configError("Config.CurvePreferences", g.String()+" is listed twice")
		}
	}
	p.shares = c.KeyShares
	if len(p.shares) == 0 {
		p.shares = p.groups[:1]
		// Beside a hybrid first choice, a share of its classical half, as
		// crypto/tls sends, so that a server without ML-KEM needs no
		// HelloRetryRequest (see KeyShares).
		if p.groups[0] == X25519MLKEM768 && slices.Contains(p.groups, X25519) {
			p.shareBuf = [2]CurveID{X25519MLKEM768, X25519}
			p.shares = p.shareBuf[:]
			p.hybridX25519 = true
		}
	}
	if len(p.shares) > maxKeyShares {
		return configError("Config.KeyShares", "more than "+itoa(maxKeyShares)+" groups")
	}
	for i, g := range p.shares {
		if !slices.Contains(p.groups, g) {
			return configError("Config.KeyShares", g.String()+" is not in CurvePreferences")
		}
		if slices.Contains(p.shares[:i], g) {
			return configError("Config.KeyShares", g.String()+" is listed twice")
		}
	}
	if err := checkNextProtos(c.NextProtos); err != nil {
		return err
	}
	if c.RecordSizeLimit != 0 && (c.RecordSizeLimit < 64 || c.RecordSizeLimit > maxInnerPlaintext) {
		return configError("Config.RecordSizeLimit", itoa(int(c.RecordSizeLimit))+": it must be 0 or 64 to 16385")
	}
	if err := checkServerName(c.ServerName); err != nil {
		return err
	}
	for i := range c.Certificates {
		if err := c.Certificates[i].check("Config.Certificates[" + itoa(i) + "]"); err != nil {
			return err
		}
	}
	for i, s := range c.SignatureSchemes {
		if _, _, ok := certificateVerifyParams(s); !ok || cr.signature(s) == nil {
			return configError("Config.SignatureSchemes", s.String()+" is not a CertificateVerify scheme Config.Crypto implements")
		}
		if slices.Contains(c.SignatureSchemes[:i], s) {
			return configError("Config.SignatureSchemes", s.String()+" is listed twice")
		}
	}
	return nil
}

// maxNextProtosLen bounds the ALPN extension's protocol_name_list: it and
// the rest of the ClientHello (a hybrid key share is 1,220 octets) must
// fit the scratch space of the smallest HandshakeOut, 2 KiB with
// Config.RecordSizeLimit (see Buffers).
const maxNextProtosLen = 1024

// checkNextProtos checks the ALPN list (RFC 7301 §3.1): each name 1 to
// 255 octets, none twice, all of them in maxNextProtosLen.
func checkNextProtos(protos []string) error {
	total := 0
	for i, p := range protos {
		if len(p) == 0 || len(p) > 255 {
			return configError("Config.NextProtos", "protocol "+itoa(i)+" is "+itoa(len(p))+" octets long: ALPN names are 1 to 255 octets (RFC 7301)")
		}
		if slices.Contains(protos[:i], p) {
			return configError("Config.NextProtos", "protocol "+p+" is listed twice")
		}
		total += 1 + len(p)
	}
	if total > maxNextProtosLen {
		return configError("Config.NextProtos", "the list takes "+itoa(total)+" octets in the ClientHello, more than the "+itoa(maxNextProtosLen)+" it has room for")
	}
	return nil
}

// checkServerName checks that name can go in server_name (RFC 6066 §3:
// a DNS host name, in ASCII, "without a trailing dot"; an
// internationalized name is sent as its A-label) or is an IP address,
// which is not sent.
func checkServerName(name string) error {
	const field = "Config.ServerName"
	if name == "" || isIPLiteral(name) {
		return nil
	}
	if len(name) > 253+1 {
		return configError(field, "longer than a DNS name can be (253 octets)")
	}
	host := strings.TrimSuffix(name, ".")
	if host == "" {
		return configError(field, `"." is not a host name`)
	}
	label := 0
	for i := 0; i < len(host); i++ {
		switch b := host[i]; {
		case b == 0:
			return configError(field, "it contains a NUL octet")
		case b == ' ':
			return configError(field, quoteName(name)+" contains a space")
		case b >= 0x80:
			return configError(field, quoteName(name)+" is not ASCII: use its A-label (punycode, golang.org/x/net/idna)")
		case b < 0x20 || b == 0x7f:
			return configError(field, "it contains the control character "+itoa(int(b)))
		case b == '.':
			if label == 0 {
				return configError(field, quoteName(name)+" has an empty label")
			}
			label = 0
		default:
			if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '*') {
				return configError(field, quoteName(name)+" contains "+string(rune(b))+", which no host name has")
			}
			label++
			if label > 63 {
				return configError(field, "a label is longer than 63 octets")
			}
		}
	}
	return nil
}

// quoteName quotes s, which is printable ASCII here but for what
// checkServerName looks for.
func quoteName(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
		} else {
			const hex = "0123456789abcdef"
			b.WriteString("\\x")
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (c *Config) now() time.Time {
	if c.Time != nil {
		return c.Time()
	}
	return time.Now()
}

// RecordBufferSize is the size of a Read or Write buffer that holds any
// record of a connection whose Config.RecordSizeLimit is limit (0 for
// none): the header, the content and the room RFC 8446 §5.2 gives a
// protected record to grow (its type, padding and the AEAD tag).
func RecordBufferSize(limit uint16) int {
	if limit == 0 {
		return MinReadBuffer
	}
	return min(recordHeaderLen+int(limit)+256, MinReadBuffer)
}

// maxFragmentLength is the max_fragment_length code (RFC 6066 §4) offered
// with c.RecordSizeLimit: the largest 2^(8+code) octets of content under
// the limit, or 0 if the limit is over 4096 octets of content or under 512.
func (c *Config) maxFragmentLength() (code wire.MaxFragmentLength, size int) {
	if c.RecordSizeLimit == 0 || int(c.RecordSizeLimit) >= maxInnerPlaintext {
		return 0, 0
	}
	for code := 4; code >= 1; code-- {
		if size := 1 << (8 + code); size <= int(c.RecordSizeLimit)-1 {
			return wire.MaxFragmentLength(code), size
		}
	}
	return 0, 0
}

const (
	maxOfferedSuites = 8
	maxOfferedGroups = 8
	maxKeyShares     = 4
)
