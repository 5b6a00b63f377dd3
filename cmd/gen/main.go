// Command gen compiles spec/ into the generated files of package tls and
// the fuzz targets of its codecs in fuzz/.
// It is run by `go generate ./...` through the //go:generate line in
// tls/generate.go. A spec error is printed as file:line:col: message and
// makes it exit 1.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tabletls/tabletls/gen"
)

func main() {
	spec := flag.String("spec", "spec", "directory with the .tls files and the .sm file")
	out := flag.String("out", "tls", "directory of the generated Go package")
	pkg := flag.String("pkg", "tls", "package name of the generated Go files")
	docs := flag.String("docs", "docs", "directory for the state diagram (.dot)")
	fuzz := flag.String("fuzz", "", "directory for the codec fuzz targets (package fuzz); none if empty")
	imp := flag.String("import", "github.com/tabletls/tabletls/tls", "import path of the package in -out, for the fuzz targets")
	flag.Parse()
	m, err := gen.Load(*spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var fz *gen.FuzzOutput
	if *fuzz != "" {
		fz = &gen.FuzzOutput{Dir: *fuzz, Import: *imp}
	}
	outs, err := gen.Generate(m, *pkg, *out, *docs, fz)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := gen.Write(outs); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
