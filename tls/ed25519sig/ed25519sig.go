// Package ed25519sig is Ed25519 (RFC 8032) for tls.Crypto.Signatures.
// Importing it adds it to tls.DefaultCrypto.
//
// It is a package of its own because importing crypto/ed25519 links
// Ed25519 and its FIPS 140 self-test into a program whether it is used or
// not.
package ed25519sig

import (
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/internal/ed25519sig"
	"github.com/tabletls/tabletls/tls/internal/registry"
)

var verifier = tls.NewSignatureVerifier(ed25519sig.Scheme, nil, ed25519sig.Algorithm{})

func init() { registry.Register(func() any { return verifier }) }

// Verifier is the ed25519 signature scheme.
func Verifier() *tls.SignatureVerifier { return verifier }
