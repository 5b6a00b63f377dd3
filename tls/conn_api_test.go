package tls

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

// TestConnUsesOnlyExportedEngineAPI: Conn is built on Engine's exported
// methods alone, as BearSSL's br_sslio is on its engine, so that API is
// proven sufficient for a real caller. conn.go may not name the engine's
// insides: the unexported engine type, its field e, or any unexported
// method or field through an Engine.
func TestConnUsesOnlyExportedEngineAPI(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "conn.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var check func(n ast.Node) bool
	check = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident: // not a field or method name: those are Sel below
			if n.Name == "engine" {
				t.Errorf("conn.go names the unexported type engine")
			}
		case *ast.SelectorExpr:
			if n.Sel.Name == "e" {
				t.Errorf("conn.go reaches into Engine.e")
			}
			if x, ok := n.X.(*ast.SelectorExpr); ok && (x.Sel.Name == "engine" || x.Sel.Name == "own") && !ast.IsExported(n.Sel.Name) {
				t.Errorf("conn.go uses the unexported %s of its Engine", n.Sel.Name)
			}
			if x, ok := n.X.(*ast.Ident); ok && x.Name == "x" && !ast.IsExported(n.Sel.Name) {
				t.Errorf("conn.go uses the unexported %s of its Engine", n.Sel.Name)
			}
			ast.Inspect(n.X, check)
			return false
		case *ast.Field: // Conn's own field names
			ast.Inspect(n.Type, check)
			return false
		}
		return true
	}
	ast.Inspect(f, check)
}
