package tls

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/tabletls/tabletls/internal/rfc8448"
	"github.com/tabletls/tabletls/internal/wire"
)

// FuzzInnerPlaintext fuzzes the parsing of TLSInnerPlaintext (RFC 8446
// §5.2, §5.4), which recordCipher.open does from the end of the decrypted
// record: the last non-zero octet is the content type, zeros after it are
// padding. The fuzzer's input is that plaintext; it is sealed as is under a
// fixed key (so it gets past the AEAD, which the record layer fuzzer cannot
// do) and opened again. It lives in package tls because recordCipher is
// not exported; package fuzz has the other targets.
//
// Properties: open fails with record_overflow for a plaintext over 2^14+1
// octets, with unexpected_message for one of zeros only, and otherwise
// returns the last non-zero octet as the type and what is before it as
// the content; sealing that content and type with the same padding gives
// the same record back; changing any authenticated octet of the record is
// bad_record_mac; and opening in place allocates nothing.
func FuzzInnerPlaintext(f *testing.F) {
	// The plaintexts of every protected record of RFC 8448.
	types := map[string]wire.ContentType{"handshake": wire.ContentTypeHandshake, "alert": wire.ContentTypeAlert, "application_data": wire.ContentTypeApplicationData}
	for n := 3; n <= 7; n++ {
		for _, rec := range rfc8448.Get(n).Records {
			if rec.Protection != "none" {
				f.Add(append(rec.Payload(), byte(types[rec.InnerContentType])))
			}
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{byte(wire.ContentTypeAlert), 0, 0, 0, 0})
	f.Add(append(bytes.Repeat([]byte{'x'}, maxPlaintext), byte(wire.ContentTypeApplicationData)))
	f.Add(append(bytes.Repeat([]byte{'x'}, maxPlaintext), byte(wire.ContentTypeApplicationData), 0))
	f.Fuzz(checkInnerPlaintext)
}

func checkInnerPlaintext(t *testing.T, inner []byte) {
	h := uint32(2166136261) // FNV-1a: picks the suite and what to tamper with
	for _, c := range inner {
		h = (h ^ uint32(c)) * 16777619
	}
	suite := []*Suite{&suiteAES128GCMSHA256, &suiteAES256GCMSHA384, &suiteChaCha20Poly1305}[h%3]
	secret := bytes.Repeat([]byte{0x5a}, suite.hash.Size())
	newCipher := func() *recordCipher {
		var rc recordCipher
		if err := rc.setKey(suite, secret); err != nil {
			t.Fatal(err)
		}
		return &rc
	}
	w := newCipher()
	length := len(inner) + w.aead.Overhead()
	if length > 0xffff {
		return // does not fit a record header
	}
	// The record as a server would send it: inner is the plaintext.
	hdr := []byte{byte(wire.ContentTypeApplicationData), 3, 3, byte(length >> 8), byte(length)}
	if err := w.nextNonce(); err != nil {
		t.Fatal(err)
	}
	record := w.aead.Seal(bytes.Clone(hdr), w.nonce[:], inner, hdr)

	r := newCipher()
	buf := bytes.Clone(record)
	typ, content, err := r.open(buf, buf[recordHeaderLen:recordHeaderLen])
	end := len(inner) - 1
	for end >= 0 && inner[end] == 0 {
		end--
	}
	switch {
	case length > maxCiphertext || len(inner) > maxInnerPlaintext:
		wantAlert(t, err, AlertRecordOverflow)
	case end < 0:
		wantAlert(t, err, AlertUnexpectedMessage)
	case err != nil:
		t.Fatalf("open of %x: %v", inner, err)
	case typ != wire.ContentType(inner[end]) || !bytes.Equal(content, inner[:end]):
		t.Fatalf("open of %x: type %v, content %x", inner, typ, content)
	case r.seq != 1:
		t.Fatalf("open of %x: sequence number %d after one record", inner, r.seq)
	default:
		again, err := newCipher().seal(nil, typ, content, len(inner)-end-1)
		if err != nil || !bytes.Equal(again, record) {
			t.Fatalf("seal of what open returned for %x: %x, %v; want %x", inner, again, err, record)
		}
	}
	if err != nil && r.seq != 0 {
		t.Fatalf("open failed with %v but advanced the sequence number", err)
	}
	if length > maxCiphertext {
		return
	}

	// Tamper with one authenticated octet: the version in the header, or
	// one of the ciphertext and tag (the length is checked before that).
	i := 1 + int(h>>2)%(len(record)-1)
	if i == 3 || i == 4 {
		i = 1
	}
	buf = bytes.Clone(record)
	buf[i] ^= 1 << ((h >> 8) % 8)
	_, _, err = newCipher().open(buf, buf[recordHeaderLen:recordHeaderLen])
	wantAlert(t, err, AlertBadRecordMAC)

	if h%32 == 0 && len(inner) <= maxInnerPlaintext {
		// Zero allocations: open in place, each time on a fresh copy with
		// the sequence number put back.
		buf = make([]byte, len(record))
		if n := innerAllocs(func() {
			copy(buf, record)
			r.seq = 0
			_, _, _ = r.open(buf, buf[recordHeaderLen:recordHeaderLen])
		}); n != 0 {
			t.Fatalf("open of %x allocates %d times", inner, n)
		}
	}
}

func wantAlert(t *testing.T, err error, want AlertDescription) {
	t.Helper()
	ae, ok := err.(*AlertError)
	if !ok || ae.Alert != want || ae.Received {
		t.Fatalf("error %v, want a %v alert to send", err, want)
	}
}

// innerAllocs is testing.AllocsPerRun, which the OSS-Fuzz replacement of
// package testing does not implement.
func innerAllocs(fn func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	const runs = 8
	fn()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.Mallocs
	for range runs {
		fn()
	}
	runtime.ReadMemStats(&ms)
	return (ms.Mallocs - before) / runs
}
