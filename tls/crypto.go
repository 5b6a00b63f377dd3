package tls

import (
	"crypto"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"slices"

	"github.com/tabletls/tabletls/tls/internal/registry"
)

// Crypto lists the cryptography a connection may use: cipher suites, key
// exchange groups and signature algorithms, each an implementation value
// (as crypto/ecdh curves are), made by the functions of this package such as
// AES128GCMSHA256, X25519KeyExchange and ECDSAP256SHA256Verifier.
//
// A program links only the implementations it names: firmware that builds a
// Crypto with one suite, one group and one signature algorithm contains no
// other. Config.CipherSuites, Config.CurvePreferences and Config.KeyShares
// choose among them by ID, and naming an ID that has no implementation here
// is a Config error.
//
// tls.Client and the tlsnet package use DefaultCrypto when Config.Crypto is
// nil; ClientWithBuffers and NewEngine, meant for firmware and event
// loops, require it.
type Crypto struct {
	// CipherSuites are the suite implementations, most preferred first.
	CipherSuites []*Suite
	// KeyExchanges are the (EC)DHE and hybrid groups, most preferred first.
	KeyExchanges []*KeyExchange
	// Signatures verify the server's CertificateVerify and parse its public
	// key, and sign the client's CertificateVerify. Their schemes, most
	// preferred first, are the ClientHello's signature_algorithms.
	Signatures []*SignatureVerifier
}

// DefaultCrypto returns everything a program links: the implementations of
// package tls (AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305; x25519,
// P-256, P-384 and P-521; ECDSA P-256, P-384 and P-521), then those of the packages
// tls/ed25519sig (Ed25519), tls/rsapss (RSA-PSS) and tls/hybrid
// (X25519MLKEM768) if the program imports them, as crypto.Hash.New has
// the hashes whose packages are imported. Package tlsnet imports all three
// and x509verify the first two, so that desktop and server programs have
// everything.
// Firmware never calls DefaultCrypto: it names what it uses.
func DefaultCrypto() *Crypto {
	c := &Crypto{
		CipherSuites: []*Suite{AES128GCMSHA256(), AES256GCMSHA384(), ChaCha20Poly1305SHA256()},
		KeyExchanges: []*KeyExchange{X25519KeyExchange(), P256KeyExchange(), P384KeyExchange(), P521KeyExchange()},
		Signatures:   []*SignatureVerifier{ECDSAP256SHA256Verifier(), ECDSAP384SHA384Verifier(), ECDSAP521SHA512Verifier()},
	}
	for _, x := range registry.All() {
		switch x := x.(type) {
		case *KeyExchange:
			c.KeyExchanges = append(c.KeyExchanges, x)
		case *SignatureVerifier:
			c.Signatures = append(c.Signatures, x)
		}
	}
	return c
}

// suite returns the implementation of id, or nil.
func (c *Crypto) suite(id uint16) *Suite {
	for _, s := range c.CipherSuites {
		if s != nil && s.id == id {
			return s
		}
	}
	return nil
}

// keyExchange returns the implementation of group, or nil.
func (c *Crypto) keyExchange(group CurveID) *KeyExchange {
	for _, k := range c.KeyExchanges {
		if k != nil && k.id == group {
			return k
		}
	}
	return nil
}

// signature returns the implementation that verifies scheme in a
// CertificateVerify, or nil.
func (c *Crypto) signature(scheme SignatureScheme) *SignatureVerifier {
	for _, s := range c.Signatures {
		if s != nil && s.scheme == scheme {
			return s
		}
	}
	return nil
}

// offersScheme reports whether scheme is in the ClientHello's
// signature_algorithms.
func (c *Crypto) offersScheme(scheme SignatureScheme) bool {
	for _, s := range c.Signatures {
		if s != nil && (s.scheme == scheme || slices.Contains(s.certSchemes, scheme)) {
			return true
		}
	}
	return false
}

// hashAlg is the hash of a suite's HKDF and transcript. Only the suites
// name these values, so a program without a SHA-384 suite links no SHA-384.
type hashAlg struct {
	id    crypto.Hash
	new   func() hash.Hash
	empty string // Hash(""), the "derived" and binder context (RFC 8446 §7.1)
	// Without a PSK, the Early Secret HKDF-Extract(0, 0) and the secret
	// Derive-Secret(., "derived", "") derived from it are constants.
	early, derivedEarly string
}

func (h *hashAlg) Size() int { return h.id.Size() }

var (
	hashSHA256 = &hashAlg{crypto.SHA256, sha256.New,
		"\xe3\xb0\xc4\x42\x98\xfc\x1c\x14\x9a\xfb\xf4\xc8\x99\x6f\xb9\x24\x27\xae\x41\xe4\x64\x9b\x93\x4c\xa4\x95\x99\x1b\x78\x52\xb8\x55",
		"\x33\xad\x0a\x1c\x60\x7e\xc0\x3b\x09\xe6\xcd\x98\x93\x68\x0c\xe2\x10\xad\xf3\x00\xaa\x1f\x26\x60\xe1\xb2\x2e\x10\xf1\x70\xf9\x2a",
		"\x6f\x26\x15\xa1\x08\xc7\x02\xc5\x67\x8f\x54\xfc\x9d\xba\xb6\x97\x16\xc0\x76\x18\x9c\x48\x25\x0c\xeb\xea\xc3\x57\x6c\x36\x11\xba"}
	hashSHA384 = &hashAlg{crypto.SHA384, sha512.New384,
		"\x38\xb0\x60\xa7\x51\xac\x96\x38\x4c\xd9\x32\x7e\xb1\xb1\xe3\x6a\x21\xfd\xb7\x11\x14\xbe\x07\x43\x4c\x0c\xc7\xbf\x63\xf6\xe1\xda\x27\x4e\xde\xbf\xe7\x6f\x65\xfb\xd5\x1a\xd2\xf1\x48\x98\xb9\x5b",
		"\x7e\xe8\x20\x6f\x55\x70\x02\x3e\x6d\xc7\x51\x9e\xb1\x07\x3b\xc4\xe7\x91\xad\x37\xb5\xc3\x82\xaa\x10\xba\x18\xe2\x35\x7e\x71\x69\x71\xf9\x36\x2f\x2c\x2f\xe2\xa7\x6b\xfd\x78\xdf\xec\x4e\xa9\xb5",
		"\x15\x91\xda\xc5\xcb\xbf\x03\x30\xa4\xa8\x4d\xe9\xc7\x53\x33\x0e\x92\xd0\x1f\x0a\x88\x21\x4b\x44\x64\x97\x2f\xd6\x68\x04\x9e\x93\xe5\x2f\x2b\x16\xfa\xd9\x22\xfd\xc0\x58\x44\x78\x42\x8f\x28\x2b"}
)
