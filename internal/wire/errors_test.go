package wire

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"
)

// TestErrorTable checks the tables behind Error against what the
// generator was asked for: each constant of zz_generated_codecs.go carries
// its message as a comment, written from the template and names the
// emitter was given, and its Error must return exactly that, with the
// alert its kind calls for. The codes number 0 to len(errCodes)-1, once
// each.
func TestErrorTable(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "zz_generated_codecs.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Error]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Error" {
				continue
			}
			name := vs.Names[0].Name
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok || vs.Comment == nil {
				t.Fatalf("%s: want `%s Error = N // message`", name, name)
			}
			n, err := strconv.ParseUint(lit.Value, 10, 16)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			e := Error(n)
			if other, dup := seen[e]; dup {
				t.Errorf("%s and %s are both %d", name, other, e)
			}
			seen[e] = name
			if want := strings.TrimSpace(vs.Comment.Text()); e.Error() != want {
				t.Errorf("%s.Error() = %q, want %q", name, e.Error(), want)
			}
			if want := errorAlertByName(name); e.Alert() != want {
				t.Errorf("%s.Alert() = %v, want %v", name, e.Alert(), want)
			}
		}
	}
	if len(seen) != len(errCodes) || len(seen) < 200 {
		t.Fatalf("%d Error constants, %d codes in errCodes", len(seen), len(errCodes))
	}
	for i := range errCodes {
		if _, ok := seen[Error(i)]; !ok {
			t.Errorf("code %d has no constant", i)
		}
	}

	// Each kind, exactly (tls/, fuzz/ and cmd/ tests compare messages).
	for _, c := range []struct {
		err   Error
		msg   string
		alert AlertDescription
	}{
		{errDecodeClientHelloCipherSuites, "tls: malformed ClientHello.cipher_suites", AlertDescriptionDecodeError},
		{errDecodeServerHelloTrailing, "tls: malformed ServerHello: trailing data", AlertDescriptionDecodeError},
		{errDecodeCipherSuiteVector, "tls: malformed list of CipherSuite", AlertDescriptionDecodeError},
		{errDecodeClientHelloExtensions, "tls: malformed extension list in ClientHello", AlertDescriptionDecodeError},
		{errTooManyClientHelloExtensions, "tls: more than 16 unknown extensions in ClientHello", AlertDescriptionDecodeError},
		{errDuplicateServerHelloExtensions, "tls: duplicate extension in ServerHello", AlertDescriptionIllegalParameter},
		{errNotAllowedEncryptedExtensionsExtensions, "tls: extension not allowed in EncryptedExtensions", AlertDescriptionIllegalParameter},
		{errNotLastClientHelloExtensions, "tls: pre_shared_key is not the last extension in ClientHello", AlertDescriptionIllegalParameter},
		{errUnsupportedServerHelloExtensions, "tls: unsupported extension in ServerHello", AlertDescriptionUnsupportedExtension},
		{errEncodeClientHelloLegacySessionID, "tls: cannot encode ClientHello.legacy_session_id: out of range", AlertDescriptionInternalError},
		{errEncodeProtocolNameVector, "tls: cannot encode an element of a list of ProtocolName: out of range", AlertDescriptionInternalError},
		{errEncodeServerHelloExtensions, "tls: cannot encode extensions of ServerHello", AlertDescriptionInternalError},
	} {
		if c.err.Error() != c.msg || c.err.Alert() != c.alert {
			t.Errorf("Error(%d) is %q with %v, want %q with %v", c.err, c.err.Error(), c.err.Alert(), c.msg, c.alert)
		}
	}

	// A code no codec returns still says something, and does not panic.
	bad := Error(len(errCodes))
	if want := fmt.Sprintf("tls: wire.Error(0x%04x)", uint16(bad)); bad.Error() != want || bad.Alert() != AlertDescriptionInternalError {
		t.Errorf("Error(%d): %q with %v, want %q with internal_error", bad, bad.Error(), bad.Alert(), want)
	}
}

// errorAlertByName is the alert an error constant's name says it has.
func errorAlertByName(name string) AlertDescription {
	switch {
	case strings.HasPrefix(name, "errDecode"), strings.HasPrefix(name, "errTooMany"):
		return AlertDescriptionDecodeError
	case strings.HasPrefix(name, "errDuplicate"), strings.HasPrefix(name, "errNotAllowed"), strings.HasPrefix(name, "errNotLast"):
		return AlertDescriptionIllegalParameter
	case strings.HasPrefix(name, "errUnsupported"):
		return AlertDescriptionUnsupportedExtension
	case strings.HasPrefix(name, "errEncode"):
		return AlertDescriptionInternalError
	}
	return 0
}

// TestErrorDoesNotAllocate: a failing decode allocates nothing, the Error
// in its error interface included.
func TestErrorDoesNotAllocate(t *testing.T) {
	var m ServerHello
	in := codecServerHello(codecExt(ExtensionTypeSupportedVersions, []byte{3, 4}), codecExt(0x1234, nil))
	codecAllocs(t, "failing ServerHello.Unmarshal", func() {
		if err := m.Unmarshal(in); err != errUnsupportedServerHelloExtensions {
			t.Fatalf("got %v, want %v", err, errUnsupportedServerHelloExtensions)
		}
	})
}
