package main

import "github.com/tabletls/tabletls/tls"

// deviceCrypto is all the cryptography this firmware links (see
// tls.Crypto): AES-128-GCM, and ChaCha20-Poly1305 for servers that prefer
// it on devices without AES hardware; x25519, and P-256 for servers that
// ask for it with a HelloRetryRequest; ECDSA P-256 for the server's
// CertificateVerify and the client certificate.
var deviceCrypto = &tls.Crypto{
	CipherSuites: []*tls.Suite{tls.AES128GCMSHA256(), tls.ChaCha20Poly1305SHA256()},
	KeyExchanges: []*tls.KeyExchange{tls.X25519KeyExchange(), tls.P256KeyExchange()},
	Signatures:   []*tls.SignatureVerifier{tls.ECDSAP256SHA256Verifier()},
}
