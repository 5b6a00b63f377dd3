package fuzz

import (
	"bytes"
	"runtime"
	"strings"

	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// The checks of the fuzz targets are in non-test files, and take a tb
// rather than a *testing.T: OSS-Fuzz builds a target by turning the one
// test file that declares it into a non-test file that imports a
// replacement of package testing (see oss-fuzz/build.sh), so whatever the
// target calls must be outside test files and must not name
// testing.T. The targets themselves are in test files, where go test finds
// them.

// tb is what the checks need of a *testing.T (or of the *testing.T of
// OSS-Fuzz's replacement of package testing).
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// codec is what every generated struct and extension set is.
type codec interface {
	Unmarshal(b []byte) error
	Append(b []byte) ([]byte, error)
}

// alertSet is the alerts a decoder may fail with.
type alertSet uint8

const (
	decodeError alertSet = 1 << iota
	illegalParameter
	unsupportedExtension
)

func (s alertSet) has(a tls.AlertDescription) bool {
	switch a {
	case tls.AlertDecodeError:
		return s&decodeError != 0
	case tls.AlertIllegalParameter:
		return s&illegalParameter != 0
	case tls.AlertUnsupportedExtension:
		return s&unsupportedExtension != 0
	}
	return false
}

func (s alertSet) String() string {
	var names []string
	for _, a := range []tls.AlertDescription{tls.AlertDecodeError, tls.AlertIllegalParameter, tls.AlertUnsupportedExtension} {
		if s.has(a) {
			names = append(names, a.String())
		}
	}
	return "{" + strings.Join(names, ", ") + "}"
}

// checkCodec is the property of a generated codec T: Unmarshal fails with
// a wire.Error carrying one of the allowed alerts, or it succeeds and Append gives data back byte for byte. On
// a sample of inputs, neither allocates (Append into a buffer with room).
func checkCodec[T any, P interface {
	*T
	codec
}](t tb, data []byte, allowed alertSet) {
	t.Helper()
	m := P(new(T))
	err := m.Unmarshal(data)
	if err != nil {
		checkDecodeError(t, err, allowed)
	} else {
		out, err := m.Append(make([]byte, 0, len(data)))
		if err != nil {
			t.Fatalf("%T: Unmarshal accepts %x but Append fails: %v", m, data, err)
		}
		if !bytes.Equal(out, data) {
			t.Fatalf("%T: Unmarshal then Append changes the input:\nin:  %x\nout: %x", m, data, out)
		}
	}
	if !sampled(data) {
		return
	}
	if n := allocsPerRun(8, func() { _ = m.Unmarshal(data) }); n != 0 {
		t.Fatalf("%T: Unmarshal of %x allocates %d times per call", m, data, n)
	}
	if err == nil {
		buf := make([]byte, 0, len(data))
		if n := allocsPerRun(8, func() { _, _ = m.Append(buf) }); n != 0 {
			t.Fatalf("%T: Append of %x allocates %d times per call", m, data, n)
		}
	}
}

// checkDecodeError checks an error from a generated decoder.
func checkDecodeError(t tb, err error, allowed alertSet) {
	t.Helper()
	ae, ok := err.(wire.Error)
	switch {
	case !ok:
		t.Fatalf("error %q is a %T, not a wire.Error", err, err)
	case !strings.HasPrefix(ae.Error(), "tls: "):
		t.Fatalf("decode error %q does not start with tls: ", err)
	case !allowed.has(tls.AlertDescription(ae.Alert())):
		t.Fatalf("decode error %q sends %v; this decoder may only send %v", err, ae.Alert(), allowed)
	}
}

// sampled picks about one input in 32 for the allocation checks, by a hash
// of the input so that a failure reproduces from the input alone.
func sampled(data []byte) bool {
	h := uint32(2166136261) // FNV-1a
	for _, c := range data {
		h = (h ^ uint32(c)) * 16777619
	}
	return h%32 == 0
}

// allocsPerRun is testing.AllocsPerRun, which the OSS-Fuzz replacement of
// package testing does not implement: the heap allocations per call of fn
// over runs calls, after a warm-up call, rounded down, so that a single
// allocation elsewhere in the process does not count.
func allocsPerRun(runs int, fn func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	fn()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.Mallocs
	for range runs {
		fn()
	}
	runtime.ReadMemStats(&ms)
	return (ms.Mallocs - before) / uint64(runs)
}

// seedPart adds the encoding of a part of a decoded seed (enc is its
// Append method) to the seeds of target, and splits it in turn. The
// generated splitSeed calls it; TestSeedCorpus provides add.
func seedPart(add func(target string, data []byte), target string, enc func([]byte) ([]byte, error)) {
	b, err := enc(nil)
	if err != nil {
		return
	}
	add(target, b)
	splitSeed(target, b, add)
}

// seedExtensions adds each extension (type, length, data) of an extension
// list to the seeds of FuzzExtension.
func seedExtensions(add func(target string, data []byte), list []byte) {
	for len(list) >= 4 {
		n := 4 + (int(list[2])<<8 | int(list[3]))
		if n > len(list) {
			return
		}
		add("FuzzExtension", list[:n:n])
		list = list[n:]
	}
}
