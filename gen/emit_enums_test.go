package gen

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func testEnum(name string, bits int, vals ...any) *Enum {
	e := &Enum{Name: name, Bits: bits}
	for i := 0; i < len(vals); i += 2 {
		e.Values = append(e.Values, EnumValue{Name: vals[i].(string), Value: uint64(vals[i+1].(int))})
	}
	return e
}

// tableName is name i of a layout as the runtime reads it: the text
// between offsets i and i+1.
func tableName(l enumLayout, i int) string {
	text, offsets, _ := nameTable(l.names)
	return text[offsets[i]:offsets[i+1]]
}

// TestNameTable: the names one after another, an offset more than names,
// starting at 0; a uint8 while the text is under 256 octets.
func TestNameTable(t *testing.T) {
	text, offsets, width := nameTable([]string{"red", "", "green"})
	if text != "redgreen" || !slices.Equal(offsets, []int{0, 3, 3, 8}) || width != 1 {
		t.Errorf("got %q %v %d", text, offsets, width)
	}
	long := []string{strings.Repeat("a", 200), strings.Repeat("b", 56)}
	if _, offsets, width := nameTable(long); width != 2 || offsets[2] != 256 {
		t.Errorf("256 octets: offsets %v in %d octets, want 2", offsets, width)
	}
	if _, _, width := nameTable(long[:1]); width != 1 {
		t.Errorf("200 octets: width %d", width)
	}
}

// TestEnumLayout checks the choice between a dense and a sparse layout on
// enums shaped like the spec's, and that every value finds its name.
func TestEnumLayout(t *testing.T) {
	for _, c := range []struct {
		e            *Enum
		dense, holes bool
		min          uint64
	}{
		// Contiguous from 0: dense, no holes.
		{testEnum("Mode", 8, "psk_ke", 0, "psk_dhe_ke", 1), true, false, 0},
		// ContentType: 25 offsets cost less than 5 values, 6 offsets and
		// the search.
		{testEnum("ContentType", 8, "invalid", 0, "change_cipher_spec", 20, "alert", 21, "handshake", 22, "application_data", 23), true, true, 0},
		// A contiguous run far from 0: dense from its first value.
		{testEnum("Suite", 16, "TLS_A", 0x1301, "TLS_B", 0x1302, "TLS_C", 0x1303), true, false, 0x1301},
		// HandshakeType: 1..254 with 11 values is sparse.
		{testEnum("HandshakeType", 8, "client_hello", 1, "server_hello", 2, "finished", 20, "message_hash", 254), false, false, 0},
		// SignatureScheme-like, listed out of order: sparse, sorted.
		{testEnum("Scheme", 16, "rsa_pkcs1_sha256", 0x0401, "ecdsa_sha1", 0x0203, "ed25519", 0x0807), false, false, 0},
	} {
		l := layoutEnum(c.e)
		if l.dense != c.dense || l.holes != c.holes || l.min != c.min {
			t.Errorf("%s: dense %v holes %v min %#x, want %v %v %#x", c.e.Name, l.dense, l.holes, l.min, c.dense, c.holes, c.min)
		}
		if !slices.IsSorted(l.values) || len(l.values) != len(l.names) {
			t.Errorf("%s: values %v for %d names", c.e.Name, l.values, len(l.names))
		}
		for _, v := range c.e.Values {
			i := slices.Index(l.values, v.Value)
			if l.dense && i != int(v.Value-l.min) {
				t.Errorf("%s: %s at %d, want %d", c.e.Name, v.Name, i, v.Value-l.min)
			}
			if i < 0 || tableName(l, i) != v.Name {
				t.Errorf("%s: %#x at %d, want %s", c.e.Name, v.Value, i, v.Name)
			}
		}
		named := 0
		for i := range l.names {
			if tableName(l, i) != "" {
				named++
			}
		}
		if named != len(c.e.Values) {
			t.Errorf("%s: %d names in the table, want %d", c.e.Name, named, len(c.e.Values))
		}
	}
	if l := layoutEnum(&Enum{Name: "Reserved", Bits: 8}); len(l.names) != 0 {
		t.Errorf("an enum without names has a table: %+v", l)
	}
	for _, e := range []*Enum{testEnum("Twice", 8, "a", 1, "b", 1), testEnum("Empty", 8, "", 1)} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", e.Name)
				}
			}()
			layoutEnum(e)
		}()
	}
}

// TestEmitEnumTables checks the code of both layouts: constant tables
// only (a const string and arrays of integers), the dense lookup by
// v - min with the hole test only where there are holes, the sparse
// search over the sorted values, and uint16 offsets past 255 octets.
func TestEmitEnumTables(t *testing.T) {
	var long []any
	for i := 0; i < 20; i++ {
		long = append(long, fmt.Sprintf("a_rather_long_name_%02d", i), i*7)
	}
	m := &Model{Enums: []*Enum{
		testEnum("Color", 8, "red", 1, "green", 2, "blue_green", 0x10),
		testEnum("Mode", 8, "psk_ke", 0, "psk_dhe_ke", 1),
		testEnum("Scheme", 16, "alpha", 0x0401, "beta", 0x0201, "gamma", 0x0807),
		testEnum("Alert", 8, long...),
	}}
	var b bytes.Buffer
	if err := EmitEnums(m, "wire").Render(&b); err != nil {
		t.Fatal(err)
	}
	src := b.String()
	for _, s := range []string{
		"const colorNames = \"red\" +\n\t\"green\" +\n\t\"blue_green\"\n",
		"var colorNameIndex = [...]uint8{\n\t0, 3, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8,\n\t18,\n}\n",
		"if i := uint(v) - 0x01; i < 16 && colorNameIndex[i] != colorNameIndex[i+1] {",
		"if i := uint(v); i < 2 {\n",
		"return modeNames[modeNameIndex[i]:modeNameIndex[i+1]]\n",
		"var schemeValues = [...]uint16{\n\t0x0201, 0x0401, 0x0807,\n}\n",
		"const schemeNames = \"beta\" +\n\t\"alpha\" +\n\t\"gamma\"\n",
		"for i, x := range &schemeValues {\n\t\tif x == uint16(v) {\n\t\t\treturn i\n",
		"return UnknownName(\"Scheme\", uint32(v), 4)\n",
		"var alertNameIndex = [...]uint16{",
		"return schemeNames[schemeNameIndex[i]:schemeNameIndex[i+1]], true\n",
		"case SchemeAlpha, SchemeBeta, SchemeGamma:\n\t\treturn true\n",
	} {
		if !strings.Contains(src, s) {
			t.Errorf("the enums lack %q", s)
		}
	}
	// Nothing that is not constant data: no slice, string array or map.
	for _, s := range []string{"[]string", "]string{", "map[", "[]uint"} {
		if strings.Contains(src, s) {
			t.Errorf("the enums have %q:\n%s", s, src)
		}
	}
}
