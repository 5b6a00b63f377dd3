package tls

import (
	"fmt"
	"testing"

	"github.com/tabletls/tabletls/gen"
	"github.com/tabletls/tabletls/internal/wire"
)

// TestNamesMatchSpec checks the String of the state machine's states and
// events and of the code points of package tls on every value of their
// type against the spec, read by the generator's own parser: a value the
// spec names gives that name, any other "Type(0x..)".
func TestNamesMatchSpec(t *testing.T) {
	m, err := gen.Load("../spec")
	if err != nil {
		t.Fatal(err)
	}
	enum := func(name string) map[uint32]string {
		for _, e := range m.Enums {
			if e.Name == name {
				names := map[uint32]string{}
				for _, v := range e.Values {
					names[uint32(v.Value)] = v.Name
				}
				return names
			}
		}
		t.Fatalf("the spec has no enum %s", name)
		return nil
	}
	states, events := map[uint32]string{}, map[uint32]string{0: "other_handshake"}
	for i, s := range m.Machine.States {
		states[uint32(i)] = s.Name
	}
	for i, e := range m.Machine.Events {
		events[uint32(i+1)] = e.Name
	}
	for _, c := range []struct {
		typ   string
		names map[uint32]string
		bits  int
		str   func(uint32) string
	}{
		{"HandshakeState", states, 8, func(v uint32) string { return HandshakeState(v).String() }},
		{"HandshakeEvent", events, 8, func(v uint32) string { return HandshakeEvent(v).String() }},
		{"AlertDescription", enum("AlertDescription"), 8, func(v uint32) string { return AlertDescription(v).String() }},
		{"CurveID", enum("NamedGroup"), 16, func(v uint32) string { return CurveID(v).String() }},
		{"SignatureScheme", enum("SignatureScheme"), 16, func(v uint32) string { return SignatureScheme(v).String() }},
	} {
		named := 0
		for v := uint32(0); v < 1<<c.bits; v++ {
			want, ok := c.names[v]
			if ok {
				named++
			} else {
				want = fmt.Sprintf("%s(0x%0*x)", c.typ, c.bits/4, v)
			}
			if got := c.str(v); got != want {
				t.Errorf("%s(%#x).String() = %q, want %q", c.typ, v, got, want)
			}
		}
		if named != len(c.names) || named < 2 {
			t.Errorf("%s: %d values named, want %d", c.typ, named, len(c.names))
		}
	}
}

// TestNamesAllocate: the String of a named state, event or code point is
// a part of a constant string and allocates nothing.
func TestNamesAllocate(t *testing.T) {
	var sink string
	for name, f := range map[string]func(){
		"HandshakeState":   func() { sink = StateWaitCertCR.String() },
		"HandshakeEvent":   func() { sink = EventSendKeyUpdate.String() },
		"CurveID":          func() { sink = X25519MLKEM768.String() },
		"SignatureScheme":  func() { sink = PSSWithSHA384.String() },
		"AlertDescription": func() { sink = AlertCertificateRequired.String() },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations, want 0", name, n)
		}
	}
	_ = sink
}

// TestHandshakeEventOfEveryType checks handshakeEvent for all 256
// HandshakeTypes against the spec: a type of a received message gives the
// first event the spec names for it, any other EventOtherHandshake.
func TestHandshakeEventOfEveryType(t *testing.T) {
	m, err := gen.Load("../spec")
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint8]HandshakeEvent{}
	for i, e := range m.Machine.Events {
		if e.Handshake == nil {
			continue
		}
		if _, ok := want[uint8(e.Handshake.Value)]; !ok {
			want[uint8(e.Handshake.Value)] = HandshakeEvent(i + 1)
		}
	}
	if len(want) < 8 {
		t.Fatalf("the spec gives only %d received handshake types", len(want))
	}
	for typ := range 256 {
		w, ok := want[uint8(typ)]
		if !ok {
			w = EventOtherHandshake
		}
		if got := handshakeEvent(wire.HandshakeType(typ)); got != w {
			t.Errorf("handshakeEvent(%d) = %v, want %v", typ, got, w)
		}
	}
}
