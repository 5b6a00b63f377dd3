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

// A P-256 key and its ECDSA signature of SHA-256("tabletls").
const (
	p256Key = "\x04\xf1\xa2\x75\xd0\xe7\xe4\xef\x65\x39\x6a\xf8\x3f\x30\x70\xdc\x49\xce\xb4\x4b\xd8\xae\x1f\x33\x8b\xa6\xf2\x06\x5f\xee\x2f\x9a\xe8\x03\xf3\x5e\xde\x56\xa2\x66\x26\x9d\xc8\x5e\xed\xc5\x5a\x15\x53\x81\xb9\x6a\x00\xf0\x34\x86\x29\x17\x7f\x67\x16\x69\x82\xfb\xaa"
	p256Sig = "\x30\x46\x02\x21\x00\xd8\xba\x4d\x37\x9b\xad\x51\x88\xe4\xd7\x6e\x3f\xd9\x81\xb7\x08\x5b\x0c\x6b\x5b\x16\x66\x45\x6a\x57\x9f\xcd\x01\x0a\x7e\x1c\xa8\x02\x21\x00\xc9\x37\x47\x72\xe3\x08\xc6\xfd\x9f\x04\x4c\xd9\xba\xcc\xc5\x0b\xa9\xeb\x74\x91\x71\x4f\xc4\x8a\xcd\x0b\x20\x8d\x06\xf9\x79\x5f"
)

func main() {
	b0, m0 := harness.Allocated()
	defer func() {
		b1, m1 := harness.Allocated()
		println("heap-total", b1-b0, "mallocs", m1-m0)
	}()
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

	// ECDSA P-256 verify of a real signature, as a CertificateVerify is
	// checked.
	digest := sha256.Sum256([]byte("tabletls"))
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), []byte(p256Key))
	if err != nil {
		harness.Report("primitives", err)
		return
	}
	if !ecdsa.VerifyASN1(pub, digest[:], []byte(p256Sig)) {
		println("primitives FAIL: signature")
		return
	}
	harness.Report("primitives", nil)
}
