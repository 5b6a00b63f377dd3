// Package x509verify authenticates a TLS server with its X.509 certificate
// chain, the way crypto/tls does: the chain must lead to a trusted root, be
// valid at the current time, be issued for server authentication and name
// the server.
//
// It lives apart from package tls so that devices that pin keys (see
// tls.PinVerifier) do not link crypto/x509.
package x509verify

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"time"

	"github.com/tabletls/tabletls/tls"
	// crypto/x509 links RSA and Ed25519 anyway: tls.DefaultCrypto gets
	// their CertificateVerify schemes for the keys this package returns.
	_ "github.com/tabletls/tabletls/tls/ed25519sig"
	_ "github.com/tabletls/tabletls/tls/rsapss"
)

// Options configures a Verifier.
type Options struct {
	// Roots are the trusted root certificates. If nil, the system roots
	// are used; many embedded systems have none.
	Roots *x509.CertPool

	// Time returns the current time, against which validity periods are
	// checked. If nil, time.Now is used. A device without a trustworthy
	// clock should rather use tls.PinVerifier.
	Time func() time.Time
}

// Verifier is a tls.Verifier checking the server's chain with
// x509.Certificate.Verify. The certificates after the leaf are used as
// intermediates, in any order.
type Verifier struct {
	roots *x509.CertPool
	time  func() time.Time
}

var _ tls.Verifier = (*Verifier)(nil)

// New returns a Verifier with opts.
func New(opts Options) *Verifier {
	v := &Verifier{roots: opts.Roots, time: opts.Time}
	if v.time == nil {
		v.time = time.Now
	}
	return v
}

// RSA key size limits, the same as package tls applies to pinned keys.
const (
	minRSABits = 1024
	maxRSABits = 8192
)

// Verify implements tls.Verifier. serverName, a DNS name or an IP address,
// must be set: an empty name would skip the name check. A chain that does
// not verify is a *tls.AlertError whose cause (Unwrap) is x509's error.
func (v *Verifier) Verify(serverName string, chain [][]byte) (crypto.PublicKey, error) {
	if len(chain) == 0 {
		// RFC 8446, Section 4.4.2.4.
		return nil, alert(tls.AlertDecodeError, "tls: server sent an empty certificate chain")
	}
	if serverName == "" {
		return nil, alert(tls.AlertInternalError, "tls: x509verify needs the server name to verify the certificate")
	}
	certs := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, alertErr(tls.AlertBadCertificate, "tls: failed to parse certificate from server: "+err.Error(), err)
		}
		certs[i] = cert
	}
	opts := x509.VerifyOptions{
		DNSName:       serverName,
		Roots:         v.roots,
		Intermediates: x509.NewCertPool(),
		CurrentTime:   v.time(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, cert := range certs[1:] {
		opts.Intermediates.AddCert(cert)
	}
	if _, err := certs[0].Verify(opts); err != nil {
		return nil, alertErr(verifyErrorAlert(err), "tls: failed to verify certificate: "+err.Error(), err)
	}
	// RFC 8446 §4.4.2.2: the server proves it holds the key with a
	// signature (CertificateVerify), and RFC 5280 §4.2.1.3 lets a key
	// whose certificate has a KeyUsage extension be used only for what it
	// lists: that must include digitalSignature. x509.Verify checks only
	// extended key usage. (No extension at all means any use.)
	if leaf := certs[0]; hasKeyUsage(leaf) && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, alert(tls.AlertBadCertificate, "tls: server certificate KeyUsage lacks digitalSignature")
	}
	return leafKey(certs[0])
}

var oidKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}

// hasKeyUsage reports whether cert has a KeyUsage extension (x509 leaves
// KeyUsage zero both without one and with one that lists nothing).
func hasKeyUsage(cert *x509.Certificate) bool {
	for _, ext := range cert.Extensions {
		if ext.Id.Equal(oidKeyUsage) {
			return true
		}
	}
	return false
}

// verifyErrorAlert maps a x509.Certificate.Verify error to an alert, like
// the crypto/tls server does for client certificates. See RFC 8446,
// Section 6.2.
func verifyErrorAlert(err error) tls.AlertDescription {
	var unknownAuthority x509.UnknownAuthorityError
	var systemRoots x509.SystemRootsError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownAuthority), errors.As(err, &systemRoots):
		return tls.AlertUnknownCA
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		// x509 reports not-yet-valid certificates as Expired too.
		return tls.AlertCertificateExpired
	}
	// x509.HostnameError, wrong key usage, name constraints, ...
	return tls.AlertBadCertificate
}

// leafKey returns the leaf's public key if package tls can check a
// CertificateVerify with it.
func leafKey(leaf *x509.Certificate) (crypto.PublicKey, error) {
	switch pub := leaf.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if pub.Curve == elliptic.P256() || pub.Curve == elliptic.P384() || pub.Curve == elliptic.P521() {
			return pub, nil
		}
	case ed25519.PublicKey:
		return pub, nil
	case *rsa.PublicKey:
		if n := pub.N.BitLen(); n < minRSABits || n > maxRSABits {
			return nil, alert(tls.AlertBadCertificate, "tls: server certificate RSA key size not supported")
		}
		return pub, nil
	}
	return nil, alert(tls.AlertUnsupportedCertificate, "tls: server certificate public key type not supported")
}

func alert(desc tls.AlertDescription, msg string) *tls.AlertError {
	return &tls.AlertError{Alert: desc, Msg: msg}
}

// alertErr is alert with x509's error as the cause, so that callers find
// an x509.UnknownAuthorityError, HostnameError or CertificateInvalidError
// with errors.As.
func alertErr(desc tls.AlertDescription, msg string, err error) *tls.AlertError {
	return &tls.AlertError{Alert: desc, Msg: msg, Err: err}
}
