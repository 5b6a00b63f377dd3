package tls

import (
	"crypto/ecdh"
	"io"
)

// This file implements the client side of the key_share extension (RFC 8446,
// Section 4.2.8) for the ECDH groups; package tls/hybrid has the
// X25519MLKEM768 hybrid of draft-ietf-tls-ecdhe-mlkem.

const (
	// maxScalarAttempts bounds the rejection sampling of NIST P-curve
	// scalars. A uniformly random 256-bit string is out of range with
	// probability < 2^-32, so failing this many times means rand is broken.
	maxScalarAttempts = 64
)

// KeyExchange is the implementation of a key exchange group, for
// Crypto.KeyExchanges.
type KeyExchange struct {
	id       CurveID
	generate func(rand io.Reader) (keyShare, error)
}

// ID is the group's code point.
func (k *KeyExchange) ID() CurveID { return k.id }

var (
	keyExchangeX25519 = KeyExchange{X25519, func(rand io.Reader) (keyShare, error) {
		return orNil(newECDHKeyShare(X25519, ecdh.X25519(), 32, rand))
	}}
	keyExchangeP256 = KeyExchange{CurveP256, func(rand io.Reader) (keyShare, error) {
		return orNil(newECDHKeyShare(CurveP256, ecdh.P256(), 32, rand))
	}}
	keyExchangeP384 = KeyExchange{CurveP384, func(rand io.Reader) (keyShare, error) {
		return orNil(newECDHKeyShare(CurveP384, ecdh.P384(), 48, rand))
	}}
	keyExchangeP521 = KeyExchange{CurveP521, func(rand io.Reader) (keyShare, error) {
		return orNil(newECDHKeyShare(CurveP521, ecdh.P521(), 66, rand))
	}}
)

// X25519KeyExchange is x25519 (RFC 7748, RFC 8446 §4.2.7).
func X25519KeyExchange() *KeyExchange { return &keyExchangeX25519 }

// P256KeyExchange is secp256r1 (NIST P-256) ECDHE.
func P256KeyExchange() *KeyExchange { return &keyExchangeP256 }

// P384KeyExchange is secp384r1 (NIST P-384) ECDHE.
func P384KeyExchange() *KeyExchange { return &keyExchangeP384 }

// P521KeyExchange is secp521r1 (NIST P-521) ECDHE.
func P521KeyExchange() *KeyExchange { return &keyExchangeP521 }

// NewKeyExchange returns a key exchange implemented outside this package:
// generate makes a fresh client share for group, reading its randomness
// from rand. Package tls/hybrid uses it for X25519MLKEM768, which lives
// apart because importing crypto/mlkem links ML-KEM (about 235 KB of flash
// on Cortex-M) whether it is used or not; firmware may use it for an ECDH
// accelerator.
func NewKeyExchange(group CurveID, generate func(rand io.Reader) (KeyShare, error)) *KeyExchange {
	return &KeyExchange{id: group, generate: func(rand io.Reader) (keyShare, error) {
		ks, err := generate(rand)
		if err != nil {
			return nil, err
		}
		return ks, nil
	}}
}

// KeyShare is a client's key share for one group, for NewKeyExchange.
type KeyShare interface {
	// Public returns the key_exchange octets of the ClientHello's
	// KeyShareEntry (RFC 8446, Section 4.2.8). The caller does not
	// modify them.
	Public() []byte
	// SharedSecret returns the shared secret for the server's
	// key_exchange octets; a malformed server share is an *AlertError
	// with illegal_parameter (Section 4.2.8).
	SharedSecret(serverShare []byte) ([]byte, error)
}

// X25519Sharer is a hybrid KeyShare whose classical half is X25519, as
// X25519MLKEM768's: the default KeyShares offer that key as the x25519
// share too, as crypto/tls does (draft-ietf-tls-hybrid-design §3.2).
type X25519Sharer interface {
	// X25519Share returns the X25519 half as an x25519 share: Public is
	// its 32-octet u-coordinate, and SharedSecret takes a 32-octet x25519
	// server share.
	X25519Share() KeyShare
}

// keyShare is the client's private state for one offered group: a
// KeyShare. For X25519 Public is the 32-byte u-coordinate, for NIST curves
// the uncompressed point (RFC 8446, Section 4.2.8.2).
type keyShare = KeyShare

// ecdhKeyShare is an ECDH key share.
type ecdhKeyShare struct {
	ecdh *ecdh.PrivateKey
	pub  []byte
	// scratch for the random scalar, cleared once the key is made: a
	// local array would escape to the heap (through io.Reader). 66 octets
	// for P-521.
	scalar [66]byte
}

// newECDHKeyShare reads a private scalar of scalarLen bytes from rand. For
// X25519 every 32-byte string is a valid private key (RFC 7748, Section 5,
// clamping is done by the implementation). For the NIST curves
// ecdh.NewPrivateKey rejects zero and values >= the group order, and we
// retry with fresh bytes: rejection sampling keeps the scalar uniform,
// unlike reducing it modulo the order. The result is a deterministic
// function of the bytes read, which makes handshakes reproducible in tests.
// (We cannot rely on ecdh.Curve.GenerateKey for that: since Go 1.26 it
// ignores its rand argument.)
func newECDHKeyShare(group CurveID, curve ecdh.Curve, scalarLen int, rand io.Reader) (*ecdhKeyShare, error) {
	k := new(ecdhKeyShare)
	scalar := k.scalar[:scalarLen]
	defer clear(k.scalar[:])
	for range maxScalarAttempts {
		if _, err := io.ReadFull(rand, scalar); err != nil {
			return nil, newAlert(AlertInternalError, "tls: cannot read key share randomness: "+err.Error())
		}
		if scalarLen == 66 {
			// P-521's order is just under 2^521: keep 521 bits, or
			// almost every draw would be out of range.
			scalar[0] &= 1
		}
		priv, err := curve.NewPrivateKey(scalar)
		if err != nil {
			continue // out-of-range NIST scalar; draw again
		}
		k.ecdh, k.pub = priv, priv.PublicKey().Bytes()
		return k, nil
	}
	return nil, newAlert(AlertInternalError, "tls: cannot generate key share: random source is broken")
}

func (k *ecdhKeyShare) Public() []byte { return k.pub }

// sharedSecret checks the peer share and runs ECDH. crypto/ecdh rejects
// compressed and off-curve NIST points and the point at infinity, and fails
// X25519 when the result is all zeros (a low-order point), the check RFC
// 8446, Section 7.4.2 asks for. The share length is checked first because
// Section 4.2.8.2 fixes it exactly for every group.
func (k *ecdhKeyShare) SharedSecret(serverShare []byte) ([]byte, error) {
	if len(serverShare) != len(k.pub) {
		return nil, newAlert(AlertIllegalParameter, "tls: server key share has the wrong length")
	}
	peer, err := k.ecdh.Curve().NewPublicKey(serverShare)
	if err != nil {
		return nil, newAlert(AlertIllegalParameter, "tls: invalid server key share")
	}
	secret, err := k.ecdh.ECDH(peer)
	if err != nil {
		return nil, newAlert(AlertIllegalParameter, "tls: invalid server key share")
	}
	return secret, nil
}

// orNil converts a typed key share to the interface, keeping a nil one nil.
func orNil[K keyShare](k K, err error) (keyShare, error) {
	if err != nil {
		return nil, err
	}
	return k, nil
}
