package tls

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/sha512"
	"golang.org/x/crypto/chacha20poly1305"
	"hash"
)

// This file lists the TLS 1.3 cipher suites we implement. See RFC 8446,
// Section 9.1 (mandatory suites) and Appendix B.4 (code points).
//
// A TLS 1.3 suite is only an AEAD plus the hash used by HKDF and the
// transcript; key exchange and authentication are negotiated separately.

// suiteInfo describes one TLS 1.3 cipher suite.
type suiteInfo struct {
	id      CipherSuite
	hash    crypto.Hash // HKDF and transcript hash
	keyLen  int         // AEAD key length, RFC 8446, Section 7.3
	newAEAD func(key []byte) (cipher.AEAD, error)
}

// aeadNonceLength is the per-record nonce length of every TLS 1.3 AEAD
// (iv_length in RFC 8446, Section 7.3; RFC 5116 N_MIN/N_MAX for our AEADs).
const aeadNonceLength = 12

// maxHashSize is the largest hash output of any supported suite (SHA-384).
// Secrets and transcript hashes fit in [maxHashSize]byte arrays.
const maxHashSize = 48

// maxKeyLen is the largest AEAD key of any supported suite (AES-256).
const maxKeyLen = 32

var (
	suiteAES128GCMSHA256  = suiteInfo{TLS_AES_128_GCM_SHA256, crypto.SHA256, 16, newAESGCM}
	suiteAES256GCMSHA384  = suiteInfo{TLS_AES_256_GCM_SHA384, crypto.SHA384, 32, newAESGCM}
	suiteChaCha20Poly1305 = suiteInfo{TLS_CHACHA20_POLY1305_SHA256, crypto.SHA256, chacha20poly1305.KeySize, chacha20poly1305.New}
)

// defaultCipherSuites is the ClientHello cipher_suites list, most preferred
// first. AES-128-GCM comes first: it is the suite every TLS 1.3 peer must
// implement (RFC 8446, Section 9.1) and the cheapest one.
// ChaCha20-Poly1305 comes last: it wins on devices without AES hardware,
// which configure CipherSuites themselves.
var defaultCipherSuites = []CipherSuite{
	TLS_AES_128_GCM_SHA256,
	TLS_AES_256_GCM_SHA384,
	TLS_CHACHA20_POLY1305_SHA256,
}

// suiteByID returns the suite with the given code point, or nil if we don't
// implement it. A server that selects a suite we return nil for (or one we
// did not offer) must be answered with illegal_parameter (RFC 8446,
// Section 4.1.3); that check belongs to the handshake.
func suiteByID(id CipherSuite) *suiteInfo {
	switch id {
	case TLS_AES_128_GCM_SHA256:
		return &suiteAES128GCMSHA256
	case TLS_AES_256_GCM_SHA384:
		return &suiteAES256GCMSHA384
	case TLS_CHACHA20_POLY1305_SHA256:
		return &suiteChaCha20Poly1305
	}
	return nil
}

// newHash returns a fresh instance of the suite's hash.
func (s *suiteInfo) newHash() hash.Hash { return hashFunc(s.hash)() }

// hashFunc returns the constructor for h, one of the two hashes a TLS 1.3
// suite can use. It returns a top-level function rather than a method value
// so that passing it to HKDF and HMAC allocates nothing.
func hashFunc(h crypto.Hash) func() hash.Hash {
	switch h {
	case crypto.SHA256:
		return sha256.New
	case crypto.SHA384:
		return sha512.New384
	}
	panic("tls: internal error: unsupported hash")
}

// newAESGCM is the AEAD of TLS_AES_128_GCM_SHA256 and TLS_AES_256_GCM_SHA384
// (RFC 5116 AEAD_AES_128_GCM / AEAD_AES_256_GCM): 12-byte nonce, 16-byte tag.
func newAESGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
