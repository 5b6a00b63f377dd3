// Package rfc8448 exposes the RFC 8448 example handshake traces as typed
// test vectors. The JSON is a copy of shared/reference/rfc8448-vectors.json
// (every value in it was checked cryptographically; see that file's README),
// embedded so that tests run on a clean checkout with nothing beside it.
package rfc8448

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"math/big"
)

//go:embed vectors.json
var raw []byte

// Record is one TLS record of a trace, as sent on the wire.
type Record struct {
	Sender            string   `json:"sender"`             // "client" or "server"
	InnerContentType  string   `json:"inner_content_type"` // "handshake", "alert", ...
	Protection        string   `json:"protection"`         // "none" or "AES-128-GCM"
	Key               string   `json:"key"`                // name of the write key value
	IV                string   `json:"iv"`                 // name of the write IV value
	SequenceNumber    uint64   `json:"sequence_number"`
	HandshakeMessages []string `json:"handshake_messages"`
	PayloadHex        string   `json:"payload"`
	CompleteRecordHex string   `json:"complete_record"`
}

// Payload is the record's plaintext content (without inner content type).
func (r Record) Payload() []byte { return mustHex(r.PayloadHex) }

// Wire is the complete record as sent.
func (r Record) Wire() []byte { return mustHex(r.CompleteRecordHex) }

// Section is one trace (RFC 8448 sections 3 to 7).
type Section struct {
	Title           string            `json:"title"`
	Values          map[string]string `json:"values"`
	TranscriptOrder []string          `json:"transcript_order"`
	Records         []Record          `json:"records"`
}

// Has reports whether the section defines the named value.
func (s *Section) Has(name string) bool { _, ok := s.Values[name]; return ok }

// Value returns the named value's bytes; it panics if the name is unknown,
// which in a test is a bug in the test.
func (s *Section) Value(name string) []byte {
	h, ok := s.Values[name]
	if !ok {
		panic("rfc8448: no value " + name + " in section " + s.Title)
	}
	return mustHex(h)
}

// RSAKey is the server's RSA key from RFC 8448 section 2, as big integers.
type RSAKey struct {
	Modulus, PublicExponent, PrivateExponent, Prime1, Prime2 *big.Int
}

type file struct {
	Sections     map[string]*Section `json:"sections"`
	ServerRSAKey map[string]string   `json:"server_rsa_private_key"`
}

var parsed file

func init() {
	if err := json.Unmarshal(raw, &parsed); err != nil {
		panic("rfc8448: " + err.Error())
	}
}

// Get returns section n (3 Simple 1-RTT, 4 Resumed 0-RTT, 5 HelloRetryRequest,
// 6 Client Authentication, 7 Compatibility Mode).
func Get(n int) *Section {
	s := parsed.Sections[string(rune('0'+n))]
	if s == nil {
		panic("rfc8448: no section")
	}
	return s
}

// ServerRSAKey returns the RSA key of section 2.
func ServerRSAKey() RSAKey {
	b := func(name string) *big.Int { return new(big.Int).SetBytes(mustHex(parsed.ServerRSAKey[name])) }
	return RSAKey{b("modulus"), b("public_exponent"), b("private_exponent"), b("prime1"), b("prime2")}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("rfc8448: bad hex: " + err.Error())
	}
	return b
}
