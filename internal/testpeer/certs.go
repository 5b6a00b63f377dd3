// Package testpeer provides real TLS 1.3 peers for interop tests and
// benchmarks of the tabletls client:
//
//   - an in-process crypto/tls server ([StartGoServer]),
//   - an "openssl s_server" child process ([StartOpenSSL]),
//   - throwaway certificate authorities and leaf certificates ([NewCA]).
//
// The package deliberately does not import github.com/tabletls/tabletls/tls,
// so it can be used by that package's tests without an import cycle and so
// the peers stay independent of the implementation under test.
package testpeer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// KeyType selects the public key algorithm of a leaf certificate.
type KeyType int

const (
	ECDSAP256 KeyType = iota // ECDSA on P-256; TLS 1.3 scheme ecdsa_secp256r1_sha256
	ECDSAP384                // ECDSA on P-384; TLS 1.3 scheme ecdsa_secp384r1_sha384
	Ed25519                  // Ed25519; TLS 1.3 scheme ed25519
	RSA2048                  // RSA 2048; TLS 1.3 schemes rsa_pss_rsae_sha256/384/512

	numKeyTypes = iota
)

// KeyTypes returns every supported KeyType, for test matrices.
func KeyTypes() []KeyType { return []KeyType{ECDSAP256, ECDSAP384, Ed25519, RSA2048} }

// String returns a short name usable as a subtest name, e.g. "ECDSA-P256".
func (kt KeyType) String() string {
	switch kt {
	case ECDSAP256:
		return "ECDSA-P256"
	case ECDSAP384:
		return "ECDSA-P384"
	case Ed25519:
		return "Ed25519"
	case RSA2048:
		return "RSA-2048"
	}
	return fmt.Sprintf("KeyType(%d)", int(kt))
}

// GenerateKey returns a fresh (uncached) private key of type kt.
func GenerateKey(kt KeyType) (crypto.Signer, error) {
	switch kt {
	case ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECDSAP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("testpeer: unknown key type %d", int(kt))
}

var keyCache [numKeyTypes]struct {
	once sync.Once
	key  crypto.Signer
	err  error
}

// CachedKey returns a private key of type kt that is generated once per
// process and shared by every caller (RSA generation is slow). It panics if
// kt is unknown or generation fails.
func CachedKey(kt KeyType) crypto.Signer {
	if kt < 0 || int(kt) >= numKeyTypes {
		panic(fmt.Sprintf("testpeer: unknown key type %d", int(kt)))
	}
	e := &keyCache[kt]
	e.once.Do(func() { e.key, e.err = GenerateKey(kt) })
	if e.err != nil {
		panic(fmt.Sprintf("testpeer: generating %v key: %v", kt, e.err))
	}
	return e.key
}

// CA is a self-signed ECDSA P-256 certificate authority.
type CA struct {
	Cert *x509.Certificate // parsed CA certificate
	DER  []byte            // CA certificate, DER
	PEM  []byte            // CA certificate, PEM ("CERTIFICATE" block)
	Key  crypto.Signer     // CA private key
	Pool *x509.CertPool    // pool containing only this CA (for RootCAs / ClientCAs)
}

// Cert is a leaf certificate issued by a CA, with its key in every form the
// peers and tests need.
type Cert struct {
	KeyType KeyType
	CA      *CA               // issuer
	Leaf    *x509.Certificate // parsed leaf
	Chain   [][]byte          // DER certificates, leaf first (leaf only: the CA is a trust anchor)
	Key     crypto.Signer     // leaf private key
	TLS     tls.Certificate   // ready for crypto/tls Config.Certificates
	CertPEM []byte            // PEM of Chain, leaf first
	KeyPEM  []byte            // PEM PKCS#8 ("PRIVATE KEY") of Key
}

var serialLimit = new(big.Int).Lsh(big.NewInt(1), 127)

func randSerial() *big.Int {
	n, err := rand.Int(rand.Reader, serialLimit)
	if err != nil {
		panic(err)
	}
	return n.Add(n, big.NewInt(1))
}

// NewCA creates a fresh self-signed ECDSA P-256 CA valid from one hour ago
// for one year. It panics on failure (only possible if crypto/rand fails).
func NewCA() *CA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          randSerial(),
		Subject:               pkix.Name{CommonName: "tabletls testpeer CA", Organization: []string{"tabletls tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		panic(fmt.Sprintf("testpeer: creating CA: %v", err))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &CA{
		Cert: cert,
		DER:  der,
		PEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:  key,
		Pool: pool,
	}
}

var defaultCA struct {
	once sync.Once
	ca   *CA
}

// DefaultCA returns a process-wide CA created on first use. Peers started
// without an explicit Cert use a leaf issued by it.
func DefaultCA() *CA {
	defaultCA.once.Do(func() { defaultCA.ca = NewCA() })
	return defaultCA.ca
}

// Issue creates a leaf certificate (serverAuth+clientAuth) of key type kt
// for dnsNames, using the process-wide cached key for kt (see CachedKey).
// With no dnsNames it is issued for "localhost" and IP 127.0.0.1.
// It panics on failure.
func (ca *CA) Issue(kt KeyType, dnsNames ...string) *Cert {
	c := ca.IssueWithKey(CachedKey(kt), dnsNames...)
	c.KeyType = kt
	return c
}

// IssueWithKey is like Issue but certifies the given key (ECDSA, Ed25519 or
// RSA). KeyType is derived from the key where possible.
func (ca *CA) IssueWithKey(key crypto.Signer, dnsNames ...string) *Cert {
	return ca.IssueEdited(key, nil, dnsNames...)
}

// IssueEdited is like IssueWithKey, with edit (if not nil) changing the
// leaf's template before it is signed: for certificates that are wrong in
// one way.
func (ca *CA) IssueEdited(key crypto.Signer, edit func(*x509.Certificate), dnsNames ...string) *Cert {
	var ips []net.IP
	if len(dnsNames) == 0 {
		dnsNames = []string{"localhost"}
		ips = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: randSerial(),
		Subject:      pkix.Name{CommonName: dnsNames[0], Organization: []string{"tabletls tests"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(365 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:     dnsNames,
		IPAddresses:  ips,
	}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		panic(fmt.Sprintf("testpeer: issuing leaf: %v", err))
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(fmt.Sprintf("testpeer: marshaling key: %v", err))
	}
	c := &Cert{
		CA:      ca,
		Leaf:    leaf,
		Chain:   [][]byte{der},
		Key:     key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		TLS: tls.Certificate{
			Certificate: [][]byte{der},
			PrivateKey:  key,
			Leaf:        leaf,
		},
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		if k.Curve == elliptic.P384() {
			c.KeyType = ECDSAP384
		} else {
			c.KeyType = ECDSAP256
		}
	case ed25519.PrivateKey:
		c.KeyType = Ed25519
	case *rsa.PrivateKey:
		c.KeyType = RSA2048
	}
	return c
}

// WriteFile writes the CA certificate PEM to a new file in dir and returns
// its path.
func (ca *CA) WriteFile(dir string) (string, error) {
	return writeTemp(dir, "ca-*.pem", ca.PEM)
}

// WriteFiles writes CertPEM and KeyPEM to new files in dir (e.g. for
// openssl -cert/-key) and returns their paths.
func (c *Cert) WriteFiles(dir string) (certFile, keyFile string, err error) {
	name := strings.ToLower(c.KeyType.String())
	if certFile, err = writeTemp(dir, name+"-cert-*.pem", c.CertPEM); err != nil {
		return "", "", err
	}
	if keyFile, err = writeTemp(dir, name+"-key-*.pem", c.KeyPEM); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

func writeTemp(dir, pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return filepath.Clean(f.Name()), nil
}
