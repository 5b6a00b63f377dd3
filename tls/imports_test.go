package tls

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestImports keeps package tls small enough for firmware: it must not
// import net, reflect, fmt or crypto/x509 (those go in subpackages such as
// tlsnet and x509verify).
func TestImports(t *testing.T) {
	forbidden := map[string]bool{"net": true, "reflect": true, "fmt": true, "crypto/x509": true}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	files := 0
	for _, ent := range entries {
		name := ent.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		files++
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if forbidden[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
	if files < 10 {
		t.Fatalf("only %d files checked", files)
	}
}
