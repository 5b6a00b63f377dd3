package clientflags

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/tabletls/tabletls/tls"
)

// LoadClientCertificate reads a PEM certificate chain (leaf first) and a
// PEM private key; keyFile may be empty if certFile holds the key too.
func LoadClientCertificate(certFile, keyFile string) (tls.ClientCertificate, error) {
	var cc tls.ClientCertificate
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return cc, fmt.Errorf("-cert: %w", err)
	}
	keyPEM := certPEM
	if keyFile != "" {
		if keyPEM, err = os.ReadFile(keyFile); err != nil {
			return cc, fmt.Errorf("-key: %w", err)
		}
	} else {
		keyFile = certFile
	}
	for rest := certPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			cc.Chain = append(cc.Chain, b.Bytes)
		}
	}
	if len(cc.Chain) == 0 {
		return cc, fmt.Errorf("-cert %s: no PEM CERTIFICATE in it", certFile)
	}
	leaf, err := x509.ParseCertificate(cc.Chain[0])
	if err != nil {
		return cc, fmt.Errorf("-cert %s: %w", certFile, err)
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil && keyFile == certFile {
		return cc, fmt.Errorf("-cert %s has no private key in it: give the key with -key", certFile)
	}
	if err != nil {
		return cc, fmt.Errorf("-key %s: %w", keyFile, err)
	}
	if !publicKeysEqual(leaf.PublicKey, key.Public()) {
		return cc, fmt.Errorf("-key %s does not match the certificate in %s", keyFile, certFile)
	}
	cc.PrivateKey = key
	return cc, nil
}

var errNoKey = errors.New("no PEM private key in it (want PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)")

// parsePrivateKey returns the first private key in a PEM file: PKCS #8
// ("PRIVATE KEY"), SEC 1 ("EC PRIVATE KEY") or PKCS #1 ("RSA PRIVATE KEY").
func parsePrivateKey(data []byte) (crypto.Signer, error) {
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return nil, errNoKey
		}
		if _, ok := b.Headers["DEK-Info"]; ok { // RFC 1423 encryption
			return nil, errors.New("encrypted PEM keys are not supported")
		}
		switch b.Type {
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
			if err != nil {
				return nil, err
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("unsupported key type %T", k)
			}
			return s, nil
		case "EC PRIVATE KEY":
			return x509.ParseECPrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(b.Bytes)
		case "ENCRYPTED PRIVATE KEY":
			return nil, errors.New("encrypted PEM keys are not supported")
		}
	}
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	switch a := a.(type) {
	case *ecdsa.PublicKey:
		return a.Equal(b)
	case *rsa.PublicKey:
		return a.Equal(b)
	case ed25519.PublicKey:
		return a.Equal(b)
	}
	return false
}
