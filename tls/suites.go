package tls

import (
	"crypto/aes"
	"crypto/cipher"
	"hash"

	"golang.org/x/crypto/chacha20poly1305"
)

// This file lists the TLS 1.3 cipher suites we implement. See RFC 8446,
// Section 9.1 (mandatory suites) and Appendix B.4 (code points).
//
// A TLS 1.3 suite is only an AEAD plus the hash used by HKDF and the
// transcript; key exchange and authentication are negotiated separately.

// Suite is the implementation of a TLS 1.3 cipher suite, for
// Crypto.CipherSuites.
type Suite struct {
	id      uint16
	hash    *hashAlg // HKDF and transcript hash
	keyLen  int      // AEAD key length, RFC 8446, Section 7.3
	newAEAD func(key []byte) (cipher.AEAD, error)
}

// ID is the suite's code point.
func (s *Suite) ID() uint16 { return s.id }

// aeadNonceLength is the per-record nonce length of every TLS 1.3 AEAD
// (iv_length in RFC 8446, Section 7.3; RFC 5116 N_MIN/N_MAX for our AEADs).
const aeadNonceLength = 12

// maxHashSize is the largest hash output of any supported suite (SHA-384).
// Secrets and transcript hashes fit in [maxHashSize]byte arrays.
const maxHashSize = 48

// maxKeyLen is the largest AEAD key of any supported suite (AES-256).
const maxKeyLen = 32

var (
	suiteAES128GCMSHA256  = Suite{TLS_AES_128_GCM_SHA256, hashSHA256, 16, newAESGCM}
	suiteAES256GCMSHA384  = Suite{TLS_AES_256_GCM_SHA384, hashSHA384, 32, newAESGCM}
	suiteChaCha20Poly1305 = Suite{TLS_CHACHA20_POLY1305_SHA256, hashSHA256, chacha20poly1305.KeySize, chacha20poly1305.New}
)

// AES128GCMSHA256 is TLS_AES_128_GCM_SHA256, the suite every TLS 1.3 peer
// implements (RFC 8446, Section 9.1).
func AES128GCMSHA256() *Suite { return &suiteAES128GCMSHA256 }

// AES256GCMSHA384 is TLS_AES_256_GCM_SHA384.
func AES256GCMSHA384() *Suite { return &suiteAES256GCMSHA384 }

// ChaCha20Poly1305SHA256 is TLS_CHACHA20_POLY1305_SHA256 (RFC 8439), the
// faster choice on devices without AES hardware.
func ChaCha20Poly1305SHA256() *Suite { return &suiteChaCha20Poly1305 }

// defaultCipherSuites is the ClientHello cipher_suites list when
// Config.CipherSuites is nil, those of them Config.Crypto implements, most
// preferred first. AES-128-GCM comes first: it is the suite every TLS 1.3
// peer must implement (RFC 8446, Section 9.1) and the cheapest one.
// ChaCha20-Poly1305 comes last: it wins on devices without AES hardware,
// which configure CipherSuites themselves.
var defaultCipherSuites = []uint16{
	TLS_AES_128_GCM_SHA256,
	TLS_AES_256_GCM_SHA384,
	TLS_CHACHA20_POLY1305_SHA256,
}

// newHash returns a fresh instance of the suite's hash.
func (s *Suite) newHash() hash.Hash { return s.hash.new() }

// newAESGCM is the AEAD of TLS_AES_128_GCM_SHA256 and TLS_AES_256_GCM_SHA384
// (RFC 5116 AEAD_AES_128_GCM / AEAD_AES_256_GCM): 12-byte nonce, 16-byte tag.
func newAESGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
