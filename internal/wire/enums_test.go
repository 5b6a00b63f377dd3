package wire

import (
	"fmt"
	"testing"

	"github.com/tabletls/tabletls/gen"
)

// registry is the methods of one generated enum, on a value of its type.
type registry struct {
	bits    int
	str     func(v uint32) string
	name    func(v uint32) (string, bool)
	isKnown func(v uint32) bool
}

func registryOf[T ~uint8 | ~uint16](bits int) registry {
	return registry{
		bits: bits,
		str:  func(v uint32) string { return any(T(v)).(fmt.Stringer).String() },
		name: func(v uint32) (string, bool) {
			return any(T(v)).(interface{ Name() (string, bool) }).Name()
		},
		isKnown: func(v uint32) bool { return any(T(v)).(interface{ IsKnown() bool }).IsKnown() },
	}
}

// registries is every enum of the spec, by name.
var registries = map[string]registry{
	"ContentType":           registryOf[ContentType](8),
	"AlertLevel":            registryOf[AlertLevel](8),
	"AlertDescription":      registryOf[AlertDescription](8),
	"HandshakeType":         registryOf[HandshakeType](8),
	"ExtensionType":         registryOf[ExtensionType](16),
	"SignatureScheme":       registryOf[SignatureScheme](16),
	"NamedGroup":            registryOf[NamedGroup](16),
	"CipherSuite":           registryOf[CipherSuite](16),
	"PskKeyExchangeMode":    registryOf[PskKeyExchangeMode](8),
	"KeyUpdateRequest":      registryOf[KeyUpdateRequest](8),
	"NameType":              registryOf[NameType](8),
	"CertificateStatusType": registryOf[CertificateStatusType](8),
}

// TestEnumNames checks String, Name and IsKnown of every enum of the spec
// on every value of its type: a value the spec names gives that name, any
// other "Type(0x..)" with as many hex digits as the type is wide, and Name
// and IsKnown agree with the spec. The spec is read by the generator's
// own parser, so the test holds the name tables to the spec and not to
// themselves.
func TestEnumNames(t *testing.T) {
	m, err := gen.Load("../../spec")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Enums) != len(registries) {
		t.Errorf("the spec has %d enums, the test knows %d", len(m.Enums), len(registries))
	}
	for _, e := range m.Enums {
		r, ok := registries[e.Name]
		if !ok {
			t.Errorf("enum %s is not in registries", e.Name)
			continue
		}
		if r.bits != e.Bits {
			t.Errorf("%s: %d bits in the test, %d in the spec", e.Name, r.bits, e.Bits)
		}
		want := map[uint32]string{}
		for _, v := range e.Values {
			want[uint32(v.Value)] = v.Name
		}
		named := 0
		for v := uint32(0); v < 1<<e.Bits; v++ {
			name, ok := r.name(v)
			w, spec := want[v]
			if !spec {
				w = fmt.Sprintf("%s(0x%0*x)", e.Name, e.Bits/4, v)
			} else {
				named++
			}
			if got := r.str(v); got != w {
				t.Errorf("%s(%#x).String() = %q, want %q", e.Name, v, got, w)
			}
			if ok != spec || r.isKnown(v) != spec || (spec && name != w) || (!spec && name != "") {
				t.Errorf("%s(%#x): Name() = %q, %v, IsKnown() = %v; the spec names it: %v", e.Name, v, name, ok, r.isKnown(v), spec)
			}
		}
		if named != len(e.Values) || named == 0 {
			t.Errorf("%s: %d named values found, the spec has %d", e.Name, named, len(e.Values))
		}
	}
}

// TestEnumNamesAllocate checks that String of a named value allocates
// nothing (it is a part of a constant string), on a dense enum
// (ContentType), a sparse one (AlertDescription, SignatureScheme) and one
// with a value of its own far from the others (NamedGroup).
func TestEnumNamesAllocate(t *testing.T) {
	var sink string
	for name, f := range map[string]func(){
		"ContentType":      func() { sink = ContentTypeApplicationData.String() },
		"AlertDescription": func() { sink = AlertDescriptionNoApplicationProtocol.String() },
		"SignatureScheme":  func() { sink = SignatureSchemeEd25519.String() },
		"NamedGroup":       func() { sink, _ = X25519MLKEM768.Name() },
		"IsKnown": func() {
			if ExtensionTypeKeyShare.IsKnown() {
				sink = "known"
			}
		},
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
	_ = sink
}
