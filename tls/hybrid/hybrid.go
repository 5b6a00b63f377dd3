// Package hybrid is the X25519MLKEM768 post-quantum hybrid key exchange of
// draft-ietf-tls-ecdhe-mlkem, for tls.Crypto.KeyExchanges:
//
//	cfg.Crypto.KeyExchanges = append(cfg.Crypto.KeyExchanges, hybrid.X25519MLKEM768())
//	cfg.CurvePreferences = []tls.CurveID{tls.X25519MLKEM768, tls.X25519}
//
// Importing it adds X25519MLKEM768 to tls.DefaultCrypto (not to the default
// CurvePreferences).
//
// It is a package of its own because importing crypto/mlkem links all of
// ML-KEM (about 235 KB of flash on a Cortex-M4) into a program whether it
// is used or not: firmware that does not import this package has none of it.
package hybrid

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"io"

	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/internal/registry"
)

// Sizes, draft-ietf-tls-ecdhe-mlkem, Sections 4.1 and 4.2.
const (
	x25519ShareLen  = 32
	ClientShareLen  = mlkem.EncapsulationKeySize768 + x25519ShareLen // 1216
	ServerShareLen  = mlkem.CiphertextSize768 + x25519ShareLen       // 1120
	SharedSecretLen = mlkem.SharedKeySize + x25519ShareLen           // 64
)

var keyExchange = tls.NewKeyExchange(tls.X25519MLKEM768, func(rand io.Reader) (tls.KeyShare, error) {
	return newShare(rand)
})

// X25519MLKEM768 is the X25519MLKEM768 key exchange. Its client share is
// 1,216 octets: the Write buffer and a ClientHello need room for it.
func X25519MLKEM768() *tls.KeyExchange { return keyExchange }

// share is an X25519MLKEM768 client share: an X25519 key and an ML-KEM-768
// decapsulation key.
type share struct {
	x25519 *ecdh.PrivateKey
	mlkem  *mlkem.DecapsulationKey768
	pub    []byte
}

func alert(desc tls.AlertDescription, msg string) error {
	return &tls.AlertError{Alert: desc, Msg: msg}
}

// newShare generates a share. Like crypto/tls, it reads the X25519 scalar
// first and then the 64-byte ML-KEM seed (d || z, FIPS 203
// ML-KEM.KeyGen_internal), so the share is a deterministic function of the
// bytes read (since Go 1.26 the GenerateKey functions ignore their rand).
func newShare(rand io.Reader) (*share, error) {
	var buf [32 + mlkem.SeedSize]byte
	defer clear(buf[:])
	if _, err := io.ReadFull(rand, buf[:]); err != nil {
		return nil, alert(tls.AlertInternalError, "tls: cannot read key share randomness: "+err.Error())
	}
	x, err := ecdh.X25519().NewPrivateKey(buf[:32])
	if err != nil {
		return nil, alert(tls.AlertInternalError, "tls: cannot generate key share: "+err.Error())
	}
	dk, err := mlkem.NewDecapsulationKey768(buf[32:])
	if err != nil {
		return nil, alert(tls.AlertInternalError, "tls: cannot generate ML-KEM key: "+err.Error())
	}
	// Section 4.1: the ML-KEM-768 encapsulation key comes first, then the
	// X25519 share. (This is the reverse of the hybrid design's usual
	// order, for historical reasons; SecP256r1MLKEM768 puts the ECDH share
	// first.)
	pub := make([]byte, 0, ClientShareLen)
	pub = append(pub, dk.EncapsulationKey().Bytes()...)
	pub = append(pub, x.PublicKey().Bytes()...)
	return &share{x25519: x, mlkem: dk, pub: pub}, nil
}

// Public is ek || X25519 share.
func (k *share) Public() []byte { return k.pub }

// X25519Share is the X25519 half of the share, offered as the x25519
// share beside it (tls.X25519Sharer): a server without ML-KEM then needs
// no HelloRetryRequest, and no second X25519 key is made.
func (k *share) X25519Share() tls.KeyShare {
	return &x25519Half{key: k.x25519, pub: k.pub[mlkem.EncapsulationKeySize768:]}
}

// x25519Half is an x25519 share made of the hybrid's X25519 key.
type x25519Half struct {
	key *ecdh.PrivateKey
	pub []byte
}

func (k *x25519Half) Public() []byte { return k.pub }

// SharedSecret checks the server's x25519 share, whose length RFC 8446,
// Section 4.2.8.2 fixes, and runs X25519.
func (k *x25519Half) SharedSecret(serverShare []byte) ([]byte, error) {
	if len(serverShare) != x25519ShareLen {
		return nil, alert(tls.AlertIllegalParameter, "tls: server key share has the wrong length")
	}
	return x25519Secret(k.key, serverShare)
}

// x25519Secret runs X25519 with the server's share. crypto/ecdh fails it
// when the result is all zeros (a low-order point), the check RFC 8446,
// Section 7.4.2 asks for.
func x25519Secret(key *ecdh.PrivateKey, serverShare []byte) ([]byte, error) {
	peer, err := ecdh.X25519().NewPublicKey(serverShare)
	if err != nil {
		return nil, alert(tls.AlertIllegalParameter, "tls: invalid server key share")
	}
	secret, err := key.ECDH(peer)
	if err != nil {
		return nil, alert(tls.AlertIllegalParameter, "tls: invalid server key share")
	}
	return secret, nil
}

// SharedSecret implements Sections 4.2 and 4.3: the server share is ML-KEM
// ciphertext (1088 octets) || X25519 share (32 octets), and the shared
// secret is ML-KEM shared secret || X25519 shared secret (64 octets).
// Every malformed server share is illegal_parameter.
func (k *share) SharedSecret(serverShare []byte) ([]byte, error) {
	// "the client MUST check if the ciphertext length matches the selected
	// group, and abort with an illegal_parameter alert if it fails."
	if len(serverShare) != ServerShareLen {
		return nil, alert(tls.AlertIllegalParameter, "tls: server hybrid key share has the wrong length")
	}
	ct := serverShare[:mlkem.CiphertextSize768]
	ecdhSecret, err := x25519Secret(k.x25519, serverShare[mlkem.CiphertextSize768:])
	if err != nil {
		return nil, err
	}
	// ML-KEM decapsulation has implicit rejection: a tampered ciphertext
	// yields a pseudorandom secret, not an error. An error can only mean
	// a wrong length, which we checked, so "any other reason" is
	// internal_error as the draft says.
	kemSecret, err := k.mlkem.Decapsulate(ct)
	if err != nil {
		return nil, alert(tls.AlertInternalError, "tls: ML-KEM decapsulation failed")
	}
	secret := make([]byte, 0, SharedSecretLen)
	secret = append(secret, kemSecret...)
	secret = append(secret, ecdhSecret...)
	clear(kemSecret)
	clear(ecdhSecret)
	return secret, nil
}

func init() { registry.Register(func() any { return keyExchange }) }
