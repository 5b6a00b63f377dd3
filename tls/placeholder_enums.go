package tls

// TEMPORARY: stands in for tls/zz_generated_enums.go until the generator
// emits it. Same names, same values. Deleted when the generator lands.

type AlertDescription uint8

const (
	AlertDescriptionCloseNotify                  AlertDescription = 0
	AlertDescriptionUnexpectedMessage            AlertDescription = 10
	AlertDescriptionBadRecordMac                 AlertDescription = 20
	AlertDescriptionRecordOverflow               AlertDescription = 22
	AlertDescriptionHandshakeFailure             AlertDescription = 40
	AlertDescriptionBadCertificate               AlertDescription = 42
	AlertDescriptionUnsupportedCertificate       AlertDescription = 43
	AlertDescriptionCertificateRevoked           AlertDescription = 44
	AlertDescriptionCertificateExpired           AlertDescription = 45
	AlertDescriptionCertificateUnknown           AlertDescription = 46
	AlertDescriptionIllegalParameter             AlertDescription = 47
	AlertDescriptionUnknownCa                    AlertDescription = 48
	AlertDescriptionAccessDenied                 AlertDescription = 49
	AlertDescriptionDecodeError                  AlertDescription = 50
	AlertDescriptionDecryptError                 AlertDescription = 51
	AlertDescriptionProtocolVersion              AlertDescription = 70
	AlertDescriptionInsufficientSecurity         AlertDescription = 71
	AlertDescriptionInternalError                AlertDescription = 80
	AlertDescriptionInappropriateFallback        AlertDescription = 86
	AlertDescriptionUserCanceled                 AlertDescription = 90
	AlertDescriptionMissingExtension             AlertDescription = 109
	AlertDescriptionUnsupportedExtension         AlertDescription = 110
	AlertDescriptionUnrecognizedName             AlertDescription = 112
	AlertDescriptionBadCertificateStatusResponse AlertDescription = 113
	AlertDescriptionUnknownPskIdentity           AlertDescription = 115
	AlertDescriptionCertificateRequired          AlertDescription = 116
	AlertDescriptionNoApplicationProtocol        AlertDescription = 120
)

func (a AlertDescription) String() string { return "alert" }

type CipherSuite uint16

const (
	TLS_AES_128_GCM_SHA256       CipherSuite = 0x1301
	TLS_AES_256_GCM_SHA384       CipherSuite = 0x1302
	TLS_CHACHA20_POLY1305_SHA256 CipherSuite = 0x1303
)

type NamedGroup uint16

const (
	NamedGroupSecp256r1 NamedGroup = 0x0017
	NamedGroupSecp384r1 NamedGroup = 0x0018
	NamedGroupX25519    NamedGroup = 0x001d
	X25519MLKEM768      NamedGroup = 0x11ec
)

type SignatureScheme uint16

const (
	SignatureSchemeRsaPkcs1Sha256       SignatureScheme = 0x0401
	SignatureSchemeRsaPkcs1Sha384       SignatureScheme = 0x0501
	SignatureSchemeRsaPkcs1Sha512       SignatureScheme = 0x0601
	SignatureSchemeEcdsaSecp256r1Sha256 SignatureScheme = 0x0403
	SignatureSchemeEcdsaSecp384r1Sha384 SignatureScheme = 0x0503
	SignatureSchemeEcdsaSecp521r1Sha512 SignatureScheme = 0x0603
	SignatureSchemeRsaPssRsaeSha256     SignatureScheme = 0x0804
	SignatureSchemeRsaPssRsaeSha384     SignatureScheme = 0x0805
	SignatureSchemeRsaPssRsaeSha512     SignatureScheme = 0x0806
	SignatureSchemeEd25519              SignatureScheme = 0x0807
	SignatureSchemeRsaPssPssSha256      SignatureScheme = 0x0809
	SignatureSchemeRsaPssPssSha384      SignatureScheme = 0x080a
	SignatureSchemeRsaPssPssSha512      SignatureScheme = 0x080b
)

type ContentType uint8

const (
	ContentTypeChangeCipherSpec ContentType = 20
	ContentTypeAlert            ContentType = 21
	ContentTypeHandshake        ContentType = 22
	ContentTypeApplicationData  ContentType = 23
)
