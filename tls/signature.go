package tls

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/sha512"
	"io"
	"slices"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// supportedSignatureSchemes is every scheme the client may list in
// signature_algorithms, in that order (RFC 8446, Section 4.2.3); a
// connection lists those its Config.Crypto implements.
//
// The rsa_pkcs1_* schemes are never accepted in a CertificateVerify (RFC 8446,
// Section 4.4.3), but they are listed last: without a separate
// signature_algorithms_cert extension, this list also tells the server which
// signatures we accept in its certificate chain, and most of the WebPKI is
// still signed with sha256WithRSAEncryption. RFC 8446, Section 4.2.3 allows
// them here for exactly that purpose.
var supportedSignatureSchemes = []SignatureScheme{
	ECDSAWithP256AndSHA256,
	ECDSAWithP384AndSHA384,
	ECDSAWithP521AndSHA512,
	Ed25519,
	PSSWithSHA256,
	PSSWithSHA384,
	PSSWithSHA512,
	pssPSSWithSHA256,
	pssPSSWithSHA384,
	pssPSSWithSHA512,
	PKCS1WithSHA256,
	PKCS1WithSHA384,
	PKCS1WithSHA512,
}

// numCertificateVerifySchemes is how many of supportedSignatureSchemes a
// TLS 1.3 CertificateVerify may use (all but rsa_pkcs1_*): the most
// selectSignatureScheme can choose among. For our own key it follows the
// order of Config.Crypto.Signatures (for RSA, SHA-256 first in
// DefaultCrypto, as the most widely implemented).
const numCertificateVerifySchemes = 10

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
// Section 4.4.3.
func certificateVerifyParams(scheme SignatureScheme) (sigType int, hash crypto.Hash, ok bool) {
	switch scheme {
	case ECDSAWithP256AndSHA256:
		return sigECDSA, crypto.SHA256, true
	case ECDSAWithP384AndSHA384:
		return sigECDSA, crypto.SHA384, true
	case ECDSAWithP521AndSHA512:
		return sigECDSA, crypto.SHA512, true
	case Ed25519:
		return sigEd25519, 0, true
	case PSSWithSHA256:
		return sigRSAPSSRSAE, crypto.SHA256, true
	case PSSWithSHA384:
		return sigRSAPSSRSAE, crypto.SHA384, true
	case PSSWithSHA512:
		return sigRSAPSSRSAE, crypto.SHA512, true
	case pssPSSWithSHA256:
		return sigRSAPSSPSS, crypto.SHA256, true
	case pssPSSWithSHA384:
		return sigRSAPSSPSS, crypto.SHA384, true
	case pssPSSWithSHA512:
		return sigRSAPSSPSS, crypto.SHA512, true
	}
	return 0, 0, false
}

// SignatureVerifier is the implementation of a signature scheme, for
// Crypto.Signatures: it parses the server's public key from its
// certificate's SubjectPublicKeyInfo, checks the server's CertificateVerify,
// and signs the client's when a client certificate has a key of its kind.
// Package tls implements ECDSA; packages tls/ed25519sig and tls/rsapss
// implement Ed25519 and RSA-PSS, apart because importing crypto/ed25519 or
// crypto/rsa links them (with their FIPS 140 self-tests) whether used or
// not.
type SignatureVerifier struct {
	scheme      SignatureScheme
	certSchemes []SignatureScheme // listed in signature_algorithms only for certificate chains
	impl        SignatureAlgorithm
}

// Scheme is the CertificateVerify signature scheme it implements.
func (v *SignatureVerifier) Scheme() SignatureScheme { return v.scheme }

// NewSignatureVerifier returns the implementation of scheme by alg, for
// packages outside package tls (tls/rsapss and tls/ed25519sig use it;
// firmware may use it for a secure element). certSchemes are listed in
// signature_algorithms too, for signatures in certificate chains, which
// the Verifier checks.
func NewSignatureVerifier(scheme SignatureScheme, certSchemes []SignatureScheme, alg SignatureAlgorithm) *SignatureVerifier {
	return &SignatureVerifier{scheme: scheme, certSchemes: certSchemes, impl: alg}
}

// SignatureAlgorithm is the code of one signature scheme, for
// NewSignatureVerifier.
type SignatureAlgorithm interface {
	// ParsePublicKey parses the key of a SubjectPublicKeyInfo whose
	// algorithm OID (its DER contents octets) is oid, with the algorithm
	// parameters params, if any; mine is false if the algorithm (or
	// curve) is not this one's. An error matching errors.ErrUnsupported
	// is sent as unsupported_certificate, any other as bad_certificate.
	ParsePublicKey(oid string, params, key []byte) (pub crypto.PublicKey, mine bool, err error)
	// Allows reports whether pub, the server's key, may sign with the
	// scheme. It never panics, even on nil or zero keys.
	Allows(pub crypto.PublicKey) bool
	// CanSign reports whether our own key pub can sign with the scheme.
	CanSign(pub crypto.PublicKey) bool
	// Verify checks sig over msg; Allows(pub) is true. digest is room for
	// a digest, already on the heap (interface arguments escape).
	Verify(pub crypto.PublicKey, msg, sig []byte, digest *[64]byte) bool
	// Sign signs msg with signer; CanSign(signer.Public()) is true.
	Sign(signer crypto.Signer, rand io.Reader, msg []byte, digest *[64]byte) ([]byte, error)
}

var (
	verifierECDSAP256 = SignatureVerifier{
		scheme: ECDSAWithP256AndSHA256,
		impl:   ecdsaImpl{oidCurveP256, elliptic.P256, sum256, crypto.SHA256},
	}
	verifierECDSAP384 = SignatureVerifier{
		scheme: ECDSAWithP384AndSHA384,
		impl:   ecdsaImpl{oidCurveP384, elliptic.P384, sum384, crypto.SHA384},
	}
	verifierECDSAP521 = SignatureVerifier{
		scheme: ECDSAWithP521AndSHA512,
		impl:   ecdsaImpl{oidCurveP521, elliptic.P521, sum512, crypto.SHA512},
	}
)

// ECDSAP256SHA256Verifier is ecdsa_secp256r1_sha256, for P-256 keys.
func ECDSAP256SHA256Verifier() *SignatureVerifier { return &verifierECDSAP256 }

// ECDSAP384SHA384Verifier is ecdsa_secp384r1_sha384, for P-384 keys.
func ECDSAP384SHA384Verifier() *SignatureVerifier { return &verifierECDSAP384 }

// ECDSAP521SHA512Verifier is ecdsa_secp521r1_sha512, for P-521 keys.
func ECDSAP521SHA512Verifier() *SignatureVerifier { return &verifierECDSAP521 }

// The digests of the signed content, into a caller's array so that they
// stay on the stack.
func sum256(out *[64]byte, msg []byte) []byte {
	d := sha256.Sum256(msg)
	return append(out[:0], d[:]...)
}

func sum384(out *[64]byte, msg []byte) []byte {
	d := sha512.Sum384(msg)
	return append(out[:0], d[:]...)
}

func sum512(out *[64]byte, msg []byte) []byte {
	d := sha512.Sum512(msg)
	return append(out[:0], d[:]...)
}

// ecdsaImpl is ECDSA on one curve with the one hash TLS 1.3 pairs with it.
type ecdsaImpl struct {
	curveOID string
	curve    func() elliptic.Curve
	digest   func(*[64]byte, []byte) []byte
	hash     crypto.Hash
}

// ParsePublicKey parses an uncompressed point on the named curve. See RFC
// 5480, Section 2.
func (x ecdsaImpl) ParsePublicKey(oid string, params, point []byte) (crypto.PublicKey, bool, error) {
	if oid != oidPublicKeyECDSA {
		return nil, false, nil
	}
	p := cryptobyte.String(params)
	var curveOID cryptobyte.String
	if !p.ReadASN1(&curveOID, asn1.OBJECT_IDENTIFIER) || !p.Empty() {
		return nil, true, malformedPublicKey()
	}
	if string(curveOID) != x.curveOID {
		return nil, false, nil
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(x.curve(), point)
	if err != nil {
		return nil, true, newAlert(AlertBadCertificate, "tls: invalid certificate ECDSA public key")
	}
	return pub, true, nil
}

func (x ecdsaImpl) Allows(pub crypto.PublicKey) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	return ok && k != nil && k.Curve == x.curve()
}

func (x ecdsaImpl) CanSign(pub crypto.PublicKey) bool { return x.Allows(pub) }

func (x ecdsaImpl) Verify(pub crypto.PublicKey, msg, sig []byte, d *[64]byte) bool {
	return ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), x.digest(d, msg), sig)
}

func (x ecdsaImpl) Sign(signer crypto.Signer, rand io.Reader, msg []byte, d *[64]byte) ([]byte, error) {
	return signer.Sign(rand, x.digest(d, msg), x.hash)
}

// selectClientScheme is selectSignatureScheme for the client certificate
// cert, which check accepted.
func (c *Crypto) selectClientScheme(cert *Certificate, peerAccepted func(yield func(SignatureScheme) bool)) (SignatureScheme, bool) {
	return c.selectSignatureScheme(cert.signer().Public(), cert.SupportedSignatureAlgorithms, peerAccepted)
}

// keyAllowsScheme reports whether pub may be used with scheme in a TLS 1.3
// CertificateVerify, by an implementation in c. ECDSA schemes are bound to a
// curve, rsa_pss_rsae_* to an rsaEncryption key and rsa_pss_pss_* to an
// id-RSASSA-PSS key, see RFC 8446, Section 4.2.3.
func (c *Crypto) keyAllowsScheme(pub crypto.PublicKey, scheme SignatureScheme) bool {
	if _, _, ok := certificateVerifyParams(scheme); !ok {
		return false
	}
	v := c.signature(scheme)
	return v != nil && v.impl.Allows(pub)
}

// signatureWork is the memory a CertificateVerify needs, kept in the
// handshake state: the signed content and its digest.
type signatureWork struct {
	msg    [maxSignedContent]byte
	digest [64]byte
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

// verifyCertificateVerify checks the signature of a CertificateVerify message
// (RFC 8446, Section 4.4.3) made with pub, the key of the peer's end-entity
// certificate. server is true when the peer is the server. transcriptHash is
// Transcript-Hash(Handshake Context, Certificate).
//
// A scheme that is not allowed in TLS 1.3, that c does not implement, or
// that does not match pub is an illegal_parameter error, like crypto/tls; a
// signature that does not verify is decrypt_error (RFC 8446, Section 6.2).
//
// w is scratch memory for the signed content and its digest.
func (c *Crypto) verifyCertificateVerify(pub crypto.PublicKey, scheme SignatureScheme, server bool, transcriptHash, sig []byte, w *signatureWork) error {
	v := c.signature(scheme)
	if _, _, ok := certificateVerifyParams(scheme); !ok || v == nil {
		return newAlert(AlertIllegalParameter, "tls: signature algorithm "+scheme.String()+" not allowed in CertificateVerify")
	}
	if !v.impl.Allows(pub) {
		return newAlert(AlertIllegalParameter, "tls: CertificateVerify signature algorithm "+scheme.String()+" does not match the certificate key")
	}
	if len(transcriptHash) > sha512.Size {
		return newAlert(AlertInternalError, "tls: internal error: transcript hash too long")
	}
	msg := appendSignedContent(w.msg[:0], server, transcriptHash)
	if !v.impl.Verify(pub, msg, sig, &w.digest) {
		return newAlert(AlertDecryptError, "tls: invalid CertificateVerify signature")
	}
	return nil
}

// signCertificateVerify signs the client's CertificateVerify (RFC 8446,
// Section 4.4.3) with scheme, normally chosen by selectSignatureScheme.
// transcriptHash is Transcript-Hash(Handshake Context, Certificate).
func (c *Crypto) signCertificateVerify(signer crypto.Signer, scheme SignatureScheme, rand io.Reader, transcriptHash []byte, w *signatureWork) ([]byte, error) {
	v := c.signature(scheme)
	if _, _, ok := certificateVerifyParams(scheme); !ok || v == nil || !v.impl.CanSign(signer.Public()) {
		return nil, newAlert(AlertInternalError, "tls: client key cannot sign with the chosen signature algorithm")
	}
	if len(transcriptHash) > sha512.Size {
		return nil, newAlert(AlertInternalError, "tls: internal error: transcript hash too long")
	}
	msg := appendSignedContent(w.msg[:0], false, transcriptHash)
	sig, err := v.impl.Sign(signer, rand, msg, &w.digest)
	if err != nil {
		return nil, &AlertError{Alert: AlertInternalError, Msg: "tls: failed to sign CertificateVerify: " + err.Error(), Err: err}
	}
	return sig, nil
}

// selectSignatureScheme picks the scheme for a client CertificateVerify made
// with pub, among those the server accepts (the signature_algorithms of its
// CertificateRequest, RFC 8446, Section 4.3.2). Our preference (the order of
// c.Signatures) wins over the server's order. pub should be the key of the
// client certificate as parsed by parseSPKI, so that an id-RSASSA-PSS
// certificate gets an rsa_pss_pss_* scheme; a plain *rsa.PublicKey only gets
// rsa_pss_rsae_* schemes.
//
// allowed, if not nil, are the schemes the key may make, in our order of
// preference instead (Certificate.SupportedSignatureAlgorithms).
func (c *Crypto) selectSignatureScheme(pub crypto.PublicKey, allowed []SignatureScheme, peerAccepted func(yield func(SignatureScheme) bool)) (SignatureScheme, bool) {
	if peerAccepted == nil {
		return 0, false
	}
	var prefs [numCertificateVerifySchemes]SignatureScheme
	n := 0
	add := func(v *SignatureVerifier) {
		if _, _, ok := certificateVerifyParams(v.scheme); ok && n < len(prefs) && v.impl.Allows(pub) && !slices.Contains(prefs[:n], v.scheme) {
			prefs[n] = v.scheme
			n++
		}
	}
	if allowed != nil {
		for _, s := range allowed {
			if v := c.signature(s); v != nil {
				add(v)
			}
		}
	} else {
		for _, v := range c.Signatures {
			if v != nil {
				add(v)
			}
		}
	}
	best := n
	peerAccepted(func(scheme SignatureScheme) bool {
		if i := slices.Index(prefs[:best], scheme); i >= 0 {
			best = i
		}
		return best > 0
	})
	if best == n {
		return 0, false
	}
	return prefs[best], true
}
