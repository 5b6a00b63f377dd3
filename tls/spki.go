package tls

import (
	"crypto"
	"crypto/rsa"
	"math/big"
	"math/bits"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Object identifiers, as the contents octets of their DER encoding.
const (
	oidPublicKeyECDSA   = "\x2a\x86\x48\xce\x3d\x02\x01"         // 1.2.840.10045.2.1, RFC 5480
	oidPublicKeyEd25519 = "\x2b\x65\x70"                         // 1.3.101.112, RFC 8410
	oidPublicKeyRSA     = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" // 1.2.840.113549.1.1.1, RFC 3279
	oidPublicKeyRSAPSS  = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0a" // 1.2.840.113549.1.1.10, RFC 4055
	oidMGF1             = "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x08" // 1.2.840.113549.1.1.8, RFC 4055
	oidCurveP256        = "\x2a\x86\x48\xce\x3d\x03\x01\x07"     // 1.2.840.10045.3.1.7, RFC 5480
	oidCurveP384        = "\x2b\x81\x04\x00\x22"                 // 1.3.132.0.34, RFC 5480
	oidSHA256           = "\x60\x86\x48\x01\x65\x03\x04\x02\x01" // 2.16.840.1.101.3.4.2.1
	oidSHA384           = "\x60\x86\x48\x01\x65\x03\x04\x02\x02" // 2.16.840.1.101.3.4.2.2
	oidSHA512           = "\x60\x86\x48\x01\x65\x03\x04\x02\x03" // 2.16.840.1.101.3.4.2.3
)

// RSA modulus size limits, those of crypto/rsa (which refuses keys under
// 1024 bits) and crypto/tls (which refuses server keys over 8192 bits, as
// they make verification a denial of service vector).
const (
	minRSABits = 1024
	maxRSABits = 8192
)

// rsaPSSPublicKey is an RSA key from an id-RSASSA-PSS SubjectPublicKeyInfo,
// usable only with the rsa_pss_pss_* schemes (RFC 8446, Section 4.2.3).
type rsaPSSPublicKey struct {
	pub  *rsa.PublicKey
	hash crypto.Hash // the only hash the key may be used with, or 0 for any
}

func malformedCertificate() error {
	return newAlert(AlertDescriptionBadCertificate, "tls: malformed certificate")
}

func malformedPublicKey() error {
	return newAlert(AlertDescriptionBadCertificate, "tls: malformed certificate public key")
}

// certificateSPKI returns the DER subjectPublicKeyInfo of the DER X.509
// certificate der, as a sub-slice of der. See RFC 5280, Section 4.1. Only
// the structure up to the key is checked; the rest is left to the verifier.
func certificateSPKI(der []byte) ([]byte, error) {
	input := cryptobyte.String(der)
	var cert, tbs, spki cryptobyte.String
	if !input.ReadASN1(&cert, asn1.SEQUENCE) || !input.Empty() ||
		!cert.ReadASN1(&tbs, asn1.SEQUENCE) ||
		!cert.SkipASN1(asn1.SEQUENCE) || // signatureAlgorithm
		!cert.SkipASN1(asn1.BIT_STRING) { // signatureValue
		return nil, malformedCertificate()
	}
	if !tbs.SkipOptionalASN1(asn1.Tag(0).Constructed().ContextSpecific()) || // version
		!tbs.SkipASN1(asn1.INTEGER) || // serialNumber
		!tbs.SkipASN1(asn1.SEQUENCE) || // signature
		!tbs.SkipASN1(asn1.SEQUENCE) || // issuer
		!tbs.SkipASN1(asn1.SEQUENCE) || // validity
		!tbs.SkipASN1(asn1.SEQUENCE) || // subject
		!tbs.ReadASN1Element(&spki, asn1.SEQUENCE) {
		return nil, malformedCertificate()
	}
	return spki, nil
}

// SubjectPublicKeyInfo is a DER SubjectPublicKeyInfo (RFC 5280, Section
// 4.1.2.7). A Verifier may return one instead of a parsed key; the
// connection then parses it with the signature algorithms of Config.Crypto,
// so that a program links only the key parsers it uses.
type SubjectPublicKeyInfo []byte

// parseSPKI parses a DER SubjectPublicKeyInfo with the first of c's
// signature algorithms that knows its algorithm (and curve): into a
// *ecdsa.PublicKey, an ed25519.PublicKey, a *rsa.PublicKey (rsaEncryption) or
// a *rsaPSSPublicKey (id-RSASSA-PSS). The key does not alias spki. A
// malformed key is a bad_certificate error, a well-formed one c cannot use
// is unsupported_certificate.
func (c *Crypto) parseSPKI(spki []byte) (crypto.PublicKey, error) {
	input := cryptobyte.String(spki)
	var s, alg, oid, key cryptobyte.String
	var unusedBits uint8
	if !input.ReadASN1(&s, asn1.SEQUENCE) || !input.Empty() ||
		!s.ReadASN1(&alg, asn1.SEQUENCE) ||
		!s.ReadASN1(&key, asn1.BIT_STRING) || !s.Empty() ||
		!alg.ReadASN1(&oid, asn1.OBJECT_IDENTIFIER) ||
		!key.ReadUint8(&unusedBits) || unusedBits != 0 {
		return nil, malformedPublicKey()
	}
	// alg is now left with the algorithm parameters, if any.
	for _, v := range c.Signatures {
		pub, mine, err := v.impl.parseKey(string(oid), alg, key)
		if mine {
			return pub, err
		}
	}
	return nil, newAlert(AlertDescriptionUnsupportedCertificate, "tls: unsupported certificate public key algorithm")
}

// parseRSAEncryptionPublicKey parses an rsaEncryption key, whose parameters
// must be NULL. See RFC 3279, Section 2.3.1.
func parseRSAEncryptionPublicKey(params, key cryptobyte.String) (*rsa.PublicKey, error) {
	var null cryptobyte.String
	if !params.ReadASN1(&null, asn1.NULL) || !null.Empty() || !params.Empty() {
		return nil, malformedPublicKey()
	}
	return parseRSAPublicKey(key)
}

// parseRSAPSSPublicKey parses an id-RSASSA-PSS key. If the parameters are
// present they restrict the key to one hash (RFC 4055, Section 1.2), which
// must be usable with TLS 1.3: MGF1 with the same hash and a salt no longer
// than the hash (RFC 8446, Section 4.2.3; the key's saltLength is a minimum).
func parseRSAPSSPublicKey(params, key cryptobyte.String) (*rsaPSSPublicKey, error) {
	var hash crypto.Hash
	if !params.Empty() {
		var ok bool
		if hash, ok = parsePSSParams(params); !ok {
			return nil, newAlert(AlertDescriptionUnsupportedCertificate, "tls: unsupported or malformed certificate RSASSA-PSS parameters")
		}
	}
	pub, err := parseRSAPublicKey(key)
	if err != nil {
		return nil, err
	}
	return &rsaPSSPublicKey{pub: pub, hash: hash}, nil
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
		return nil, malformedPublicKey()
	}
	n, ok := positiveInteger(modulus)
	if !ok || n[len(n)-1]&1 == 0 || e < 3 || e&1 == 0 || e > 1<<31-1 {
		return nil, newAlert(AlertDescriptionBadCertificate, "tls: invalid certificate RSA public key")
	}
	if nBits := (len(n)-1)*8 + bits.Len8(n[0]); nBits < minRSABits || nBits > maxRSABits {
		return nil, newAlert(AlertDescriptionBadCertificate, "tls: certificate RSA key size not supported")
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
