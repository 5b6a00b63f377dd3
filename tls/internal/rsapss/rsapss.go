// Package rsapss is RSASSA-PSS for TLS 1.3 CertificateVerify (RFC 8446,
// Section 4.2.3): the rsa_pss_rsae_* schemes with rsaEncryption keys and
// rsa_pss_pss_* with id-RSASSA-PSS keys. It does not import package tls,
// so that package tls's own tests can use it; package tls/rsapss is its
// public face. Importing crypto/rsa links RSA (and its FIPS 140 self-test)
// into a program, which is why it is not in package tls.
package rsapss

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"io"
	"math/big"
	"math/bits"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers, as the contents octets of their DER encoding.
const (
	oidPublicKeyRSA    = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" // 1.2.840.113549.1.1.1, RFC 3279
	oidPublicKeyRSAPSS = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a" // 1.2.840.113549.1.1.10, RFC 4055
	oidMGF1            = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08" // 1.2.840.113549.1.1.8, RFC 4055
	oidSHA256          = "\x60\x86\x48\x01\x65\x03\x04\x02\x01" // 2.16.840.1.101.3.4.2.1
	oidSHA384          = "\x60\x86\x48\x01\x65\x03\x04\x02\x02" // 2.16.840.1.101.3.4.2.2
	oidSHA512          = "\x60\x86\x48\x01\x65\x03\x04\x02\x03" // 2.16.840.1.101.3.4.2.3
)

// RSA modulus size limits, those of crypto/rsa (which refuses keys under
// 1024 bits) and crypto/tls (which refuses server keys over 8192 bits, as
// they make verification a denial of service vector).
const (
	minRSABits = 1024
	maxRSABits = 8192
)

// PSSPublicKey is an RSA key from an id-RSASSA-PSS SubjectPublicKeyInfo,
// usable only with the rsa_pss_pss_* schemes (RFC 8446, Section 4.2.3).
type PSSPublicKey struct {
	Pub  *rsa.PublicKey // the RSA key
	Hash crypto.Hash    // the only hash the key may be used with, or 0 for any
}

// keyError is a certificate key error: package tls sends bad_certificate,
// or unsupported_certificate if it matches errors.ErrUnsupported.
type keyError struct {
	msg         string
	unsupported bool
}

func (e *keyError) Error() string { return e.msg }

func (e *keyError) Is(target error) bool { return e.unsupported && target == errors.ErrUnsupported }

func bad(msg string) error         { return &keyError{msg: msg} }
func unsupported(msg string) error { return &keyError{msg: msg, unsupported: true} }

// Algorithm is RSASSA-PSS with one hash, for one kind of key: it
// implements tls.SignatureAlgorithm.
type Algorithm struct {
	hash crypto.Hash
	pss  bool // rsa_pss_pss_*: an id-RSASSA-PSS key
}

// New returns RSASSA-PSS with hash (SHA-256, SHA-384 or SHA-512) for
// rsaEncryption keys (rsa_pss_rsae_*) or, with pss, id-RSASSA-PSS keys
// (rsa_pss_pss_*).
func New(hash crypto.Hash, pss bool) *Algorithm { return &Algorithm{hash, pss} }

// Scheme is one TLS 1.3 signature scheme of this package.
type Scheme struct {
	ID          uint16     // SignatureScheme
	CertSchemes []uint16   // listed in signature_algorithms for certificate chains
	Algorithm   *Algorithm // verifies and signs with the scheme
}

// Schemes are the six schemes, in package tls's order of preference: for
// each hash, rsa_pss_rsae_* (with rsa_pkcs1_*, which TLS 1.3 allows for
// certificate chains only: most of the WebPKI is still signed with
// sha256WithRSAEncryption) and rsa_pss_pss_*.
func Schemes() []Scheme {
	return []Scheme{
		{0x0804, []uint16{0x0401}, New(crypto.SHA256, false)},
		{0x0805, []uint16{0x0501}, New(crypto.SHA384, false)},
		{0x0806, []uint16{0x0601}, New(crypto.SHA512, false)},
		{0x0809, nil, New(crypto.SHA256, true)},
		{0x080a, nil, New(crypto.SHA384, true)},
		{0x080b, nil, New(crypto.SHA512, true)},
	}
}

// ParsePublicKey parses an rsaEncryption or id-RSASSA-PSS key.
func (a *Algorithm) ParsePublicKey(oid string, params, key []byte) (crypto.PublicKey, bool, error) {
	switch oid {
	case oidPublicKeyRSA:
		pub, err := parseRSAEncryptionPublicKey(params, key)
		if err != nil {
			return nil, true, err
		}
		return pub, true, nil
	case oidPublicKeyRSAPSS:
		pub, err := parseRSAPSSPublicKey(params, key)
		if err != nil {
			return nil, true, err
		}
		return pub, true, nil
	}
	return nil, false, nil
}

// Allows reports whether pub may sign with the scheme: rsa_pss_rsae_* to an
// rsaEncryption key and rsa_pss_pss_* to an id-RSASSA-PSS key (restricted
// to its hash, if any), large enough for the hash. It never panics.
func (a *Algorithm) Allows(pub crypto.PublicKey) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return !a.pss && fitsPSS(k, a.hash)
	case *PSSPublicKey:
		return a.pss && k != nil && (k.Hash == 0 || k.Hash == a.hash) && fitsPSS(k.Pub, a.hash)
	}
	return false
}

// CanSign reports whether our own key pub can sign: an RSA signer may use
// rsa_pss_pss_* if its certificate carries an id-RSASSA-PSS key, which is
// up to whoever chose the scheme to check.
func (a *Algorithm) CanSign(pub crypto.PublicKey) bool {
	if k, ok := pub.(*rsa.PublicKey); ok && a.pss {
		pub = &PSSPublicKey{Pub: k}
	}
	return a.Allows(pub)
}

// Verify checks an RSASSA-PSS signature over msg, its digest in d.
func (a *Algorithm) Verify(pub crypto.PublicKey, msg, sig []byte, d *[64]byte) bool {
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		k = pub.(*PSSPublicKey).Pub
	}
	return rsa.VerifyPSS(k, a.hash, a.digest(d, msg), sig, pssOptions) == nil
}

// Sign signs msg with the salt as long as the hash (RFC 8446, Section 4.2.3).
func (a *Algorithm) Sign(signer crypto.Signer, rand io.Reader, msg []byte, d *[64]byte) ([]byte, error) {
	return signer.Sign(rand, a.digest(d, msg), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash})
}

func (a *Algorithm) digest(out *[64]byte, msg []byte) []byte {
	switch a.hash {
	case crypto.SHA256:
		d := sha256.Sum256(msg)
		return append(out[:0], d[:]...)
	case crypto.SHA384:
		d := sha512.Sum384(msg)
		return append(out[:0], d[:]...)
	}
	d := sha512.Sum512(msg)
	return append(out[:0], d[:]...)
}

// pssOptions are the RSASSA-PSS parameters of TLS 1.3: the salt is as long
// as the hash. See RFC 8446, Section 4.2.3.
var pssOptions = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

// fitsPSS reports whether pub is large enough for RSASSA-PSS with hash and
// a salt as long as the hash, which requires emLen >= 2*hLen + 2 (RFC 8017,
// Section 9.1.1).
func fitsPSS(pub *rsa.PublicKey, hash crypto.Hash) bool {
	return pub != nil && pub.N != nil && pub.N.Sign() > 0 && pub.Size() >= 2*hash.Size()+2
}

// parseRSAEncryptionPublicKey parses an rsaEncryption key, whose parameters
// must be NULL. See RFC 3279, Section 2.3.1.
func parseRSAEncryptionPublicKey(params, key cryptobyte.String) (*rsa.PublicKey, error) {
	var null cryptobyte.String
	if !params.ReadASN1(&null, asn1.NULL) || !null.Empty() || !params.Empty() {
		return nil, bad("tls: malformed certificate public key")
	}
	return parseRSAPublicKey(key)
}

// parseRSAPSSPublicKey parses an id-RSASSA-PSS key. If the parameters are
// present they restrict the key to one hash (RFC 4055, Section 1.2), which
// must be usable with TLS 1.3: MGF1 with the same hash and a salt no longer
// than the hash (RFC 8446, Section 4.2.3; the key's saltLength is a minimum).
func parseRSAPSSPublicKey(params, key cryptobyte.String) (*PSSPublicKey, error) {
	var hash crypto.Hash
	if !params.Empty() {
		var ok bool
		if hash, ok = parsePSSParams(params); !ok {
			return nil, unsupported("tls: unsupported or malformed certificate RSASSA-PSS parameters")
		}
	}
	pub, err := parseRSAPublicKey(key)
	if err != nil {
		return nil, err
	}
	return &PSSPublicKey{Pub: pub, Hash: hash}, nil
}

// parsePSSParams parses RSASSA-PSS-params (RFC 4055, Section 3.1) and returns
// their hash if they are usable in TLS 1.3. Absent fields take their DEFAULT
// values, which are SHA-1 based and so unusable.
func parsePSSParams(params cryptobyte.String) (crypto.Hash, bool) {
	var seq, hashAlg, mgf, mgfOID, salt, trailer cryptobyte.String
	var hasHash, hasMGF, hasSalt, hasTrailer bool
	if !params.ReadASN1(&seq, asn1.SEQUENCE) || !params.Empty() ||
		!seq.ReadOptionalASN1(&hashAlg, &hasHash, asn1.Tag(0).Constructed().ContextSpecific()) ||
		!seq.ReadOptionalASN1(&mgf, &hasMGF, asn1.Tag(1).Constructed().ContextSpecific()) ||
		!seq.ReadOptionalASN1(&salt, &hasSalt, asn1.Tag(2).Constructed().ContextSpecific()) ||
		!seq.ReadOptionalASN1(&trailer, &hasTrailer, asn1.Tag(3).Constructed().ContextSpecific()) ||
		!seq.Empty() || !hasHash || !hasMGF {
		return 0, false
	}
	hash, ok := parseHashAlgorithm(&hashAlg)
	if !ok || !hashAlg.Empty() {
		return 0, false
	}
	// MaskGenAlgorithm ::= SEQUENCE { id-mgf1, HashAlgorithm }
	if !mgf.ReadASN1(&mgf, asn1.SEQUENCE) || !mgf.ReadASN1(&mgfOID, asn1.OBJECT_IDENTIFIER) ||
		string(mgfOID) != oidMGF1 {
		return 0, false
	}
	if mgfHash, ok := parseHashAlgorithm(&mgf); !ok || mgfHash != hash || !mgf.Empty() {
		return 0, false
	}
	saltLen := int64(20)
	if hasSalt && (!salt.ReadASN1Integer(&saltLen) || !salt.Empty()) {
		return 0, false
	}
	trailerField := int64(1)
	if hasTrailer && (!trailer.ReadASN1Integer(&trailerField) || !trailer.Empty()) {
		return 0, false
	}
	if saltLen < 0 || saltLen > int64(hash.Size()) || trailerField != 1 {
		return 0, false
	}
	return hash, true
}

// parseHashAlgorithm reads a SHA-2 AlgorithmIdentifier, whose parameters are
// NULL or absent (RFC 4055, Section 2.1).
func parseHashAlgorithm(s *cryptobyte.String) (crypto.Hash, bool) {
	var alg, oid cryptobyte.String
	if !s.ReadASN1(&alg, asn1.SEQUENCE) || !alg.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) {
		return 0, false
	}
	if !alg.Empty() {
		var null cryptobyte.String
		if !alg.ReadASN1(&null, asn1.NULL) || !null.Empty() || !alg.Empty() {
			return 0, false
		}
	}
	switch string(oid) {
	case oidSHA256:
		return crypto.SHA256, true
	case oidSHA384:
		return crypto.SHA384, true
	case oidSHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

// parseRSAPublicKey parses a PKCS #1 RSAPublicKey (RFC 8017, Appendix A.1.1).
// The modulus must be odd and between minRSABits and maxRSABits long, the
// exponent odd, at least 3 and small enough for an int on 32-bit platforms.
func parseRSAPublicKey(key cryptobyte.String) (*rsa.PublicKey, error) {
	var seq, modulus cryptobyte.String
	var e int64
	if !key.ReadASN1(&seq, asn1.SEQUENCE) || !key.Empty() ||
		!seq.ReadASN1(&modulus, asn1.INTEGER) ||
		!seq.ReadASN1Integer(&e) || !seq.Empty() {
		return nil, bad("tls: malformed certificate public key")
	}
	n, ok := positiveInteger(modulus)
	if !ok || n[len(n)-1]&1 == 0 || e < 3 || e&1 == 0 || e > 1<<31-1 {
		return nil, bad("tls: invalid certificate RSA public key")
	}
	if nBits := (len(n)-1)*8 + bits.Len8(n[0]); nBits < minRSABits || nBits > maxRSABits {
		return nil, bad("tls: certificate RSA key size not supported")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(e)}, nil
}

// positiveInteger returns the big-endian magnitude of a DER INTEGER's
// contents, without its leading zero, if it is minimally encoded and
// greater than zero.
func positiveInteger(b []byte) ([]byte, bool) {
	if len(b) == 0 || b[0]&0x80 != 0 {
		return nil, false
	}
	if b[0] == 0 {
		if len(b) == 1 || b[1]&0x80 == 0 {
			return nil, false
		}
		b = b[1:]
	}
	return b, true
}
