package clientflags

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
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
