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

// certificateVerifyPreference is every scheme usable in a TLS 1.3
// CertificateVerify. For our own key selectSignatureScheme follows the order
// of Config.Crypto.Signatures (for RSA, SHA-256 first in DefaultCrypto, as
// the most widely implemented).
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

// SignatureVerifier is the implementation of a signature algorithm, for
// Crypto.Signatures: it parses the server's public key from its certificate's
// SubjectPublicKeyInfo, checks the server's CertificateVerify, and signs the
// client's when a client certificate has a key of its kind.
type SignatureVerifier struct {
	schemes     []SignatureScheme // usable in a CertificateVerify, most preferred first
	certSchemes []SignatureScheme // listed in signature_algorithms only for certificate chains
	impl        signatureImpl
}

// Schemes are the CertificateVerify signature schemes it implements.
func (v *SignatureVerifier) Schemes() []SignatureScheme { return slices.Clone(v.schemes) }

// signatureImpl is one algorithm's code. Only the implementations a program
// names are linked.
type signatureImpl interface {
	// parseKey parses the key of a SubjectPublicKeyInfo whose algorithm
	// OID is oid; mine is false if the algorithm (or curve) is not this
	// implementation's.
	parseKey(oid string, params, key cryptobyte.String) (pub crypto.PublicKey, mine bool, err error)
	// allows reports whether pub may sign with scheme, one of the
	// verifier's schemes. It never panics, even on nil or zero keys.
	allows(pub crypto.PublicKey, scheme SignatureScheme) bool
	// verify checks sig over msg; allows(pub, scheme) is true. d has
	// room for a digest: arguments of interface calls escape, so callers
	// pass memory that is on the heap already rather than a local array.
	verify(pub crypto.PublicKey, scheme SignatureScheme, msg, sig []byte, d *[sha512.Size]byte) bool
	// signable reports whether our own key pub can sign with scheme. An
	// RSA signer may use rsa_pss_pss_* schemes if its certificate carries
	// an id-RSASSA-PSS key; checking that is up to whoever chose the
	// scheme.
	signable(pub crypto.PublicKey, scheme SignatureScheme) bool
	// sign signs msg with signer; signable(signer.Public(), scheme) is true.
	sign(signer crypto.Signer, scheme SignatureScheme, rand io.Reader, msg []byte, d *[sha512.Size]byte) ([]byte, error)
}

var (
	verifierECDSAP256 = SignatureVerifier{
		schemes: []SignatureScheme{SignatureSchemeEcdsaSecp256r1Sha256},
		impl:    ecdsaImpl{oidCurveP256, elliptic.P256, sum256},
	}
	verifierECDSAP384 = SignatureVerifier{
		schemes: []SignatureScheme{SignatureSchemeEcdsaSecp384r1Sha384},
		impl:    ecdsaImpl{oidCurveP384, elliptic.P384, sum384},
	}
	verifierEd25519 = SignatureVerifier{
		schemes: []SignatureScheme{SignatureSchemeEd25519},
		impl:    ed25519Impl{},
	}
	verifierPSSSHA256 = SignatureVerifier{
		schemes:     []SignatureScheme{SignatureSchemeRsaPssRsaeSha256, SignatureSchemeRsaPssPssSha256},
		certSchemes: []SignatureScheme{SignatureSchemeRsaPkcs1Sha256},
		impl:        rsaPSSImpl{crypto.SHA256, sum256},
	}
	verifierPSSSHA384 = SignatureVerifier{
		schemes:     []SignatureScheme{SignatureSchemeRsaPssRsaeSha384, SignatureSchemeRsaPssPssSha384},
		certSchemes: []SignatureScheme{SignatureSchemeRsaPkcs1Sha384},
		impl:        rsaPSSImpl{crypto.SHA384, sum384},
	}
	verifierPSSSHA512 = SignatureVerifier{
		schemes:     []SignatureScheme{SignatureSchemeRsaPssRsaeSha512, SignatureSchemeRsaPssPssSha512},
		certSchemes: []SignatureScheme{SignatureSchemeRsaPkcs1Sha512},
		impl:        rsaPSSImpl{crypto.SHA512, sum512},
	}
)

// ECDSAP256SHA256Verifier is ecdsa_secp256r1_sha256, for P-256 keys.
func ECDSAP256SHA256Verifier() *SignatureVerifier { return &verifierECDSAP256 }

// ECDSAP384SHA384Verifier is ecdsa_secp384r1_sha384, for P-384 keys.
func ECDSAP384SHA384Verifier() *SignatureVerifier { return &verifierECDSAP384 }

// Ed25519Verifier is ed25519 (RFC 8032).
func Ed25519Verifier() *SignatureVerifier { return &verifierEd25519 }

// PSSWithSHA256Verifier is rsa_pss_rsae_sha256 and rsa_pss_pss_sha256, for
// RSA keys. It also lists rsa_pkcs1_sha256 in signature_algorithms, which
// TLS 1.3 allows for certificate chains only (RFC 8446, Section 4.2.3):
// most of the WebPKI is still signed with sha256WithRSAEncryption.
func PSSWithSHA256Verifier() *SignatureVerifier { return &verifierPSSSHA256 }

// PSSWithSHA384Verifier is rsa_pss_rsae_sha384 and rsa_pss_pss_sha384 (and
// rsa_pkcs1_sha384 for certificate chains).
func PSSWithSHA384Verifier() *SignatureVerifier { return &verifierPSSSHA384 }

// PSSWithSHA512Verifier is rsa_pss_rsae_sha512 and rsa_pss_pss_sha512 (and
// rsa_pkcs1_sha512 for certificate chains).
func PSSWithSHA512Verifier() *SignatureVerifier { return &verifierPSSSHA512 }

// The digests of the signed content, into a caller's array so that they
// stay on the stack.
func sum256(out *[sha512.Size]byte, msg []byte) []byte {
	d := sha256.Sum256(msg)
	return append(out[:0], d[:]...)
}

func sum384(out *[sha512.Size]byte, msg []byte) []byte {
	d := sha512.Sum384(msg)
	return append(out[:0], d[:]...)
}

func sum512(out *[sha512.Size]byte, msg []byte) []byte {
	d := sha512.Sum512(msg)
	return append(out[:0], d[:]...)
}

// ecdsaImpl is ECDSA on one curve with the one hash TLS 1.3 pairs with it.
type ecdsaImpl struct {
	curveOID string
	curve    func() elliptic.Curve
	digest   func(*[sha512.Size]byte, []byte) []byte
}

// parseKey parses an uncompressed point on the named curve. See RFC 5480,
// Section 2.
func (x ecdsaImpl) parseKey(oid string, params, point cryptobyte.String) (crypto.PublicKey, bool, error) {
	if oid != oidPublicKeyECDSA {
		return nil, false, nil
	}
	var curveOID cryptobyte.String
	if !params.ReadASN1(&curveOID, asn1.OBJECT_IDENTIFIER) || !params.Empty() {
		return nil, true, malformedPublicKey()
	}
	if string(curveOID) != x.curveOID {
		return nil, false, nil
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(x.curve(), point)
	if err != nil {
		return nil, true, newAlert(AlertDescriptionBadCertificate, "tls: invalid certificate ECDSA public key")
	}
	return pub, true, nil
}

func (x ecdsaImpl) allows(pub crypto.PublicKey, _ SignatureScheme) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	return ok && k != nil && k.Curve == x.curve()
}

func (x ecdsaImpl) signable(pub crypto.PublicKey, scheme SignatureScheme) bool {
	return x.allows(pub, scheme)
}

func (x ecdsaImpl) verify(pub crypto.PublicKey, _ SignatureScheme, msg, sig []byte, d *[sha512.Size]byte) bool {
	return ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), x.digest(d, msg), sig)
}

func (x ecdsaImpl) sign(signer crypto.Signer, _ SignatureScheme, rand io.Reader, msg []byte, d *[sha512.Size]byte) ([]byte, error) {
	h := crypto.SHA256
	if x.curveOID == oidCurveP384 {
		h = crypto.SHA384
	}
	return signer.Sign(rand, x.digest(d, msg), h)
}

// ed25519Impl is PureEdDSA, with no prehash.
type ed25519Impl struct{}

// parseKey copies a 32-byte key. Parameters must be absent, see RFC 8410,
// Section 3.
func (ed25519Impl) parseKey(oid string, params, key cryptobyte.String) (crypto.PublicKey, bool, error) {
	if oid != oidPublicKeyEd25519 {
		return nil, false, nil
	}
	if !params.Empty() || len(key) != ed25519.PublicKeySize {
		return nil, true, malformedPublicKey()
	}
	return append(ed25519.PublicKey(nil), key...), true, nil
}

func (ed25519Impl) allows(pub crypto.PublicKey, _ SignatureScheme) bool {
	k, ok := pub.(ed25519.PublicKey)
	return ok && len(k) == ed25519.PublicKeySize
}

func (x ed25519Impl) signable(pub crypto.PublicKey, scheme SignatureScheme) bool {
	return x.allows(pub, scheme)
}

func (ed25519Impl) verify(pub crypto.PublicKey, _ SignatureScheme, msg, sig []byte, _ *[sha512.Size]byte) bool {
	return ed25519.Verify(pub.(ed25519.PublicKey), msg, sig)
}

func (ed25519Impl) sign(signer crypto.Signer, _ SignatureScheme, rand io.Reader, msg []byte, _ *[sha512.Size]byte) ([]byte, error) {
	return signer.Sign(rand, msg, crypto.Hash(0))
}

// rsaPSSImpl is RSASSA-PSS with one hash, for rsaEncryption keys
// (rsa_pss_rsae_*) and id-RSASSA-PSS keys (rsa_pss_pss_*).
type rsaPSSImpl struct {
	hash   crypto.Hash
	digest func(*[sha512.Size]byte, []byte) []byte
}

func (x rsaPSSImpl) parseKey(oid string, params, key cryptobyte.String) (crypto.PublicKey, bool, error) {
	switch oid {
	case oidPublicKeyRSA:
		pub, err := parseRSAEncryptionPublicKey(params, key)
		return pub, true, err
	case oidPublicKeyRSAPSS:
		pub, err := parseRSAPSSPublicKey(params, key)
		return pub, true, err
	}
	return nil, false, nil
}

func (x rsaPSSImpl) allows(pub crypto.PublicKey, scheme SignatureScheme) bool {
	pss := isRSAPSSPSS(scheme)
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return !pss && rsaKeyFitsPSS(k, x.hash)
	case *rsaPSSPublicKey:
		return pss && k != nil && (k.hash == 0 || k.hash == x.hash) && rsaKeyFitsPSS(k.pub, x.hash)
	}
	return false
}

func (x rsaPSSImpl) signable(pub crypto.PublicKey, scheme SignatureScheme) bool {
	if k, ok := pub.(*rsa.PublicKey); ok && isRSAPSSPSS(scheme) {
		pub = &rsaPSSPublicKey{pub: k}
	}
	return x.allows(pub, scheme)
}

func (x rsaPSSImpl) verify(pub crypto.PublicKey, _ SignatureScheme, msg, sig []byte, d *[sha512.Size]byte) bool {
	k, ok := pub.(*rsa.PublicKey)
	if !ok {
		k = pub.(*rsaPSSPublicKey).pub
	}
	return rsa.VerifyPSS(k, x.hash, x.digest(d, msg), sig, pssOptions) == nil
}

func (x rsaPSSImpl) sign(signer crypto.Signer, _ SignatureScheme, rand io.Reader, msg []byte, d *[sha512.Size]byte) ([]byte, error) {
	return signer.Sign(rand, x.digest(d, msg), &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: x.hash})
}

// rsaKeyFitsPSS reports whether pub is large enough for RSASSA-PSS with hash
// and a salt as long as the hash, which requires emLen >= 2*hLen + 2 (RFC
// 8017, Section 9.1.1).
func rsaKeyFitsPSS(pub *rsa.PublicKey, hash crypto.Hash) bool {
	return pub != nil && pub.N != nil && pub.N.Sign() > 0 && pub.Size() >= 2*hash.Size()+2
}

// pssOptions are the RSASSA-PSS parameters of TLS 1.3: the salt is as long
// as the hash. See RFC 8446, Section 4.2.3.
var pssOptions = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}

func isRSAPSSPSS(scheme SignatureScheme) bool {
	sigType, _, _ := certificateVerifyParams(scheme)
	return sigType == sigRSAPSSPSS
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
	return v != nil && v.impl.allows(pub, scheme)
}

// signatureWork is the memory a CertificateVerify needs, kept in the
// handshake state: the signed content and its digest.
type signatureWork struct {
	msg    [maxSignedContent]byte
	digest [sha512.Size]byte
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
		return newAlert(AlertDescriptionIllegalParameter, "tls: signature algorithm "+scheme.String()+" not allowed in CertificateVerify")
	}
	if !v.impl.allows(pub, scheme) {
		return newAlert(AlertDescriptionIllegalParameter, "tls: CertificateVerify signature algorithm "+scheme.String()+" does not match the certificate key")
	}
	if len(transcriptHash) > sha512.Size {
		return newAlert(AlertDescriptionInternalError, "tls: internal error: transcript hash too long")
	}
	msg := appendSignedContent(w.msg[:0], server, transcriptHash)
	if !v.impl.verify(pub, scheme, msg, sig, &w.digest) {
		return newAlert(AlertDescriptionDecryptError, "tls: invalid CertificateVerify signature")
	}
	return nil
}

// signCertificateVerify signs the client's CertificateVerify (RFC 8446,
// Section 4.4.3) with scheme, normally chosen by selectSignatureScheme.
// transcriptHash is Transcript-Hash(Handshake Context, Certificate).
func (c *Crypto) signCertificateVerify(signer crypto.Signer, scheme SignatureScheme, rand io.Reader, transcriptHash []byte, w *signatureWork) ([]byte, error) {
	v := c.signature(scheme)
	if _, _, ok := certificateVerifyParams(scheme); !ok || v == nil || !v.impl.signable(signer.Public(), scheme) {
		return nil, newAlert(AlertDescriptionInternalError, "tls: client key cannot sign with the chosen signature algorithm")
	}
	if len(transcriptHash) > sha512.Size {
		return nil, newAlert(AlertDescriptionInternalError, "tls: internal error: transcript hash too long")
	}
	msg := appendSignedContent(w.msg[:0], false, transcriptHash)
	sig, err := v.impl.sign(signer, scheme, rand, msg, &w.digest)
	if err != nil {
		return nil, newAlert(AlertDescriptionInternalError, "tls: failed to sign CertificateVerify: "+err.Error())
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
func (c *Crypto) selectSignatureScheme(pub crypto.PublicKey, peerAccepted func(yield func(SignatureScheme) bool)) (SignatureScheme, bool) {
	if peerAccepted == nil {
		return 0, false
	}
	var prefs [len(certificateVerifyPreference)]SignatureScheme
	n := 0
	for _, v := range c.Signatures {
		for _, s := range v.schemes {
			if n < len(prefs) && v.impl.allows(pub, s) {
				prefs[n] = s
				n++
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
