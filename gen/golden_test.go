package gen

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite gen/testdata/golden/*.golden from the generator's output")

// goldenCases returns the base names of gen/testdata/golden/*.tls.
func goldenCases(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "golden", "*.tls"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var cases []string
	for _, n := range names {
		cases = append(cases, strings.TrimSuffix(filepath.Base(n), ".tls"))
	}
	if len(cases) == 0 {
		t.Fatal("no golden specs")
	}
	return cases
}

// loadGolden loads testdata/golden/name.tls and, if there is one,
// name.sm beside it.
func loadGolden(t *testing.T, name string) *Model {
	t.Helper()
	dir := filepath.Join("testdata", "golden")
	src, err := os.ReadFile(filepath.Join(dir, name+".tls"))
	if err != nil {
		t.Fatal(err)
	}
	var sm *Source
	if data, err := os.ReadFile(filepath.Join(dir, name+".sm")); err == nil {
		sm = &Source{Name: "testdata/golden/" + name + ".sm", Data: data}
	}
	m, err := LoadSources([]Source{{Name: "testdata/golden/" + name + ".tls", Data: src}}, sm)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// goldenImport is where TestGoldenCompiles puts the Go output of a golden
// spec; the golden fuzz targets import it from there.
func goldenImport(name string) string { return "github.com/tabletls/tabletls/gen/zz_golden_" + name }

// goldenLayout puts the codecs in package golden and the state machine in
// a package of its own that imports it, as tls imports internal/wire.
func goldenLayout(name string) Layout {
	return Layout{Pkg: "golden", Dir: "out", Import: goldenImport(name), MachinePkg: "goldensm", MachineDir: "sm", Docs: "docs", Fuzz: &FuzzOutput{Dir: "fuzz"}}
}

// renderGolden is every output of Generate, each under a header line.
func renderGolden(t *testing.T, name string, m *Model) ([]Output, []byte) {
	t.Helper()
	outs, err := Generate(m, goldenLayout(name))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, o := range outs {
		fmt.Fprintf(&b, "==== %s ====\n", filepath.ToSlash(o.Path))
		b.Write(o.Data)
	}
	return outs, b.Bytes()
}

// TestGolden compares what the generator makes of each small spec in
// testdata/golden with the .golden file beside it. Run
// `go test ./gen -run TestGolden -update` after an intended change, and
// read the diff.
func TestGolden(t *testing.T) {
	for _, name := range goldenCases(t) {
		t.Run(name, func(t *testing.T) {
			_, got := renderGolden(t, name, loadGolden(t, name))
			path := filepath.Join("testdata", "golden", name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run with -update and review the diff):\n%s", path, firstDiff(want, got))
			}
		})
	}
}

// firstDiff shows the first line that differs, with a little context.
func firstDiff(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want: %q\n  got:  %q", i+1, w, g)
		}
	}
	return "(same lines, different bytes)"
}

// TestGoldenCompiles builds the Go output for each golden spec,
// next to a copy of the real runtime (internal/wire/codec.go) and stubs for what
// package tls writes by hand, so that a generator change that produces
// code which does not compile fails here and not only in tls/. The fuzz
// targets are compiled (go test -c) in a package of their own beside it,
// with stubs of the helpers of fuzz/codec.go.
func TestGoldenCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	runtime, err := os.ReadFile(filepath.Join(root, "internal", "wire", "codec.go"))
	if err != nil {
		t.Fatal(err)
	}
	runtime = bytes.Replace(runtime, []byte("package wire"), []byte("package golden"), 1)
	tmp := t.TempDir()
	overlay := map[string]string{}
	var pkgs, fuzzPkgs, codecPkgs []string
	for _, name := range goldenCases(t) {
		m := loadGolden(t, name)
		outs, _ := renderGolden(t, name, m)
		// The packages exist only in the overlay, inside this module so
		// that x/crypto resolves.
		files := map[string][]byte{
			"codec.go":       runtime,
			"stubs.go":       goldenStubs(m),
			"errors_test.go": goldenErrorsTest(m),
			"enums_test.go":  goldenEnumsTest(m),
		}
		fuzzFiles := map[string][]byte{"stubs.go": []byte(goldenFuzzStubs)}
		smFiles := map[string][]byte{}
		for _, o := range outs {
			switch {
			case filepath.Base(o.Path) == FuzzFile || filepath.Base(o.Path) == FuzzChecksFile:
				fuzzFiles[filepath.Base(o.Path)] = o.Data
			case filepath.Dir(o.Path) == "sm":
				smFiles[filepath.Base(o.Path)] = o.Data
			case strings.HasSuffix(o.Path, ".go"):
				files[filepath.Base(o.Path)] = o.Data
			}
		}
		dirs := map[string]map[string][]byte{"zz_golden_" + name: files, "zz_golden_fuzz_" + name: fuzzFiles}
		if m.Machine != nil {
			smFiles["stubs.go"] = goldenMachineStubs(name, m)
			dirs["zz_golden_sm_"+name] = smFiles
			pkgs = append(pkgs, "./gen/zz_golden_sm_"+name)
		}
		for sub, files := range dirs {
			for fn, data := range files {
				p := filepath.Join(tmp, sub+"_"+fn)
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
				overlay[filepath.Join(root, "gen", sub, fn)] = p
			}
		}
		pkgs = append(pkgs, "./gen/zz_golden_"+name)
		codecPkgs = append(codecPkgs, "./gen/zz_golden_"+name)
		fuzzPkgs = append(fuzzPkgs, "./gen/zz_golden_fuzz_"+name)
	}
	ov, _ := json.Marshal(map[string]any{"Replace": overlay})
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	codecTests := filepath.Join(tmp, "codectests") + string(filepath.Separator)
	for _, args := range [][]string{
		append([]string{"build", "-overlay", ovPath}, pkgs...),
		append([]string{"test", "-c", "-vet=off", "-o", tmp + string(filepath.Separator), "-overlay", ovPath}, fuzzPkgs...),
		append([]string{"test", "-c", "-vet=off", "-o", codecTests, "-overlay", ovPath}, codecPkgs...),
	} {
		cmd := exec.Command(goTool, args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOPROXY=off")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %s of the generated golden packages: %v\n%s", args[0], err, out)
		}
	}
	// The codecs' errors and the enums' names, through the real runtime
	// (goldenErrorsTest, goldenEnumsTest).
	for _, p := range codecPkgs {
		bin := codecTests + filepath.Base(p) + ".test"
		out, err := exec.Command(bin, "-test.run", "^TestGolden(Errors|Enums)$", "-test.v").CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("--- PASS: TestGoldenErrors")) || !bytes.Contains(out, []byte("--- PASS: TestGoldenEnums")) {
			t.Errorf("%s: %v\n%s", p, err, out)
		}
	}
}

// goldenEnumsTest is a test of a golden codec package: String, Name and
// IsKnown of each of its enums, on every value of the type, give the
// spec's name for a value it names and "Type(0x..)" for any other, as
// the model has them.
func goldenEnumsTest(m *Model) []byte {
	var b bytes.Buffer
	b.WriteString(`package golden

import (
	"fmt"
	"testing"
)

func checkEnum(t *testing.T, typ string, bits int, names map[uint32]string, str func(uint32) string, name func(uint32) (string, bool), known func(uint32) bool) {
	t.Helper()
	for v := uint32(0); v < 1<<bits; v++ {
		want, ok := names[v]
		if !ok {
			want = fmt.Sprintf("%s(0x%0*x)", typ, bits/4, v)
		}
		n, named := name(v)
		if str(v) != want || named != ok || known(v) != ok || (ok && n != want) || (!ok && n != "") {
			t.Errorf("%s(%#x): String %q, Name %q %v, IsKnown %v; want %q", typ, v, str(v), n, named, known(v), want)
		}
	}
}

func TestGoldenEnums(t *testing.T) {
`)
	for _, e := range m.Enums {
		fmt.Fprintf(&b, "\tcheckEnum(t, %q, %d, map[uint32]string{", e.Name, e.Bits)
		for _, v := range e.Values {
			fmt.Fprintf(&b, "%#x: %q, ", v.Value, v.Name)
		}
		fmt.Fprintf(&b, "},\n\t\tfunc(v uint32) string { return %[1]s(v).String() },\n", e.Name)
		fmt.Fprintf(&b, "\t\tfunc(v uint32) (string, bool) { return %[1]s(v).Name() },\n", e.Name)
		fmt.Fprintf(&b, "\t\tfunc(v uint32) bool { return %[1]s(v).IsKnown() })\n", e.Name)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// goldenErrorsTest is a test of a golden codec package: every error its
// codecs return gives, through the runtime of internal/wire/codec.go and
// the generated tables, the message and alert the emitter was asked for,
// and there are no other codes.
func goldenErrorsTest(m *Model) []byte {
	_, errs := emitCodecs(m, "golden")
	l := errs.tables()
	var b bytes.Buffer
	b.WriteString("package golden\n\nimport \"testing\"\n\nfunc TestGoldenErrors(t *testing.T) {\n")
	b.WriteString("\tfor _, c := range []struct {\n\t\terr   Error\n\t\tmsg   string\n\t\talert AlertDescription\n\t}{\n")
	for _, n := range l.names {
		c := errs.errs[n]
		fmt.Fprintf(&b, "\t\t{%s, %q, %s},\n", n, c.message(), c.kind.alert)
	}
	b.WriteString("\t} {\n\t\tif c.err.Error() != c.msg || c.err.Alert() != c.alert {\n")
	b.WriteString("\t\t\tt.Errorf(\"Error(%d) is %q with %v, want %q with %v\", c.err, c.err.Error(), c.err.Alert(), c.msg, c.alert)\n\t\t}\n\t}\n")
	fmt.Fprintf(&b, "\tif len(errCodes) != %d {\n\t\tt.Errorf(\"%%d codes, want %d\", len(errCodes))\n\t}\n}\n", len(l.names), len(l.names))
	return b.Bytes()
}

// goldenFuzzStubs declares the helpers the generated fuzz targets and
// checks call (written by hand in fuzz/codec.go for the real ones).
const goldenFuzzStubs = `package fuzz

type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

type codec interface {
	Unmarshal(b []byte) error
	Append(b []byte) ([]byte, error)
}

type alertSet uint8

const (
	decodeError alertSet = 1 << iota
	illegalParameter
	unsupportedExtension
)

func checkCodec[T any, P interface {
	*T
	codec
}](t tb, data []byte, allowed alertSet) {
	_ = P(new(T)).Unmarshal(data)
}

func seedPart(add func(string, []byte), target string, enc func([]byte) ([]byte, error)) {}

func seedExtensions(add func(string, []byte), list []byte) {}
`

// goldenStubs declares what the generated codecs expect beside the
// runtime (internal/wire/codec.go): the alerts they name, when the spec
// has no AlertDescription of its own.
func goldenStubs(m *Model) []byte {
	var b bytes.Buffer
	b.WriteString("package golden\n\n")
	if _, ok := m.byName["AlertDescription"]; !ok {
		b.WriteString(`type AlertDescription uint8

const (
	AlertDescriptionUnexpectedMessage AlertDescription = 10
	AlertDescriptionIllegalParameter AlertDescription = 47
	AlertDescriptionDecodeError AlertDescription = 50
	AlertDescriptionInternalError AlertDescription = 80
	AlertDescriptionUnsupportedExtension AlertDescription = 110
)
`)
	}
	return b.Bytes()
}

// goldenMachineStubs declares what the generated state machine expects
// of the engine's package, as package tls has it: AlertError, newAlert,
// and the engine with its guards and actions.
func goldenMachineStubs(name string, m *Model) []byte {
	sm := m.Machine
	var b bytes.Buffer
	fmt.Fprintf(&b, "package goldensm\n\nimport golden %q\n\n", goldenImport(name))
	b.WriteString(`type AlertError struct {
	Alert golden.AlertDescription
	Msg   string
}

func (e *AlertError) Error() string { return e.Msg }

func newAlert(a golden.AlertDescription, msg string) *AlertError { return &AlertError{a, msg} }

const AlertUnexpectedMessage golden.AlertDescription = 10
`)
	b.WriteString("\ntype engine struct{ state HandshakeState }\n\n")
	b.WriteString("func (e *engine) traceTransition(from HandshakeState, ev HandshakeEvent, to HandshakeState) {}\n")
	for _, g := range sm.Guards {
		fmt.Fprintf(&b, "func (e *engine) %s() bool { return false }\n", g)
	}
	for _, a := range sm.Actions {
		fmt.Fprintf(&b, "func (e *engine) %s() error { return nil }\n", a)
	}
	b.WriteString("\nvar _ = (*engine).dispatch\nvar _ = initialState\nvar _ = stateFinal\nvar _ = eventKinds\nvar _ = handshakeEvents\nvar _ = guardNames\nvar _ = actionNames\n")
	return b.Bytes()
}

// TestGoldenCoverage checks that the golden specs still exercise what they
// are meant to, so that editing one does not quietly drop a case.
func TestGoldenCoverage(t *testing.T) {
	all := map[string][]byte{}
	for _, name := range goldenCases(t) {
		_, got := renderGolden(t, name, loadGolden(t, name))
		all[name] = got
	}
	for _, c := range []struct{ file, pattern string }{
		{"enums", `type Color uint8`},
		{"enums", `type Suite uint16`},
		{"enums", `TLS_AES_128_GCM_SHA256 Suite = 0x1301`},
		{"enums", `ColorBlueGreen\s+Color = 0x10`},
		{"enums", `type Version uint16`},
		{"enums", `if i := uint\(v\) - 0x01; i < 16 && colorNameIndex\[i\] != colorNameIndex\[i\+1\] \{`},
		{"enums", `for i, x := range &schemeValues \{`},
		{"enums", `func \(v Reserved\) String\(\) string \{\s+return UnknownName\("Reserved", uint32\(v\), 2\)`},
		{"enums", `type Length24 uint32`},
		{"structs", `ReadUint24\(&m\.Length24\)`},
		{"structs", `ReadUint64\(&m\.Big\)`},
		{"structs", `s\.ReadBytes\(&m\.Random, 4\)`},
		{"structs", `Kinds\s+KindVector`},
		{"structs", `Names\s+NameVector`},
		{"structs", `Entries\s+EntryVector`},
		{"structs", `Randoms\s+RandomVector`},
		{"structs", `m\.First\.unmarshal\(s\)`},
		{"structs", `s\.ReadBytes\(&m\.Fragment, int\(m\.Length\)\)`},
		{"structs", `m\.VerifyData = \[\]byte\(\*s\)`},
		{"structs", `func \(x KindVector\) At\(i int\) Kind`},
		{"structs", `func \(\*Nothing\) unmarshal\(\*cryptobyte\.String\) error`},
		{"structs", `func BuildEntryVector\(b \[\]byte\) EntryVectorBuilder`},
		{"structs", `func \(x \*EntryVectorBuilder\) Add\(el \*Entry\) \{\s+if x\.err == nil \{\s+x\.b, x\.err = el\.Append\(x\.b\)`},
		{"structs", `func \(x \*KindVectorBuilder\) Add\(el Kind\) \{\s+x\.b = appendUintN\(x\.b, 2, uint64\(el\)\)`},
		{"structs", `func \(x \*NameVectorBuilder\) AddString\(el string\)`},
		{"structs", `func \(x \*RandomVectorBuilder\) Add\(el \[\]byte\) \{\s+if len\(el\) != 4 \{`},
		{"structs", `func \(x \*EntryVectorBuilder\) Vector\(\) \(EntryVector, \[\]byte, error\) \{\s+n := len\(x\.b\)\s+return EntryVector\{x\.b\[x\.start:n:n\]\}, x\.b, x\.err`},
		{"structs", `func \(m \*Entry\) UnmarshalPrefix\(b \[\]byte\) \(\[\]byte, error\)`},
		{"select", `type PreSharedServerHello struct`},
		{"select", `type VersionsClientHello struct`},
		{"select", `type VersionsServerHello struct`},
		{"extensions", `type HelloExtensions struct`},
		{"extensions", `unknown\s+\[2\]Extension`},
		{"extensions", `errUnsupportedReplyExtensions\s+Error = \d+\s+// tls: unsupported extension in Reply\n`},
		{"extensions", `errNotLastHelloExtensions\s+Error = \d+\s+// tls: pre_shared_key is not the last extension in Hello\n`},
		{"extensions", `errTooManyHelloExtensions\s+Error = \d+\s+// tls: more than 2 unknown extensions in Hello\n`},
		{"extensions", `errDecodeHelloExtensions\s+Error = \d+\s+// tls: malformed extension list in Hello\n`},
		{"extensions", `errEncodeHelloExtensions\s+Error = \d+\s+// tls: cannot encode extensions of Hello\n`},
		{"structs", `errDecodeEntryKind\s+Error = \d+\s+// tls: malformed Entry\.kind\n`},
		{"structs", `errEncodeNameVector\s+Error = \d+\s+// tls: cannot encode an element of a list of Name: out of range\n`},
		{"structs", `const errText = "tls: malformed \\x00\.\\x01" \+\n`},
		{"structs", `var errCodes = \[\.\.\.\]struct \{\s+template\s+uint8\s+name1, name2 uint8\s+\}\{\n\s+errDecodeEntryData:\s+\{0, \d+, \d+\},`},
		{"enums", `const errText = ""`},
		{"extensions", `PreSharedKey\s+Psk\s+// pre_shared_key`},
		{"extensions", `SupportedVersions\s+SupportedVersionsClientHello`},
		{"extensions", `MaxFragmentLength\s+MaxFragmentLength`},
		{"structs", `func FuzzMessage\(f \*testing\.F\) \{\s+f\.Fuzz\(func\(t \*testing\.T, data \[\]byte\) \{\s+checkMessage\(t, data\)`},
		{"structs", `func checkMessage\(t tb, data \[\]byte\)`},
		{"structs", `checkCodec\[golden\.Nothing\]\(t, data, decodeError\)`},
		{"structs", `"FuzzWrapped":\s+checkWrapped,`},
		{"structs", `seedPart\(add, "FuzzEntry", m\.First\.Append\)`},
		{"structs", `for it := m\.Entries\.Iter\(\); it\.Next\(&e\); \{\s+seedPart\(add, "FuzzEntry", e\.Append\)`},
		{"select", `func FuzzVersionsServerHello\(f \*testing\.F\)`},
		{"extensions", `checkCodec\[golden\.Hello\]\(t, data, decodeError\|illegalParameter\)`},
		{"extensions", `checkCodec\[golden\.ReplyExtensions\]\(t, data, decodeError\|illegalParameter\|unsupportedExtension\)`},
		{"extensions", `seedExtensions\(add, data\)\s+if x\.Has\(golden\.ExtensionTypeServerName\) \{\s+seedPart\(add, "FuzzServerName", x\.ServerName\.Append\)`},
		{"extensions", `seedPart\(add, "FuzzHelloExtensions", m\.Extensions\.Append\)`},
		{"machine", `var transitionStart = \[numStates\*numEvents \+ 1\]uint8\{`},
		{"machine", `for _, a := range actionsOf\(i\) \{`},
		{"machine", `golden\.HandshakeTypeServerHello: EventHello`},
		{"machine", `return golden\.UnknownName\("HandshakeState"`},
		{"machine", `return stateNames\[stateNameIndex\[s\]:stateNameIndex\[s\+1\]\]`},
		{"machine", `return eventNames\[eventNameIndex\[e\]:eventNameIndex\[e\+1\]\]`},
		{"machine", `"WAIT" -> "WAIT" \[label="ping\\n/ dropPing"\]`},
		{"machine", `"START" -> "DONE" \[label="stop\\n/ sendClose"\]`},
		{"machine", `"WAIT" -> "READY" \[label="hello \[resumed\]`},
	} {
		if !regexp.MustCompile(c.pattern).Match(all[c.file]) {
			t.Errorf("%s.golden: no match for %s", c.file, c.pattern)
		}
	}
}
