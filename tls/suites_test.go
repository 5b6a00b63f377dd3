package tls

import (
	"crypto"
	"testing"
)

func TestSuiteByID(t *testing.T) {
	for _, tc := range []struct {
		id     uint16
		hash   crypto.Hash
		keyLen int
	}{
		{TLS_AES_128_GCM_SHA256, crypto.SHA256, 16},
		{TLS_AES_256_GCM_SHA384, crypto.SHA384, 32},
	} {
		s := suiteByID(tc.id)
		if s == nil {
			t.Fatalf("%#04x: not supported", tc.id)
		}
		if s.id != tc.id || s.hash.id != tc.hash || s.keyLen != tc.keyLen {
			t.Errorf("%#04x: got %+v", tc.id, *s)
		}
		if h := s.newHash(); h.Size() != tc.hash.Size() {
			t.Errorf("%#04x: newHash size %d, want %d", tc.id, h.Size(), tc.hash.Size())
		}
		if s.hash.Size() != tc.hash.Size() || s.hash.Size() > maxHashSize || s.keyLen > maxKeyLen {
			t.Errorf("%#04x: exceeds maxHashSize/maxKeyLen", tc.id)
		}
		aead, err := s.newAEAD(make([]byte, s.keyLen))
		if err != nil {
			t.Fatalf("%#04x: %v", tc.id, err)
		}
		if aead.NonceSize() != aeadNonceLength || aead.Overhead() != 16 {
			t.Errorf("%#04x: nonce %d overhead %d", tc.id, aead.NonceSize(), aead.Overhead())
		}
		if _, err := s.newAEAD(make([]byte, s.keyLen-1)); err == nil {
			t.Errorf("%#04x: short key accepted", tc.id)
		}
	}
	for _, id := range []uint16{0, 0x1304, 0x1305, 0xc02f, 0xffff} {
		if suiteByID(id) != nil {
			t.Errorf("%#04x: unexpectedly supported", id)
		}
	}
}

func TestDefaultCipherSuites(t *testing.T) {
	if len(defaultCipherSuites) == 0 || defaultCipherSuites[0] != TLS_AES_128_GCM_SHA256 {
		t.Fatalf("defaultCipherSuites = %v, want TLS_AES_128_GCM_SHA256 first", defaultCipherSuites)
	}
	seen := make(map[uint16]bool)
	for _, id := range defaultCipherSuites {
		if suiteByID(id) == nil {
			t.Errorf("default suite %#04x is not supported", id)
		}
		if seen[id] {
			t.Errorf("default suite %#04x listed twice", id)
		}
		seen[id] = true
	}
}
