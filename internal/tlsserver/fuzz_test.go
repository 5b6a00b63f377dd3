package tlsserver

import (
	"strings"
	"testing"
)

// FuzzHostileServer drives the client against a server mutated by the
// fuzzer's octets (see FromBytes): whatever the server sends, the client
// does nothing Result flags as a violation.
func FuzzHostileServer(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0, 0xff})
	f.Add([]byte{0x05, 0x12, 0, 0x07, 1, 3, 0, 1, 2})
	f.Add([]byte{0x27, 0x3f, 0, 9, 0x0f, 2, 17, 1, 3, 0x80, 1, 7, 200, 3, 3, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if r := RunFromBytes(data); len(r.Violations) > 0 {
			t.Fatalf("input %x: %s", data, strings.Join(r.Violations, "; "))
		}
	})
}
