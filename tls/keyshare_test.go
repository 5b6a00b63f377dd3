package tls

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/tabletls/tabletls/internal/rfc8448"
)

// ksDetRand is a deterministic byte stream for reproducible key shares.
type ksDetRand struct {
	block [32]byte
	ctr   uint64
	buf   []byte
}

func newKSDetRand(seed string) *ksDetRand {
	return &ksDetRand{block: sha256.Sum256([]byte(seed))}
}

func (r *ksDetRand) Read(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(r.buf) == 0 {
			b := sha256.Sum256(append(r.block[:], byte(r.ctr), byte(r.ctr>>8)))
			r.ctr++
			r.buf = b[:]
		}
		c := copy(p, r.buf)
		p, r.buf = p[c:], r.buf[c:]
	}
	return n, nil
}

func TestKeyShareX25519RFC8448(t *testing.T) {
	sec := rfc8448.Get(3)
	ks, err := generateKeyShare(NamedGroupX25519, bytes.NewReader(sec.Value("client_x25519_private")))
	if err != nil {
		t.Fatal(err)
	}
	if ks.group() != NamedGroupX25519 {
		t.Errorf("group %v", ks.group())
	}
	if got, want := ks.public(), sec.Value("client_x25519_public"); !bytes.Equal(got, want) {
		t.Errorf("public = %x, want %x", got, want)
	}
	ss, err := ks.sharedSecret(sec.Value("server_x25519_public"))
	if err != nil {
		t.Fatal(err)
	}
	if want := sec.Value("ecdhe_shared_secret"); !bytes.Equal(ss, want) {
		t.Errorf("shared secret = %x, want %x", ss, want)
	}
}

func TestKeyShareP256RFC8448(t *testing.T) {
	sec := rfc8448.Get(5)
	ks, err := generateKeyShare(NamedGroupSecp256r1, bytes.NewReader(sec.Value("client_p256_private")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ks.public(), sec.Value("client_p256_public"); !bytes.Equal(got, want) {
		t.Errorf("public = %x, want %x", got, want)
	}
	ss, err := ks.sharedSecret(sec.Value("server_p256_public"))
	if err != nil {
		t.Fatal(err)
	}
	if want := sec.Value("ecdhe_shared_secret"); !bytes.Equal(ss, want) {
		t.Errorf("shared secret = %x, want %x", ss, want)
	}
}

// TestKeyShareP256Rejection feeds an out-of-range scalar (the group order's
// neighbourhood, all 0xff) first: generation must skip it and use the next
// 32 bytes.
func TestKeyShareP256Rejection(t *testing.T) {
	sec := rfc8448.Get(5)
	stream := append(bytes.Repeat([]byte{0xff}, 32), sec.Value("client_p256_private")...)
	ks, err := generateKeyShare(NamedGroupSecp256r1, bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ks.public(), sec.Value("client_p256_public")) {
		t.Error("rejected scalar was not replaced by the next one")
	}
	// A source that only ever yields invalid scalars must fail, not loop.
	zeros := bytes.NewReader(make([]byte, 32*maxScalarAttempts))
	if _, err := generateKeyShare(NamedGroupSecp256r1, zeros); err == nil {
		t.Error("all-zero randomness accepted")
	}
}

func TestKeyShareP384RoundTrip(t *testing.T) {
	ks, err := generateKeyShare(NamedGroupSecp384r1, newKSDetRand("p384"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ks.public()) != 97 || ks.public()[0] != 4 {
		t.Fatalf("P-384 share is not an uncompressed point: %x", ks.public())
	}
	server, err := ecdh.P384().NewPrivateKey(bytes.Repeat([]byte{7}, 48))
	if err != nil {
		t.Fatal(err)
	}
	clientPub, err := ecdh.P384().NewPublicKey(ks.public())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := server.ECDH(clientPub)
	got, err := ks.sharedSecret(server.PublicKey().Bytes())
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("shared secret %x, %v; want %x", got, err, want)
	}
}

func TestKeyShareDeterministic(t *testing.T) {
	for _, g := range []NamedGroup{NamedGroupX25519, NamedGroupSecp256r1, NamedGroupSecp384r1, X25519MLKEM768} {
		a, err := generateKeyShare(g, newKSDetRand("same"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := generateKeyShare(g, newKSDetRand("same"))
		c, _ := generateKeyShare(g, newKSDetRand("other"))
		if !bytes.Equal(a.public(), b.public()) {
			t.Errorf("%#x: same randomness, different shares", g)
		}
		if bytes.Equal(a.public(), c.public()) {
			t.Errorf("%#x: different randomness, same share", g)
		}
	}
}

// ksHybridServer plays the server side of X25519MLKEM768 with the standard
// library, following draft-ietf-tls-ecdhe-mlkem Sections 4.2 and 4.3.
func ksHybridServer(t *testing.T, clientShare []byte) (serverShare, secret []byte) {
	t.Helper()
	if len(clientShare) != 1216 {
		t.Fatalf("client share is %d bytes, want 1216", len(clientShare))
	}
	ek, err := mlkem.NewEncapsulationKey768(clientShare[:1184])
	if err != nil {
		t.Fatal(err)
	}
	kemSecret, ct := ek.Encapsulate()
	priv, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	clientX, err := ecdh.X25519().NewPublicKey(clientShare[1184:])
	if err != nil {
		t.Fatal(err)
	}
	xSecret, err := priv.ECDH(clientX)
	if err != nil {
		t.Fatal(err)
	}
	serverShare = append(ct, priv.PublicKey().Bytes()...)
	secret = append(kemSecret, xSecret...)
	return serverShare, secret
}

func TestKeyShareHybrid(t *testing.T) {
	rand := newKSDetRand("hybrid")
	ks, err := generateKeyShare(X25519MLKEM768, rand)
	if err != nil {
		t.Fatal(err)
	}
	pub := ks.public()
	if len(pub) != 1216 {
		t.Fatalf("share is %d bytes, want 1216", len(pub))
	}

	// Check the layout independently: X25519 scalar first, then the
	// ML-KEM seed, and the share is ek || x25519 public.
	rand = newKSDetRand("hybrid")
	var scalar [32]byte
	var seed [64]byte
	io.ReadFull(rand, scalar[:])
	io.ReadFull(rand, seed[:])
	dk, _ := mlkem.NewDecapsulationKey768(seed[:])
	xk, _ := ecdh.X25519().NewPrivateKey(scalar[:])
	if !bytes.Equal(pub[:1184], dk.EncapsulationKey().Bytes()) {
		t.Error("share does not start with the ML-KEM-768 encapsulation key")
	}
	if !bytes.Equal(pub[1184:], xk.PublicKey().Bytes()) {
		t.Error("share does not end with the X25519 public key")
	}

	serverShare, want := ksHybridServer(t, pub)
	got, err := ks.sharedSecret(serverShare)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 64 || !bytes.Equal(got, want) {
		t.Fatalf("shared secret\n%x\nwant (ML-KEM ss || X25519 ss)\n%x", got, want)
	}

	// A modified ciphertext is not an error (ML-KEM implicit rejection)
	// but gives a different secret.
	tampered := bytes.Clone(serverShare)
	tampered[0] ^= 1
	got2, err := ks.sharedSecret(tampered)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got2[:32], want[:32]) || !bytes.Equal(got2[32:], want[32:]) {
		t.Error("tampered ciphertext: unexpected shared secret")
	}
}

func TestKeyShareInvalidServerShare(t *testing.T) {
	x, _ := generateKeyShare(NamedGroupX25519, newKSDetRand("x"))
	p256, _ := generateKeyShare(NamedGroupSecp256r1, newKSDetRand("p256"))
	p384, _ := generateKeyShare(NamedGroupSecp384r1, newKSDetRand("p384"))
	hy, _ := generateKeyShare(X25519MLKEM768, newKSDetRand("hy"))
	validHybrid, _ := ksHybridServer(t, hy.public())

	compressed := bytes.Clone(p256.public()[:33])
	compressed[0] = 2
	offCurve := bytes.Clone(p256.public())
	offCurve[64] ^= 1
	zeroX := bytes.Clone(validHybrid)
	clear(zeroX[1088:])

	for _, tc := range []struct {
		name  string
		ks    keyShare
		share []byte
	}{
		{"x25519 empty", x, nil},
		{"x25519 short", x, make([]byte, 31)},
		{"x25519 long", x, make([]byte, 33)},
		{"x25519 low order (zero)", x, make([]byte, 32)},
		{"p256 compressed", p256, compressed},
		{"p256 off curve", p256, offCurve},
		{"p256 infinity", p256, []byte{0}},
		{"p256 wrong length", p256, p384.public()},
		{"p384 p256 point", p384, p256.public()},
		{"hybrid x25519 only", hy, x.public()},
		{"hybrid short", hy, validHybrid[:1119]},
		{"hybrid long", hy, append(bytes.Clone(validHybrid), 0)},
		{"hybrid client-sized", hy, hy.public()},
		{"hybrid zero x25519", hy, zeroX},
	} {
		_, err := tc.ks.sharedSecret(tc.share)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		t.Run(tc.name, func(t *testing.T) { ksWantAlert(t, err, AlertDescriptionIllegalParameter) })
	}
}

func TestKeyShareErrors(t *testing.T) {
	if _, err := generateKeyShare(0x1234, newKSDetRand("x")); err == nil {
		t.Error("unsupported group accepted")
	}
	for _, g := range []NamedGroup{NamedGroupX25519, NamedGroupSecp256r1, X25519MLKEM768} {
		// 32 bytes are enough for the ECDH scalar but not the ML-KEM seed.
		if _, err := generateKeyShare(g, bytes.NewReader(make([]byte, 31))); err == nil {
			t.Errorf("%#x: short randomness accepted", g)
		}
	}
	if _, err := generateKeyShare(X25519MLKEM768, bytes.NewReader(make([]byte, 32+63))); err == nil {
		t.Error("hybrid: short seed accepted")
	}
}
