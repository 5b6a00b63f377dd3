package tls

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	mathrand "math/rand/v2"
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/rfc8448"
)

func TestPinSHA256(t *testing.T) {
	// echo -n "" | sha256sum | xxd -r -p | base64
	if got, want := PinSHA256(nil), "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; got != want {
		t.Errorf("PinSHA256(nil) = %q, want %q", got, want)
	}
	der := spkiTestCerts()[0].der
	cert, _ := x509.ParseCertificate(der)
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	want := "sha256/" + base64.StdEncoding.EncodeToString(sum[:])
	if got, err := PinFromCertificate(der); err != nil || got != want {
		t.Errorf("PinFromCertificate = %q, %v; want %q", got, err, want)
	}
}

func TestNewPinVerifier(t *testing.T) {
	good := PinSHA256([]byte("spki"))
	b64 := strings.TrimPrefix(good, "sha256/")
	for _, pin := range []string{good, "sha256//" + b64} {
		if _, err := NewPinVerifier(pin); err != nil {
			t.Errorf("NewPinVerifier(%q): %v", pin, err)
		}
	}
	bad := []string{
		"",
		b64,
		"sha1/" + b64,
		"SHA256/" + b64,
		"pin-sha256/" + b64,
		"sha256/" + strings.TrimRight(b64, "="), // unpadded
		"sha256/" + b64[:len(b64)-4],            // short
		"sha256/" + b64 + "AAAA",                // long
		"sha256/" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xff}, 32)), // URL alphabet
		"sha256/" + base64.StdEncoding.EncodeToString(make([]byte, 33)),
		"sha256///" + b64,
		"sha256/ " + b64[1:],
		"sha256/" + b64[:42] + "B=", // not canonical: B has a low bit set, which Decode ignores
		"sha256/" + b64[:43] + "A",  // no padding
		"sha256/" + b64[:20] + "*" + b64[21:],
		"sha256/" + b64[:20] + "\n" + b64[21:],
	}
	for _, pin := range bad {
		if _, err := NewPinVerifier(good, pin); err == nil {
			t.Errorf("NewPinVerifier accepted %q", pin)
		}
	}
	if _, err := NewPinVerifier(); err == nil {
		t.Error("NewPinVerifier accepted no pins")
	}
}

func TestPinVerifier(t *testing.T) {
	certs := spkiTestCerts()
	p256, ed := certs[0].der, certs[2].der
	p256Pin, _ := PinFromCertificate(p256)
	edPin, _ := PinFromCertificate(ed)
	otherPin := PinSHA256([]byte("some other key"))
	intermediate := certs[1].der

	v, err := NewPinVerifier(otherPin, p256Pin)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := v.Verify("ignored.example", [][]byte{p256, intermediate})
	if err != nil {
		t.Fatal(err)
	}
	// The pin verifier returns the leaf's SPKI, which the connection
	// parses with the Config's signature algorithms.
	want, _ := x509.ParseCertificate(p256)
	spki, ok := pub.(SubjectPublicKeyInfo)
	if !ok || !bytes.Equal(spki, want.RawSubjectPublicKeyInfo) {
		t.Fatalf("Verify returned %T, want the leaf's SubjectPublicKeyInfo", pub)
	}
	if parsed, err := parseSPKI(spki); err != nil || !parsed.(interface{ Equal(crypto.PublicKey) bool }).Equal(want.PublicKey) {
		t.Error("wrong key returned")
	}

	// A pinned key anywhere but the leaf does not count.
	_, err = v.Verify("", [][]byte{ed, p256})
	sigWantAlert(t, err, AlertBadCertificate)
	if err.Error() != "tls: server public key "+edPin+" does not match any pin" {
		t.Errorf("error %q", err)
	}

	v2, _ := NewPinVerifier(edPin)
	if _, err := v2.Verify("", [][]byte{ed}); err != nil {
		t.Error(err)
	}
	_, err = v2.Verify("", nil)
	sigWantAlert(t, err, AlertDecodeError)
	_, err = v2.Verify("", [][]byte{ed[:len(ed)-1]})
	sigWantAlert(t, err, AlertBadCertificate)
	bad := bytes.Clone(ed)
	bad[len(bad)-1] ^= 1 // the signature: the SPKI and so the pin still match
	if _, err := v2.Verify("", [][]byte{bad}); err != nil {
		t.Errorf("pin verifier looked past the key: %v", err)
	}

	// A pinned certificate whose key we cannot use.
	p224Pin, _ := PinFromCertificate(certs[4].der)
	v3, _ := NewPinVerifier(p224Pin)
	_, err = verifyKey(v3, "", [][]byte{certs[4].der})
	sigWantAlert(t, err, AlertUnsupportedCertificate)
}

func TestPinVerifierRFC8448(t *testing.T) {
	s := rfc8448.Get(3)
	der := sigRFC8448LeafCert(t, s.Value("server_certificate"))
	pin, err := PinFromCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewPinVerifier(pin)
	pub, err := verifyKey(v, "server", [][]byte{der})
	if err != nil {
		t.Fatal(err)
	}
	scheme, sig := sigRFC8448CertificateVerify(t, s.Value("server_certificate_verify"))
	th := sigRFC8448Transcript(t, s, "server_certificate_verify")
	if err := verifyCertificateVerify(pub, scheme, true, th, sig); err != nil {
		t.Fatal(err)
	}
}

func TestInsecureVerifier(t *testing.T) {
	var v Verifier = insecureVerifier{}
	for _, tc := range spkiTestCerts() {
		pub, err := verifyKey(v, "anything", [][]byte{tc.der})
		if !tc.supported {
			sigWantAlert(t, err, AlertUnsupportedCertificate)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		want, _ := x509.ParseCertificate(tc.der)
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(want.PublicKey) {
			t.Errorf("%s: wrong key", tc.name)
		}
	}
	_, err := v.Verify("", [][]byte{})
	sigWantAlert(t, err, AlertDecodeError)
	_, err = v.Verify("", [][]byte{{0x30, 0x00}})
	sigWantAlert(t, err, AlertBadCertificate)
}

func BenchmarkPinVerifier(b *testing.B) {
	der := spkiTestCerts()[0].der
	pin, _ := PinFromCertificate(der)
	v, _ := NewPinVerifier(pin)
	chain := [][]byte{der}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify("", chain); err != nil {
			b.Fatal(err)
		}
	}
}

// TestParsePinMatchesStrictBase64 checks parsePin's check of the base64
// against the stdlib's strict decoder: it accepts exactly the canonical
// encodings of 32 octets.
func TestParsePinMatchesStrictBase64(t *testing.T) {
	rng := mathrand.New(mathrand.NewPCG(1, 2))
	var out [pinLen]byte
	accepted := 0
	for range 20000 {
		var sum [32]byte
		for i := range sum {
			sum[i] = byte(rng.Uint32())
		}
		b := []byte(base64.StdEncoding.EncodeToString(sum[:]))
		// Change one of the last characters, or any, to any octet.
		i := rng.IntN(len(b))
		if rng.IntN(2) == 0 {
			i = len(b) - 1 - rng.IntN(3)
		}
		b[i] = byte(rng.Uint32())
		dec, err := base64.StdEncoding.Strict().DecodeString(string(b))
		want := err == nil && len(dec) == 32 && base64.StdEncoding.EncodeToString(dec) == string(b)
		if got := parsePin(&out, "sha256/"+string(b)); got != want {
			t.Fatalf("parsePin(%q) = %v, strict base64 says %v", b, got, want)
		}
		if want {
			accepted++
		}
	}
	if accepted < 1000 || accepted == 20000 {
		t.Fatalf("%d of 20000 mutated pins accepted: the test does not test", accepted)
	}
}
