package tls

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/tabletls/tabletls/internal/rfc8448"
	"github.com/tabletls/tabletls/internal/wire"
)

var rcInnerTypes = map[string]wire.ContentType{
	"handshake":          wire.ContentTypeHandshake,
	"application_data":   wire.ContentTypeApplicationData,
	"alert":              wire.ContentTypeAlert,
	"change_cipher_spec": wire.ContentTypeChangeCipherSpec,
}

// rcTrafficSecretForKey maps a vector's write key name to the traffic secret
// it is derived from.
var rcTrafficSecretForKey = map[string]string{
	"client_early_write_key":       "client_early_traffic_secret",
	"client_handshake_write_key":   "client_handshake_traffic_secret",
	"server_handshake_write_key":   "server_handshake_traffic_secret",
	"client_application_write_key": "client_application_traffic_secret_0",
	"server_application_write_key": "server_application_traffic_secret_0",
}

func ksWantAlert(t *testing.T, err error, want AlertDescription) {
	t.Helper()
	var ae *AlertError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an *AlertError", err)
	}
	if ae.Alert != want {
		t.Fatalf("alert %d (%v), want %d", ae.Alert, err, want)
	}
}

// TestRecordsRFC8448 decrypts every protected record of RFC 8448 sections 3
// to 7 with keys derived by our key schedule, and re-encrypts each payload
// to the exact bytes on the wire. The records carry no padding.
func TestRecordsRFC8448(t *testing.T) {
	suite := suiteByID(TLS_AES_128_GCM_SHA256)
	for n := 3; n <= 7; n++ {
		sec := rfc8448.Get(n)
		t.Run("section"+strconv.Itoa(n), func(t *testing.T) {
			secrets := ksTraceSecrets(t, sec)
			protected := 0
			for i, r := range sec.Records {
				if r.Protection == "none" {
					continue
				}
				protected++
				secretName, ok := rcTrafficSecretForKey[r.Key]
				if !ok {
					t.Fatalf("record %d: unknown key %q", i, r.Key)
				}
				secret := secrets[secretName]
				wantType := rcInnerTypes[r.InnerContentType]
				raw := r.Wire()

				var opener recordCipher
				if err := opener.setKey(suite, secret); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(opener.iv[:], sec.Value(r.IV)) {
					t.Errorf("record %d: iv %x, want %s %x", i, opener.iv, r.IV, sec.Value(r.IV))
				}
				opener.seq = r.SequenceNumber
				rec := bytes.Clone(raw)
				typ, pt, err := opener.open(rec, rec[recordHeaderLen:][:0])
				if err != nil {
					t.Fatalf("record %d (%s seq %d): %v", i, r.Key, r.SequenceNumber, err)
				}
				if typ != wantType || !bytes.Equal(pt, r.Payload()) {
					t.Errorf("record %d: got type %d payload %x, want type %d payload %x", i, typ, pt, wantType, r.Payload())
				}
				if opener.seq != r.SequenceNumber+1 {
					t.Errorf("record %d: seq %d after open, want %d", i, opener.seq, r.SequenceNumber+1)
				}

				var sealer recordCipher
				if err := sealer.setKey(suite, secret); err != nil {
					t.Fatal(err)
				}
				sealer.seq = r.SequenceNumber
				got, err := sealer.seal(nil, wantType, r.Payload(), 0)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, raw) {
					t.Errorf("record %d: seal gives\n%x\nwant\n%x", i, got, raw)
				}
			}
			if protected == 0 {
				t.Fatal("no protected records in section")
			}
		})
	}
}

func newRCPair(t testing.TB, id uint16) (sealer, opener *recordCipher) {
	t.Helper()
	suite := suiteByID(id)
	secret := make([]byte, suite.hash.Size())
	for i := range secret {
		secret[i] = byte(i)
	}
	sealer, opener = new(recordCipher), new(recordCipher)
	if err := sealer.setKey(suite, secret); err != nil {
		t.Fatal(err)
	}
	if err := opener.setKey(suite, secret); err != nil {
		t.Fatal(err)
	}
	return sealer, opener
}

func TestRecordRoundTrip(t *testing.T) {
	for _, id := range defaultCipherSuites {
		sealer, opener := newRCPair(t, id)
		for _, tc := range []struct {
			payloadLen, padding int
		}{{0, 0}, {1, 0}, {0, 10}, {100, 7}, {maxPlaintext, 0}, {maxPlaintext - 100, 100}, {0, maxPlaintext}} {
			payload := bytes.Repeat([]byte{0xab}, tc.payloadLen)
			out := []byte("prefix")
			out, err := sealer.seal(out, wire.ContentTypeHandshake, payload, tc.padding)
			if err != nil {
				t.Fatalf("%v %+v: %v", id, tc, err)
			}
			if string(out[:6]) != "prefix" {
				t.Fatal("seal did not append")
			}
			rec := out[6:]
			if len(rec) != sealer.sealedLen(tc.payloadLen, tc.padding) {
				t.Errorf("record length %d, sealedLen %d", len(rec), sealer.sealedLen(tc.payloadLen, tc.padding))
			}
			if rec[0] != 23 || rec[1] != 3 || rec[2] != 3 || int(rec[3])<<8|int(rec[4]) != len(rec)-5 {
				t.Errorf("bad record header % x", rec[:5])
			}
			typ, pt, err := opener.open(rec, rec[5:][:0])
			if err != nil {
				t.Fatalf("%v %+v: %v", id, tc, err)
			}
			if typ != wire.ContentTypeHandshake || !bytes.Equal(pt, payload) {
				t.Errorf("%v %+v: roundtrip mismatch", id, tc)
			}
			if &pt[:1][0] != &rec[5] {
				t.Errorf("open did not decrypt in place")
			}
		}
	}
}

// TestRecordSealInPlace encrypts a payload that already sits where the
// record body goes.
func TestRecordSealInPlace(t *testing.T) {
	sealer, opener := newRCPair(t, TLS_AES_128_GCM_SHA256)
	payload := []byte("in-place payload")
	buf := make([]byte, 0, 100)
	body := buf[recordHeaderLen : recordHeaderLen+len(payload)]
	copy(body, payload)
	rec, err := sealer.seal(buf, wire.ContentTypeApplicationData, body, 3)
	if err != nil {
		t.Fatal(err)
	}
	typ, pt, err := opener.open(rec, nil)
	if err != nil || typ != wire.ContentTypeApplicationData || !bytes.Equal(pt, payload) {
		t.Fatalf("got %v %q %v", typ, pt, err)
	}
}

func TestRecordOpenErrors(t *testing.T) {
	sealer, _ := newRCPair(t, TLS_AES_128_GCM_SHA256)
	good, err := sealer.seal(nil, wire.ContentTypeApplicationData, []byte("hello"), 0)
	if err != nil {
		t.Fatal(err)
	}
	open := func(rec []byte) error {
		_, opener := newRCPair(t, TLS_AES_128_GCM_SHA256)
		_, _, err := opener.open(bytes.Clone(rec), nil)
		if err != nil && opener.seq != 0 {
			t.Error("seq advanced on a failed open")
		}
		return err
	}
	if err := open(good); err != nil {
		t.Fatal(err)
	}

	badTag := bytes.Clone(good)
	badTag[len(badTag)-1] ^= 0x80
	ksWantAlert(t, open(badTag), AlertBadRecordMAC)

	badHeader := bytes.Clone(good)
	badHeader[2] = 1 // legacy_record_version is authenticated as AAD
	ksWantAlert(t, open(badHeader), AlertBadRecordMAC)

	// A tag-only ciphertext is too short to hold the content type.
	ksWantAlert(t, open([]byte{23, 3, 3, 0, 3, 1, 2, 3}), AlertBadRecordMAC)

	oversize := make([]byte, recordHeaderLen+maxCiphertext+1)
	oversize[0], oversize[1], oversize[2] = 23, 3, 3
	binary.BigEndian.PutUint16(oversize[3:5], maxCiphertext+1)
	ksWantAlert(t, open(oversize), AlertRecordOverflow)

	ksWantAlert(t, open(good[:3]), AlertDecodeError)
	ksWantAlert(t, open(good[:len(good)-1]), AlertDecodeError)

	plain := bytes.Clone(good)
	plain[0] = byte(wire.ContentTypeHandshake)
	ksWantAlert(t, open(plain), AlertUnexpectedMessage)
}

// rcForgeRecord encrypts an arbitrary inner plaintext with rc's key and next
// nonce, bypassing seal's checks, to build records seal refuses to make.
func rcForgeRecord(t *testing.T, rc *recordCipher, inner []byte) []byte {
	t.Helper()
	n := len(inner) + rc.aead.Overhead()
	rec := []byte{23, 3, 3, byte(n >> 8), byte(n)}
	if err := rc.nextNonce(); err != nil {
		t.Fatal(err)
	}
	return rc.aead.Seal(rec, rc.nonce[:], inner, rec[:5])
}

func TestRecordOpenInnerPlaintextErrors(t *testing.T) {
	sealer, opener := newRCPair(t, TLS_AES_128_GCM_SHA256)

	// Inner plaintext of 2^14+2 bytes: the ciphertext is within 2^14+256,
	// but the plaintext is too long (RFC 8446, Section 5.2).
	big := make([]byte, maxInnerPlaintext+1)
	big[0] = byte(wire.ContentTypeApplicationData)
	_, _, err := opener.open(rcForgeRecord(t, sealer, big), nil)
	ksWantAlert(t, err, AlertRecordOverflow)

	// Exactly 2^14+1 is fine.
	sealer, opener = newRCPair(t, TLS_AES_128_GCM_SHA256)
	max := make([]byte, maxInnerPlaintext)
	max[0] = byte(wire.ContentTypeApplicationData)
	typ, pt, err := opener.open(rcForgeRecord(t, sealer, max), nil)
	if err != nil || typ != wire.ContentTypeApplicationData || len(pt) != 0 {
		t.Fatalf("max-size padded record: %v %d %v", typ, len(pt), err)
	}

	// All zeros: no content type (Section 5.4).
	for _, n := range []int{0, 1, 50} {
		sealer, opener = newRCPair(t, TLS_AES_128_GCM_SHA256)
		_, _, err = opener.open(rcForgeRecord(t, sealer, make([]byte, n)), nil)
		ksWantAlert(t, err, AlertUnexpectedMessage)
	}
}

func TestRecordSealErrors(t *testing.T) {
	sealer, _ := newRCPair(t, TLS_AES_128_GCM_SHA256)
	if _, err := sealer.seal(nil, wire.ContentTypeApplicationData, make([]byte, maxPlaintext+1), 0); err == nil {
		t.Error("sealed a payload over 2^14 bytes")
	}
	if _, err := sealer.seal(nil, wire.ContentTypeApplicationData, make([]byte, maxPlaintext), 1); err == nil {
		t.Error("sealed an inner plaintext over 2^14+1 bytes")
	}
	if _, err := sealer.seal(nil, wire.ContentTypeApplicationData, nil, -1); err == nil {
		t.Error("accepted negative padding")
	}
	if sealer.seq != 0 {
		t.Error("failed seal advanced seq")
	}
}

// TestRecordSequenceExhaustion checks that the sequence number never wraps
// (RFC 8446, Section 5.3): the record with seq 2^64-2 is the last one.
func TestRecordSequenceExhaustion(t *testing.T) {
	sealer, opener := newRCPair(t, TLS_AES_128_GCM_SHA256)
	sealer.seq = math.MaxUint64 - 1
	opener.seq = math.MaxUint64 - 1
	rec, err := sealer.seal(nil, wire.ContentTypeApplicationData, []byte("last"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := opener.open(rec, nil); err != nil {
		t.Fatal(err)
	}
	if sealer.seq != math.MaxUint64 || opener.seq != math.MaxUint64 {
		t.Fatal("seq not advanced")
	}
	_, err = sealer.seal(nil, wire.ContentTypeApplicationData, []byte("one too many"), 0)
	ksWantAlert(t, err, AlertInternalError)
	_, _, err = opener.open(rec, nil)
	ksWantAlert(t, err, AlertInternalError)
	if sealer.seq != math.MaxUint64 || opener.seq != math.MaxUint64 {
		t.Error("seq wrapped")
	}
}

func TestRecordSetKeyResetsSeq(t *testing.T) {
	sealer, _ := newRCPair(t, TLS_AES_128_GCM_SHA256)
	sealer.seq = 42
	if err := sealer.setKey(suiteByID(TLS_AES_128_GCM_SHA256), make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	if sealer.seq != 0 {
		t.Errorf("seq %d after setKey, want 0", sealer.seq)
	}
}

func TestRecordNoAllocs(t *testing.T) {
	for _, id := range defaultCipherSuites {
		sealer, opener := newRCPair(t, id)
		payload := make([]byte, 1000)
		buf := make([]byte, 0, sealer.sealedLen(len(payload), 16))
		if n := testing.AllocsPerRun(100, func() {
			if _, err := sealer.seal(buf[:0], wire.ContentTypeApplicationData, payload, 16); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%v: seal allocates %v times", id, n)
		}

		sealer.seq = 0
		rec, _ := sealer.seal(nil, wire.ContentTypeApplicationData, payload, 16)
		work := make([]byte, len(rec))
		if n := testing.AllocsPerRun(100, func() {
			opener.seq = 0
			copy(work, rec)
			if _, _, err := opener.open(work, work[recordHeaderLen:][:0]); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%v: open allocates %v times", id, n)
		}
	}
}

func BenchmarkSeal16K(b *testing.B) {
	sealer, _ := newRCPair(b, TLS_AES_128_GCM_SHA256)
	payload := make([]byte, maxPlaintext)
	buf := make([]byte, 0, sealer.sealedLen(len(payload), 0))
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sealer.seal(buf[:0], wire.ContentTypeApplicationData, payload, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen16K(b *testing.B) {
	sealer, opener := newRCPair(b, TLS_AES_128_GCM_SHA256)
	rec, err := sealer.seal(nil, wire.ContentTypeApplicationData, make([]byte, maxPlaintext), 0)
	if err != nil {
		b.Fatal(err)
	}
	work := make([]byte, len(rec))
	b.SetBytes(maxPlaintext)
	b.ReportAllocs()
	for b.Loop() {
		// Decryption is in place, so restore the record each time.
		copy(work, rec)
		opener.seq = 0
		if _, _, err := opener.open(work, work[recordHeaderLen:][:0]); err != nil {
			b.Fatal(err)
		}
	}
}
