package gen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// load runs the whole front end on a .tls source and, if sm is not
// empty, a state machine; it returns the error text ("" if none).
func load(tls, sm string) string {
	var mach *Source
	if sm != "" {
		mach = &Source{Name: "t.sm", Data: []byte(sm)}
	}
	_, err := LoadSources([]Source{{Name: "t.tls", Data: []byte(tls)}}, mach)
	if err == nil {
		return ""
	}
	return err.Error()
}

// A spec every machine below can use.
const smTLS = "enum { server_hello(2), finished(20), (255) } HandshakeType;\n"

// A valid machine; the cases add one bad line to it.
const smBase = `state A initial
state B final
event go local
A go -> B
`

// extTLS has what an extension table needs.
const extTLS = `enum { client_hello(1), server_hello(2), (255) } HandshakeType;
enum { server_name(0), cookie(44), key_share(51), (65535) } ExtensionType;
struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;
struct { opaque host<1..2^8-1>; } Sni;
struct { Extension extensions<0..2^16-1>; } Hello;
`

// helloTable completes extTLS for the cases that are not about Hello.
const helloTable = "extensions Hello { unknown: reject; };\n"

// TestSpecErrors feeds one small bad spec per message the generator can
// print and checks the exact file:line:col: message.
func TestSpecErrors(t *testing.T) {
	for _, c := range []struct {
		name    string
		tls, sm string
		want    string
	}{
		// lexer.go
		{"unterminated comment", "uint8 X;\n  /* no end", "", "t.tls:2:3: unterminated comment"},
		{"unexpected character", "uint8 X; @", "", "t.tls:1:10: unexpected character '@'"},

		// parse_tls.go
		{"no declaration", "uint8 X;\n;", "", `t.tls:2:1: expected a declaration (enum, struct, extensions or a typedef), found ";"`},
		{"no declaration number", "42 uint8 X;", "", `t.tls:1:1: expected a declaration (enum, struct, extensions or a typedef), found number 42`},
		{"expected punct", "enum { a(1), (255) } E", "", `t.tls:1:23: expected ";", found end of file`},
		{"expected name", "struct { uint8 ; } Foo; uint8 X;", "", `t.tls:1:16: expected a field name, found ";"`},
		{"expected number", "opaque X<a..2>;", "", `t.tls:1:10: expected a number, found name "a"`},
		{"bad number", "opaque X[0x];", "", "t.tls:1:10: bad number 0x"},
		{"bad number letters", "opaque X[12ab];", "", "t.tls:1:10: bad number 12ab"},
		{"negative length", "opaque X<0..1-2>;", "", "t.tls:1:14: length expression is negative"},
		{"overflowing length", "opaque X<0..2^63+2^63>;", "", "t.tls:1:17: length expression overflows 64 bits"},
		{"exponent too large", "opaque X<0..2^64>;", "", "t.tls:1:13: exponent 64 is too large"},
		{"not a power of 2", "opaque X<0..3^2>;", "", "t.tls:1:13: only powers of 2 are allowed, as in the RFC"},
		{"enum without width", "enum { a(1) } E;", "", "t.tls:1:13: enum needs its width as a last item, like (255) or (65535)"},
		{"select without cases", smTLS + "struct { select (Handshake.msg_type) { }; } S;", "", "t.tls:2:10: select has no cases"},
		{"duplicate unknown line", extTLS + "extensions Hello { unknown: reject; unknown: reject; };", "", "t.tls:6:37: duplicate unknown line"},
		{"ignore 0", extTLS + "extensions Hello { unknown: ignore 0; };", "", "t.tls:6:36: ignore takes 1 to 64 kept extensions"},
		{"ignore 65", extTLS + "extensions Hello { unknown: ignore 65; };", "", "t.tls:6:36: ignore takes 1 to 64 kept extensions"},
		{"bad unknown mode", extTLS + "extensions Hello { unknown: keep; };", "", `t.tls:6:29: expected "reject" or "ignore N", found name "keep"`},
		{"missing unknown line", extTLS + "extensions Hello { server_name: Sni; };", "", "t.tls:6:12: extensions Hello: missing the unknown line (reject or ignore N)"},
		{"one error per declaration", "struct { uint8 ; } A;\nstruct { uint8 a; uint8 ; } B;\nuint8 C;", "",
			"t.tls:1:16: expected a field name, found \";\"\nt.tls:2:25: expected a field name, found \";\""},

		// model.go: declarations
		{"built-in type", "uint8 uint16;", "", "t.tls:1:7: uint16 is a built-in type"},
		{"opaque is built in", "enum { a(1), (255) } opaque;", "", "t.tls:1:22: opaque is a built-in type"},
		{"type name style", "uint8 foo_bar;", "", "t.tls:1:7: type name foo_bar must be CamelCase, as in the RFCs (it is also the Go name)"},
		{"duplicate type", "uint8 X;\nstruct { uint8 a; } X;", "", "t.tls:2:21: duplicate type X (first declared at t.tls:1:7)"},
		{"duplicate type across kinds", "enum { a(1), (255) } X;\nopaque X<1..2>;", "", "t.tls:2:8: duplicate type X (first declared at t.tls:1:22)"},
		{"enum too wide", "enum { a(1), (65536) } E;", "", "t.tls:1:24: enum E: width (65536) is over 2^16-1"},
		{"enum value too big", "enum { a(256), (255) } E;", "", "t.tls:1:8: enum E: value a does not fit in (255)"},
		{"enum range too big", "enum { a(1), r(2..256), (255) } E;", "", "t.tls:1:14: enum E: value r does not fit in (255)"},
		{"enum duplicate value", "enum { a(1), a(2), (255) } E;", "", "t.tls:1:14: enum E: duplicate value name a (first at t.tls:1:8)"},
		{"typedef of a struct", "struct { uint8 a; } S;\nS T;", "", "t.tls:2:1: typedef T: only uintN NAME; opaque NAME[N]; and opaque NAME<min..max>; are supported"},
		{"typedef uint array", "uint8 T[2];", "", "t.tls:1:1: typedef T: only uintN NAME; opaque NAME[N]; and opaque NAME<min..max>; are supported"},
		{"bare opaque typedef", "opaque T;", "", "t.tls:1:1: typedef T: only uintN NAME; opaque NAME[N]; and opaque NAME<min..max>; are supported"},

		// model.go: length bounds
		{"fixed array of 0", "opaque X[0];", "", "t.tls:1:8: opaque: a fixed array of 0 octets"},
		{"min over max", "opaque X<5..4>;", "", "t.tls:1:8: length bound <5..4> can't hold: min is over max"},
		{"max over 2^32-1", "opaque X<0..2^32>;", "", "t.tls:1:8: length bound <0..4294967296> can't hold: max is over 2^32-1"},
		{"zero max", "opaque X<0..0>;", "", "t.tls:1:8: length bound <0..0> can't hold anything"},
		{"field min over max", "struct { opaque a<3..2>; } S;", "", "t.tls:1:17: length bound <3..2> can't hold: min is over max"},
		{"element bigger than max", "struct { uint16 v<0..1>; } S;", "", "t.tls:1:17: length bound <0..1> can't hold: one element takes 2 octets"},
		{"no whole elements", "struct { uint16 v<3..3>; } S;", "", "t.tls:1:17: length bound <3..3> can't hold: no whole number of 2-octet elements fits"},
		{"variable element too big", "struct { opaque a<1..10>; } E;\nstruct { E v<0..1>; } S;", "", "t.tls:2:12: length bound <0..1> can't hold: one element takes at least 2 octets"},
		{"extension list too small", extTLS + helloTable + "struct { Extension extensions<0..3>; } Reply;\nextensions Reply { unknown: reject; };", "", "t.tls:7:20: length bound <0..3> can't hold: one element takes at least 4 octets"},

		// model.go: fields and structs
		{"unknown type", "struct { Nope a; } S;", "", "t.tls:1:10: unknown type Nope"},
		{"unknown type reported once", "struct { B b; } A;\nstruct { Nope n; } B;\nstruct { B b; } C;", "", "t.tls:2:10: unknown type Nope"},
		{"select used as a type", smTLS + "struct { select (Handshake.msg_type) { case server_hello: uint8 x; }; } P;\nstruct { P p; } S;", "",
			"t.tls:3:10: P selects on Handshake.msg_type: name one of its cases"},
		{"contains itself", "struct { uint8 a; S s; } S;", "", "t.tls:1:19: S contains itself"},
		{"contains itself through another", "struct { B b; } A;\nstruct { A a; } B;", "", "t.tls:2:10: A contains itself"},
		{"field without a name", smTLS + "struct { uint8 a; } F;\nstruct { select (Handshake.msg_type) { case server_hello: F; uint8 x; }; } S;", "",
			"t.tls:3:59: field of type F has no name"},
		{"duplicate field", "struct { uint8 a; uint16 a; } S;", "", "t.tls:1:26: S: duplicate field a"},
		{"no Extension struct", "struct { Extension extensions<0..2^16-1>; } S;", "", "t.tls:1:10: unknown type Extension (declare it as in RFC 8446 §4.2)"},
		{"extensions without table", extTLS + helloTable + "struct { Extension extensions<0..2^16-1>; } Reply;", "", "t.tls:7:20: Reply has extensions but no `extensions Reply { ... };` table"},
		{"two extension lists", extTLS + helloTable + "struct { Extension a<0..2^16-1>; Extension b<0..2^16-1>; } Two;\nextensions Two { unknown: reject; };", "", "t.tls:7:44: Two has two extension lists"},
		{"opaque without length", "struct { opaque x; } S;", "", "t.tls:1:17: opaque x needs a length: [N] or <min..max>"},
		{"fixed array of uint", "struct { uint8 x[2]; } S;", "", "t.tls:1:10: fixed arrays are opaque only, not uint8"},
		{"fixed array of 0 in a field", "struct { opaque x[0]; } S;", "", "t.tls:1:17: opaque: a fixed array of 0 octets"},
		{"context length of uint", "struct { uint8 x[Foo.len]; } S;", "", "t.tls:1:10: [Foo.len] lengths are for opaque only"},
		{"self length after", "struct { opaque f[S.len]; uint16 len; } S;", "", "t.tls:1:17: f[S.len]: S has no integer field len before this one"},
		{"self length not an integer", "struct { opaque len<1..2>; opaque f[S.len]; } S;", "", "t.tls:1:35: f[S.len]: S has no integer field len before this one"},
		{"context length not last", "struct { opaque f[Hash.length]; uint8 x; } S;", "", "t.tls:1:17: f[Hash.length]: a length given by the context must be the last field"},
		{"open struct not last", "struct { opaque v[Hash.length]; } F;\nstruct { F f; uint8 x; } S;", "", "t.tls:2:10: F takes the rest of its input, so field f must be the last field"},
		{"open struct in a vector", "struct { opaque v[Hash.length]; } F;\nstruct { F f<1..10>; } S;", "", "t.tls:2:10: F takes the rest of its input, so it can't be a vector element"},
		{"empty struct in a vector", "struct {} E;\nstruct { E e<0..10>; } S;", "", "t.tls:2:10: E takes no octets, so it can't be a vector element"},

		// model.go: selects
		{"select on something else", smTLS + "struct { select (Foo.type) { case server_hello: uint8 x; }; } S;", "", "t.tls:2:10: select on Foo.type: only Handshake.msg_type is supported"},
		{"case not a HandshakeType", smTLS + "struct { select (Handshake.msg_type) { case hello: uint8 x; }; } S;", "", "t.tls:2:40: S: case hello is not a HandshakeType"},
		{"duplicate case", smTLS + "struct { select (Handshake.msg_type) { case finished: uint8 x; case finished: uint8 y; }; } S;", "", "t.tls:2:64: S: duplicate case finished"},
		{"bare case not a struct", smTLS + "struct { select (Handshake.msg_type) { case finished: uint16; }; } S;", "", "t.tls:2:55: a bare case type must be a struct, not uint16"},
		{"case type collides", smTLS + "struct {} SFinished;\nstruct { select (Handshake.msg_type) { case finished: uint8 x; }; } S;", "", "t.tls:3:40: S: case type SFinished collides with a declared type"},

		// model.go: extension tables
		{"duplicate table", extTLS + "extensions Hello { unknown: reject; };\nextensions Hello { unknown: reject; };", "", "t.tls:7:12: duplicate extensions table for Hello (first at t.tls:6:12)"},
		{"table for unknown message", extTLS + "extensions Hello { unknown: reject; };\nextensions Nope { unknown: reject; };", "", "t.tls:7:12: extensions Nope: unknown message Nope"},
		{"table for message without extensions", extTLS + "extensions Hello { unknown: reject; };\nextensions Sni { unknown: reject; };", "", "t.tls:7:12: extensions Sni: Sni has no `Extension extensions<..>` field"},
		{"no ExtensionType", "struct { uint16 extension_type; opaque extension_data<0..2^16-1>; } Extension;\nstruct { Extension extensions<0..2^16-1>; } Hello;\nextensions Hello { unknown: reject; };", "", "t.tls:3:12: extensions Hello: no ExtensionType enum"},
		{"not an ExtensionType", extTLS + "extensions Hello { padding: Sni; unknown: reject; };", "", "t.tls:6:20: extensions Hello: padding is not an ExtensionType"},
		{"duplicate extension", extTLS + "extensions Hello { cookie: Sni; cookie: Sni; unknown: reject; };", "", "t.tls:6:33: extensions Hello: duplicate cookie (first at t.tls:6:20)"},
		{"unknown case type", extTLS + "extensions Hello { cookie: Nope.client_hello; unknown: reject; };", "", "t.tls:6:28: unknown type Nope"},
		{"case of a plain struct", extTLS + "extensions Hello { cookie: Sni.client_hello; unknown: reject; };", "", "t.tls:6:28: Sni has no select, so .client_hello names nothing"},
		{"missing case", extTLS + "struct { select (Handshake.msg_type) { case client_hello: uint8 x; }; } Sel;\nextensions Hello { cookie: Sel.server_hello; unknown: reject; };", "", "t.tls:7:28: Sel has no case server_hello"},
		{"select named before its declaration", extTLS + "extensions Hello { cookie: Sel.server_hello; unknown: reject; };\nstruct { select (Handshake.msg_type) { case client_hello: uint8 x; }; } Sel;", "", "t.tls:6:28: Sel has no case server_hello"},
		{"unknown body type", extTLS + "extensions Hello { cookie: Nope; unknown: reject; };", "", "t.tls:6:28: unknown type Nope"},
		{"opaque body", extTLS + "opaque Blob<1..10>;\nextensions Hello { cookie: Blob; unknown: reject; };", "", "t.tls:7:28: an extension body must be a struct or an integer type, not Blob"},
		{"two last", extTLS + "extensions Hello { cookie: Sni last; key_share: Sni last; unknown: reject; };", "", "t.tls:6:38: extensions Hello: only one extension can be last"},

		// parse_sm.go
		{"state syntax", smTLS, smBase + "state\n", "t.sm:5:1: want: state NAME [initial|final]"},
		{"state flag", smTLS, smBase + "state C start\n", `t.sm:5:9: unknown state flag "start" (want initial or final)`},
		{"event syntax", smTLS, smBase + "event x\n", "t.sm:5:1: want: event NAME handshake|record|local [HANDSHAKE_TYPE]"},
		{"handshake event without type", smTLS, smBase + "event x handshake\n", "t.sm:5:9: a handshake event names its HandshakeType"},
		{"record event with a type", smTLS, smBase + "event x record finished\nA x -> B\n", "t.sm:5:16: only handshake events name a HandshakeType"},
		{"event kind", smTLS, smBase + "event x remote\n", `t.sm:5:9: unknown event kind "remote" (want handshake, record or local)`},
		{"transition without from", smTLS, smBase + "-> B\n", "t.sm:5:1: expected a state name (want: FROM[, FROM] EVENT [guard] -> TO / action[, action])"},
		{"transition without event", smTLS, smBase + "A -> B\n", "t.sm:5:3: expected an event name (want: FROM[, FROM] EVENT [guard] -> TO / action[, action])"},
		{"bad guard", smTLS, smBase + "A go [ok -> B\n", "t.sm:5:6: expected [guardName] (want: FROM[, FROM] EVENT [guard] -> TO / action[, action])"},
		{"no arrow", smTLS, smBase + "A go B\n", "t.sm:5:6: expected -> (want: FROM[, FROM] EVENT [guard] -> TO / action[, action])"},
		{"no target", smTLS, smBase + "A go ->\n", "t.sm:5:6: expected a target state or = (want: FROM[, FROM] EVENT [guard] -> TO / action[, action])"},
		{"no slash", smTLS, smBase + "A go -> B act\n", "t.sm:5:11: expected / before the actions (want: FROM[, FROM] EVENT [guard] -> TO / action[, action])"},
		{"no action", smTLS, smBase + "A go -> B /\n", "t.sm:5:11: expected an action name (want: FROM[, FROM] EVENT [guard] -> TO / action[, action])"},
		{"text after actions", smTLS, smBase + "A go -> B / act x\n", "t.sm:5:17: unexpected text after the actions (want: FROM[, FROM] EVENT [guard] -> TO / action[, action])"},

		// model_sm.go
		{"duplicate state", smTLS, smBase + "state A\n", "t.sm:5:7: duplicate state A (first at t.sm:1:7)"},
		{"second initial state", smTLS, smBase + "state C initial\nC go -> B\n", "t.sm:5:7: second initial state C"},
		{"no initial state", smTLS, "state A\nstate B final\nevent go local\nA go -> B\n", "t.sm:1:1: no initial state"},
		{"duplicate event", smTLS, smBase + "event go record\n", "t.sm:5:7: duplicate event go (first at t.sm:3:7)"},
		{"no HandshakeType", "uint8 X;", smBase + "event fin handshake finished\nA fin -> B\n", "t.sm:5:21: no HandshakeType enum in the spec"},
		{"unknown handshake type", smTLS, smBase + "event fin handshake finish\nA fin -> B\n", "t.sm:5:21: unknown type finish: not a HandshakeType"},
		{"unknown event", smTLS, smBase + "A stop -> B\n", "t.sm:5:3: unknown event stop"},
		{"guard name", smTLS, smBase + "A go [Ok] -> B\n", "t.sm:5:7: guard Ok must be a lower-case Go name"},
		{"guard with underscore", smTLS, smBase + "A go [is_ok] -> B\n", "t.sm:5:7: guard is_ok must be a lower-case Go name"},
		{"action name", smTLS, smBase + "B go -> A / Send\n", "t.sm:5:13: action Send must be a lower-case Go name"},
		{"unknown from state", smTLS, smBase + "C go -> B\n", "t.sm:5:1: unknown state C"},
		{"unknown to state", smTLS, smBase + "B go -> C\n", "t.sm:5:9: unknown state C"},
		{"duplicate transition", smTLS, smBase + "A go -> B / other\n", "t.sm:5:1: duplicate transition: A on go (first at t.sm:4:1)"},
		{"duplicate from star", smTLS, smBase + "* go -> B\n", "t.sm:5:1: duplicate transition: A on go (first at t.sm:4:1)"},
		{"unguarded before guarded", smTLS, smBase + "A go [ready] -> B\n", "t.sm:5:1: transition A on go [ready] is unreachable: an unguarded one comes first (t.sm:4:1)"},
		{"duplicate guarded", smTLS, "state A initial\nstate B final\nevent go local\nA go [ok] -> B\nA go [ok] -> B\nA go -> B\n", "t.sm:5:1: duplicate transition: A on go [ok] (first at t.sm:4:1)"},
		{"unused event", smTLS, smBase + "event idle local\n", "t.sm:5:7: event idle is never used"},
		{"unreachable state", smTLS, smBase + "state C\nC go -> B\n", "t.sm:5:7: state C is unreachable from A"},
		{"no way out", smTLS, smBase + "state C\nevent loop local\nA loop -> C\nC loop -> =\n", "t.sm:5:7: state C has no way out (mark it final if that is intended)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := load(c.tls, c.sm)
			if got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// TestSpecErrorsTooMany covers the limits that need big specs.
func TestSpecErrorsTooMany(t *testing.T) {
	// More than 32 entries in one extension table.
	var enum, table strings.Builder
	for i := 0; i < 33; i++ {
		fmt.Fprintf(&enum, "e%d(%d), ", i, i)
		fmt.Fprintf(&table, "e%d: Body; ", i)
	}
	tls := "enum { " + enum.String() + "(65535) } ExtensionType;\n" +
		"struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;\n" +
		"struct { uint8 x; } Body;\n" +
		"struct { Extension extensions<0..2^16-1>; } Hello;\n" +
		"extensions Hello { " + table.String() + "unknown: reject; };"
	if got, want := load(tls, ""), "t.tls:5:12: extensions Hello: more than 32 extensions"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	// The state table's uint8 indexes.
	machine := func(states, events, guards, actions, perLine int) string {
		var b strings.Builder
		b.WriteString("state S0 initial\nstate END final\n")
		for i := 1; i < states; i++ {
			fmt.Fprintf(&b, "state S%d\n", i)
		}
		for i := 0; i < events; i++ {
			fmt.Fprintf(&b, "event e%d local\n", i)
		}
		// A chain through every state, then one line per event and guard.
		for i := 0; i+1 < states; i++ {
			fmt.Fprintf(&b, "S%d e0 -> S%d\n", i, i+1)
		}
		fmt.Fprintf(&b, "S%d e0 -> END\n", states-1)
		for i := 1; i < events; i++ {
			fmt.Fprintf(&b, "S0 e%d -> END\n", i)
		}
		for i := 0; i < guards; i++ {
			fmt.Fprintf(&b, "S1 e1 [g%d] -> END\n", i)
		}
		if guards > 0 {
			b.WriteString("S1 e1 -> END\n")
		}
		for i := 0; i < actions; i += perLine {
			var acts []string
			for j := i; j < i+perLine && j < actions; j++ {
				acts = append(acts, fmt.Sprintf("a%d", j))
			}
			fmt.Fprintf(&b, "S%d e2 -> END / %s\n", 2+i/perLine, strings.Join(acts, ", "))
		}
		return b.String()
	}
	for _, c := range []struct {
		name                                     string
		states, events, guards, actions, perLine int
		want                                     string
	}{
		{"fits", 10, 3, 0, 4, 1, ""},
		{"states", 255, 3, 0, 0, 1, "t.sm:1:1: too many states (256): the generated table holds at most 255\nt.sm:1:1: too many transitions (257): the generated table holds at most 255"},
		{"events", 3, 255, 0, 0, 1, "t.sm:1:1: too many events (256): the generated table holds at most 255\nt.sm:1:1: too many transitions (257): the generated table holds at most 255"},
		{"guards", 3, 3, 255, 0, 1, "t.sm:1:1: too many guards (256): the generated table holds at most 255\nt.sm:1:1: too many transitions (261): the generated table holds at most 255"},
		{"distinct actions", 10, 3, 0, 256, 32, "t.sm:1:1: too many distinct actions (256): the generated table holds at most 255\nt.sm:1:1: too many actions in all transitions (256): the generated table holds at most 255"},
		{"transitions", 250, 8, 0, 0, 1, "t.sm:1:1: too many transitions (257): the generated table holds at most 255"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := load(smTLS, machine(c.states, c.events, c.guards, c.actions, c.perLine))
			if got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// TestSpecErrorsFieldsNextToSelect covers a check the parser makes
// unreachable (it reads either fields or one select), for a model built
// by other means.
func TestSpecErrorsFieldsNextToSelect(t *testing.T) {
	f, err := ParseTLS("t.tls", []byte(smTLS+"struct { select (Handshake.msg_type) { case finished: uint8 x; }; } S;"))
	if err != nil {
		t.Fatal(err)
	}
	f.Structs[0].Fields = []*FieldDecl{{Pos: Pos{"t.tls", 9, 9}, Type: "uint8", Name: "y"}}
	_, err = resolveModel([]*File{f}, nil)
	if got, want := fmt.Sprint(err), "t.tls:2:69: S: fields next to a select are not supported"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestLoadDir covers Load's own error and its success on a directory.
func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.tls"), []byte(smTLS), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if want := dir + ": want exactly one .sm file"; fmt.Sprint(err) != want {
		t.Errorf("no .sm: got %v, want %s", err, want)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.sm"), []byte(smBase), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err != nil {
		t.Errorf("valid dir: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.sm"), []byte(smBase), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); fmt.Sprint(err) != dir+": want exactly one .sm file" {
		t.Errorf("two .sm: got %v", err)
	}
	// Errors from several files are all reported, in file order.
	if err := os.Remove(filepath.Join(dir, "b.sm")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.tls"), []byte("uint8 ;"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.sm"), []byte("state\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(dir)
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 2 {
		t.Fatalf("got %v, want two errors", err)
	}
	if !strings.HasSuffix(list[0].Pos.File, "a.sm") || !strings.HasSuffix(list[1].Pos.File, "b.tls") {
		t.Errorf("errors not sorted by file: %v", err)
	}
}

// TestParseCap checks that a file full of errors stops after 20.
func TestParseCap(t *testing.T) {
	_, err := ParseTLS("t.tls", []byte(strings.Repeat("uint8 ;\n", 50)))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != 20 {
		t.Errorf("got %d errors, want 20", len(list))
	}
}
