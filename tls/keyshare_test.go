package tls

import (
	"bytes"
	"crypto/ecdh"
	"testing"

	"github.com/tabletls/tabletls/internal/detrand"
	"github.com/tabletls/tabletls/internal/rfc8448"
)

// ksDetRand is a deterministic byte stream for reproducible key shares.
type ksDetRand = detrand.Reader

func newKSDetRand(seed string) *ksDetRand { return detrand.New(seed) }

func TestKeyShareX25519RFC8448(t *testing.T) {
	sec := rfc8448.Get(3)
	ks, err := generateKeyShare(X25519, bytes.NewReader(sec.Value("client_x25519_private")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ks.Public(), sec.Value("client_x25519_public"); !bytes.Equal(got, want) {
		t.Errorf("public = %x, want %x", got, want)
	}
	ss, err := ks.SharedSecret(sec.Value("server_x25519_public"))
	if err != nil {
		t.Fatal(err)
	}
	if want := sec.Value("ecdhe_shared_secret"); !bytes.Equal(ss, want) {
		t.Errorf("shared secret = %x, want %x", ss, want)
	}
}

func TestKeyShareP256RFC8448(t *testing.T) {
	sec := rfc8448.Get(5)
	ks, err := generateKeyShare(CurveP256, bytes.NewReader(sec.Value("client_p256_private")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ks.Public(), sec.Value("client_p256_public"); !bytes.Equal(got, want) {
		t.Errorf("public = %x, want %x", got, want)
	}
	ss, err := ks.SharedSecret(sec.Value("server_p256_public"))
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
	ks, err := generateKeyShare(CurveP256, bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ks.Public(), sec.Value("client_p256_public")) {
		t.Error("rejected scalar was not replaced by the next one")
	}
	// A source that only ever yields invalid scalars must fail, not loop.
	zeros := bytes.NewReader(make([]byte, 32*maxScalarAttempts))
	if _, err := generateKeyShare(CurveP256, zeros); err == nil {
		t.Error("all-zero randomness accepted")
	}
}

func TestKeyShareP384RoundTrip(t *testing.T) {
	ks, err := generateKeyShare(CurveP384, newKSDetRand("p384"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ks.Public()) != 97 || ks.Public()[0] != 4 {
		t.Fatalf("P-384 share is not an uncompressed point: %x", ks.Public())
	}
	server, err := ecdh.P384().NewPrivateKey(bytes.Repeat([]byte{7}, 48))
	if err != nil {
		t.Fatal(err)
	}
	clientPub, err := ecdh.P384().NewPublicKey(ks.Public())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := server.ECDH(clientPub)
	got, err := ks.SharedSecret(server.PublicKey().Bytes())
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("shared secret %x, %v; want %x", got, err, want)
	}
}

func TestKeyShareDeterministic(t *testing.T) {
	for _, g := range []CurveID{X25519, CurveP256, CurveP384} {
		a, err := generateKeyShare(g, newKSDetRand("same"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := generateKeyShare(g, newKSDetRand("same"))
		c, _ := generateKeyShare(g, newKSDetRand("other"))
		if !bytes.Equal(a.Public(), b.Public()) {
			t.Errorf("%#x: same randomness, different shares", g)
		}
		if bytes.Equal(a.Public(), c.Public()) {
			t.Errorf("%#x: different randomness, same share", g)
		}
	}
}

func TestKeyShareInvalidServerShare(t *testing.T) {
	x, _ := generateKeyShare(X25519, newKSDetRand("x"))
	p256, _ := generateKeyShare(CurveP256, newKSDetRand("p256"))
	p384, _ := generateKeyShare(CurveP384, newKSDetRand("p384"))

	compressed := bytes.Clone(p256.Public()[:33])
	compressed[0] = 2
	offCurve := bytes.Clone(p256.Public())
	offCurve[64] ^= 1

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
		{"p256 wrong length", p256, p384.Public()},
		{"p384 p256 point", p384, p256.Public()},
	} {
		_, err := tc.ks.SharedSecret(tc.share)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		t.Run(tc.name, func(t *testing.T) { ksWantAlert(t, err, AlertIllegalParameter) })
	}
}

func TestKeyShareErrors(t *testing.T) {
	if _, err := generateKeyShare(0x1234, newKSDetRand("x")); err == nil {
		t.Error("unsupported group accepted")
	}
	for _, g := range []CurveID{X25519, CurveP256} {
		if _, err := generateKeyShare(g, bytes.NewReader(make([]byte, 31))); err == nil {
			t.Errorf("%#x: short randomness accepted", g)
		}
	}
}
