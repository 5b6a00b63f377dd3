package clientflags

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// LoadClientCertificate reads a PEM certificate chain (leaf first) and a
// PEM private key with x509verify.X509KeyPair; keyFile may be empty if
// certFile holds the key too. Errors name the flag and file.
func LoadClientCertificate(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("-cert: %w", err)
	}
	keyPEM := certPEM
	if keyFile != "" {
		if keyPEM, err = os.ReadFile(keyFile); err != nil {
			return tls.Certificate{}, fmt.Errorf("-key: %w", err)
		}
	} else {
		keyFile = certFile
	}
	cc, err := x509verify.X509KeyPair(certPEM, keyPEM)
	switch {
	case err == nil:
		return cc, nil
	case errors.Is(err, x509verify.ErrNoPrivateKey) && keyFile == certFile:
		return cc, fmt.Errorf("-cert %s has no private key in it: give the key with -key", certFile)
	case errors.Is(err, x509verify.ErrNoPrivateKey):
		return cc, fmt.Errorf("-key %s: no PEM private key in it (want PRIVATE KEY, EC PRIVATE KEY or RSA PRIVATE KEY)", keyFile)
	case errors.Is(err, x509verify.ErrKeyMismatch):
		return cc, fmt.Errorf("-key %s does not match the certificate in %s", keyFile, certFile)
	case errors.Is(err, x509verify.ErrNoCertificate):
		return cc, fmt.Errorf("-cert %s: no PEM CERTIFICATE in it", certFile)
	case strings.Contains(err.Error(), "private key"), strings.Contains(err.Error(), "PRIVATE KEY"):
		return cc, fmt.Errorf("-key %s: %s", keyFile, strings.TrimPrefix(err.Error(), "tls: "))
	}
	return cc, fmt.Errorf("-cert %s: %s", certFile, strings.TrimPrefix(err.Error(), "tls: "))
}
