package tls

import (
	"crypto"
	"io"
	"slices"
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

	// CipherSuites to offer, most preferred first. Nil means
	// TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
	// TLS_CHACHA20_POLY1305_SHA256.
	CipherSuites []CipherSuite

	// CurvePreferences are the groups to offer in supported_groups, most
	// preferred first. Nil means x25519, secp256r1, secp384r1.
	CurvePreferences []NamedGroup

	// KeyShares are the groups the first ClientHello carries a key share
	// for; each must be in CurvePreferences. Nil means the first group of
	// CurvePreferences (x25519 by default) and, when that is the hybrid
	// X25519MLKEM768 and x25519 is in CurvePreferences too, an x25519
	// share beside it made from the hybrid's X25519 key, as crypto/tls
	// does. A server that wants another offered group asks for it with a
	// HelloRetryRequest.
	KeyShares []NamedGroup

	// Verifier authenticates the server's certificate chain. It is
	// required unless InsecureSkipVerify is set. See PinVerifier and the
	// x509verify package.
	Verifier Verifier

	// InsecureSkipVerify accepts any certificate chain: the server is still
	// required to prove it holds the leaf's private key, but nothing says
	// the key is the right one. For tests only.
	InsecureSkipVerify bool

	// Certificates are the client's certificates, offered when the server
	// sends a CertificateRequest. The first one whose key can make a
	// signature the server accepts is used; with none, the client answers
	// with an empty Certificate.
	Certificates []ClientCertificate

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

	// RecordSizeLimit, if non-zero, is sent in record_size_limit (RFC 8449):
	// the largest TLSInnerPlaintext the client accepts, 64 to 16385. The
	// client honours the server's limit only if it sent one (RFC 8449 §4).
	// The read buffer stays sized for full records: a limit does not make
	// a server send smaller handshake records before EncryptedExtensions.
	RecordSizeLimit uint16

	// OnNewSessionTicket, if set, is given every NewSessionTicket the
	// server sends after the handshake, and makes the client send
	// psk_key_exchange_modes so that servers send them.
	OnNewSessionTicket func(*SessionTicket)

	// Trace, if set, is called for every state transition, record and
	// handshake message, for debugging tools. Nil costs nothing.
	Trace func(TraceEvent)
}

// ClientCertificate is a client certificate chain and its private key.
type ClientCertificate struct {
	// Chain is the DER certificates, leaf first.
	Chain [][]byte
	// PrivateKey signs the CertificateVerify: ECDSA P-256 or P-384,
	// Ed25519, or RSA (used with RSA-PSS).
	PrivateKey crypto.Signer
}

// SessionTicket is a NewSessionTicket received after the handshake
// (RFC 8446 §4.6.1), with the PSK it resumes (§4.6.1, "resumption").
type SessionTicket struct {
	Ticket           []byte
	Lifetime         time.Duration
	AgeAdd           uint32
	Nonce            []byte
	MaxEarlyDataSize uint32
	PSK              []byte
	CipherSuite      CipherSuite
	ServerName       string
	ReceivedAt       time.Time
}

// TraceKind says what a TraceEvent reports.
type TraceKind uint8

const (
	TraceTransition   TraceKind = iota // From, Event, To
	TraceRecordIn                      // ContentType, Length (on the wire)
	TraceRecordOut                     // ContentType, Length (on the wire)
	TraceHandshakeIn                   // HandshakeType, Length (with header)
	TraceHandshakeOut                  // HandshakeType, Length (with header)
)

// TraceEvent is one step of a connection, for Config.Trace.
type TraceEvent struct {
	Kind          TraceKind
	From, To      HandshakeState
	Event         HandshakeEvent
	ContentType   ContentType // outer type of a record
	HandshakeType HandshakeType
	Length        int
	Encrypted     bool
	// Data is the record as on the wire, or the handshake message with
	// its header (in plaintext). It aliases the connection's buffers: it
	// is valid only during the call, and must not be kept or changed.
	Data []byte
	// Err is set on the transition to CLOSED that a fatal error causes:
	// an *AlertError, with Received set if the alert came from the
	// server, and not if the client found the error and sent the alert.
	Err error
}

var (
	defaultCurvePreferences = []NamedGroup{NamedGroupX25519, NamedGroupSecp256r1, NamedGroupSecp384r1}
	supportedGroups         = []NamedGroup{NamedGroupX25519, NamedGroupSecp256r1, NamedGroupSecp384r1, X25519MLKEM768}
)

func (c *Config) cipherSuites() []CipherSuite {
	if len(c.CipherSuites) == 0 {
		return defaultCipherSuites
	}
	return c.CipherSuites
}

func (c *Config) curvePreferences() []NamedGroup {
	if len(c.CurvePreferences) == 0 {
		return defaultCurvePreferences
	}
	return c.CurvePreferences
}

func (c *Config) keyShareGroups() []NamedGroup {
	if len(c.KeyShares) == 0 {
		return c.curvePreferences()[:1]
	}
	return c.KeyShares
}

// classicalFallbackShare reports whether the default key shares get an
// x25519 share beside a hybrid first group (see KeyShares).
func (c *Config) classicalFallbackShare() bool {
	groups := c.curvePreferences()
	return len(c.KeyShares) == 0 && groups[0] == X25519MLKEM768 && slices.Contains(groups, NamedGroupX25519)
}

func (c *Config) now() time.Time {
	if c.Time != nil {
		return c.Time()
	}
	return time.Now()
}

// check reports a configuration that cannot work, before anything is sent.
func (c *Config) check() error {
	if c.Verifier == nil && !c.InsecureSkipVerify {
		return newAlert(AlertDescriptionInternalError, "tls: Config.Verifier is nil: set a Verifier (PinVerifier, x509verify) or InsecureSkipVerify")
	}
	for _, s := range c.cipherSuites() {
		if suiteByID(s) == nil {
			return newAlert(AlertDescriptionInternalError, "tls: unsupported cipher suite in Config.CipherSuites: "+s.String())
		}
	}
	if len(c.cipherSuites()) > maxOfferedSuites {
		return newAlert(AlertDescriptionInternalError, "tls: too many cipher suites in Config")
	}
	groups := c.curvePreferences()
	if len(groups) > maxOfferedGroups {
		return newAlert(AlertDescriptionInternalError, "tls: too many groups in Config.CurvePreferences")
	}
	for _, g := range groups {
		if !groupSupported(g) {
			return newAlert(AlertDescriptionInternalError, "tls: unsupported group in Config.CurvePreferences: "+g.String())
		}
	}
	shares := c.keyShareGroups()
	if len(shares) > maxKeyShares {
		return newAlert(AlertDescriptionInternalError, "tls: too many Config.KeyShares")
	}
	for i, g := range shares {
		if !slices.Contains(groups, g) {
			return newAlert(AlertDescriptionInternalError, "tls: Config.KeyShares group not in CurvePreferences: "+g.String())
		}
		if slices.Contains(shares[:i], g) {
			return newAlert(AlertDescriptionInternalError, "tls: duplicate group in Config.KeyShares: "+g.String())
		}
	}
	for _, p := range c.NextProtos {
		if len(p) == 0 || len(p) > 255 {
			return newAlert(AlertDescriptionInternalError, "tls: invalid ALPN protocol length in Config.NextProtos")
		}
	}
	if c.RecordSizeLimit != 0 && (c.RecordSizeLimit < 64 || c.RecordSizeLimit > maxInnerPlaintext) {
		return newAlert(AlertDescriptionInternalError, "tls: Config.RecordSizeLimit must be 64 to 16385")
	}
	if len(c.ServerName) > 255 {
		return newAlert(AlertDescriptionInternalError, "tls: Config.ServerName too long")
	}
	for _, cert := range c.Certificates {
		if len(cert.Chain) == 0 || cert.PrivateKey == nil {
			return newAlert(AlertDescriptionInternalError, "tls: Config.Certificates entry without chain or key")
		}
	}
	return nil
}

const (
	maxOfferedSuites = 8
	maxOfferedGroups = 8
	maxKeyShares     = 4
)

func groupSupported(g NamedGroup) bool { return slices.Contains(supportedGroups, g) }
