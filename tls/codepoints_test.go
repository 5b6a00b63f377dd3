package tls

import (
	"testing"

	"github.com/tabletls/tabletls/internal/wire"
)

// TestCodePointsMatchWire: the crypto/tls-style code points of package
// tls are converted to internal/wire's registries by value, so each must
// be the same number as the registry's, and name itself as the RFC does.
func TestCodePointsMatchWire(t *testing.T) {
	for _, c := range []struct {
		tls  CurveID
		wire wire.NamedGroup
		name string
	}{
		{CurveP256, wire.NamedGroupSecp256r1, "secp256r1"},
		{CurveP384, wire.NamedGroupSecp384r1, "secp384r1"},
		{CurveP521, wire.NamedGroupSecp521r1, "secp521r1"},
		{X25519, wire.NamedGroupX25519, "x25519"},
		{X25519MLKEM768, wire.X25519MLKEM768, "X25519MLKEM768"},
	} {
		if uint16(c.tls) != uint16(c.wire) || c.tls.String() != c.name {
			t.Errorf("CurveID %d (%s) against wire %d, want %s", c.tls, c.tls, c.wire, c.name)
		}
	}
	if got := CurveID(0x1234).String(); got != "CurveID(0x1234)" {
		t.Errorf("unknown CurveID: %q", got)
	}
	for _, c := range []struct {
		id   uint16
		wire wire.CipherSuite
	}{
		{TLS_AES_128_GCM_SHA256, wire.TLS_AES_128_GCM_SHA256},
		{TLS_AES_256_GCM_SHA384, wire.TLS_AES_256_GCM_SHA384},
		{TLS_CHACHA20_POLY1305_SHA256, wire.TLS_CHACHA20_POLY1305_SHA256},
	} {
		if c.id != uint16(c.wire) || CipherSuiteName(c.id) != c.wire.String() {
			t.Errorf("suite %#04x %s against wire %#04x %s", c.id, CipherSuiteName(c.id), uint16(c.wire), c.wire)
		}
	}
	if got := CipherSuiteName(0x1304); got != "0x1304" {
		t.Errorf("CipherSuiteName(0x1304) = %q (CCM is not offered, so not named)", got)
	}
	for _, c := range []struct {
		tls  SignatureScheme
		wire wire.SignatureScheme
	}{
		{PKCS1WithSHA256, wire.SignatureSchemeRsaPkcs1Sha256},
		{PKCS1WithSHA384, wire.SignatureSchemeRsaPkcs1Sha384},
		{PKCS1WithSHA512, wire.SignatureSchemeRsaPkcs1Sha512},
		{PSSWithSHA256, wire.SignatureSchemeRsaPssRsaeSha256},
		{PSSWithSHA384, wire.SignatureSchemeRsaPssRsaeSha384},
		{PSSWithSHA512, wire.SignatureSchemeRsaPssRsaeSha512},
		{ECDSAWithP256AndSHA256, wire.SignatureSchemeEcdsaSecp256r1Sha256},
		{ECDSAWithP384AndSHA384, wire.SignatureSchemeEcdsaSecp384r1Sha384},
		{ECDSAWithP521AndSHA512, wire.SignatureSchemeEcdsaSecp521r1Sha512},
		{Ed25519, wire.SignatureSchemeEd25519},
		{pssPSSWithSHA256, wire.SignatureSchemeRsaPssPssSha256},
		{pssPSSWithSHA384, wire.SignatureSchemeRsaPssPssSha384},
		{pssPSSWithSHA512, wire.SignatureSchemeRsaPssPssSha512},
	} {
		if uint16(c.tls) != uint16(c.wire) || c.tls.String() != c.wire.String() {
			t.Errorf("SignatureScheme %#04x %s against wire %#04x %s", uint16(c.tls), c.tls, uint16(c.wire), c.wire)
		}
	}
	// Every alert of the registry, by value and name.
	n := 0
	for v := 0; v < 256; v++ {
		w := wire.AlertDescription(v)
		if !w.IsKnown() {
			continue
		}
		n++
		if got := AlertDescription(v).String(); got != w.String() {
			t.Errorf("alert %d: %s, want %s", v, got, w)
		}
	}
	for _, c := range []struct {
		tls  AlertDescription
		wire wire.AlertDescription
	}{
		{AlertCloseNotify, wire.AlertDescriptionCloseNotify}, {AlertUnexpectedMessage, wire.AlertDescriptionUnexpectedMessage},
		{AlertBadRecordMAC, wire.AlertDescriptionBadRecordMac}, {AlertRecordOverflow, wire.AlertDescriptionRecordOverflow},
		{AlertHandshakeFailure, wire.AlertDescriptionHandshakeFailure}, {AlertBadCertificate, wire.AlertDescriptionBadCertificate},
		{AlertUnsupportedCertificate, wire.AlertDescriptionUnsupportedCertificate}, {AlertCertificateRevoked, wire.AlertDescriptionCertificateRevoked},
		{AlertCertificateExpired, wire.AlertDescriptionCertificateExpired}, {AlertCertificateUnknown, wire.AlertDescriptionCertificateUnknown},
		{AlertIllegalParameter, wire.AlertDescriptionIllegalParameter}, {AlertUnknownCA, wire.AlertDescriptionUnknownCa},
		{AlertAccessDenied, wire.AlertDescriptionAccessDenied}, {AlertDecodeError, wire.AlertDescriptionDecodeError},
		{AlertDecryptError, wire.AlertDescriptionDecryptError}, {AlertProtocolVersion, wire.AlertDescriptionProtocolVersion},
		{AlertInsufficientSecurity, wire.AlertDescriptionInsufficientSecurity}, {AlertInternalError, wire.AlertDescriptionInternalError},
		{AlertInappropriateFallback, wire.AlertDescriptionInappropriateFallback}, {AlertUserCanceled, wire.AlertDescriptionUserCanceled},
		{AlertMissingExtension, wire.AlertDescriptionMissingExtension}, {AlertUnsupportedExtension, wire.AlertDescriptionUnsupportedExtension},
		{AlertUnrecognizedName, wire.AlertDescriptionUnrecognizedName}, {AlertBadCertificateStatusResponse, wire.AlertDescriptionBadCertificateStatusResponse},
		{AlertUnknownPSKIdentity, wire.AlertDescriptionUnknownPskIdentity}, {AlertCertificateRequired, wire.AlertDescriptionCertificateRequired},
		{AlertNoApplicationProtocol, wire.AlertDescriptionNoApplicationProtocol},
	} {
		if uint8(c.tls) != uint8(c.wire) {
			t.Errorf("%s is %d, wire has %d", c.tls, c.tls, c.wire)
		}
	}
	if n != 27 {
		t.Errorf("the alert registry has %d values; package tls names 27", n)
	}
	if VersionTLS13 != 0x0304 {
		t.Error("VersionTLS13")
	}
}
