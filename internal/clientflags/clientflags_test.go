package clientflags

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"slices"
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
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

// TestRegister pins the flag names both commands share: a flag added here
// is added to tlsclient and to every tlsgateway route at once.
func TestRegister(t *testing.T) {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	new(Flags).Register(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	want := []string{"alpn", "ca", "cert", "groups", "insecure", "key", "keylog", "keyshares", "pin", "servername", "suites"}
	if !slices.Equal(names, want) {
		t.Errorf("flags %v, want %v", names, want)
	}
}

func TestFinishAndConfig(t *testing.T) {
	t.Setenv("SSLKEYLOGFILE", "")
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	var f Flags
	f.Register(fs)
	if err := fs.Parse([]string{"-keyshares", "secp256r1", "-alpn", "mqtt, h2", "-suites", "CHACHA20_POLY1305_SHA256",
		"-pin", "sha256/" + strings.Repeat("A", 43) + "=", "-servername", ""}); err != nil {
		t.Fatal(err)
	}
	if err := f.Finish(fs); err != nil {
		t.Fatal(err)
	}
	if !f.ServerNameSet || !slices.Equal(f.ALPN, []string{"mqtt", "h2"}) ||
		!slices.Equal(f.Groups, []tls.NamedGroup{tls.NamedGroupSecp256r1, tls.NamedGroupX25519, tls.NamedGroupSecp384r1}) {
		t.Errorf("parsed %+v", f)
	}
	cfg, verification, err := f.Config("broker.example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Verifier == nil || cfg.InsecureSkipVerify || cfg.ServerName != "broker.example.com" ||
		!slices.Equal(cfg.CipherSuites, []tls.CipherSuite{tls.TLS_CHACHA20_POLY1305_SHA256}) ||
		!slices.Equal(cfg.KeyShares, []tls.NamedGroup{tls.NamedGroupSecp256r1}) {
		t.Errorf("config %+v", cfg)
	}
	if verification != "public key pin (1 given); chain and name not checked" {
		t.Errorf("verification %q", verification)
	}
}
