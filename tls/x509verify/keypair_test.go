package x509verify

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/tabletls/tabletls/internal/testpeer"
)

func TestParsePrivateKey(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey := testpeer.CachedKey(testpeer.RSA2048).(*rsa.PrivateKey)
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		block *pem.Block
	}{
		{"SEC1", &pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}},
		{"PKCS8", &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}},
		{"PKCS1", &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}},
	} {
		data := append([]byte("junk before\n"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})...)
		data = append(data, pem.EncodeToMemory(tc.block)...)
		key, err := parsePrivateKey(data)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var want any = ec.Public()
		if tc.name == "PKCS1" {
			want = rsaKey.Public()
		}
		if !publicKeysEqual(key.Public(), want) {
			t.Errorf("%s: wrong key", tc.name)
		}
	}
	if _, err := parsePrivateKey([]byte("nothing")); err == nil {
		t.Error("no key: no error")
	}
}

// TestX509KeyPair: a chain and its key from PEM, in one file or two, and
// the errors for PEM without what it needs.
func TestX509KeyPair(t *testing.T) {
	ca := testpeer.DefaultCA()
	c := ca.Issue(testpeer.ECDSAP256)
	var certPEM []byte
	for _, der := range c.Chain {
		certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	kp, err := X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if len(kp.Certificate) != len(c.Chain) || string(kp.Certificate[0]) != string(c.Chain[0]) {
		t.Fatalf("chain of %d certificates, want %d", len(kp.Certificate), len(c.Chain))
	}
	if !kp.PrivateKey.(*ecdsa.PrivateKey).Equal(c.Key) {
		t.Fatal("wrong key")
	}
	dir := t.TempDir()
	both := filepath.Join(dir, "both.pem")
	if err := os.WriteFile(both, append(append([]byte{}, certPEM...), keyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	if kp, err := LoadX509KeyPair(both, ""); err != nil || len(kp.Certificate) != len(c.Chain) {
		t.Fatalf("one file: %v", err)
	}
	other := ca.Issue(testpeer.ECDSAP384)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other.Key)
	otherPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: otherDER})
	for _, tc := range []struct {
		name          string
		certPEM, keyP []byte
		want          error
	}{
		{"no certificate", keyPEM, keyPEM, ErrNoCertificate},
		{"no key", certPEM, certPEM, ErrNoPrivateKey},
		{"other key", certPEM, otherPEM, ErrKeyMismatch},
	} {
		if _, err := X509KeyPair(tc.certPEM, tc.keyP); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := X509KeyPair(keyPEM, certPEM); err == nil {
		t.Error("swapped: no error")
	}
}
