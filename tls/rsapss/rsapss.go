// Package rsapss is RSASSA-PSS for tls.Crypto.Signatures: the
// rsa_pss_rsae_* schemes (rsaEncryption keys, nearly every RSA
// certificate) and rsa_pss_pss_* (id-RSASSA-PSS keys). Importing it adds
// them to tls.DefaultCrypto.
//
// It is a package of its own because importing crypto/rsa links RSA and
// its FIPS 140 self-test into a program whether it is used or not:
// firmware that talks to an ECDSA server does not import it.
package rsapss

import (
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/internal/registry"
	"github.com/tabletls/tabletls/tls/internal/rsapss"
)

var verifiers = func() []*tls.SignatureVerifier {
	var vs []*tls.SignatureVerifier
	for _, s := range rsapss.Schemes() {
		var cert []tls.SignatureScheme
		for _, c := range s.CertSchemes {
			cert = append(cert, tls.SignatureScheme(c))
		}
		vs = append(vs, tls.NewSignatureVerifier(tls.SignatureScheme(s.ID), cert, s.Algorithm))
	}
	return vs
}()

func init() {
	for _, v := range verifiers {
		registry.Register(func() any { return v })
	}
}

// RSAEWithSHA256 is rsa_pss_rsae_sha256, the RSA scheme every TLS 1.3
// peer implements (RFC 8446, Section 9.1). It also lists rsa_pkcs1_sha256
// in signature_algorithms, which TLS 1.3 allows for certificate chains
// only: most of the WebPKI is still signed with sha256WithRSAEncryption.
func RSAEWithSHA256() *tls.SignatureVerifier { return verifiers[0] }

// RSAEWithSHA384 is rsa_pss_rsae_sha384 (and rsa_pkcs1_sha384 for chains).
func RSAEWithSHA384() *tls.SignatureVerifier { return verifiers[1] }

// RSAEWithSHA512 is rsa_pss_rsae_sha512 (and rsa_pkcs1_sha512 for chains).
func RSAEWithSHA512() *tls.SignatureVerifier { return verifiers[2] }

// PSSWithSHA256 is rsa_pss_pss_sha256, for id-RSASSA-PSS keys.
func PSSWithSHA256() *tls.SignatureVerifier { return verifiers[3] }

// PSSWithSHA384 is rsa_pss_pss_sha384, for id-RSASSA-PSS keys.
func PSSWithSHA384() *tls.SignatureVerifier { return verifiers[4] }

// PSSWithSHA512 is rsa_pss_pss_sha512, for id-RSASSA-PSS keys.
func PSSWithSHA512() *tls.SignatureVerifier { return verifiers[5] }

// All returns the six schemes, SHA-256 first.
func All() []*tls.SignatureVerifier { return append([]*tls.SignatureVerifier(nil), verifiers...) }
