package tlsserver_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/tlsserver"
)

// checkFuzzResult fails on anything the client must never do, whatever
// the server sends.
func checkFuzzResult(t *testing.T, data []byte, r *tlsserver.Result) {
	t.Helper()
	if len(r.Violations) > 0 {
		t.Fatalf("input %x: %s", data, strings.Join(r.Violations, "; "))
	}
}

func runFromBytes(data []byte) *tlsserver.Result { return tlsserver.RunFromBytes(data) }

// FuzzHostileServer is in fuzz_test.go, in package tlsserver: OSS-Fuzz's
// build cannot take a target from an external test package.

// A fixed sample of what the fuzzer does, in every go test run.
func TestHostileFromBytesSample(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 200
	}
	rng := rand.New(rand.NewPCG(42, 42))
	for range n {
		data := make([]byte, 4+rng.IntN(40))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		checkFuzzResult(t, data, runFromBytes(data))
	}
}

// FromBytes is deterministic.
func TestFromBytesDeterministic(t *testing.T) {
	data := []byte{0x27, 0x3f, 0, 9, 0x0f, 2, 17, 1, 3, 0x80, 1, 7, 200, 3, 3, 1}
	a, b := runFromBytes(data), runFromBytes(data)
	if string(a.ClientWire) != string(b.ClientWire) || string(a.ServerWire) != string(b.ServerWire) {
		t.Fatal("same input, different conversations")
	}
}
