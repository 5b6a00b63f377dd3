package tls

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/crypto/hkdf"
)

func TestIsIPLiteral(t *testing.T) {
	for name, want := range map[string]bool{
		"192.0.2.1": true, "::1": true, "2001:db8::1": true, "[::1]": true, "0.0.0.0": true,
		"example.com": false, "1.2.3": false, "1.2.3.4.5": false, "256.1.1.1": false,
		"1..2.3": false, "1.2.3.": false, "a.1.2.3": false, "1234.1.1.1": false, "": false,
	} {
		if got := isIPLiteral(name); got != want {
			t.Errorf("isIPLiteral(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestParseSPKIProfile: a Crypto parses only the keys of its signature
// schemes, and names the package for the others.
func TestParseSPKIProfile(t *testing.T) {
	p256 := &Crypto{Signatures: []*SignatureVerifier{ECDSAP256SHA256Verifier()}}
	for _, k := range sigTestKeys()[:4] {
		spki, err := certificateSPKI(spkiTestCert(k.signer))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p256.parseSPKI(spki)
		switch k.name {
		case "P-256":
			if err != nil {
				t.Errorf("%s: %v", k.name, err)
			}
		default:
			var ae *AlertError
			if !errors.As(err, &ae) || ae.Alert != AlertUnsupportedCertificate {
				t.Errorf("%s: %v, want unsupported_certificate", k.name, err)
			}
			if k.name == "RSA-2048" && !strings.Contains(err.Error(), "tls/rsapss") ||
				k.name == "Ed25519" && !strings.Contains(err.Error(), "tls/ed25519sig") {
				t.Errorf("%s: %v does not name the package", k.name, err)
			}
		}
	}
}

// TestExpandLabelAgainstHKDF checks expandLabel, short and long HkdfLabels,
// against x/crypto/hkdf.
func TestExpandLabelAgainstHKDF(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, 48)
	for _, h := range []*hashAlg{hashSHA256, hashSHA384} {
		for _, n := range []int{0, 32, 48, 49, 255} {
			context := bytes.Repeat([]byte{byte(n)}, n)
			for _, length := range []int{12, 16, h.Size()} {
				info := []byte{byte(length >> 8), byte(length), byte(len("tls13 resumption"))}
				info = append(info, "tls13 resumption"...)
				info = append(info, byte(len(context)))
				info = append(info, context...)
				want := make([]byte, length)
				io.ReadFull(hkdf.Expand(h.new, secret[:h.Size()], info), want)
				if got := hkdfExpandLabel(nil, h, secret[:h.Size()], "resumption", context, length); !bytes.Equal(got, want) {
					t.Errorf("%v context %d length %d: %x, want %x", h.id, n, length, got, want)
				}
			}
		}
	}
}
