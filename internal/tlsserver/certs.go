package tlsserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"sync"
	"time"

	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// Certificate is a certificate chain (DER, leaf first) and the leaf's key.
type Certificate struct {
	Chain [][]byte
	Key   crypto.Signer
	// Scheme is the signature scheme of the CertificateVerify made with Key.
	Scheme wire.SignatureScheme
}

// Pin is the public key pin of the leaf, for tls.NewPinVerifier.
func (c *Certificate) Pin() string {
	pin, err := tls.PinFromCertificate(c.Chain[0])
	if err != nil {
		panic(err)
	}
	return pin
}

// TLSCertificate is c as a tls.Certificate, for Config.Certificates.
func (c *Certificate) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: c.Chain, PrivateKey: c.Key}
}

var (
	certOnce           sync.Once
	serverCert, client *Certificate
)

// ServerCertificate is the fixed self-signed ECDSA P-256 certificate the
// Server uses by default, for "server.test". The key and the certificate
// are the same in every run.
func ServerCertificate() *Certificate {
	certOnce.Do(makeCerts)
	return serverCert
}

// ClientCertificate is a fixed self-signed ECDSA P-256 client certificate,
// for client authentication tests.
func ClientCertificate() *Certificate {
	certOnce.Do(makeCerts)
	return client
}

func makeCerts() {
	serverCert = selfSigned("server.test", 1)
	client = selfSigned("client.test", 2)
}

// deterministicSigner signs with the RFC 6979 deterministic ECDSA of
// crypto/ecdsa, whatever random source it is given.
type deterministicSigner struct{ *ecdsa.PrivateKey }

func (s deterministicSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return s.PrivateKey.Sign(nil, digest, opts)
}

func selfSigned(name string, serial int64) *Certificate {
	var key *ecdsa.PrivateKey
	for i := byte(0); key == nil; i++ {
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), deterministicBytes(32, "certificate key", []byte(name), []byte{i}))
		if err == nil {
			key = k
		}
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: name},
		DNSNames:              []string{name},
		NotBefore:             time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, key.Public(), deterministicSigner{key})
	if err != nil {
		panic("tlsserver: " + err.Error())
	}
	return &Certificate{Chain: [][]byte{der}, Key: deterministicSigner{key}, Scheme: wire.SignatureSchemeEcdsaSecp256r1Sha256}
}
