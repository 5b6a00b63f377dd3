package tls

import (
	"crypto/cipher"
	"encoding/binary"
	"github.com/tabletls/tabletls/internal/wire"
	"math"
)

// This file implements TLS 1.3 record protection, RFC 8446, Sections 5.2
// and 5.3: one recordCipher per direction and per traffic key.

const (
	recordHeaderLen = 5 // ContentType, legacy_record_version, length

	// maxPlaintext is the largest TLSPlaintext.fragment (RFC 8446, Section
	// 5.1).
	maxPlaintext = 1 << 14
	// maxInnerPlaintext is the largest TLSInnerPlaintext: content plus the
	// content type byte plus padding (Section 5.2).
	maxInnerPlaintext = maxPlaintext + 1
	// maxCiphertext is the largest TLSCiphertext.length (Section 5.2).
	maxCiphertext = maxPlaintext + 256
)

// recordCipher protects the records of one direction under one traffic key.
//
// It does not allocate after setKey: the per-record nonce is built in a
// field rather than a local array, because a slice passed to a method of the
// cipher.AEAD interface escapes and would be moved to the heap on every call.
//
// x stays keyed with the direction's traffic secret, so that the next
// secret (KeyUpdate) and the Finished key come from the HMAC that derived
// the key and IV, and a key change keys one HMAC, not two. (Client's
// engines let it go when idle, for memory: their key change keys two.)
type recordCipher struct {
	aead  cipher.AEAD
	iv    [aeadNonceLength]byte // [sender]_write_iv
	seq   uint64                // sequence number of the next record
	nonce [aeadNonceLength]byte // scratch for the per-record nonce
	x     expander              // keyed with the traffic secret
}

// setKey installs the key and IV derived from trafficSecret (RFC 8446,
// Section 7.3) and resets the sequence number to 0, as Section 5.3 requires
// for every new key.
//
// It allocates what the standard library allocates for a new key: the
// HMAC of the secret (3 allocations, see hmacHashes) and the AEAD
// (crypto/aes and crypto/cipher.NewGCM: 2; chacha20poly1305.New: 1), none
// of which can be re-keyed in place.
func (rc *recordCipher) setKey(suite *Suite, trafficSecret []byte) error {
	rc.x.init(suite.hash, trafficSecret)
	scratch := &rc.x.hashes.key
	key, _ := suite.trafficKeyWith(&rc.x, scratch[:0], rc.iv[:0])
	aead, err := suite.newAEAD(key)
	clear(scratch[:])
	if err != nil {
		return newAlert(AlertInternalError, "tls: cannot create record cipher: "+err.Error())
	}
	rc.aead = aead
	rc.seq = 0
	return nil
}

// nextKey replaces trafficSecret, the one installed, with
// application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic
// upd", "", Hash.length) (RFC 8446, Section 7.2, on KeyUpdate), and
// installs it.
func (rc *recordCipher) nextKey(suite *Suite, trafficSecret []byte) error {
	if rc.x.mac == nil { // let go (Client's idle connections)
		rc.x.init(suite.hash, trafficSecret)
	}
	rc.x.expandLabel(trafficSecret[:0], labelTrafficUpdate, nil, len(trafficSecret))
	return rc.setKey(suite, trafficSecret)
}

// finishedVerifyData appends the Finished verify_data of the installed
// (handshake) traffic secret over transcriptHash (RFC 8446, Section
// 4.4.4). The HMAC of the secret is then spent: the next key comes with
// setKey.
func (rc *recordCipher) finishedVerifyData(dst []byte, suite *Suite, transcriptHash []byte) []byte {
	return rc.x.finishedVerifyData(dst, suite.hash, transcriptHash)
}

// sealedLen is the size of the record that seal produces for a payload of
// n bytes and the given padding.
func (rc *recordCipher) sealedLen(n, padding int) int {
	return recordHeaderLen + n + 1 + padding + rc.aead.Overhead()
}

// nextNonce builds the per-record nonce of RFC 8446, Section 5.3 in
// rc.nonce: the 64-bit sequence number in network byte order, left-padded
// with zeros to iv_length, XORed with the write IV. It refuses to use the
// last sequence number, so that seq can never wrap: Section 5.3 says
// sequence numbers MUST NOT wrap; a connection has to rekey (KeyUpdate)
// long before, and the AEAD limits of Section 5.5 are far lower anyway.
func (rc *recordCipher) nextNonce() error {
	if rc.seq == math.MaxUint64 {
		return newAlert(AlertInternalError, "tls: record sequence number exhausted")
	}
	rc.nonce = rc.iv
	var seq [8]byte
	binary.BigEndian.PutUint64(seq[:], rc.seq)
	for i, b := range seq {
		rc.nonce[aeadNonceLength-8+i] ^= b
	}
	return nil
}

// seal appends to out one complete protected record (RFC 8446, Section 5.2)
// carrying payload with inner content type contentType, followed by padding
// zero bytes, and returns the extended slice:
//
//	opaque_type = application_data (23)
//	legacy_record_version = 0x0303
//	length
//	encrypted_record = AEAD-Encrypt(key, nonce, header, payload || type || zeros)
//
// It does not allocate when out has room for sealedLen(len(payload),
// padding) more bytes. payload may overlap that room only if it starts
// exactly where the record body will (out[len(out)+5:]), which lets callers
// encrypt in place.
func (rc *recordCipher) seal(out []byte, contentType wire.ContentType, payload []byte, padding int) ([]byte, error) {
	n := len(payload) + 1 + padding
	if padding < 0 || n > maxInnerPlaintext {
		return out, newAlert(AlertInternalError, "tls: record payload too large")
	}
	if err := rc.nextNonce(); err != nil {
		return out, err
	}
	ret, rec := extendSlice(out, rc.sealedLen(len(payload), padding))
	// The header of the TLSCiphertext (§5.2), in front of the
	// encrypted_record that is sealed in place behind it.
	h := wire.RecordHeader{Type: wire.ContentTypeApplicationData, LegacyRecordVersion: 0x0303, Length: uint16(len(rec) - recordHeaderLen)}
	if _, err := h.Append(rec[:0]); err != nil {
		return out, err
	}

	inner := rec[recordHeaderLen : recordHeaderLen+n]
	copy(inner, payload)
	inner[len(payload)] = byte(contentType)
	clear(inner[len(payload)+1:])

	// The additional data is the record header (Section 5.2).
	rc.aead.Seal(inner[:0], rc.nonce[:], inner, rec[:recordHeaderLen])
	rc.seq++
	return ret, nil
}

// open decrypts one complete protected record (header included) and returns
// its inner content type and content, with the padding removed. The
// plaintext is appended to dst; pass record[5:][:0] to decrypt in place,
// which is the only way to avoid an allocation.
//
// The record's outer content type must be application_data; callers handle
// plaintext change_cipher_spec records (Section 5) before calling open.
// On error the sequence number is not advanced; every error is fatal for the
// connection anyway.
func (rc *recordCipher) open(record []byte, dst []byte) (contentType wire.ContentType, plaintext []byte, err error) {
	var ct wire.TLSCiphertext
	if ct.Unmarshal(record) != nil {
		return 0, nil, newAlert(AlertDecodeError, "tls: truncated record, or its length does not match its header")
	}
	if ct.OpaqueType != wire.ContentTypeApplicationData {
		return 0, nil, newAlert(AlertUnexpectedMessage, "tls: unprotected record after keys were installed")
	}
	length := int(ct.Length)
	// Section 5.2: "The length MUST NOT exceed 2^14 + 256 bytes. An endpoint
	// that receives a record that exceeds this length MUST terminate the
	// connection with a record_overflow alert."
	if length > maxCiphertext {
		return 0, nil, newAlert(AlertRecordOverflow, "tls: oversized record received")
	}
	if err := rc.nextNonce(); err != nil {
		return 0, nil, err
	}
	// The additional data is the record header: what is in front of
	// encrypted_record.
	header := record[:len(record)-len(ct.EncryptedRecord)]
	plaintext, err = rc.aead.Open(dst, rc.nonce[:], ct.EncryptedRecord, header)
	if err != nil {
		return 0, nil, newAlert(AlertBadRecordMAC, "tls: record authentication failed")
	}
	if len(plaintext) > maxInnerPlaintext {
		return 0, nil, newAlert(AlertRecordOverflow, "tls: oversized record plaintext")
	}
	// Strip the zero padding: the content type is the last non-zero byte
	// (Section 5.4). Padding length is not secret enough to warrant a
	// constant-time scan; crypto/tls makes the same choice.
	i := len(plaintext) - 1
	for i >= 0 && plaintext[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, newAlert(AlertUnexpectedMessage, "tls: record has no content type")
	}
	rc.seq++
	return wire.ContentType(plaintext[i]), plaintext[:i], nil
}
