// Package detrand is a deterministic byte stream for tests that need
// reproducible key shares: SHA-256 in counter mode over a seed. Never use it
// as a source of randomness.
package detrand

import "crypto/sha256"

// Reader yields the stream of one seed.
type Reader struct {
	block [32]byte
	ctr   uint64
	buf   []byte
}

// New returns the stream for seed.
func New(seed string) *Reader {
	return &Reader{block: sha256.Sum256([]byte(seed))}
}

func (r *Reader) Read(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(r.buf) == 0 {
			b := sha256.Sum256(append(r.block[:], byte(r.ctr), byte(r.ctr>>8)))
			r.ctr++
			r.buf = b[:]
		}
		c := copy(p, r.buf)
		p, r.buf = p[c:], r.buf[c:]
	}
	return n, nil
}
