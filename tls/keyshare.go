package tls

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"io"
)

// This file implements the client side of the key_share extension (RFC 8446,
// Section 4.2.8) for the groups we support, including the X25519MLKEM768
// hybrid of draft-ietf-tls-ecdhe-mlkem.

const (
	x25519ShareLen = 32 // RFC 8446, Section 4.2.8.2 / RFC 7748

	// X25519MLKEM768 sizes, draft-ietf-tls-ecdhe-mlkem, Sections 4.1 and 4.2.
	hybridClientShareLen = mlkem.EncapsulationKeySize768 + x25519ShareLen // 1216
	hybridServerShareLen = mlkem.CiphertextSize768 + x25519ShareLen       // 1120

	// maxScalarAttempts bounds the rejection sampling of NIST P-curve
	// scalars. A uniformly random 256-bit string is out of range with
	// probability < 2^-32, so failing this many times means rand is broken.
	maxScalarAttempts = 64
)

// KeyExchange is the implementation of a key exchange group, for
// Crypto.KeyExchanges.
type KeyExchange struct {
	id       NamedGroup
	generate func(rand io.Reader) (keyShare, error)
}

// ID is the group's code point.
func (k *KeyExchange) ID() NamedGroup { return k.id }

var (
	keyExchangeX25519 = KeyExchange{NamedGroupX25519, func(rand io.Reader) (keyShare, error) {
		return orNil(newECDHKeyShare(NamedGroupX25519, ecdh.X25519(), 32, rand))
	}}
	keyExchangeP256 = KeyExchange{NamedGroupSecp256r1, func(rand io.Reader) (keyShare, error) {
		return orNil(newECDHKeyShare(NamedGroupSecp256r1, ecdh.P256(), 32, rand))
	}}
	keyExchangeP384 = KeyExchange{NamedGroupSecp384r1, func(rand io.Reader) (keyShare, error) {
		return orNil(newECDHKeyShare(NamedGroupSecp384r1, ecdh.P384(), 48, rand))
	}}
	keyExchangeX25519MLKEM768 = KeyExchange{X25519MLKEM768, func(rand io.Reader) (keyShare, error) {
		return orNil(newHybridKeyShare(rand))
	}}
)

// X25519KeyExchange is x25519 (RFC 7748, RFC 8446 §4.2.7).
func X25519KeyExchange() *KeyExchange { return &keyExchangeX25519 }

// P256KeyExchange is secp256r1 (NIST P-256) ECDHE.
func P256KeyExchange() *KeyExchange { return &keyExchangeP256 }

// P384KeyExchange is secp384r1 (NIST P-384) ECDHE.
func P384KeyExchange() *KeyExchange { return &keyExchangeP384 }

// X25519MLKEM768KeyExchange is the post-quantum hybrid of ML-KEM-768 and
// x25519 (draft-ietf-tls-ecdhe-mlkem). Its key share is 1,216 octets and
// its code adds about 250 KB of flash on Cortex-M.
func X25519MLKEM768KeyExchange() *KeyExchange { return &keyExchangeX25519MLKEM768 }

// keyShare is the client's private state for one offered group.
type keyShare interface {
	// group is the NamedGroup of the share.
	group() NamedGroup
	// public returns the key_exchange bytes for the ClientHello. For X25519
	// it is the 32-byte u-coordinate, for NIST curves the uncompressed
	// point (RFC 8446, Section 4.2.8.2), for X25519MLKEM768 ek || X25519
	// share. The caller must not modify it.
	public() []byte
	// sharedSecret computes the (EC)DHE input to the key schedule from the
	// server's key_exchange bytes. Every malformed server share is
	// reported as illegal_parameter, as RFC 8446, Section 4.2.8 and the
	// hybrid draft, Section 4.2 require.
	sharedSecret(serverShare []byte) ([]byte, error)
}

// ecdhKeyShare is an ECDH key share.
type ecdhKeyShare struct {
	grp  NamedGroup
	ecdh *ecdh.PrivateKey
	pub  []byte
}

// hybridKeyShare is an X25519MLKEM768 share: an X25519 key and an
// ML-KEM-768 decapsulation key.
type hybridKeyShare struct {
	x25519 *ecdhKeyShare
	mlkem  *mlkem.DecapsulationKey768
	pub    []byte
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
func newECDHKeyShare(group NamedGroup, curve ecdh.Curve, scalarLen int, rand io.Reader) (*ecdhKeyShare, error) {
	var buf [48]byte
	scalar := buf[:scalarLen]
	defer clear(buf[:])
	for range maxScalarAttempts {
		if _, err := io.ReadFull(rand, scalar); err != nil {
			return nil, newAlert(AlertDescriptionInternalError, "tls: cannot read key share randomness: "+err.Error())
		}
		priv, err := curve.NewPrivateKey(scalar)
		if err != nil {
			continue // out-of-range NIST scalar; draw again
		}
		return &ecdhKeyShare{grp: group, ecdh: priv, pub: priv.PublicKey().Bytes()}, nil
	}
	return nil, newAlert(AlertDescriptionInternalError, "tls: cannot generate key share: random source is broken")
}

func (k *ecdhKeyShare) group() NamedGroup { return k.grp }
func (k *ecdhKeyShare) public() []byte    { return k.pub }

// sharedSecret checks the peer share and runs ECDH. crypto/ecdh rejects
// compressed and off-curve NIST points and the point at infinity, and fails
// X25519 when the result is all zeros (a low-order point), the check RFC
// 8446, Section 7.4.2 asks for. The share length is checked first because
// Section 4.2.8.2 fixes it exactly for every group.
func (k *ecdhKeyShare) sharedSecret(serverShare []byte) ([]byte, error) {
	if len(serverShare) != len(k.pub) {
		return nil, newAlert(AlertDescriptionIllegalParameter, "tls: server key share has the wrong length")
	}
	peer, err := k.ecdh.Curve().NewPublicKey(serverShare)
	if err != nil {
		return nil, newAlert(AlertDescriptionIllegalParameter, "tls: invalid server key share")
	}
	secret, err := k.ecdh.ECDH(peer)
	if err != nil {
		return nil, newAlert(AlertDescriptionIllegalParameter, "tls: invalid server key share")
	}
	return secret, nil
}

// newHybridKeyShare generates an X25519MLKEM768 share. Like crypto/tls, it
// reads the X25519 scalar first and then the 64-byte ML-KEM seed (d || z,
// FIPS 203 ML-KEM.KeyGen_internal).
func newHybridKeyShare(rand io.Reader) (*hybridKeyShare, error) {
	x, err := newECDHKeyShare(X25519MLKEM768, ecdh.X25519(), 32, rand)
	if err != nil {
		return nil, err
	}
	var seed [mlkem.SeedSize]byte
	defer clear(seed[:])
	if _, err := io.ReadFull(rand, seed[:]); err != nil {
		return nil, newAlert(AlertDescriptionInternalError, "tls: cannot read key share randomness: "+err.Error())
	}
	dk, err := mlkem.NewDecapsulationKey768(seed[:])
	if err != nil {
		return nil, newAlert(AlertDescriptionInternalError, "tls: cannot generate ML-KEM key: "+err.Error())
	}
	// draft-ietf-tls-ecdhe-mlkem, Section 4.1: the ML-KEM-768
	// encapsulation key comes first, then the X25519 share. (This is the
	// reverse of the hybrid design's usual order, for historical reasons;
	// SecP256r1MLKEM768 puts the ECDH share first.)
	pub := make([]byte, 0, hybridClientShareLen)
	pub = append(pub, dk.EncapsulationKey().Bytes()...)
	pub = append(pub, x.pub...)
	return &hybridKeyShare{x25519: x, mlkem: dk, pub: pub}, nil
}

func (k *hybridKeyShare) group() NamedGroup { return X25519MLKEM768 }
func (k *hybridKeyShare) public() []byte    { return k.pub }

// sharedSecret implements draft-ietf-tls-ecdhe-mlkem, Sections 4.2 and 4.3
// for X25519MLKEM768: the server share is ML-KEM ciphertext (1088 bytes) ||
// X25519 share (32 bytes), and the shared secret is ML-KEM shared secret ||
// X25519 shared secret (64 bytes).
func (k *hybridKeyShare) sharedSecret(serverShare []byte) ([]byte, error) {
	// "the client MUST check if the ciphertext length matches the selected
	// group, and abort with an illegal_parameter alert if it fails."
	if len(serverShare) != hybridServerShareLen {
		return nil, newAlert(AlertDescriptionIllegalParameter, "tls: server hybrid key share has the wrong length")
	}
	ct := serverShare[:mlkem.CiphertextSize768]
	ecdhSecret, err := k.x25519.sharedSecret(serverShare[mlkem.CiphertextSize768:])
	if err != nil {
		return nil, err
	}
	// ML-KEM decapsulation has implicit rejection: a tampered ciphertext
	// yields a pseudorandom secret, not an error. An error can only mean
	// a wrong length, which we checked, so "any other reason" is
	// internal_error as the draft says.
	kemSecret, err := k.mlkem.Decapsulate(ct)
	if err != nil {
		return nil, newAlert(AlertDescriptionInternalError, "tls: ML-KEM decapsulation failed")
	}
	secret := make([]byte, 0, len(kemSecret)+len(ecdhSecret))
	secret = append(secret, kemSecret...)
	secret = append(secret, ecdhSecret...)
	clear(kemSecret)
	clear(ecdhSecret)
	return secret, nil
}

// orNil converts a typed key share to the interface, keeping a nil one nil.
func orNil[K keyShare](k K, err error) (keyShare, error) {
	if err != nil {
		return nil, err
	}
	return k, nil
}
