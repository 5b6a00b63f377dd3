package hybrid

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	"errors"
	"io"
	"testing"

	"github.com/tabletls/tabletls/internal/detrand"
	"github.com/tabletls/tabletls/tls"
)

// ksDetRand is a deterministic byte stream for reproducible key shares.
type ksDetRand = detrand.Reader

func newKSDetRand(seed string) *ksDetRand { return detrand.New(seed) }

func ksWantAlert(t *testing.T, err error, want tls.AlertDescription) {
	t.Helper()
	var ae *tls.AlertError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *AlertError", err)
	}
	if ae.Alert != want {
		t.Fatalf("alert %d (%v), want %d", ae.Alert, err, want)
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
	ks, err := newShare(rand)
	if err != nil {
		t.Fatal(err)
	}
	pub := ks.Public()
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
	got, err := ks.SharedSecret(serverShare)
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
	got2, err := ks.SharedSecret(tampered)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got2[:32], want[:32]) || !bytes.Equal(got2[32:], want[32:]) {
		t.Error("tampered ciphertext: unexpected shared secret")
	}
}

func TestInvalidServerShare(t *testing.T) {
	hy, _ := newShare(newKSDetRand("hy"))
	x, _ := ecdh.X25519().NewPrivateKey(make([]byte, 32))
	validHybrid, _ := ksHybridServer(t, hy.Public())
	zeroX := bytes.Clone(validHybrid)
	clear(zeroX[1088:])
	for _, tc := range []struct {
		name  string
		share []byte
	}{
		{"hybrid x25519 only", x.PublicKey().Bytes()},
		{"hybrid short", validHybrid[:1119]},
		{"hybrid long", append(bytes.Clone(validHybrid), 0)},
		{"hybrid client-sized", hy.Public()},
		{"hybrid zero x25519", zeroX},
	} {
		_, err := hy.SharedSecret(tc.share)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		t.Run(tc.name, func(t *testing.T) { ksWantAlert(t, err, tls.AlertIllegalParameter) })
	}
}

func TestShortRandomness(t *testing.T) {
	for _, n := range []int{31, 32 + 63} {
		if _, err := newShare(bytes.NewReader(make([]byte, n))); err == nil {
			t.Errorf("%d random octets accepted", n)
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := newShare(newKSDetRand("same"))
	b, _ := newShare(newKSDetRand("same"))
	c, _ := newShare(newKSDetRand("other"))
	if !bytes.Equal(a.Public(), b.Public()) || bytes.Equal(a.Public(), c.Public()) {
		t.Error("share is not a function of the randomness")
	}
	if X25519MLKEM768().ID() != tls.X25519MLKEM768 {
		t.Errorf("ID = %v", X25519MLKEM768().ID())
	}
}

// The x25519 share offered beside the hybrid is the hybrid's own X25519
// key: its public value is the share's tail, and it agrees with a server
// doing plain x25519. Malformed server shares are illegal_parameter.
func TestX25519Share(t *testing.T) {
	hy, err := newShare(newKSDetRand("half"))
	if err != nil {
		t.Fatal(err)
	}
	var half tls.KeyShare = hy.X25519Share()
	if _, ok := tls.KeyShare(hy).(tls.X25519Sharer); !ok {
		t.Fatal("the hybrid share does not implement tls.X25519Sharer")
	}
	if !bytes.Equal(half.Public(), hy.Public()[1184:]) || len(half.Public()) != 32 {
		t.Fatalf("X25519 share %x is not the hybrid share's tail", half.Public())
	}
	server, _ := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{7}, 32))
	clientPub, _ := ecdh.X25519().NewPublicKey(half.Public())
	want, _ := server.ECDH(clientPub)
	got, err := half.SharedSecret(server.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("shared secret %x, want %x", got, want)
	}
	for name, share := range map[string][]byte{
		"short":     server.PublicKey().Bytes()[:31],
		"long":      append(server.PublicKey().Bytes(), 0),
		"hybrid":    bytes.Repeat([]byte{1}, ServerShareLen),
		"low-order": make([]byte, 32),
	} {
		_, err := half.SharedSecret(share)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		t.Run(name, func(t *testing.T) { ksWantAlert(t, err, tls.AlertIllegalParameter) })
	}
}
