// Package harness is what the footprint programs of firmware/size share: a
// reproducible random source and a transport that replays a recorded
// server. It imports nothing beyond io, so it adds nothing the programs
// compare.
package harness

import (
	"io"
	"runtime"
)

// Rand is a reproducible byte stream (xorshift64*), so that a client
// replaying a recorded server sends the same ClientHello as when it was
// recorded. It is for measurements only: never use it for real keys.
type Rand struct{ s uint64 }

// NewRand returns the stream for seed (not 0).
func NewRand(seed uint64) *Rand { return &Rand{seed} }

// Reset restarts the stream at seed.
func (r *Rand) Reset(seed uint64) { r.s = seed }

func (r *Rand) Read(p []byte) (int, error) {
	for i := range p {
		r.s ^= r.s >> 12
		r.s ^= r.s << 25
		r.s ^= r.s >> 27
		p[i] = byte((r.s * 2685821657736338717) >> 56)
	}
	return len(p), nil
}

// Replay is a transport that plays back what a server sent, and counts
// what the client sends.
type Replay struct {
	server string
	Sent   int
}

// NewReplay returns a transport that reads server.
func NewReplay(server string) *Replay { return &Replay{server: server} }

func (t *Replay) Read(p []byte) (int, error) {
	if len(t.server) == 0 {
		return 0, io.EOF
	}
	n := copy(p, t.server)
	t.server = t.server[n:]
	return n, nil
}

func (t *Replay) Write(p []byte) (int, error) {
	t.Sent += len(p)
	return len(p), nil
}

// Report prints the program's result: "NAME ok" or "NAME FAIL: error".
func Report(name string, err error) {
	if err != nil {
		println(name, "FAIL:", err.Error())
		return
	}
	println(name, "ok")
}

// Allocated returns the bytes and the number of allocations made so far.
func Allocated() (bytes, mallocs uint64) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.TotalAlloc, m.Mallocs
}
