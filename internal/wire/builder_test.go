package wire

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

// TestVectorBuilders builds one vector of each kind of element with its
// builder and checks it against the same list encoded element by element
// (codecElems, codecU8, codecUint16s), that Vector views what was
// appended, and that a bad element is an error, not a wrong encoding.
func TestVectorBuilders(t *testing.T) {
	buf := make([]byte, 0, 512)
	prefix := []byte("before")

	// Fixed-size scalar elements.
	suites := BuildCipherSuiteVector(append(buf, prefix...))
	suites.Add(TLS_AES_128_GCM_SHA256)
	suites.Add(TLS_CHACHA20_POLY1305_SHA256)
	v, b, err := suites.Vector()
	if err != nil {
		t.Fatal(err)
	}
	want := codecUint16s(TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256)
	if !bytes.Equal(v.Bytes(), want) || !bytes.Equal(b, append(append([]byte(nil), prefix...), want...)) || v.Len() != 2 || v.At(1) != TLS_CHACHA20_POLY1305_SHA256 {
		t.Errorf("CipherSuiteVector: got %x in %x, want %x after the prefix", v.Bytes(), b, want)
	}

	// Length-prefixed opaque elements, from []byte and string.
	protos := BuildProtocolNameVector(buf)
	protos.Add([]byte("h2"))
	protos.AddString("http/1.1")
	pv, _, err := protos.Vector()
	if err != nil {
		t.Fatal(err)
	}
	if want := codecCat(codecU8([]byte("h2")), codecU8([]byte("http/1.1"))); !bytes.Equal(pv.Bytes(), want) {
		t.Errorf("ProtocolNameVector: got %x, want %x", pv.Bytes(), want)
	}
	var check ProtocolNameVector
	if err := check.SetBytes(pv.Bytes()); err != nil {
		t.Errorf("SetBytes rejects what the builder made: %v", err)
	}
	for _, bad := range []string{"", strings.Repeat("x", 256)} {
		p := BuildProtocolNameVector(buf)
		p.AddString("ok")
		p.AddString(bad)
		p.AddString("ok")
		if _, _, err := p.Vector(); err != errEncodeProtocolNameVector {
			t.Errorf("ProtocolName of %d octets: got %v, want %v", len(bad), err, errEncodeProtocolNameVector)
		}
	}

	// Struct elements, through their Append.
	a := KeyShareEntry{Group: NamedGroupX25519, KeyExchange: codecFill(32, 1)}
	c := KeyShareEntry{Group: NamedGroupSecp256r1, KeyExchange: codecFill(65, 4)}
	shares := BuildKeyShareEntryVector(buf)
	shares.Add(&a)
	shares.Add(&c)
	sv, _, err := shares.Vector()
	if err != nil {
		t.Fatal(err)
	}
	if want := codecElems(t, a, c); !bytes.Equal(sv.Bytes(), want) {
		t.Errorf("KeyShareEntryVector: got %x, want %x", sv.Bytes(), want)
	}
	var e KeyShareEntry
	it := sv.Iter()
	if !it.Next(&e) || e.Group != NamedGroupX25519 || !it.Next(&e) || e.Group != NamedGroupSecp256r1 || it.Next(&e) {
		t.Error("KeyShareEntryVector from the builder does not iterate as built")
	}
	bad := BuildKeyShareEntryVector(buf)
	bad.Add(&KeyShareEntry{Group: NamedGroupX25519}) // key_exchange<1..2^16-1>
	if _, _, err := bad.Vector(); err != errEncodeKeyShareEntryKeyExchange {
		t.Errorf("empty key_exchange: got %v, want %v", err, errEncodeKeyShareEntryKeyExchange)
	}
	var we Error
	if _, _, err := bad.Vector(); !errors.As(err, &we) || we.Alert() != AlertDescriptionInternalError {
		t.Errorf("builder error %v is not an internal_error Error", err)
	}
}

// TestVectorBuildersDoNotAllocate: with room in the buffer, building a
// ClientHello's lists allocates nothing.
func TestVectorBuildersDoNotAllocate(t *testing.T) {
	buf := make([]byte, 0, 1024)
	entry := KeyShareEntry{Group: NamedGroupX25519, KeyExchange: codecFill(32, 1)}
	var ch ClientHello
	n := testing.AllocsPerRun(100, func() {
		var err error
		s := buf[:0]
		suites := BuildCipherSuiteVector(s)
		suites.Add(TLS_AES_128_GCM_SHA256)
		if ch.CipherSuites, s, err = suites.Vector(); err != nil {
			t.Fatal(err)
		}
		protos := BuildProtocolNameVector(s)
		protos.AddString("h2")
		if ch.Extensions.ApplicationLayerProtocolNegotiation.ProtocolNameList, s, err = protos.Vector(); err != nil {
			t.Fatal(err)
		}
		shares := BuildKeyShareEntryVector(s)
		shares.Add(&entry)
		if ch.Extensions.KeyShare.ClientShares, _, err = shares.Vector(); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("building allocates %v times", n)
	}
}

// TestEveryVectorHasABuilder: each vector type of zz_generated_codecs.go
// has its Build function, so no list is left to encode by hand.
func TestEveryVectorHasABuilder(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "zz_generated_codecs.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	vectors, builds := map[string]bool{}, map[string]bool{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				if ts, ok := sp.(*ast.TypeSpec); ok && strings.HasSuffix(ts.Name.Name, "Vector") {
					vectors[ts.Name.Name] = true
				}
			}
		case *ast.FuncDecl:
			if d.Recv == nil && strings.HasPrefix(d.Name.Name, "Build") {
				builds[strings.TrimPrefix(d.Name.Name, "Build")] = true
			}
		}
	}
	if len(vectors) < 10 {
		t.Fatalf("found only %d vector types", len(vectors))
	}
	for v := range vectors {
		if !builds[v] {
			t.Errorf("%s has no Build%s", v, v)
		}
	}
}
