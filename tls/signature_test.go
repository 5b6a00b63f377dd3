package tls

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/tabletls/tabletls/internal/rfc8448"
	"github.com/tabletls/tabletls/internal/wire"
	rsapssimpl "github.com/tabletls/tabletls/tls/internal/rsapss"
)

// sigRFC8448Transcript hashes the messages of s that precede before, in
// transcript order. See RFC 8446, Section 4.4.1 for the synthetic
// message_hash of a HelloRetryRequest exchange.
func sigRFC8448Transcript(t *testing.T, s *rfc8448.Section, before string) []byte {
	t.Helper()
	h := sha256.New()
	for _, name := range s.TranscriptOrder {
		switch name {
		case before:
			return h.Sum(nil)
		case "message_hash(client_hello)":
			ch := sha256.Sum256(s.Value("client_hello"))
			h.Write([]byte{254, 0, 0, sha256.Size})
			h.Write(ch[:])
		default:
			h.Write(s.Value(name))
		}
	}
	t.Fatalf("%s not in the transcript of %s", before, s.Title)
	return nil
}

// sigRFC8448CertificateVerify splits a CertificateVerify message (RFC 8446,
// Section 4.4.3) by hand.
func sigRFC8448CertificateVerify(t *testing.T, msg []byte) (SignatureScheme, []byte) {
	t.Helper()
	if len(msg) < 8 || msg[0] != 15 || sigUint24(msg[1:]) != len(msg)-4 {
		t.Fatalf("not a CertificateVerify message: %x", msg)
	}
	scheme := SignatureScheme(msg[4])<<8 | SignatureScheme(msg[5])
	sigLen := int(msg[6])<<8 | int(msg[7])
	if sigLen != len(msg)-8 {
		t.Fatal("bad signature length")
	}
	return scheme, msg[8:]
}

func sigRFC8448Key(t *testing.T, certMsg []byte) crypto.PublicKey {
	t.Helper()
	spki, err := certificateSPKI(sigRFC8448LeafCert(t, certMsg))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := parseSPKI(spki)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func TestVerifyCertificateVerifyRFC8448(t *testing.T) {
	tests := []struct {
		section    int
		server     bool
		cert, cv   string
		wantScheme SignatureScheme
	}{
		{3, true, "server_certificate", "server_certificate_verify", PSSWithSHA256},
		{5, true, "server_certificate", "server_certificate_verify", PSSWithSHA256},
		{6, true, "server_certificate", "server_certificate_verify", ECDSAWithP256AndSHA256},
		{6, false, "client_certificate", "client_certificate_verify", PSSWithSHA256},
		{7, true, "server_certificate", "server_certificate_verify", PSSWithSHA256},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.section)+"/"+tt.cv, func(t *testing.T) {
			s := rfc8448.Get(tt.section)
			pub := sigRFC8448Key(t, s.Value(tt.cert))
			scheme, sig := sigRFC8448CertificateVerify(t, s.Value(tt.cv))
			if scheme != tt.wantScheme {
				t.Fatalf("scheme %#04x, want %#04x", scheme, tt.wantScheme)
			}
			th := sigRFC8448Transcript(t, s, tt.cv)

			if err := verifyCertificateVerify(pub, scheme, tt.server, th, sig); err != nil {
				t.Fatalf("valid signature rejected: %v", err)
			}
			for _, i := range []int{0, len(sig) / 2, len(sig) - 1} {
				bad := bytes.Clone(sig)
				bad[i] ^= 0x01
				err := verifyCertificateVerify(pub, scheme, tt.server, th, bad)
				sigWantAlert(t, err, AlertDecryptError)
			}
			badTH := bytes.Clone(th)
			badTH[7] ^= 0x80
			sigWantAlert(t, verifyCertificateVerify(pub, scheme, tt.server, badTH, sig), AlertDecryptError)
			// The context string binds the signature to the sender's role.
			sigWantAlert(t, verifyCertificateVerify(pub, scheme, !tt.server, th, sig), AlertDecryptError)
			sigWantAlert(t, verifyCertificateVerify(pub, scheme, tt.server, th, sig[:len(sig)-1]), AlertDecryptError)
			sigWantAlert(t, verifyCertificateVerify(pub, scheme, tt.server, th, nil), AlertDecryptError)
		})
	}
}

func TestSignedContent(t *testing.T) {
	th := bytes.Repeat([]byte{0xab}, 48)
	var buf [maxSignedContent]byte
	got := appendSignedContent(buf[:0], true, th)
	want := slices.Concat(bytes.Repeat([]byte{' '}, 64), []byte("TLS 1.3, server CertificateVerify"), []byte{0}, th)
	if !bytes.Equal(got, want) {
		t.Errorf("server content\n got %x\nwant %x", got, want)
	}
	got = appendSignedContent(buf[:0], false, th)
	want = slices.Concat(bytes.Repeat([]byte{' '}, 64), []byte("TLS 1.3, client CertificateVerify"), []byte{0}, th)
	if !bytes.Equal(got, want) {
		t.Errorf("client content\n got %x\nwant %x", got, want)
	}
	if full := appendSignedContent(nil, true, make([]byte, sha512.Size)); len(full) != maxSignedContent {
		t.Errorf("maxSignedContent = %d, want %d", maxSignedContent, len(full))
	}
}

func TestCertificateVerifyRoundTrip(t *testing.T) {
	for _, k := range sigTestKeys() {
		for _, scheme := range k.schemes {
			for _, thLen := range []int{sha256.Size, sha512.Size384} {
				th := make([]byte, thLen)
				rand.Read(th)
				sig, err := signCertificateVerify(k.signer, scheme, rand.Reader, th)
				if err != nil {
					t.Fatalf("%s %#04x: sign: %v", k.name, scheme, err)
				}
				if err := verifyCertificateVerify(k.pub, scheme, false, th, sig); err != nil {
					t.Errorf("%s %#04x: verify: %v", k.name, scheme, err)
				}
				// Signed with the client context string, not the server's.
				sigWantAlert(t, verifyCertificateVerify(k.pub, scheme, true, th, sig), AlertDecryptError)
				th[0] ^= 1
				sigWantAlert(t, verifyCertificateVerify(k.pub, scheme, false, th, sig), AlertDecryptError)
			}
		}
		// Every other scheme is refused for this key, before any
		// signature check.
		for s := range 0x10000 {
			scheme := SignatureScheme(s)
			if slices.Contains(k.schemes, scheme) {
				continue
			}
			sigWantAlert(t, verifyCertificateVerify(k.pub, scheme, true, make([]byte, 32), []byte{1}), AlertIllegalParameter)
		}
	}
}

func TestVerifyCertificateVerifyIllegalParameter(t *testing.T) {
	keys := sigTestKeys()
	p256, rsaKey := keys[0].pub, keys[3].pub
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	rsa1024 := sigRFC8448Key(t, rfc8448.Get(3).Value("server_certificate"))
	pssSHA256 := &rsapssimpl.PSSPublicKey{Pub: rsaKey.(*rsa.PublicKey), Hash: crypto.SHA256}
	tests := []struct {
		name   string
		pub    crypto.PublicKey
		scheme SignatureScheme
	}{
		{"pkcs1 sha256", rsaKey, PKCS1WithSHA256},
		{"pkcs1 sha512", rsaKey, PKCS1WithSHA512},
		{"pkcs1 sha1", rsaKey, SignatureScheme(wire.SignatureSchemeRsaPkcs1Sha1)},
		{"ecdsa sha1", p256, SignatureScheme(wire.SignatureSchemeEcdsaSha1)},
		{"ecdsa curve mismatch", p256, ECDSAWithP384AndSHA384},
		{"ecdsa p521 key, p384 scheme", &p521.PublicKey, ECDSAWithP384AndSHA384},
		{"ed25519 scheme, ecdsa key", p256, Ed25519},
		{"ecdsa scheme, rsa key", rsaKey, ECDSAWithP256AndSHA256},
		{"pss_pss scheme, rsaEncryption key", rsaKey, pssPSSWithSHA256},
		{"pss_rsae scheme, id-RSASSA-PSS key", pssSHA256, PSSWithSHA256},
		{"pss_pss hash restricted by key", pssSHA256, pssPSSWithSHA384},
		{"1024-bit key too small for sha512", rsa1024, PSSWithSHA512},
		{"nil", nil, ECDSAWithP256AndSHA256},
		{"nil ecdsa", (*ecdsa.PublicKey)(nil), ECDSAWithP256AndSHA256},
		{"zero ecdsa", &ecdsa.PublicKey{}, ECDSAWithP256AndSHA256},
		{"nil rsa", (*rsa.PublicKey)(nil), PSSWithSHA256},
		{"zero rsa", &rsa.PublicKey{}, PSSWithSHA256},
		{"nil pss", (*rsapssimpl.PSSPublicKey)(nil), pssPSSWithSHA256},
		{"zero pss", &rsapssimpl.PSSPublicKey{}, pssPSSWithSHA256},
		{"short ed25519", ed25519.PublicKey(make([]byte, 31)), Ed25519},
		{"private key", keys[0].signer, ECDSAWithP256AndSHA256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyCertificateVerify(tt.pub, tt.scheme, true, make([]byte, 32), make([]byte, 64))
			sigWantAlert(t, err, AlertIllegalParameter)
		})
	}
	// The 1024-bit RFC 8448 key is fine with SHA-384.
	if !keyAllowsScheme(rsa1024, PSSWithSHA384) {
		t.Error("1024-bit key refused with rsa_pss_rsae_sha384")
	}
}

func TestSignCertificateVerifyErrors(t *testing.T) {
	keys := sigTestKeys()
	th := make([]byte, 32)
	for _, scheme := range []SignatureScheme{ECDSAWithP384AndSHA384, PKCS1WithSHA256, Ed25519} {
		_, err := signCertificateVerify(keys[0].signer, scheme, rand.Reader, th)
		sigWantAlert(t, err, AlertInternalError)
	}
	_, err := signCertificateVerify(keys[0].signer, ECDSAWithP256AndSHA256, rand.Reader, make([]byte, 65))
	sigWantAlert(t, err, AlertInternalError)
	_, err = signCertificateVerify(keys[0].signer, ECDSAWithP256AndSHA256, sigFailingReader{}, th)
	sigWantAlert(t, err, AlertInternalError)
	sigWantAlert(t, verifyCertificateVerify(keys[0].pub, ECDSAWithP256AndSHA256, true, make([]byte, 65), nil), AlertInternalError)
}

type sigFailingReader struct{}

func (sigFailingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func sigSchemeSeq(list ...SignatureScheme) func(func(SignatureScheme) bool) {
	return slices.Values(list)
}

func TestSelectSignatureScheme(t *testing.T) {
	keys := sigTestKeys()
	p256, p384, ed, rsaKey, pss := keys[0].pub, keys[1].pub, keys[2].pub, keys[3].pub, keys[4].pub
	rsa1024 := sigRFC8448Key(t, rfc8448.Get(3).Value("server_certificate"))
	pssSHA384 := &rsapssimpl.PSSPublicKey{Pub: rsaKey.(*rsa.PublicKey), Hash: crypto.SHA384}
	worstFirst := slices.Clone(supportedSignatureSchemes)
	slices.Reverse(worstFirst)
	all := sigSchemeSeq(worstFirst...)
	tests := []struct {
		name string
		pub  crypto.PublicKey
		peer func(func(SignatureScheme) bool)
		want SignatureScheme // 0: none
	}{
		{"p256 all", p256, all, ECDSAWithP256AndSHA256},
		{"p384 all", p384, all, ECDSAWithP384AndSHA384},
		{"ed25519 all", ed, all, Ed25519},
		{"rsa all", rsaKey, all, PSSWithSHA256},
		{"pss all", pss, all, pssPSSWithSHA256},
		{"pss restricted", pssSHA384, all, pssPSSWithSHA384},
		{"rsa 512 first", rsaKey, sigSchemeSeq(PSSWithSHA512, PSSWithSHA384), PSSWithSHA384},
		{"rsa 512 only", rsaKey, sigSchemeSeq(PSSWithSHA512), PSSWithSHA512},
		{"rsa1024 512 only", rsa1024, sigSchemeSeq(PSSWithSHA512), 0},
		{"rsa pkcs1 only", rsaKey, sigSchemeSeq(PKCS1WithSHA256, SignatureScheme(wire.SignatureSchemeRsaPkcs1Sha1)), 0},
		{"rsa pss_pss only", rsaKey, sigSchemeSeq(pssPSSWithSHA256), 0},
		{"p256 wrong curve", p256, sigSchemeSeq(ECDSAWithP384AndSHA384, Ed25519), 0},
		{"empty", p256, sigSchemeSeq(), 0},
		{"nil iterator", p256, nil, 0},
		{"unknown key", struct{}{}, all, 0},
	}
	for _, tt := range tests {
		got, ok := selectSignatureScheme(tt.pub, tt.peer)
		if ok != (tt.want != 0) || got != tt.want {
			t.Errorf("%s: got %#04x, %v; want %#04x", tt.name, got, ok, tt.want)
		}
	}
	// The iterator is not driven past the best possible answer.
	calls := 0
	selectSignatureScheme(p256, func(yield func(SignatureScheme) bool) {
		for _, s := range []SignatureScheme{ECDSAWithP256AndSHA256, Ed25519} {
			calls++
			if !yield(s) {
				return
			}
		}
	})
	if calls != 1 {
		t.Errorf("iterator kept going after the preferred scheme: %d calls", calls)
	}
}

func TestSupportedSignatureSchemes(t *testing.T) {
	seen := map[SignatureScheme]bool{}
	for _, s := range supportedSignatureSchemes {
		if seen[s] {
			t.Errorf("duplicate %#04x", s)
		}
		seen[s] = true
		_, hash, ok := certificateVerifyParams(s)
		if isPKCS1 := s&0xff == 0x01; ok == isPKCS1 {
			t.Errorf("%#04x: CertificateVerify allowed = %v", s, ok)
		}
		if hash == crypto.SHA1 || s&0xff00 == 0x0200 {
			t.Errorf("%#04x: SHA-1 advertised", s)
		}
	}
	cv := 0
	for _, s := range supportedSignatureSchemes {
		if _, _, ok := certificateVerifyParams(s); ok {
			cv++
		}
	}
	if cv != numCertificateVerifySchemes {
		t.Errorf("%d advertised schemes are CertificateVerify schemes, numCertificateVerifySchemes = %d", cv, numCertificateVerifySchemes)
	}
}

// TestVerifyCertificateVerifyAllocs checks that building and hashing the
// signed content allocates nothing beyond what the crypto package needs.
func TestVerifyCertificateVerifyAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation counts")
	}
	keys := sigTestKeys()
	th := make([]byte, 32)
	for _, k := range keys[:3] {
		scheme := k.schemes[0]
		sig, err := signCertificateVerify(k.signer, scheme, rand.Reader, th)
		if err != nil {
			t.Fatal(err)
		}
		var buf [maxSignedContent]byte
		msg := appendSignedContent(buf[:0], false, th)
		var baseline float64
		switch pub := k.pub.(type) {
		case *ecdsa.PublicKey:
			d := sha256.Sum256(msg)
			if pub.Curve == elliptic.P384() {
				d384 := sha512.Sum384(msg)
				baseline = testing.AllocsPerRun(20, func() { ecdsa.VerifyASN1(pub, d384[:], sig) })
			} else {
				baseline = testing.AllocsPerRun(20, func() { ecdsa.VerifyASN1(pub, d[:], sig) })
			}
		case ed25519.PublicKey:
			baseline = testing.AllocsPerRun(20, func() { ed25519.Verify(pub, msg, sig) })
		}
		got := testing.AllocsPerRun(20, func() {
			if verifyCertificateVerify(k.pub, scheme, false, th, sig) != nil {
				t.Fatal("verify failed")
			}
		})
		t.Logf("%s: %v allocs, crypto package alone %v", k.name, got, baseline)
		if got > baseline {
			t.Errorf("%s: %v allocs, crypto package alone %v", k.name, got, baseline)
		}
	}
}

func BenchmarkVerifyECDSAP256(b *testing.B) {
	k := sigTestKeys()[0]
	th := make([]byte, 32)
	sig, err := signCertificateVerify(k.signer, ECDSAWithP256AndSHA256, rand.Reader, th)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := verifyCertificateVerify(k.pub, ECDSAWithP256AndSHA256, false, th, sig); err != nil {
			b.Fatal(err)
		}
	}
}
