package tls

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/tabletls/tabletls/internal/rfc8448"
	"github.com/tabletls/tabletls/tls/internal/ed25519sig"
	rsapssimpl "github.com/tabletls/tabletls/tls/internal/rsapss"
	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// Helpers shared with signature_test.go and crypto_helpers_test.go live here, with FuzzCertificateSPKI,
// which OSS-Fuzz builds with no other test file (fuzz/README.md).

// sigTB is what the helpers need of a *testing.T (or of the replacement
// of package testing in the OSS-Fuzz build, which has no testing.TB).
type sigTB interface {
	Helper()
	Fatalf(format string, args ...any)
	Fatal(args ...any)
	Errorf(format string, args ...any)
}

// sigAlertOf returns the alert of an *AlertError, failing the test for any
// other error.
func sigAlertOf(t sigTB, err error) AlertDescription {
	t.Helper()
	var ae *AlertError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *AlertError", err, err)
	}
	if ae.Received || len(ae.Msg) < 5 || ae.Msg[:5] != "tls: " {
		t.Errorf("malformed AlertError %+v", ae)
	}
	return ae.Alert
}

func sigWantAlert(t sigTB, err error, want AlertDescription) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want alert %d", want)
	}
	if got := sigAlertOf(t, err); got != want {
		t.Fatalf("got alert %d (%v), want %d", got, err, want)
	}
}

func sigUint24(b []byte) int { return int(b[0])<<16 | int(b[1])<<8 | int(b[2]) }

// sigRFC8448LeafCert returns the first cert_data of a Certificate handshake
// message (RFC 8446, Section 4.4.2), parsed by hand.
func sigRFC8448LeafCert(t sigTB, msg []byte) []byte {
	t.Helper()
	if len(msg) < 4 || msg[0] != 11 || sigUint24(msg[1:]) != len(msg)-4 {
		t.Fatalf("not a Certificate message: %x", msg)
	}
	body := msg[4:]
	ctxLen := int(body[0])
	body = body[1+ctxLen:]
	if sigUint24(body) != len(body)-3 {
		t.Fatal("bad certificate_list length")
	}
	body = body[3:]
	n := sigUint24(body)
	return body[3 : 3+n]
}

// Helpers for the tests of the implementations: the same operations as the
// handshake, with every implementation (DefaultCrypto).

// testCrypto is everything tabletls implements. Package tls's tests cannot
// import tls/rsapss or tls/ed25519sig (they import package tls), so the
// implementations come from the internal packages those wrap.
var testCrypto = func() *Crypto {
	c := DefaultCrypto()
	c.Signatures = append(c.Signatures, NewSignatureVerifier(Ed25519, nil, ed25519sig.Algorithm{}))
	for _, s := range rsapssimpl.Schemes() {
		var cert []SignatureScheme
		for _, id := range s.CertSchemes {
			cert = append(cert, SignatureScheme(id))
		}
		c.Signatures = append(c.Signatures, NewSignatureVerifier(SignatureScheme(s.ID), cert, s.Algorithm))
	}
	return c
}()

func suiteByID(id uint16) *Suite { return testCrypto.suite(id) }

func generateKeyShare(group CurveID, rand io.Reader) (keyShare, error) {
	k := testCrypto.keyExchange(group)
	if k == nil {
		return nil, newAlert(AlertInternalError, "tls: unsupported key share group")
	}
	return k.generate(rand)
}

func parseSPKI(spki []byte) (crypto.PublicKey, error) { return testCrypto.parseSPKI(spki) }

func keyAllowsScheme(pub crypto.PublicKey, scheme SignatureScheme) bool {
	return testCrypto.keyAllowsScheme(pub, scheme)
}

func verifyCertificateVerify(pub crypto.PublicKey, scheme SignatureScheme, server bool, transcriptHash, sig []byte) error {
	return testCrypto.verifyCertificateVerify(pub, scheme, server, transcriptHash, sig, &testSigWork)
}

func signCertificateVerify(signer crypto.Signer, scheme SignatureScheme, rand io.Reader, transcriptHash []byte) ([]byte, error) {
	return testCrypto.signCertificateVerify(signer, scheme, rand, transcriptHash, &testSigWork)
}

func selectSignatureScheme(pub crypto.PublicKey, peerAccepted func(yield func(SignatureScheme) bool)) (SignatureScheme, bool) {
	return testCrypto.selectSignatureScheme(pub, nil, peerAccepted)
}

// testSigWork lives on the heap, as the handshake state does.
var testSigWork signatureWork

// verifyKey runs v and parses a returned SubjectPublicKeyInfo, as the
// handshake does.
func verifyKey(v Verifier, serverName string, chain [][]byte) (crypto.PublicKey, error) {
	pub, err := v.Verify(serverName, chain)
	if spki, ok := pub.(SubjectPublicKeyInfo); ok && err == nil {
		return parseSPKI(spki)
	}
	return pub, err
}

type sigTestKey struct {
	name    string
	signer  crypto.Signer
	pub     crypto.PublicKey // as parseSPKI would return it
	schemes []SignatureScheme
}

var sigTestKeys = sync.OnceValue(func() []sigTestKey {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	rsa2048, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return []sigTestKey{
		{"P-256", p256, p256.Public(), []SignatureScheme{ECDSAWithP256AndSHA256}},
		{"P-384", p384, p384.Public(), []SignatureScheme{ECDSAWithP384AndSHA384}},
		{"Ed25519", ed, ed.Public(), []SignatureScheme{Ed25519}},
		{"RSA-2048", rsa2048, rsa2048.Public(), []SignatureScheme{
			PSSWithSHA256, PSSWithSHA384, PSSWithSHA512}},
		{"RSA-2048-PSS", rsa2048, &rsapssimpl.PSSPublicKey{Pub: &rsa2048.PublicKey}, []SignatureScheme{
			pssPSSWithSHA256, pssPSSWithSHA384, pssPSSWithSHA512}},
	}
})

// spkiTestCert returns a self-signed DER certificate for signer's key.
func spkiTestCert(signer crypto.Signer) []byte {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "spki test"},
		NotBefore:    time.Unix(1700000000, 0),
		NotAfter:     time.Unix(1900000000, 0),
		DNSNames:     []string{"device.example"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signer.Public(), signer)
	if err != nil {
		panic(err)
	}
	return der
}

type spkiTestCase struct {
	name      string
	der       []byte
	supported bool
}

var spkiTestCerts = sync.OnceValue(func() []spkiTestCase {
	var cases []spkiTestCase
	for _, k := range sigTestKeys()[:4] {
		cases = append(cases, spkiTestCase{k.name, spkiTestCert(k.signer), true})
	}
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	cases = append(cases,
		spkiTestCase{"P-224", spkiTestCert(p224), false},
		spkiTestCase{"P-521", spkiTestCert(p521), true},
	)
	return cases
})

// within reports whether sub is a sub-slice of b.
func within(sub, b []byte) bool {
	if len(sub) == 0 || len(b) == 0 {
		return false
	}
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(sub)))
	return p >= start && p+uintptr(len(sub)) <= start+uintptr(len(b))
}

func TestCertificateSPKI(t *testing.T) {
	for _, tc := range spkiTestCerts() {
		t.Run(tc.name, func(t *testing.T) {
			cert, err := x509.ParseCertificate(tc.der)
			if err != nil {
				t.Fatal(err)
			}
			spki, err := certificateSPKI(tc.der)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(spki, cert.RawSubjectPublicKeyInfo) {
				t.Fatalf("got %x\nwant %x", spki, cert.RawSubjectPublicKeyInfo)
			}
			if !within(spki, tc.der) {
				t.Error("SPKI is a copy, not a sub-slice of the certificate")
			}
			pub, err := parseSPKI(spki)
			if !tc.supported {
				sigWantAlert(t, err, AlertUnsupportedCertificate)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(cert.PublicKey) {
				t.Errorf("got key %v, want %v", pub, cert.PublicKey)
			}
			pin, err := PinFromCertificate(tc.der)
			if err != nil || pin != PinSHA256(cert.RawSubjectPublicKeyInfo) {
				t.Errorf("PinFromCertificate = %q, %v", pin, err)
			}
		})
	}
}

func TestCertificateSPKIRFC8448(t *testing.T) {
	for _, v := range []struct {
		section int
		name    string
	}{{3, "server_certificate"}, {6, "server_certificate"}, {6, "client_certificate"}} {
		der := sigRFC8448LeafCert(t, rfc8448.Get(v.section).Value(v.name))
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		spki, err := certificateSPKI(der)
		if err != nil || !bytes.Equal(spki, cert.RawSubjectPublicKeyInfo) {
			t.Fatalf("section %d %s: %x, %v", v.section, v.name, spki, err)
		}
		pub, err := parseSPKI(spki)
		if err != nil || !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(cert.PublicKey) {
			t.Fatalf("section %d %s: %v, %v", v.section, v.name, pub, err)
		}
	}
}

// TestParseSPKIAliasing checks that the key survives reuse of the buffer it
// was parsed from, as a handshake buffer would be reused.
func TestParseSPKIAliasing(t *testing.T) {
	for _, tc := range spkiTestCerts()[:4] {
		der := bytes.Clone(tc.der)
		spki, _ := certificateSPKI(der)
		pub, err := parseSPKI(spki)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := x509.ParsePKIXPublicKey(bytes.Clone(spki))
		clear(der)
		if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
			t.Errorf("%s: key aliases the input", tc.name)
		}
	}
}

// Builders of hand-made SubjectPublicKeyInfos.

func spkiBuild(oid string, params func(*cryptobyte.Builder), key []byte, unusedBits byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes([]byte(oid)) })
			if params != nil {
				params(b)
			}
		})
		b.AddASN1(asn1.BIT_STRING, func(b *cryptobyte.Builder) {
			b.AddUint8(unusedBits)
			b.AddBytes(key)
		})
	})
	return b.BytesOrPanic()
}

func spkiNull(b *cryptobyte.Builder) { b.AddASN1NULL() }

func spkiOID(oid string) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.OBJECT_IDENTIFIER, func(b *cryptobyte.Builder) { b.AddBytes([]byte(oid)) })
	}
}

func spkiRaw(raw ...byte) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) { b.AddBytes(raw) }
}

// spkiPKCS1 encodes an RSAPublicKey with a raw modulus INTEGER.
func spkiPKCS1(modulus []byte, e int64) []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(modulus) })
		b.AddASN1Int64(e)
	})
	return b.BytesOrPanic()
}

func spkiHashAlg(oid string, null bool) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			spkiOID(oid)(b)
			if null {
				b.AddASN1NULL()
			}
		})
	}
}

// spkiPSSParams encodes RSASSA-PSS-params; salt or trailer < 0 are omitted.
func spkiPSSParams(hash, mgfHash string, salt, trailer int64) func(*cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
			if hash != "" {
				b.AddASN1(asn1.Tag(0).Constructed().ContextSpecific(), spkiHashAlg(hash, true))
			}
			if mgfHash != "" {
				b.AddASN1(asn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
						spkiOID(oidMGF1)(b)
						spkiHashAlg(mgfHash, true)(b)
					})
				})
			}
			if salt >= 0 {
				b.AddASN1(asn1.Tag(2).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1Int64(salt) })
			}
			if trailer >= 0 {
				b.AddASN1(asn1.Tag(3).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddASN1Int64(trailer) })
			}
		})
	}
}

func TestParseSPKIRSAPSS(t *testing.T) {
	rsaKey := sigTestKeys()[3].pub.(*rsa.PublicKey)
	pkcs1 := x509.MarshalPKCS1PublicKey(rsaKey)
	tests := []struct {
		name     string
		params   func(*cryptobyte.Builder)
		wantHash crypto.Hash
		alert    AlertDescription // 0: success
	}{
		{"no params", nil, 0, 0},
		{"sha256", spkiPSSParams(oidSHA256, oidSHA256, 32, -1), crypto.SHA256, 0},
		{"sha384 trailer", spkiPSSParams(oidSHA384, oidSHA384, 48, 1), crypto.SHA384, 0},
		{"sha512 short salt", spkiPSSParams(oidSHA512, oidSHA512, 20, -1), crypto.SHA512, 0},
		{"sha256 default salt", spkiPSSParams(oidSHA256, oidSHA256, -1, -1), crypto.SHA256, 0},
		{"all defaults (sha1)", spkiPSSParams("", "", -1, -1), 0, AlertUnsupportedCertificate},
		{"default mgf (sha1)", spkiPSSParams(oidSHA256, "", 32, -1), 0, AlertUnsupportedCertificate},
		{"mgf hash mismatch", spkiPSSParams(oidSHA256, oidSHA384, 32, -1), 0, AlertUnsupportedCertificate},
		{"salt too long", spkiPSSParams(oidSHA256, oidSHA256, 33, -1), 0, AlertUnsupportedCertificate},
		{"trailer 2", spkiPSSParams(oidSHA256, oidSHA256, 32, 2), 0, AlertUnsupportedCertificate},
		{"NULL params", spkiNull, 0, AlertUnsupportedCertificate},
		{"sha1 hash", spkiPSSParams("\x2b\x0e\x03\x02\x1a", "\x2b\x0e\x03\x02\x1a", 20, -1), 0, AlertUnsupportedCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := parseSPKI(spkiBuild(oidPublicKeyRSAPSS, tt.params, pkcs1, 0))
			if tt.alert != 0 {
				sigWantAlert(t, err, tt.alert)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pss, ok := pub.(*rsapssimpl.PSSPublicKey)
			if !ok || !pss.Pub.Equal(rsaKey) || pss.Hash != tt.wantHash {
				t.Fatalf("got %#v", pub)
			}
		})
	}
}

func TestParseSPKIRejects(t *testing.T) {
	p256 := sigTestKeys()[0].pub.(*ecdsa.PublicKey)
	point, _ := p256.Bytes()
	compressed := elliptic.MarshalCompressed(elliptic.P256(), p256.X, p256.Y)
	offCurve := bytes.Clone(point)
	offCurve[len(offCurve)-1] ^= 1
	rsaKey := sigTestKeys()[3].pub.(*rsa.PublicKey)
	n := rsaKey.N.Bytes()
	modulus := append([]byte{0}, n...)
	bits := func(nBits int) []byte { // an odd modulus of exactly nBits bits
		m := new(big.Int).Lsh(big.NewInt(1), uint(nBits-1))
		m.SetBit(m, 0, 1)
		return append([]byte{0}, m.Bytes()...)
	}
	edKey := []byte(sigTestKeys()[2].pub.(ed25519.PublicKey))

	tests := []struct {
		name  string
		spki  []byte
		alert AlertDescription // 0: success
	}{
		{"ecdsa ok", spkiBuild(oidPublicKeyECDSA, spkiOID(oidCurveP256), point, 0), 0},
		{"ecdsa compressed", spkiBuild(oidPublicKeyECDSA, spkiOID(oidCurveP256), compressed, 0), AlertBadCertificate},
		{"ecdsa off curve", spkiBuild(oidPublicKeyECDSA, spkiOID(oidCurveP256), offCurve, 0), AlertBadCertificate},
		{"ecdsa wrong curve", spkiBuild(oidPublicKeyECDSA, spkiOID(oidCurveP384), point, 0), AlertBadCertificate},
		{"ecdsa infinity", spkiBuild(oidPublicKeyECDSA, spkiOID(oidCurveP256), []byte{0}, 0), AlertBadCertificate},
		{"ecdsa no params", spkiBuild(oidPublicKeyECDSA, nil, point, 0), AlertBadCertificate},
		{"ecdsa NULL params", spkiBuild(oidPublicKeyECDSA, spkiNull, point, 0), AlertBadCertificate},
		{"ecdsa trailing params", spkiBuild(oidPublicKeyECDSA, func(b *cryptobyte.Builder) { spkiOID(oidCurveP256)(b); b.AddASN1NULL() }, point, 0), AlertBadCertificate},
		{"ecdsa unknown curve", spkiBuild(oidPublicKeyECDSA, spkiOID("\x2b\x81\x04\x00\x0a"), point, 0), AlertUnsupportedCertificate},
		{"unused bits", spkiBuild(oidPublicKeyECDSA, spkiOID(oidCurveP256), point, 1), AlertBadCertificate},
		{"empty bit string", []byte{0x30, 0x09, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x00}, AlertBadCertificate},
		{"ed25519 ok", spkiBuild(oidPublicKeyEd25519, nil, edKey, 0), 0},
		{"ed25519 short", spkiBuild(oidPublicKeyEd25519, nil, edKey[:31], 0), AlertBadCertificate},
		{"ed25519 long", spkiBuild(oidPublicKeyEd25519, nil, append(edKey, 0), 0), AlertBadCertificate},
		{"ed25519 NULL params", spkiBuild(oidPublicKeyEd25519, spkiNull, edKey, 0), AlertBadCertificate},
		{"x25519", spkiBuild("\x2b\x65\x6e", nil, edKey, 0), AlertUnsupportedCertificate},
		{"dsa", spkiBuild("\x2a\x86\x48\xce\x38\x04\x01", nil, edKey, 0), AlertUnsupportedCertificate},
		{"rsa ok", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(modulus, 65537), 0), 0},
		{"rsa no params", spkiBuild(oidPublicKeyRSA, nil, spkiPKCS1(modulus, 65537), 0), AlertBadCertificate},
		{"rsa non-NULL params", spkiBuild(oidPublicKeyRSA, spkiRaw(0x05, 0x01, 0x00), spkiPKCS1(modulus, 65537), 0), AlertBadCertificate},
		{"rsa 1024 bits", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(bits(1024), 65537), 0), 0},
		{"rsa 8192 bits", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(bits(8192), 3), 0), 0},
		{"rsa 1023 bits", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(bits(1023), 65537), 0), AlertBadCertificate},
		{"rsa 512 bits", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(bits(512), 65537), 0), AlertBadCertificate},
		{"rsa 8193 bits", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(bits(8193), 65537), 0), AlertBadCertificate},
		{"rsa negative modulus", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(n, 65537), 0), AlertBadCertificate},
		{"rsa zero modulus", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1([]byte{0}, 65537), 0), AlertBadCertificate},
		{"rsa empty modulus", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(nil, 65537), 0), AlertBadCertificate},
		{"rsa non-minimal modulus", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(append([]byte{0}, modulus...), 65537), 0), AlertBadCertificate},
		{"rsa even modulus", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(append(bytes.Clone(modulus[:len(modulus)-1]), 2), 65537), 0), AlertBadCertificate},
		{"rsa e=1", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(modulus, 1), 0), AlertBadCertificate},
		{"rsa e even", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(modulus, 65536), 0), AlertBadCertificate},
		{"rsa e negative", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(modulus, -65537), 0), AlertBadCertificate},
		{"rsa e 2^31+1", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(modulus, 1<<31+1), 0), AlertBadCertificate},
		{"rsa e 2^31-1", spkiBuild(oidPublicKeyRSA, spkiNull, spkiPKCS1(modulus, 1<<31-1), 0), 0},
		{"rsa trailing", spkiBuild(oidPublicKeyRSA, spkiNull, append(spkiPKCS1(modulus, 65537), 0), 0), AlertBadCertificate},
		{"trailing data", append(spkiBuild(oidPublicKeyEd25519, nil, edKey, 0), 0), AlertBadCertificate},
		{"empty", nil, AlertBadCertificate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := parseSPKI(tt.spki)
			if tt.alert != 0 {
				sigWantAlert(t, err, tt.alert)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Whatever we accept, crypto/x509 accepts as the same key.
			want, err := x509.ParsePKIXPublicKey(tt.spki)
			if err != nil {
				t.Fatalf("crypto/x509 rejects it: %v", err)
			}
			if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
				t.Errorf("got %v, want %v", pub, want)
			}
		})
	}
}

func TestCertificateSPKIMalformed(t *testing.T) {
	der := spkiTestCerts()[0].der
	for _, bad := range [][]byte{
		nil,
		{0x30, 0x00},
		append(bytes.Clone(der), 0),          // trailing data
		append([]byte{0x31}, der[1:]...),     // SET, not SEQUENCE
		{0x30, 0x80, 0x30, 0x00, 0x00, 0x00}, // BER indefinite length
	} {
		_, err := certificateSPKI(bad)
		sigWantAlert(t, err, AlertBadCertificate)
		_, err = PinFromCertificate(bad)
		sigWantAlert(t, err, AlertBadCertificate)
	}
}

// TestCertificateSPKITruncated cuts real certificates and their keys at every
// offset, and corrupts every byte: nothing may panic, and every strict prefix
// must be rejected.
func TestCertificateSPKITruncated(t *testing.T) {
	var ders [][]byte
	for _, tc := range spkiTestCerts() {
		ders = append(ders, tc.der)
	}
	ders = append(ders, sigRFC8448LeafCert(t, rfc8448.Get(3).Value("server_certificate")))
	for _, der := range ders {
		spki, err := certificateSPKI(der)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(der) {
			if _, err := certificateSPKI(der[:i]); err == nil {
				t.Fatalf("certificate truncated to %d of %d bytes accepted", i, len(der))
			}
		}
		for i := range len(spki) {
			if _, err := parseSPKI(spki[:i]); err == nil {
				t.Fatalf("SPKI truncated to %d of %d bytes accepted", i, len(spki))
			}
		}
		for i := range len(der) {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				bad := bytes.Clone(der)
				bad[i] ^= x
				spkiCheckNoPanic(t, bad)
			}
		}
	}
}

// spkiCheckNoPanic runs der through everything that parses untrusted
// certificates and checks the results are consistent.
func spkiCheckNoPanic(t *testing.T, der []byte) {
	spki, err := certificateSPKI(der)
	if err != nil {
		sigWantAlert(t, err, AlertBadCertificate)
		return
	}
	if !within(spki, der) {
		t.Fatal("SPKI outside the certificate")
	}
	pub, err := parseSPKI(spki)
	if err != nil {
		if a := sigAlertOf(t, err); a != AlertBadCertificate && a != AlertUnsupportedCertificate {
			t.Fatalf("unexpected alert %d", a)
		}
		return
	}
	for _, s := range supportedSignatureSchemes {
		verifyCertificateVerify(pub, s, true, make([]byte, 32), make([]byte, 64))
	}
}

func FuzzCertificateSPKI(f *testing.F) {
	for _, tc := range spkiTestCerts() {
		f.Add(tc.der)
	}
	for _, v := range []struct {
		section int
		name    string
	}{{3, "server_certificate"}, {6, "server_certificate"}, {6, "client_certificate"}} {
		f.Add(sigRFC8448LeafCert(f, rfc8448.Get(v.section).Value(v.name)))
	}
	f.Fuzz(func(t *testing.T, der []byte) {
		spkiCheckNoPanic(t, der)
		// Whatever crypto/x509 parses, we find the same SPKI in, and
		// agree on the key when we both accept it.
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return
		}
		spki, err := certificateSPKI(der)
		if err != nil || !bytes.Equal(spki, cert.RawSubjectPublicKeyInfo) {
			t.Fatalf("crypto/x509 parses the certificate, certificateSPKI: %x, %v", spki, err)
		}
		pub, err := parseSPKI(spki)
		if eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); ok && err == nil && cert.PublicKey != nil {
			if !eq.Equal(cert.PublicKey) {
				t.Fatalf("got key %v, crypto/x509 %v", pub, cert.PublicKey)
			}
		}
	})
}
