package tls

import "github.com/tabletls/tabletls/internal/wire"

// The code points a user configures, named as in crypto/tls. The wire
// format's own registries are in internal/wire; these convert to and from
// them at the boundary, by value.

// VersionTLS13 is the only protocol version tabletls speaks (RFC 8446).
const VersionTLS13 = 0x0304

// CurveID is a key exchange group, the TLS NamedGroup (RFC 8446 §4.2.7),
// as in crypto/tls. Config.CurvePreferences and Config.KeyShares list
// them; each needs an implementation in Crypto.KeyExchanges.
type CurveID uint16

// The groups tabletls implements. X25519MLKEM768 is in package tls/hybrid;
// CurveP521 needs an implementation in Crypto.KeyExchanges.
const (
	CurveP256      CurveID = 23     // secp256r1
	CurveP384      CurveID = 24     // secp384r1
	CurveP521      CurveID = 25     // secp521r1
	X25519         CurveID = 29     // x25519 (RFC 7748)
	X25519MLKEM768 CurveID = 0x11ec // draft-ietf-tls-ecdhe-mlkem
)

// String returns the group's name in the IANA registry, such as "x25519"
// or "secp256r1", or "CurveID(0x1234)".
func (c CurveID) String() string {
	if name, ok := wire.NamedGroup(c).Name(); ok {
		return name
	}
	return wire.UnknownName("CurveID", uint32(c), 4)
}

// The TLS 1.3 cipher suites tabletls implements (RFC 8446 §B.4), as
// uint16 values as in crypto/tls, for Config.CipherSuites and
// ConnectionState.CipherSuite.
const (
	TLS_AES_128_GCM_SHA256       uint16 = 0x1301
	TLS_AES_256_GCM_SHA384       uint16 = 0x1302
	TLS_CHACHA20_POLY1305_SHA256 uint16 = 0x1303
)

// CipherSuiteName returns the standard name of a cipher suite, such as
// "TLS_AES_128_GCM_SHA256", or "0x1304"-style hex for one it does not know.
func CipherSuiteName(id uint16) string {
	switch id {
	case TLS_AES_128_GCM_SHA256:
		return "TLS_AES_128_GCM_SHA256"
	case TLS_AES_256_GCM_SHA384:
		return "TLS_AES_256_GCM_SHA384"
	case TLS_CHACHA20_POLY1305_SHA256:
		return "TLS_CHACHA20_POLY1305_SHA256"
	}
	return "0x" + hex4(id)
}

func hex4(v uint16) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf]})
}

// SignatureScheme is a TLS signature scheme (RFC 8446 §4.2.3), as in
// crypto/tls: what the server's CertificateVerify and certificates may be
// signed with, and what the client signs its CertificateVerify with.
type SignatureScheme uint16

// The signature schemes tabletls implements, with crypto/tls's names.
// The PKCS1 schemes are for certificate signatures only (RFC 8446 §4.2.3).
// Ed25519 is in package tls/ed25519sig and the PSS schemes in tls/rsapss.
const (
	PKCS1WithSHA256        SignatureScheme = 0x0401
	PKCS1WithSHA384        SignatureScheme = 0x0501
	PKCS1WithSHA512        SignatureScheme = 0x0601
	PSSWithSHA256          SignatureScheme = 0x0804 // rsa_pss_rsae_sha256
	PSSWithSHA384          SignatureScheme = 0x0805 // rsa_pss_rsae_sha384
	PSSWithSHA512          SignatureScheme = 0x0806 // rsa_pss_rsae_sha512
	ECDSAWithP256AndSHA256 SignatureScheme = 0x0403
	ECDSAWithP384AndSHA384 SignatureScheme = 0x0503
	ECDSAWithP521AndSHA512 SignatureScheme = 0x0603
	Ed25519                SignatureScheme = 0x0807
)

// The RSASSA-PSS schemes for keys whose certificate says id-RSASSA-PSS
// (RFC 8446 §4.2.3), which crypto/tls does not name.
const (
	pssPSSWithSHA256 SignatureScheme = 0x0809
	pssPSSWithSHA384 SignatureScheme = 0x080a
	pssPSSWithSHA512 SignatureScheme = 0x080b
)

// String returns the scheme's name in the IANA registry, such as
// "ecdsa_secp256r1_sha256".
func (s SignatureScheme) String() string { return wire.SignatureScheme(s).String() }

// AlertDescription is a TLS alert (RFC 8446 §6): the one an AlertError
// sent or received.
type AlertDescription uint8

// The alerts of RFC 8446 §6 and its extensions.
const (
	AlertCloseNotify                  AlertDescription = 0
	AlertUnexpectedMessage            AlertDescription = 10
	AlertBadRecordMAC                 AlertDescription = 20
	AlertRecordOverflow               AlertDescription = 22
	AlertHandshakeFailure             AlertDescription = 40
	AlertBadCertificate               AlertDescription = 42
	AlertUnsupportedCertificate       AlertDescription = 43
	AlertCertificateRevoked           AlertDescription = 44
	AlertCertificateExpired           AlertDescription = 45
	AlertCertificateUnknown           AlertDescription = 46
	AlertIllegalParameter             AlertDescription = 47
	AlertUnknownCA                    AlertDescription = 48
	AlertAccessDenied                 AlertDescription = 49
	AlertDecodeError                  AlertDescription = 50
	AlertDecryptError                 AlertDescription = 51
	AlertProtocolVersion              AlertDescription = 70
	AlertInsufficientSecurity         AlertDescription = 71
	AlertInternalError                AlertDescription = 80
	AlertInappropriateFallback        AlertDescription = 86
	AlertUserCanceled                 AlertDescription = 90
	AlertMissingExtension             AlertDescription = 109
	AlertUnsupportedExtension         AlertDescription = 110
	AlertUnrecognizedName             AlertDescription = 112
	AlertBadCertificateStatusResponse AlertDescription = 113
	AlertUnknownPSKIdentity           AlertDescription = 115
	AlertCertificateRequired          AlertDescription = 116
	AlertNoApplicationProtocol        AlertDescription = 120
)

// String returns the alert's name in RFC 8446, such as "handshake_failure".
func (a AlertDescription) String() string { return wire.AlertDescription(a).String() }
