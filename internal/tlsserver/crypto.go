package tlsserver

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"

	"github.com/tabletls/tabletls/internal/wire"
)

// The server side of the TLS 1.3 key schedule (RFC 8446 §7), written
// independently of package tls so that the two check each other. Only the
// SHA-256 suites are supported: TLS_AES_128_GCM_SHA256 and
// TLS_CHACHA20_POLY1305_SHA256.

const hashLen = sha256.Size

// hkdfExpandLabel is HKDF-Expand-Label (§7.1).
func hkdfExpandLabel(secret []byte, label string, context []byte, length int) []byte {
	full := "tls13 " + label
	info := make([]byte, 0, 4+len(full)+len(context))
	info = binary.BigEndian.AppendUint16(info, uint16(length))
	info = append(info, byte(len(full)))
	info = append(info, full...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	out := make([]byte, length)
	if _, err := hkdf.Expand(sha256.New, secret, info).Read(out); err != nil {
		panic(err)
	}
	return out
}

// hkdfExtract is HKDF-Extract(salt, ikm).
func hkdfExtract(ikm, salt []byte) []byte {
	return hkdf.Extract(sha256.New, ikm, salt)
}

// deriveSecret is Derive-Secret (§7.1) with the transcript hash given.
func deriveSecret(secret []byte, label string, transcriptHash []byte) []byte {
	return hkdfExpandLabel(secret, label, transcriptHash, hashLen)
}

func emptyHash() []byte {
	h := sha256.Sum256(nil)
	return h[:]
}

func finishedMAC(baseKey, transcriptHash []byte) []byte {
	key := hkdfExpandLabel(baseKey, "finished", nil, hashLen)
	m := hmac.New(sha256.New, key)
	m.Write(transcriptHash)
	return m.Sum(nil)
}

// ResumptionPSK is the PSK of a ticket (§4.6.1).
func resumptionPSK(resumptionMaster, nonce []byte) []byte {
	return hkdfExpandLabel(resumptionMaster, "resumption", nonce, hashLen)
}

// trafficKeys protects the records of one direction under one secret.
type trafficKeys struct {
	secret []byte
	aead   cipher.AEAD
	iv     []byte
	seq    uint64
}

func newTrafficKeys(suite wire.CipherSuite, secret []byte) (*trafficKeys, error) {
	var aead cipher.AEAD
	switch suite {
	case wire.TLS_AES_128_GCM_SHA256:
		block, err := aes.NewCipher(hkdfExpandLabel(secret, "key", nil, 16))
		if err != nil {
			return nil, err
		}
		if aead, err = cipher.NewGCM(block); err != nil {
			return nil, err
		}
	case wire.TLS_CHACHA20_POLY1305_SHA256:
		var err error
		if aead, err = chacha20poly1305.New(hkdfExpandLabel(secret, "key", nil, chacha20poly1305.KeySize)); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("tlsserver: unsupported cipher suite %v", suite)
	}
	return &trafficKeys{secret: secret, aead: aead, iv: hkdfExpandLabel(secret, "iv", nil, 12)}, nil
}

func (k *trafficKeys) nonce() []byte {
	n := make([]byte, 12)
	copy(n, k.iv)
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], k.seq)
	for i := range seq {
		n[4+i] ^= seq[i]
	}
	return n
}

// seal returns a protected record (§5.2). outer is the outer content type,
// normally application_data.
func (k *trafficKeys) seal(outer wire.ContentType, version uint16, inner wire.ContentType, payload []byte, padding int) []byte {
	plain := make([]byte, 0, len(payload)+1+padding)
	plain = append(plain, payload...)
	plain = append(plain, byte(inner))
	plain = append(plain, make([]byte, padding)...)
	n := len(plain) + k.aead.Overhead()
	hdr := []byte{byte(outer), byte(version >> 8), byte(version), byte(n >> 8), byte(n)}
	rec := k.aead.Seal(hdr, k.nonce(), plain, hdr)
	k.seq++
	return rec
}

// open decrypts a protected record (header included) and strips the
// padding. It does not advance the sequence number on failure.
func (k *trafficKeys) open(rec []byte) (wire.ContentType, []byte, error) {
	plain, err := k.aead.Open(nil, k.nonce(), rec[5:], rec[:5])
	if err != nil {
		return 0, nil, err
	}
	k.seq++
	i := len(plain) - 1
	for i >= 0 && plain[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, errors.New("tlsserver: protected record without a content type")
	}
	return wire.ContentType(plain[i]), plain[:i], nil
}

// next returns the keys after a KeyUpdate (§7.2).
func (k *trafficKeys) next(suite wire.CipherSuite) (*trafficKeys, error) {
	return newTrafficKeys(suite, hkdfExpandLabel(k.secret, "traffic upd", nil, hashLen))
}

// signatureContent is what a CertificateVerify signs (§4.4.3).
func signatureContent(server bool, transcriptHash []byte) []byte {
	ctx := "TLS 1.3, client CertificateVerify"
	if server {
		ctx = "TLS 1.3, server CertificateVerify"
	}
	b := make([]byte, 0, 64+len(ctx)+1+len(transcriptHash))
	for range 64 {
		b = append(b, 0x20)
	}
	b = append(b, ctx...)
	b = append(b, 0)
	return append(b, transcriptHash...)
}

// sign makes a CertificateVerify signature. ECDSA signatures are
// deterministic (RFC 6979, a nil random source) so that the server's output
// depends only on its input.
func sign(key crypto.Signer, scheme wire.SignatureScheme, content []byte) ([]byte, error) {
	switch key.Public().(type) {
	case *ecdsa.PublicKey:
		var h crypto.Hash
		switch scheme {
		case wire.SignatureSchemeEcdsaSecp256r1Sha256:
			h = crypto.SHA256
		case wire.SignatureSchemeEcdsaSecp384r1Sha384:
			h = crypto.SHA384
		default:
			return nil, fmt.Errorf("tlsserver: cannot sign %v with an ECDSA key", scheme)
		}
		d := h.New()
		d.Write(content)
		return key.Sign(nil, d.Sum(nil), h)
	case ed25519.PublicKey:
		return key.Sign(nil, content, crypto.Hash(0))
	}
	return nil, fmt.Errorf("tlsserver: unsupported server key %T", key.Public())
}

// verify checks the client's CertificateVerify against its leaf certificate.
func verify(leaf []byte, scheme wire.SignatureScheme, content, sig []byte) error {
	cert, err := x509.ParseCertificate(leaf)
	if err != nil {
		return err
	}
	hashed := func(h crypto.Hash) []byte {
		d := h.New()
		d.Write(content)
		return d.Sum(nil)
	}
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		var h crypto.Hash
		switch scheme {
		case wire.SignatureSchemeEcdsaSecp256r1Sha256:
			h = crypto.SHA256
		case wire.SignatureSchemeEcdsaSecp384r1Sha384:
			h = crypto.SHA384
		default:
			return fmt.Errorf("tlsserver: client used %v with an ECDSA key", scheme)
		}
		if !ecdsa.VerifyASN1(pub, hashed(h), sig) {
			return errors.New("tlsserver: bad client CertificateVerify signature")
		}
		return nil
	case ed25519.PublicKey:
		if scheme != wire.SignatureSchemeEd25519 || !ed25519.Verify(pub, content, sig) {
			return errors.New("tlsserver: bad client CertificateVerify signature")
		}
		return nil
	case *rsa.PublicKey:
		var h crypto.Hash
		switch scheme {
		case wire.SignatureSchemeRsaPssRsaeSha256:
			h = crypto.SHA256
		case wire.SignatureSchemeRsaPssRsaeSha384:
			h = crypto.SHA384
		case wire.SignatureSchemeRsaPssRsaeSha512:
			h = crypto.SHA512
		default:
			return fmt.Errorf("tlsserver: client used %v with an RSA key", scheme)
		}
		return rsa.VerifyPSS(pub, h, hashed(h), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	}
	return fmt.Errorf("tlsserver: unsupported client key %T", cert.PublicKey)
}

// keyShareKey returns the server's fixed private key for a group.
func keyShareKey(group wire.NamedGroup, seed []byte) (*ecdh.PrivateKey, error) {
	var curve ecdh.Curve
	var n int
	switch group {
	case wire.NamedGroupX25519:
		curve, n = ecdh.X25519(), 32
	case wire.NamedGroupSecp256r1:
		curve, n = ecdh.P256(), 32
	case wire.NamedGroupSecp384r1:
		curve, n = ecdh.P384(), 48
	default:
		return nil, fmt.Errorf("tlsserver: unsupported group %v", group)
	}
	for i := byte(0); ; i++ {
		scalar := deterministicBytes(n, "key share", []byte{byte(group >> 8), byte(group), i}, seed)
		if k, err := curve.NewPrivateKey(scalar); err == nil {
			return k, nil
		}
	}
}

// deterministicBytes expands its inputs into n octets (SHA-256 in counter
// mode): the server's "randomness".
func deterministicBytes(n int, label string, parts ...[]byte) []byte {
	out := make([]byte, 0, n+hashLen)
	for ctr := uint32(0); len(out) < n; ctr++ {
		h := sha256.New()
		h.Write([]byte(label))
		for _, p := range parts {
			var l [4]byte
			binary.BigEndian.PutUint32(l[:], uint32(len(p)))
			h.Write(l[:])
			h.Write(p)
		}
		var c [4]byte
		binary.BigEndian.PutUint32(c[:], ctr)
		h.Write(c[:])
		out = h.Sum(out)
	}
	return out[:n]
}
