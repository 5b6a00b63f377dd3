package tls

import (
	"crypto"
	"io"
	"testing"
)

// Helpers for the tests of the implementations: the same operations as the
// handshake, with every implementation (DefaultCrypto).

var testCrypto = DefaultCrypto()

func suiteByID(id CipherSuite) *Suite { return testCrypto.suite(id) }

func generateKeyShare(group NamedGroup, rand io.Reader) (keyShare, error) {
	k := testCrypto.keyExchange(group)
	if k == nil {
		return nil, newAlert(AlertDescriptionInternalError, "tls: unsupported key share group")
	}
	return k.generate(rand)
}

func parseSPKI(spki []byte) (crypto.PublicKey, error) { return testCrypto.parseSPKI(spki) }

func keyAllowsScheme(pub crypto.PublicKey, scheme SignatureScheme) bool {
	return testCrypto.keyAllowsScheme(pub, scheme)
}

func verifyCertificateVerify(pub crypto.PublicKey, scheme SignatureScheme, server bool, transcriptHash, sig []byte) error {
	return testCrypto.verifyCertificateVerify(pub, scheme, server, transcriptHash, sig, &testSigWork)
}

func signCertificateVerify(signer crypto.Signer, scheme SignatureScheme, rand io.Reader, transcriptHash []byte) ([]byte, error) {
	return testCrypto.signCertificateVerify(signer, scheme, rand, transcriptHash, &testSigWork)
}

func selectSignatureScheme(pub crypto.PublicKey, peerAccepted func(yield func(SignatureScheme) bool)) (SignatureScheme, bool) {
	return testCrypto.selectSignatureScheme(pub, peerAccepted)
}

// testSigWork lives on the heap, as the handshake state does.
var testSigWork signatureWork

// verifyKey runs v and parses a returned SubjectPublicKeyInfo, as the
// handshake does.
func verifyKey(v Verifier, serverName string, chain [][]byte) (crypto.PublicKey, error) {
	pub, err := v.Verify(serverName, chain)
	if spki, ok := pub.(SubjectPublicKeyInfo); ok && err == nil {
		return parseSPKI(spki)
	}
	return pub, err
}

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
