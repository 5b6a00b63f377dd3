package tls

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// The public API of package tls, as a user of crypto/tls reads it: small
// (issue 11: go doc -all under 1,000 lines, no generated wire type),
// every exported identifier documented, Go's initialisms cased as Go
// names them. These tests walk the source of tls and its subpackages;
// each failure names the identifier and where it is declared.

// maxGoDocLines bounds `go doc -all ./tls`; crypto/tls's is 1,375.
const maxGoDocLines = 1000

// apiPackages are the directories of tls and its subpackages, internal
// ones included (their exported names are still read by tabletls's
// maintainers, and a user of Config sees them in errors and traces).
func apiPackages(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if m, _ := filepath.Glob(filepath.Join(path, "*.go")); len(m) > 0 {
				dirs = append(dirs, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 6 {
		t.Fatalf("found only %d packages under tls/: %v", len(dirs), dirs)
	}
	return dirs
}

// apiFiles parses the non-test Go files of dir, with comments.
func apiFiles(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// exportedName is one exported identifier: a top-level name, a method of
// an exported type, a field or interface method of one.
type exportedName struct {
	name       string // as go doc names it: Config, Config.Rand, (*Conn).Read
	ident      *ast.Ident
	documented bool
}

// exportedNames lists the exported identifiers of the files, with whether
// each has a doc comment. A const or var in a group counts as documented
// by the group's comment, as go doc shows it; a field or const also by a
// comment on its line.
func exportedNames(files []*ast.File) []exportedName {
	var out []exportedName
	has := func(groups ...*ast.CommentGroup) bool {
		for _, g := range groups {
			if g != nil && strings.TrimSpace(g.Text()) != "" {
				return true
			}
		}
		return false
	}
	exportedTypes := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, sp := range g.Specs {
					if ts := sp.(*ast.TypeSpec); ts.Name.IsExported() {
						exportedTypes[ts.Name.Name] = true
					}
				}
			}
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				name := d.Name.Name
				if d.Recv != nil {
					recv := d.Recv.List[0].Type
					star := ""
					if s, ok := recv.(*ast.StarExpr); ok {
						recv, star = s.X, "*"
					}
					if ix, ok := recv.(*ast.IndexExpr); ok {
						recv = ix.X
					}
					id, ok := recv.(*ast.Ident)
					if !ok || !exportedTypes[id.Name] {
						continue // a method of an unexported type is not in the API
					}
					name = "(" + star + id.Name + ")." + name
				}
				out = append(out, exportedName{name, d.Name, has(d.Doc)})
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					switch sp := sp.(type) {
					case *ast.TypeSpec:
						if !sp.Name.IsExported() {
							continue
						}
						out = append(out, exportedName{sp.Name.Name, sp.Name, has(sp.Doc, d.Doc)})
						var fields *ast.FieldList
						switch ty := sp.Type.(type) {
						case *ast.StructType:
							fields = ty.Fields
						case *ast.InterfaceType:
							fields = ty.Methods
						}
						if fields == nil {
							continue
						}
						for _, fl := range fields.List {
							for _, n := range fl.Names {
								if n.IsExported() {
									out = append(out, exportedName{sp.Name.Name + "." + n.Name, n, has(fl.Doc, fl.Comment)})
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range sp.Names {
							if n.IsExported() {
								out = append(out, exportedName{n.Name, n, has(sp.Doc, sp.Comment, d.Doc)})
							}
						}
					}
				}
			}
		}
	}
	return out
}

// TestGoDocSize runs go doc -all on package tls: fewer than
// maxGoDocLines lines, and no generated message type of internal/wire
// (those are the codecs' business, not a user's).
func TestGoDocSize(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command to run go doc: %v", err)
	}
	out, err := exec.Command(goTool, "doc", "-all", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go doc -all: %v\n%s", err, out)
	}
	lines := strings.Count(string(out), "\n")
	t.Logf("go doc -all ./tls: %d lines", lines)
	if lines >= maxGoDocLines {
		t.Errorf("go doc -all ./tls is %d lines, want fewer than %d: keep the API small", lines, maxGoDocLines)
	}
	wireTypes := wireTypeNames(t)
	typeLine := regexp.MustCompile(`(?m)^type (\w+) `)
	types := 0
	for _, m := range typeLine.FindAllStringSubmatch(string(out), -1) {
		types++
		if wireTypes[m[1]] && !keptWireNames[m[1]] {
			t.Errorf("go doc -all ./tls lists type %s, a generated message type of internal/wire", m[1])
		}
	}
	if types == 0 {
		t.Fatal("go doc -all ./tls lists no type: did its output change shape?")
	}
	for i, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "wire.") {
			t.Errorf("go doc -all ./tls line %d names internal/wire: %s", i+1, strings.TrimSpace(l))
		}
	}
}

// keptWireNames are type names package tls declares itself, with the
// same name as a wire registry or message, and the meaning of crypto/tls:
// Certificate is the client's key pair (crypto/tls.Certificate), not the
// Certificate message, which stays in internal/wire.
var keptWireNames = map[string]bool{"SignatureScheme": true, "AlertDescription": true, "Certificate": true}

// wireTypeNames are the types generated in internal/wire.
func wireTypeNames(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	names := map[string]bool{}
	for _, f := range []string{"zz_generated_codecs.go", "zz_generated_enums.go"} {
		file, err := parser.ParseFile(fset, filepath.Join("..", "internal", "wire", f), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.TYPE {
				for _, sp := range g.Specs {
					names[sp.(*ast.TypeSpec).Name.Name] = true
				}
			}
		}
	}
	if len(names) < 50 {
		t.Fatalf("found only %d types in internal/wire", len(names))
	}
	return names
}

// TestNoGeneratedWireTypeInAPI walks the source of package tls: the only
// exported names in its generated file are the state machine's states
// and events, which Config.Trace reports; no exported type of package tls
// has the name of a generated wire type.
func TestNoGeneratedWireTypeInAPI(t *testing.T) {
	fset := token.NewFileSet()
	wireTypes := wireTypeNames(t)
	allowedGenerated := regexp.MustCompile(`^(HandshakeState|HandshakeEvent|\(HandshakeState\)\.String|\(HandshakeEvent\)\.String|State[A-Z]\w*|Event[A-Z]\w*)$`)
	for _, n := range exportedNames(apiFiles(t, fset, ".")) {
		pos := fset.Position(n.ident.Pos())
		if strings.HasPrefix(filepath.Base(pos.Filename), "zz_generated") && !allowedGenerated.MatchString(n.name) {
			t.Errorf("%s: %s is exported from a generated file of package tls", pos, n.name)
		}
		if wireTypes[n.name] && !keptWireNames[n.name] {
			t.Errorf("%s: package tls exports %s, the name of a generated wire type", pos, n.name)
		}
	}
}

// TestExportedIdentifiersDocumented: every exported identifier of tls
// and its subpackages has a doc comment.
func TestExportedIdentifiersDocumented(t *testing.T) {
	total := 0
	for _, dir := range apiPackages(t) {
		fset := token.NewFileSet()
		for _, n := range exportedNames(apiFiles(t, fset, dir)) {
			total++
			if !n.documented {
				t.Errorf("%s: exported %s has no doc comment", fset.Position(n.ident.Pos()), n.name)
			}
		}
	}
	if total < 100 {
		t.Fatalf("checked only %d exported identifiers", total)
	}
}

// initialisms are the ones Go spells in one case (go/lint's list and the
// TLS ones): ClientID, not ClientId; SHA256, not Sha256.
var initialisms = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`ACL AEAD AES ALPN API ASCII CA CCM CCS CN CPU CRL CSR DER DH DNS EC ECDH ECDHE ECDSA EOF GCM
		HKDF HMAC HRR HTML HTTP HTTPS ID IP IV JSON KDF KEM MAC MLKEM MQTT NSS OCSP OID PEM PKCS PRF PSK PSS QUIC RAM RPC RSA RSAE
		RTT SAN SHA SNI SPKI SQL SSH SSL TCP TLS TTL UDP UI URI URL UTF UUID XML`) {
		initialisms[w] = true
	}
}

// nameWords splits a Go name into its words: CurveID is Curve ID,
// ECDSAWithP256AndSHA256 is ECDSA With P256 And SHA256,
// AlertUnknownPSKIdentity is Alert Unknown PSK Identity,
// TLS_AES_128_GCM_SHA256 is TLS AES 128 GCM SHA256. Digits stay with the
// word before them.
func nameWords(name string) []string {
	var words []string
	for _, part := range strings.Split(name, "_") {
		r := []rune(part)
		start := 0
		for i := 1; i < len(r); i++ {
			prev, cur := r[i-1], r[i]
			next := rune(0)
			if i+1 < len(r) {
				next = r[i+1]
			}
			if unicode.IsUpper(cur) && (unicode.IsLower(prev) || unicode.IsDigit(prev) || unicode.IsUpper(prev) && unicode.IsLower(next)) {
				words = append(words, string(r[start:i]))
				start = i
			}
		}
		if start < len(r) {
			words = append(words, string(r[start:]))
		}
	}
	return words
}

// miscased returns the word of name that spells an initialism in mixed
// case (Ca, Rsa, Sha256, Psk, Id), or "".
func miscased(name string) string {
	for _, w := range nameWords(name) {
		base := strings.TrimRightFunc(w, unicode.IsDigit)
		r := []rune(base)
		if len(r) < 2 || !unicode.IsUpper(r[0]) || string(r[1:]) != strings.ToLower(string(r[1:])) {
			continue // all upper case, or not a word
		}
		if initialisms[strings.ToUpper(base)] {
			return w
		}
	}
	return ""
}

func TestMiscasedInitialismsRule(t *testing.T) {
	for name, want := range map[string]string{
		"AlertDescriptionUnknownCa":     "Ca",
		"SignatureSchemeRsaPkcs1Sha256": "Rsa",
		"ExtensionTypeOidFilters":       "Oid",
		"PskIdentity":                   "Psk",
		"ClientId":                      "Id",
		"HashSha256":                    "Sha256",
		"CurveID":                       "",
		"ECDSAWithP256AndSHA256":        "",
		"TLS_AES_128_GCM_SHA256":        "",
		"X25519MLKEM768":                "",
		"PKCS1WithSHA256":               "",
		"HTTPServer":                    "",
		"Identity":                      "",
		"Caller":                        "",
		"AlertUnknownPSKIdentity":       "",
		"AlertUnknownPskIdentity":       "Psk",
		"MLKEMKeyID":                    "",
		"HkdfLabel":                     "Hkdf",
	} {
		if got := miscased(name); got != want {
			t.Errorf("miscased(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestExportedNamesInitialisms: no exported identifier of tls or its
// subpackages spells an initialism in mixed case.
func TestExportedNamesInitialisms(t *testing.T) {
	var bad []string
	for _, dir := range apiPackages(t) {
		fset := token.NewFileSet()
		for _, n := range exportedNames(apiFiles(t, fset, dir)) {
			if w := miscased(n.ident.Name); w != "" {
				bad = append(bad, fset.Position(n.ident.Pos()).String()+": "+n.name+" spells "+w+" as "+w+", want "+strings.ToUpper(strings.TrimRightFunc(w, unicode.IsDigit))+w[len(strings.TrimRightFunc(w, unicode.IsDigit)):])
			}
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}
