package tls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"io"
)

// supportedSignatureSchemes is the client's signature_algorithms list, in
// preference order. See RFC 8446, Section 4.2.3.
//
// The rsa_pkcs1_* schemes are never accepted in a CertificateVerify (RFC 8446,
// Section 4.4.3), but they are listed last: without a separate
// signature_algorithms_cert extension, this list also tells the server which
// signatures we accept in its certificate chain, and most of the WebPKI is
// still signed with sha256WithRSAEncryption. RFC 8446, Section 4.2.3 allows
// them here for exactly that purpose.
var supportedSignatureSchemes = []SignatureScheme{
	SignatureSchemeEcdsaSecp256r1Sha256,
	SignatureSchemeEcdsaSecp384r1Sha384,
	SignatureSchemeEd25519,
	SignatureSchemeRsaPssRsaeSha256,
	SignatureSchemeRsaPssRsaeSha384,
	SignatureSchemeRsaPssRsaeSha512,
	SignatureSchemeRsaPssPssSha256,
	SignatureSchemeRsaPssPssSha384,
	SignatureSchemeRsaPssPssSha512,
	SignatureSchemeRsaPkcs1Sha256,
	SignatureSchemeRsaPkcs1Sha384,
	SignatureSchemeRsaPkcs1Sha512,
}

// certificateVerifyPreference is the order in which selectSignatureScheme
// picks a scheme for our own key: for RSA, SHA-256 first as the most widely
// implemented.
var certificateVerifyPreference = [...]SignatureScheme{
	SignatureSchemeEcdsaSecp256r1Sha256,
	SignatureSchemeEcdsaSecp384r1Sha384,
	SignatureSchemeEd25519,
	SignatureSchemeRsaPssRsaeSha256,
	SignatureSchemeRsaPssRsaeSha384,
	SignatureSchemeRsaPssRsaeSha512,
	SignatureSchemeRsaPssPssSha256,
	SignatureSchemeRsaPssPssSha384,
	SignatureSchemeRsaPssPssSha512,
}

// Signature algorithms usable in a TLS 1.3 CertificateVerify.
const (
	sigECDSA      = iota + 1
	sigEd25519    // PureEdDSA, no prehash
	sigRSAPSSRSAE // RSASSA-PSS with an rsaEncryption key
	sigRSAPSSPSS  // RSASSA-PSS with an id-RSASSA-PSS key
)

const (
	serverCertificateVerifyContext = "TLS 1.3, server CertificateVerify\x00"
	clientCertificateVerifyContext = "TLS 1.3, client CertificateVerify\x00"

	// maxSignedContent bounds the content covered by a CertificateVerify
	// signature: 64 spaces, a context string and a transcript hash.
	maxSignedContent = 64 + len(serverCertificateVerifyContext) + sha512.Size
)

// certificateVerifyParams returns the signature algorithm and hash of scheme,
// or ok == false if scheme may not be used in a TLS 1.3 CertificateVerify.
// RSASSA-PKCS1-v1_5 and SHA-1 schemes are excluded, see RFC 8446,
// Section 4.4.3; so is ecdsa_secp521r1_sha512, which we do not offer.
func certificateVerifyParams(scheme SignatureScheme) (sigType int, hash crypto.Hash, ok bool) {
	switch scheme {
	case SignatureSchemeEcdsaSecp256r1Sha256:
		return sigECDSA, crypto.SHA256, true
	case SignatureSchemeEcdsaSecp384r1Sha384:
		return sigECDSA, crypto.SHA384, true
	case SignatureSchemeEd25519:
		return sigEd25519, 0, true
	case SignatureSchemeRsaPssRsaeSha256:
		return sigRSAPSSRSAE, crypto.SHA256, true
	case SignatureSchemeRsaPssRsaeSha384:
		return sigRSAPSSRSAE, crypto.SHA384, true
	case SignatureSchemeRsaPssRsaeSha512:
		return sigRSAPSSRSAE, crypto.SHA512, true
	case SignatureSchemeRsaPssPssSha256:
		return sigRSAPSSPSS, crypto.SHA256, true
	case SignatureSchemeRsaPssPssSha384:
		return sigRSAPSSPSS, crypto.SHA384, true
	case SignatureSchemeRsaPssPssSha512:
		return sigRSAPSSPSS, crypto.SHA512, true
	}
	return 0, 0, false
}

// keyAllowsScheme reports whether pub may be used with scheme in a TLS 1.3
// CertificateVerify. ECDSA schemes are bound to a curve, rsa_pss_rsae_* to an
// rsaEncryption key and rsa_pss_pss_* to an id-RSASSA-PSS key, see RFC 8446,
// Section 4.2.3. It never panics, even on nil or zero keys.
func keyAllowsScheme(pub crypto.PublicKey, scheme SignatureScheme) bool {
	sigType, hash, ok := certificateVerifyParams(scheme)
	if !ok {
		return false
	}
	switch pub := pub.(type) {
	case *ecdsa.PublicKey:
		return sigType == sigECDSA && pub != nil && pub.Curve == curveForHash(hash)
	case ed25519.PublicKey:
		return sigType == sigEd25519 && len(pub) == ed25519.PublicKeySize
	case *rsa.PublicKey:
		return sigType == sigRSAPSSRSAE && rsaKeyFitsPSS(pub, hash)
	case *rsaPSSPublicKey:
		return sigType == sigRSAPSSPSS && pub != nil &&
			(pub.hash == 0 || pub.hash == hash) && rsaKeyFitsPSS(pub.pub, hash)
	}
	return false
}

// curveForHash returns the only curve allowed with an ECDSA hash in TLS 1.3.
func curveForHash(hash crypto.Hash) elliptic.Curve {
	if hash == crypto.SHA256 {
		return elliptic.P256()
	}
	return elliptic.P384()
}

// rsaKeyFitsPSS reports whether pub is large enough for RSASSA-PSS with hash
// and a salt as long as the hash, which requires emLen >= 2*hLen + 2 (RFC
// 8017, Section 9.1.1).
func rsaKeyFitsPSS(pub *rsa.PublicKey, hash crypto.Hash) bool {
	return pub != nil && pub.N != nil && pub.N.Sign() > 0 && pub.Size() >= 2*hash.Size()+2
}

// appendSignedContent appends the content covered by a CertificateVerify
// signature to b. See RFC 8446, Section 4.4.3.
func appendSignedContent(b []byte, server bool, transcriptHash []byte) []byte {
	for range 64 {
		b = append(b, 0x20)
	}
	if server {
		b = append(b, serverCertificateVerifyContext...)
	} else {
		b = append(b, clientCertificateVerifyContext...)
	}
	return append(b, transcriptHash...)
}

// digest hashes msg with hash into out and returns the digest.
func digest(out *[sha512.Size]byte, hash crypto.Hash, msg []byte) []byte {
	switch hash {
	case crypto.SHA256:
		d := sha256.Sum256(msg)
		return append(out[:0], d[:]...)
	case crypto.SHA384:
		d := sha512.Sum384(msg)
		return append(out[:0], d[:]...)
	}
	d := sha512.Sum512(msg)
	return append(out[:0], d[:]...)
}

// pssOptions are the RSASSA-PSS parameters of TLS 1.3: the salt is as long
// as the hash. See RFC 8446, Section 4.2.3.
var pssOptions = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

// verifyCertificateVerify checks the signature of a CertificateVerify message
// (RFC 8446, Section 4.4.3) made with pub, the key of the peer's end-entity
// certificate. server is true when the peer is the server. transcriptHash is
// Transcript-Hash(Handshake Context, Certificate).
//
// A scheme that is not allowed in TLS 1.3 or does not match pub is an
// illegal_parameter error, like crypto/tls; a signature that does not verify
// is decrypt_error (RFC 8446, Section 6.2).
func verifyCertificateVerify(pub crypto.PublicKey, scheme SignatureScheme, server bool, transcriptHash, sig []byte) error {
	if _, _, ok := certificateVerifyParams(scheme); !ok {
		return newAlert(AlertDescriptionIllegalParameter, "tls: signature algorithm "+scheme.String()+" not allowed in CertificateVerify")
	}
	if !keyAllowsScheme(pub, scheme) {
		return newAlert(AlertDescriptionIllegalParameter, "tls: CertificateVerify signature algorithm "+scheme.String()+" does not match the certificate key")
	}
	if len(transcriptHash) > sha512.Size {
		return newAlert(AlertDescriptionInternalError, "tls: internal error: transcript hash too long")
	}
	var buf [maxSignedContent]byte
	msg := appendSignedContent(buf[:0], server, transcriptHash)
	if !verifySignature(pub, scheme, msg, sig) {
		return newAlert(AlertDescriptionDecryptError, "tls: invalid CertificateVerify signature")
	}
	return nil
}

// verifySignature verifies sig over msg. keyAllowsScheme(pub, scheme) must
// be true.
func verifySignature(pub crypto.PublicKey, scheme SignatureScheme, msg, sig []byte) bool {
	_, hash, _ := certificateVerifyParams(scheme)
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		return ed25519.Verify(pub, msg, sig)
	case *ecdsa.PublicKey:
		var d [sha512.Size]byte // stays on the stack
		return ecdsa.VerifyASN1(pub, digest(&d, hash, msg), sig)
	case *rsa.PublicKey:
		return verifyPSS(pub, hash, msg, sig)
	case *rsaPSSPublicKey:
		return verifyPSS(pub.pub, hash, msg, sig)
	}
	return false
}

// verifyPSS verifies an RSASSA-PSS signature over msg. crypto/rsa lets the
// digest escape, so it gets its own buffer.
func verifyPSS(pub *rsa.PublicKey, hash crypto.Hash, msg, sig []byte) bool {
	var d [sha512.Size]byte
	return rsa.VerifyPSS(pub, hash, digest(&d, hash, msg), sig, pssOptions) == nil
}

// signCertificateVerify signs the client's CertificateVerify (RFC 8446,
// Section 4.4.3) with scheme, normally chosen by selectSignatureScheme.
// transcriptHash is Transcript-Hash(Handshake Context, Certificate).
// An RSA signer may use rsa_pss_pss_* schemes if its certificate carries an
// id-RSASSA-PSS key; checking that is up to whoever chose the scheme.
func signCertificateVerify(signer crypto.Signer, scheme SignatureScheme, rand io.Reader, transcriptHash []byte) ([]byte, error) {
	pub := signer.Public()
	_, hash, _ := certificateVerifyParams(scheme)
	if k, ok := pub.(*rsa.PublicKey); ok && isRSAPSSPSS(scheme) {
		pub = &rsaPSSPublicKey{pub: k}
	}
	if !keyAllowsScheme(pub, scheme) {
		return nil, newAlert(AlertDescriptionInternalError, "tls: client key cannot sign with the chosen signature algorithm")
	}
	if len(transcriptHash) > sha512.Size {
		return nil, newAlert(AlertDescriptionInternalError, "tls: internal error: transcript hash too long")
	}
	var buf [maxSignedContent]byte
	var d [sha512.Size]byte
	msg := appendSignedContent(buf[:0], false, transcriptHash)
	var opts crypto.SignerOpts = hash
	switch pub.(type) {
	case *rsa.PublicKey, *rsaPSSPublicKey:
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: hash}
		msg = digest(&d, hash, msg)
	case *ecdsa.PublicKey:
		msg = digest(&d, hash, msg)
	}
	sig, err := signer.Sign(rand, msg, opts)
	if err != nil {
		return nil, newAlert(AlertDescriptionInternalError, "tls: failed to sign CertificateVerify: "+err.Error())
	}
	return sig, nil
}

func isRSAPSSPSS(scheme SignatureScheme) bool {
	sigType, _, _ := certificateVerifyParams(scheme)
	return sigType == sigRSAPSSPSS
}

// selectSignatureScheme picks the scheme for a client CertificateVerify made
// with pub, among those the server accepts (the signature_algorithms of its
// CertificateRequest, RFC 8446, Section 4.3.2). Our preference wins over the
// server's order. pub should be the key of the client certificate as parsed by
// parseSPKI, so that an id-RSASSA-PSS certificate gets an rsa_pss_pss_* scheme;
// a plain *rsa.PublicKey only gets rsa_pss_rsae_* schemes.
func selectSignatureScheme(pub crypto.PublicKey, peerAccepted func(yield func(SignatureScheme) bool)) (SignatureScheme, bool) {
	if peerAccepted == nil {
		return 0, false
	}
	best := len(certificateVerifyPreference)
	peerAccepted(func(scheme SignatureScheme) bool {
		for i, s := range certificateVerifyPreference[:best] {
			if s == scheme && keyAllowsScheme(pub, scheme) {
				best = i
				break
			}
		}
		return best > 0
	})
	if best == len(certificateVerifyPreference) {
		return 0, false
	}
	return certificateVerifyPreference[best], true
}
