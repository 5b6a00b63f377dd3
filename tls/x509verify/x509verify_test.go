package x509verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/tabletls/tabletls/tls"
)

var (
	notBefore = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	notAfter  = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	validTime = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
)

type testCert struct {
	der  []byte
	cert *x509.Certificate
	key  crypto.Signer
}

// issue creates a certificate from tmpl for key,
// signed by parent (self-signed if nil).
func issue(t *testing.T, tmpl *x509.Certificate, key crypto.Signer, parent *testCert) *testCert {
	t.Helper()
	if tmpl.SerialNumber == nil {
		tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	}
	if tmpl.NotBefore.IsZero() {
		tmpl.NotBefore, tmpl.NotAfter = notBefore, notAfter
	}
	parentCert, parentKey := tmpl, key
	if parent != nil {
		parentCert, parentKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{der, cert, key}
}

func newKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCA(t *testing.T, name string) *testCert {
	return issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}, newKey(t), nil)
}

func newIntermediate(t *testing.T, ca *testCert) *testCert {
	return issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Test Intermediate"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}, newKey(t), ca)
}

func newLeaf(t *testing.T, issuer *testCert, key crypto.Signer, eku ...x509.ExtKeyUsage) *testCert {
	if eku == nil {
		eku = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	return issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "device"},
		DNSNames:    []string{"device.example"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: eku,
	}, key, issuer)
}

func pool(certs ...*testCert) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c.cert)
	}
	return p
}

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func wantAlert(t *testing.T, err error, want tls.AlertDescription) {
	t.Helper()
	var ae *tls.AlertError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not a *tls.AlertError", err, err)
	}
	if ae.Alert != want || ae.Received || len(ae.Msg) < 5 || ae.Msg[:5] != "tls: " {
		t.Fatalf("got %+v, want alert %d", ae, want)
	}
}

func TestVerifier(t *testing.T) {
	ca := newCA(t, "Test Root")
	inter := newIntermediate(t, ca)
	leafKey := newKey(t)
	leaf := newLeaf(t, ca, leafKey)
	interLeaf := newLeaf(t, inter, leafKey)
	clientLeaf := newLeaf(t, ca, newKey(t), x509.ExtKeyUsageClientAuth)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edLeaf := newLeaf(t, ca, edKey)
	p224Key, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	p224Leaf := newLeaf(t, ca, p224Key)
	otherCA := newCA(t, "Other Root")
	withKeyUsage := func(ku x509.KeyUsage) *testCert {
		return issue(t, &x509.Certificate{
			Subject:     pkix.Name{CommonName: "device"},
			DNSNames:    []string{"device.example"},
			KeyUsage:    ku,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}, leafKey, ca)
	}
	// An RSA-style key-exchange-only leaf, and one that may only sign
	// certificates: neither can make a CertificateVerify (RFC 8446
	// §4.4.2.2, RFC 5280 §4.2.1.3).
	keyEnciphermentLeaf := withKeyUsage(x509.KeyUsageKeyEncipherment)
	certSignLeaf := withKeyUsage(x509.KeyUsageCertSign | x509.KeyUsageKeyAgreement)
	bothLeaf := withKeyUsage(x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment)
	noKeyUsageLeaf := withKeyUsage(0)

	good := New(Options{Roots: pool(ca), Time: at(validTime)})
	tests := []struct {
		name   string
		v      *Verifier
		server string
		chain  [][]byte
		alert  tls.AlertDescription // 0: success
	}{
		{"valid", good, "device.example", [][]byte{leaf.der}, 0},
		{"valid with root in chain", good, "device.example", [][]byte{leaf.der, ca.der}, 0},
		{"valid via intermediate", good, "device.example", [][]byte{interLeaf.der, inter.der}, 0},
		{"valid, unordered extras", good, "device.example", [][]byte{interLeaf.der, ca.der, inter.der}, 0},
		{"ed25519 leaf", good, "device.example", [][]byte{edLeaf.der}, 0},
		{"expired", New(Options{Roots: pool(ca), Time: at(notAfter.Add(time.Second))}), "device.example", [][]byte{leaf.der}, tls.AlertCertificateExpired},
		{"not yet valid", New(Options{Roots: pool(ca), Time: at(notBefore.Add(-time.Second))}), "device.example", [][]byte{leaf.der}, tls.AlertCertificateExpired},
		{"wrong hostname", good, "other.example", [][]byte{leaf.der}, tls.AlertBadCertificate},
		{"IP address", good, "192.0.2.1", [][]byte{leaf.der}, tls.AlertBadCertificate},
		{"unknown CA", New(Options{Roots: pool(otherCA), Time: at(validTime)}), "device.example", [][]byte{leaf.der}, tls.AlertUnknownCA},
		{"missing intermediate", good, "device.example", [][]byte{interLeaf.der}, tls.AlertUnknownCA},
		{"self-signed leaf", good, "Test Root", [][]byte{ca.der}, tls.AlertBadCertificate},
		{"client auth only", good, "device.example", [][]byte{clientLeaf.der}, tls.AlertBadCertificate},
		{"KeyUsage keyEncipherment only", good, "device.example", [][]byte{keyEnciphermentLeaf.der}, tls.AlertBadCertificate},
		{"KeyUsage keyCertSign and keyAgreement", good, "device.example", [][]byte{certSignLeaf.der}, tls.AlertBadCertificate},
		{"KeyUsage digitalSignature and keyEncipherment", good, "device.example", [][]byte{bothLeaf.der}, 0},
		{"no KeyUsage extension", good, "device.example", [][]byte{noKeyUsageLeaf.der}, 0},
		{"unsupported key", good, "device.example", [][]byte{p224Leaf.der}, tls.AlertUnsupportedCertificate},
		{"garbage leaf", good, "device.example", [][]byte{{0x30, 0x03, 0x02, 0x01, 0x01}}, tls.AlertBadCertificate},
		{"truncated leaf", good, "device.example", [][]byte{leaf.der[:len(leaf.der)-1]}, tls.AlertBadCertificate},
		{"garbage intermediate", good, "device.example", [][]byte{leaf.der, {0x00}}, tls.AlertBadCertificate},
		{"empty chain", good, "device.example", nil, tls.AlertDecodeError},
		{"no server name", good, "", [][]byte{leaf.der}, tls.AlertInternalError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := tt.v.Verify(tt.server, tt.chain)
			if tt.alert != 0 {
				wantAlert(t, err, tt.alert)
				if pub != nil {
					t.Error("key returned with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := x509.ParseCertificate(tt.chain[0])
			if !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(want.PublicKey) {
				t.Errorf("got key %v, want the leaf's", pub)
			}
		})
	}
}

func TestVerifierDefaults(t *testing.T) {
	// Time nil: time.Now. The test CA is valid from an hour ago.
	ca := issue(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "Now Root"},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
	}, newKey(t), nil)
	leaf := issue(t, &x509.Certificate{
		DNSNames:    []string{"device.example"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(time.Hour),
	}, newKey(t), ca)
	if _, err := New(Options{Roots: pool(ca)}).Verify("device.example", [][]byte{leaf.der}); err != nil {
		t.Errorf("time.Now default: %v", err)
	}
	expired := issue(t, &x509.Certificate{
		DNSNames:  []string{"device.example"},
		NotBefore: time.Now().Add(-2 * time.Hour),
		NotAfter:  time.Now().Add(-time.Hour),
	}, newKey(t), ca)
	_, err := New(Options{Roots: pool(ca)}).Verify("device.example", [][]byte{expired.der})
	wantAlert(t, err, tls.AlertCertificateExpired)

	// Roots nil: the system roots, which do not include our test CA
	// (or do not exist at all).
	_, err = New(Options{}).Verify("device.example", [][]byte{leaf.der})
	wantAlert(t, err, tls.AlertUnknownCA)
}
