package tls

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
)

// Verifier authenticates the server. chain is the server's certificate_list,
// leaf first, DER.
//
// Verify returns the public key of the leaf certificate, with which the
// server's CertificateVerify is then checked: a *ecdsa.PublicKey on P-256 or
// P-384 or P-521, an ed25519.PublicKey or a *rsa.PublicKey (for the rsa_pss_rsae_*
// schemes), or the leaf's SubjectPublicKeyInfo, which the connection parses
// with the signature algorithms of Config.Crypto (as PinVerifier does, so
// that firmware links only the key parser it uses). If the returned error
// is an *AlertError its alert is sent to the server, otherwise the client
// sends bad_certificate.
//
// chain and its elements may be reused after Verify returns; Verify must not
// retain them. A returned SubjectPublicKeyInfo may alias chain.
type Verifier interface {
	// Verify authenticates chain, the server's certificates (DER, leaf
	// first), for serverName, and returns the leaf's public key.
	Verify(serverName string, chain [][]byte) (crypto.PublicKey, error)
}

// PinVerifier authenticates the server by the SHA-256 hash of its leaf
// certificate's SubjectPublicKeyInfo, like HPKP (RFC 7469) and curl's
// --pinnedpubkey. Nothing else is checked: not the server name, the
// validity period, the issuer or the rest of the chain. It needs no clock and
// no root certificates.
type PinVerifier struct {
	pins [][pinLen]byte // the base64 of each pin, as PinSHA256 spells it
}

const (
	pinPrefix = "sha256/"
	pinLen    = (sha256.Size + 2) / 3 * 4 // padded base64 of a SHA-256 hash
	base64Std = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
)

// NewPinVerifier returns a Verifier accepting a server whose leaf public key
// matches one of pins, each "sha256/" followed by the standard, padded base64
// encoding of the SHA-256 hash of a DER SubjectPublicKeyInfo, as returned by
// PinSHA256. curl's "sha256//" spelling is accepted too. At least one pin is
// required.
func NewPinVerifier(pins ...string) (*PinVerifier, error) {
	if len(pins) == 0 {
		return nil, errors.New("tls: NewPinVerifier needs at least one pin")
	}
	v := &PinVerifier{pins: make([][pinLen]byte, len(pins))}
	for i, pin := range pins {
		if !parsePin(&v.pins[i], pin) {
			return nil, errors.New("tls: invalid public key pin " + pin + `: want "sha256/" and the base64 SHA-256 of the SubjectPublicKeyInfo`)
		}
	}
	return v, nil
}

// parsePin checks "sha256/BASE64" (or curl's "sha256//BASE64") and copies
// BASE64 into out. It checks the base64 rather than decoding it, as Verify
// compares the encoding of the server's hash: firmware that pins a key links
// the stdlib's base64 encoder only, not its decoder (and the strconv its
// error message brings).
func parsePin(out *[pinLen]byte, pin string) bool {
	b64, ok := strings.CutPrefix(pin, pinPrefix)
	if !ok {
		return false
	}
	if len(b64) == pinLen+1 {
		b64, _ = strings.CutPrefix(b64, "/")
	}
	if len(b64) != pinLen || b64[pinLen-1] != '=' {
		return false
	}
	for i := range pinLen - 1 {
		if strings.IndexByte(base64Std, b64[i]) < 0 {
			return false
		}
	}
	// 43 characters carry 258 bits: the last one ends in the 2 zero bits
	// of the canonical encoding, the only one PinSHA256 gives.
	if strings.IndexByte(base64Std, b64[pinLen-2])&3 != 0 {
		return false
	}
	copy(out[:], b64)
	return true
}

// PinSHA256 returns the pin of a DER SubjectPublicKeyInfo: "sha256/" followed
// by the base64 SHA-256 hash of spki.
func PinSHA256(spki []byte) string {
	sum := sha256.Sum256(spki)
	return pinPrefix + base64.StdEncoding.EncodeToString(sum[:])
}

// PinFromCertificate returns the pin of the public key of a DER X.509
// certificate.
func PinFromCertificate(der []byte) (string, error) {
	spki, err := certificateSPKI(der)
	if err != nil {
		return "", err
	}
	return PinSHA256(spki), nil
}

// Verify implements Verifier. serverName is ignored: the pin alone
// identifies the server. A key that matches no pin is a bad_certificate
// *AlertError whose cause is a *PinMismatchError with the server's pin.
func (v *PinVerifier) Verify(serverName string, chain [][]byte) (crypto.PublicKey, error) {
	spki, err := leafSPKI(chain)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(spki)
	var got [pinLen]byte
	base64.StdEncoding.Encode(got[:], sum[:])
	match := 0
	for i := range v.pins {
		match |= subtle.ConstantTimeCompare(got[:], v.pins[i][:])
	}
	if match != 1 {
		pe := &PinMismatchError{Pin: pinPrefix + string(got[:])}
		return nil, &AlertError{Alert: AlertBadCertificate, Msg: pe.Error(), Err: pe}
	}
	return SubjectPublicKeyInfo(spki), nil
}

// leafSPKI returns the SubjectPublicKeyInfo of the first certificate of
// chain. An empty chain is a decode_error, see RFC 8446, Section 4.4.2.4.
func leafSPKI(chain [][]byte) ([]byte, error) {
	if len(chain) == 0 {
		return nil, newAlert(AlertDecodeError, "tls: server sent an empty certificate chain")
	}
	return certificateSPKI(chain[0])
}

// insecureVerifier accepts any server, for Config.InsecureSkipVerify. It only
// extracts the leaf key, so that the CertificateVerify still proves the
// server holds it.
type insecureVerifier struct{}

func (insecureVerifier) Verify(serverName string, chain [][]byte) (crypto.PublicKey, error) {
	spki, err := leafSPKI(chain)
	if err != nil {
		return nil, err
	}
	return SubjectPublicKeyInfo(spki), nil
}

var (
	_ Verifier = (*PinVerifier)(nil)
	_ Verifier = insecureVerifier{}
)
