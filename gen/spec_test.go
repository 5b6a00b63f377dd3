package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGenerateIsDeterministic runs the generator twice on the real spec
// and checks that the outputs are identical to each other and to the
// files committed in internal/wire/, tls/, docs/ and fuzz/: a spec or generator change
// without `go generate ./tls` fails here.
func TestGenerateIsDeterministic(t *testing.T) {
	run := func() []Output {
		m, err := Load(filepath.Join("..", "spec"))
		if err != nil {
			t.Fatal(err)
		}
		// The arguments of the //go:generate line in tls/generate.go,
		// seen from gen/ instead of tls/.
		outs, err := Generate(m, Layout{
			Pkg: "wire", Dir: filepath.Join("..", "internal", "wire"), Import: "github.com/tabletls/tabletls/internal/wire",
			MachinePkg: "tls", MachineDir: filepath.Join("..", "tls"),
			Docs: filepath.Join("..", "docs"), Fuzz: &FuzzOutput{Dir: filepath.Join("..", "fuzz")},
		})
		if err != nil {
			t.Fatal(err)
		}
		return outs
	}
	first, second := run(), run()
	if len(first) != 6 || len(second) != len(first) {
		t.Fatalf("got %d and %d outputs, want 6", len(first), len(second))
	}
	for i, o := range first {
		if o.Path != second[i].Path || !bytes.Equal(o.Data, second[i].Data) {
			t.Errorf("%s: two runs differ", o.Path)
		}
		committed, err := os.ReadFile(o.Path)
		if err != nil {
			t.Errorf("%v (run go generate ./tls)", err)
			continue
		}
		if !bytes.Equal(committed, o.Data) {
			t.Errorf("%s is stale: run go generate ./tls and commit the result\n%s", o.Path, firstDiff(committed, o.Data))
		}
	}
}

// TestRealSpec checks a few facts about the model of spec/ that the
// engine relies on.
func TestRealSpec(t *testing.T) {
	m, err := Load(filepath.Join("..", "spec"))
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]*ExtTable{}
	for _, tb := range m.Tables {
		tables[tb.Message] = tb
	}
	for msg, want := range map[string]int{
		"ClientHello": 16, "ServerHello": 0, "HelloRetryRequest": 0, "EncryptedExtensions": 0,
		"CertificateEntry": 0, "CertificateRequest": 32, "NewSessionTicket": 32,
	} {
		tb := tables[msg]
		if tb == nil {
			t.Errorf("no extension table for %s", msg)
			continue
		}
		if tb.IgnoreUpTo != want {
			t.Errorf("%s: ignores up to %d unknown extensions, want %d", msg, tb.IgnoreUpTo, want)
		}
	}
	if last := tables["ClientHello"].LastExt; last == nil || last.Ext.Name != "pre_shared_key" {
		t.Errorf("ClientHello: pre_shared_key is not marked last")
	}
	if m.Machine == nil || m.Machine.States[m.Machine.Initial].Name != "START" {
		t.Errorf("machine: initial state is not START")
	}
}
