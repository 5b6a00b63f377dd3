// Command primitives calls only the primitives the pinned profile needs
// (AES-128-GCM, x25519, SHA-256, HKDF, ECDSA P-256 verify), straight from
// the standard library and x/crypto: the anchor the pinned profile's
// footprint is compared with.
package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"io"

	"golang.org/x/crypto/hkdf"

	"github.com/tabletls/tabletls/firmware/size/harness"
)

func main() {
	rand := harness.NewRand(1)
	var seed [32]byte
	rand.Read(seed[:])

	priv, err := ecdh.X25519().NewPrivateKey(seed[:])
	if err != nil {
		harness.Report("primitives", err)
		return
	}
	peer, _ := ecdh.X25519().NewPrivateKey(seed[:]) // stands in for the server
	shared, err := priv.ECDH(peer.PublicKey())
	if err != nil {
		harness.Report("primitives", err)
		return
	}

	prk := hkdf.Extract(sha256.New, shared, nil)
	var key [16]byte
	io.ReadFull(hkdf.Expand(sha256.New, prk, []byte("key")), key[:])
	block, _ := aes.NewCipher(key[:])
	gcm, _ := cipher.NewGCM(block)
	var nonce [12]byte
	sealed := gcm.Seal(nil, nonce[:], []byte("ping"), nil)
	if _, err := gcm.Open(nil, nonce[:], sealed, nil); err != nil {
		harness.Report("primitives", err)
		return
	}

	// ECDSA P-256 verify, as a CertificateVerify is checked.
	point := make([]byte, 65)
	rand.Read(point)
	digest := sha256.Sum256(sealed)
	if pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point); err == nil {
		ecdsa.VerifyASN1(pub, digest[:], sealed)
	}
	harness.Report("primitives", nil)
}
