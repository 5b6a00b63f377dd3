// Package ed25519sig is Ed25519 (RFC 8032, PureEdDSA) for TLS 1.3
// CertificateVerify. It does not import package tls, so that package
// tls's own tests can use it; package tls/ed25519sig is its public face.
// Importing crypto/ed25519 links Ed25519 (and its FIPS 140 self-test) into
// a program, which is why it is not in package tls.
package ed25519sig

import (
	"crypto"
	"crypto/ed25519"
	"io"
)

// oidPublicKeyEd25519 is 1.3.101.112 (RFC 8410), its DER contents octets.
const oidPublicKeyEd25519 = "\x2b\x65\x70"

// Scheme is the ed25519 SignatureScheme code point.
const Scheme = 0x0807

// Algorithm implements tls.SignatureAlgorithm.
type Algorithm struct{}

type keyError string

func (e keyError) Error() string { return string(e) }

// ParsePublicKey copies a 32-byte key. Parameters must be absent, see RFC
// 8410, Section 3.
func (Algorithm) ParsePublicKey(oid string, params, key []byte) (crypto.PublicKey, bool, error) {
	if oid != oidPublicKeyEd25519 {
		return nil, false, nil
	}
	if len(params) != 0 || len(key) != ed25519.PublicKeySize {
		return nil, true, keyError("tls: malformed certificate public key")
	}
	return append(ed25519.PublicKey(nil), key...), true, nil
}

// Allows reports whether pub is an Ed25519 key.
func (Algorithm) Allows(pub crypto.PublicKey) bool {
	k, ok := pub.(ed25519.PublicKey)
	return ok && len(k) == ed25519.PublicKeySize
}

// CanSign is Allows.
func (a Algorithm) CanSign(pub crypto.PublicKey) bool { return a.Allows(pub) }

// Verify checks sig over msg, with no prehash.
func (Algorithm) Verify(pub crypto.PublicKey, msg, sig []byte, _ *[64]byte) bool {
	return ed25519.Verify(pub.(ed25519.PublicKey), msg, sig)
}

// Sign signs msg, with no prehash.
func (Algorithm) Sign(signer crypto.Signer, rand io.Reader, msg []byte, _ *[64]byte) ([]byte, error) {
	return signer.Sign(rand, msg, crypto.Hash(0))
}
