package tls

import (
	"crypto"
	"errors"

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
	oidCurveP521        = "\x2b\x81\x04\x00\x23"                 // 1.3.132.0.35, RFC 5480
	oidSHA256           = "\x60\x86\x48\x01\x65\x03\x04\x02\x01" // 2.16.840.1.101.3.4.2.1
	oidSHA384           = "\x60\x86\x48\x01\x65\x03\x04\x02\x02" // 2.16.840.1.101.3.4.2.2
	oidSHA512           = "\x60\x86\x48\x01\x65\x03\x04\x02\x03" // 2.16.840.1.101.3.4.2.3
)

func malformedCertificate() error {
	return newAlert(AlertBadCertificate, "tls: malformed certificate")
}

func malformedPublicKey() error {
	return newAlert(AlertBadCertificate, "tls: malformed certificate public key")
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
		pub, mine, err := v.impl.ParsePublicKey(string(oid), alg, key)
		if !mine {
			continue
		}
		if _, ok := err.(*AlertError); ok || err == nil {
			return pub, err
		}
		if errors.Is(err, errors.ErrUnsupported) {
			return nil, newAlert(AlertUnsupportedCertificate, err.Error())
		}
		return nil, newAlert(AlertBadCertificate, err.Error())
	}
	return nil, newAlert(AlertUnsupportedCertificate, "tls: unsupported certificate public key algorithm "+algorithmName(string(oid))+": not in Config.Crypto")
}

// algorithmName names the key algorithms that have a package, for the
// error a Config.Crypto without them gives.
func algorithmName(oid string) string {
	switch oid {
	case oidPublicKeyRSA, oidPublicKeyRSAPSS:
		return "RSA (package tls/rsapss)"
	case oidPublicKeyEd25519:
		return "Ed25519 (package tls/ed25519sig)"
	case oidPublicKeyECDSA:
		return "ECDSA (on this curve)"
	}
	return "(unknown OID)"
}
