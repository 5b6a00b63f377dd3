package x509verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"

	"github.com/tabletls/tabletls/tls"
)

// X509KeyPair parses a client certificate and its key from PEM, as
// crypto/tls.X509KeyPair does: certPEM holds the chain as CERTIFICATE
// blocks, leaf first, and keyPEM the leaf's private key as PKCS #8
// ("PRIVATE KEY"), SEC 1 ("EC PRIVATE KEY") or PKCS #1 ("RSA PRIVATE
// KEY"). The two may be the same file. The key must match the leaf.
func X509KeyPair(certPEM, keyPEM []byte) (tls.Certificate, error) {
	var cert tls.Certificate
	skipped := ""
	for rest := certPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type == "CERTIFICATE" {
			cert.Certificate = append(cert.Certificate, b.Bytes)
		} else {
			skipped = b.Type
		}
	}
	if len(cert.Certificate) == 0 {
		if skipped != "" && len(keyPEM) > 0 && string(certPEM) != string(keyPEM) && isKeyType(skipped) {
			return tls.Certificate{}, errors.New("tls: no CERTIFICATE in the certificate PEM, but a " + skipped + ": are the certificate and key swapped?")
		}
		return tls.Certificate{}, ErrNoCertificate
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return tls.Certificate{}, errors.New("tls: cannot parse the leaf certificate: " + err.Error())
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return tls.Certificate{}, err
	}
	if !publicKeysEqual(leaf.PublicKey, key.Public()) {
		return tls.Certificate{}, ErrKeyMismatch
	}
	cert.PrivateKey = key
	return cert, nil
}

// LoadX509KeyPair reads X509KeyPair's two PEM files; keyFile may be
// certFile, or empty if certFile holds the key too.
func LoadX509KeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM := certPEM
	if keyFile != "" && keyFile != certFile {
		if keyPEM, err = os.ReadFile(keyFile); err != nil {
			return tls.Certificate{}, err
		}
	}
	return X509KeyPair(certPEM, keyPEM)
}

// X509KeyPair's errors for PEM without what it needs.
var (
	ErrNoCertificate = errors.New("tls: no PEM CERTIFICATE in the certificate PEM")
	ErrNoPrivateKey  = errors.New("tls: no PEM private key (want PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)")
	ErrKeyMismatch   = errors.New("tls: the private key does not match the leaf certificate's public key")
)

func isKeyType(t string) bool {
	return t == "PRIVATE KEY" || t == "EC PRIVATE KEY" || t == "RSA PRIVATE KEY" || t == "ENCRYPTED PRIVATE KEY"
}

// parsePrivateKey returns the first private key in a PEM file.
func parsePrivateKey(data []byte) (crypto.Signer, error) {
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return nil, ErrNoPrivateKey
		}
		if _, ok := b.Headers["DEK-Info"]; ok || b.Type == "ENCRYPTED PRIVATE KEY" { // RFC 1423, PKCS #8 encryption
			return nil, errors.New("tls: encrypted PEM keys are not supported")
		}
		var k any
		var err error
		switch b.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, errors.New("tls: cannot parse the " + b.Type + ": " + err.Error())
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, errors.New("tls: the private key cannot sign")
		}
		return s, nil
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
