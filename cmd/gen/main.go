// Command gen compiles spec/ into the generated codecs and registries of
// package internal/wire, the state machine of package tls, and the fuzz
// targets of the codecs in fuzz/.
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
	out := flag.String("out", "internal/wire", "directory of the generated codecs and registries")
	pkg := flag.String("pkg", "wire", "package name of the codecs and registries")
	imp := flag.String("import", "github.com/tabletls/tabletls/internal/wire", "import path of the package in -out, for the state machine and the fuzz targets")
	machine := flag.String("machine", "tls", "directory of the state machine (package -machinepkg); in -out if empty")
	machinePkg := flag.String("machinepkg", "tls", "package name of the state machine")
	docs := flag.String("docs", "docs", "directory for the state diagram (.dot)")
	fuzz := flag.String("fuzz", "", "directory for the codec fuzz targets (package fuzz); none if empty")
	flag.Parse()
	m, err := gen.Load(*spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	l := gen.Layout{Pkg: *pkg, Dir: *out, Import: *imp, MachinePkg: *machinePkg, MachineDir: *machine, Docs: *docs}
	if *fuzz != "" {
		l.Fuzz = &gen.FuzzOutput{Dir: *fuzz}
	}
	outs, err := gen.Generate(m, l)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := gen.Write(outs); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
