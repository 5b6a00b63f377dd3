package clientflags

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
)

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
		!slices.Equal(f.Groups, []tls.CurveID{tls.CurveP256, tls.X25519, tls.CurveP384}) {
		t.Errorf("parsed %+v", f)
	}
	cfg, verification, err := f.Config("broker.example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Verifier == nil || cfg.InsecureSkipVerify || cfg.ServerName != "broker.example.com" ||
		!slices.Equal(cfg.CipherSuites, []uint16{tls.TLS_CHACHA20_POLY1305_SHA256}) ||
		!slices.Equal(cfg.KeyShares, []tls.CurveID{tls.CurveP256}) {
		t.Errorf("config %+v", cfg)
	}
	if verification != "public key pin (1 given); chain and name not checked" {
		t.Errorf("verification %q", verification)
	}
}

// TestFinishReadsFiles: Finish reads the -ca, -cert and -key files, so a
// missing or wrong one is a *UsageError when the flags are parsed, and
// Config uses what it read.
func TestFinishReadsFiles(t *testing.T) {
	t.Setenv("SSLKEYLOGFILE", "")
	dir := t.TempDir()
	ca := testpeer.NewCA()
	caFile, err := ca.WriteFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	leaf := ca.Issue(testpeer.ECDSAP256)
	certFile, keyFile, err := leaf.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := testpeer.GenerateKey(testpeer.ECDSAP256) // Issue reuses one cached key per type
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := ca.IssueWithKey(key).WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "notpem.txt")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	parse := func(args ...string) (*Flags, error) {
		fs := flag.NewFlagSet("", flag.ContinueOnError)
		var f Flags
		f.Register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return &f, f.Finish(fs)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-ca", missing}, "-ca: open " + missing + ": no such file or directory"},
		{[]string{"-ca", notPEM}, "-ca " + notPEM + ": no PEM certificates in it"},
		{[]string{"-cert", missing}, "-cert: open " + missing + ": no such file or directory"},
		{[]string{"-cert", certFile}, "-cert " + certFile + " has no private key in it: give the key with -key"},
		{[]string{"-cert", certFile, "-key", missing}, "-key: open " + missing + ": no such file or directory"},
		{[]string{"-cert", certFile, "-key", notPEM}, "-key " + notPEM + ": no PEM private key in it (want PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)"},
		{[]string{"-cert", certFile, "-key", otherKey}, "-key " + otherKey + " does not match the certificate in " + certFile},
		{[]string{"-cert", notPEM, "-key", keyFile}, "-cert " + notPEM + ": no PEM CERTIFICATE in it"},
	} {
		_, err := parse(tc.args...)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: error %v (%T), want a *UsageError", tc.args, err, err)
			continue
		}
		if ue.Msg != tc.want {
			t.Errorf("%v: %q, want %q", tc.args, ue.Msg, tc.want)
		}
	}

	// Good files: Config has the roots' verifier and the certificate. The
	// files are not read again: Config works after they are gone.
	f, err := parse("-ca", caFile, "-cert", certFile, "-key", keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{caFile, certFile, keyFile} {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	cfg, verification, err := f.Config("localhost", nil)
	if err != nil {
		t.Fatal(err)
	}
	if verification != "X.509 chain to the roots in "+caFile+", for localhost" {
		t.Errorf("verification %q", verification)
	}
	if len(cfg.Certificates) != 1 || !bytes.Equal(cfg.Certificates[0].Certificate[0], leaf.Chain[0]) {
		t.Errorf("certificates %v", cfg.Certificates)
	}
	if _, err := cfg.Verifier.Verify("localhost", leaf.Chain); err != nil {
		t.Errorf("a chain to the -ca roots: %v", err)
	}
	if _, err := cfg.Verifier.Verify("localhost", testpeer.NewCA().Issue(testpeer.ECDSAP256).Chain); err == nil {
		t.Error("a chain to other roots is accepted")
	}

	// Config without Finish does not fall back to the system roots.
	unfinished := Flags{CAFile: caFile}
	if _, _, err := unfinished.Config("localhost", nil); err == nil {
		t.Error("Config before Finish: no error")
	}
}
