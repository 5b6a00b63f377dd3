package gen

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"

	"github.com/dave/jennifer/jen"
)

// Source is the name and content of one spec file.
type Source struct {
	Name string // used in error positions, as file:line:col
	Data []byte
}

// Load parses every .tls file and the one .sm file in dir and checks them.
func Load(dir string) (*Model, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.tls"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files []Source
	for _, n := range names {
		src, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		files = append(files, Source{filepath.ToSlash(n), src})
	}
	machines, _ := filepath.Glob(filepath.Join(dir, "*.sm"))
	if len(machines) != 1 {
		return nil, errors.New(dir + ": want exactly one .sm file")
	}
	src, err := os.ReadFile(machines[0])
	if err != nil {
		return nil, err
	}
	return LoadSources(files, &Source{filepath.ToSlash(machines[0]), src})
}

// LoadSources is Load on files already in memory: the .tls files in the
// order given, and the state machine if machine is not nil (without one,
// the model has no Machine and Generate writes no state machine). The
// error, if any, is an ErrorList of every problem found.
func LoadSources(tls []Source, machine *Source) (*Model, error) {
	var files []*File
	var errs ErrorList
	for _, src := range tls {
		f, err := ParseTLS(src.Name, src.Data)
		if err != nil {
			var l ErrorList
			if errors.As(err, &l) {
				errs = append(errs, l...)
				continue
			}
			return nil, err
		}
		files = append(files, f)
	}
	var mach *Machine
	if machine != nil {
		var err error
		mach, err = ParseMachine(machine.Name, machine.Data)
		if err != nil {
			var l ErrorList
			if errors.As(err, &l) {
				errs = append(errs, l...)
			} else {
				return nil, err
			}
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return resolveModel(files, mach)
}

// Output is one generated file.
type Output struct {
	Path string
	Data []byte
}

// Layout says where Generate puts what it makes.
type Layout struct {
	// Pkg and Dir are the package of the codecs and registries (the
	// message types, their decoders and encoders, the enums), Import its
	// import path.
	Pkg, Dir, Import string
	// MachinePkg and MachineDir are the package of the state machine,
	// which is the engine's: it calls the hand-written guards and actions.
	// If MachineDir is empty the machine goes in Dir, in package Pkg.
	// Otherwise it imports the codecs' package as Import.
	MachinePkg, MachineDir string
	// Docs is the directory of the state diagram (.dot).
	Docs string
	// Fuzz, if not nil, says where the fuzz targets of the codecs go.
	Fuzz *FuzzOutput
}

// FuzzOutput says where the fuzz targets of the generated codecs go: a
// test file of package Pkg in Dir, which imports the codecs' package
// (Layout.Import).
type FuzzOutput struct {
	Dir string
	Pkg string // "fuzz" if empty
}

// The files written in FuzzOutput.Dir: the fuzz targets (a test file, so
// that go test finds them) and their checks (not a test file, see
// EmitFuzz).
const (
	FuzzFile       = "zz_generated_codec_fuzz_test.go"
	FuzzChecksFile = "zz_generated_codec_checks.go"
)

// Generate returns the files for a model: the codecs and registries of
// package l.Pkg in l.Dir, the state machine in l.MachineDir (or l.Dir),
// the state diagram in l.Docs and, if l.Fuzz is not nil, the fuzz targets
// of the codecs and their checks in l.Fuzz.Dir.
func Generate(m *Model, l Layout) ([]Output, error) {
	var outs []Output
	type gofile struct {
		dir, name string
		file      *jen.File
	}
	gofiles := []gofile{
		{l.Dir, "zz_generated_enums.go", EmitEnums(m, l.Pkg)},
		{l.Dir, "zz_generated_codecs.go", EmitCodecs(m, l.Pkg)},
	}
	if m.Machine != nil {
		if l.MachineDir == "" {
			gofiles = append(gofiles, gofile{l.Dir, "zz_generated_statemachine.go", EmitMachine(m.Machine, l.Pkg, "", "")})
		} else {
			if l.Import == "" {
				return nil, errors.New("zz_generated_statemachine.go: no import path for package " + l.Pkg)
			}
			gofiles = append(gofiles, gofile{l.MachineDir, "zz_generated_statemachine.go", EmitMachine(m.Machine, l.MachinePkg, l.Pkg, l.Import)})
		}
	}
	if fuzz := l.Fuzz; fuzz != nil {
		fpkg := fuzz.Pkg
		if fpkg == "" {
			fpkg = "fuzz"
		}
		if l.Import == "" {
			return nil, errors.New(FuzzFile + ": no import path for package " + l.Pkg)
		}
		targets, checks := EmitFuzz(m, fpkg, l.Import, l.Pkg)
		gofiles = append(gofiles, gofile{fuzz.Dir, FuzzFile, targets}, gofile{fuzz.Dir, FuzzChecksFile, checks})
	}
	for _, g := range gofiles {
		var b bytes.Buffer
		if err := g.file.Render(&b); err != nil {
			return nil, errors.New(g.name + ": " + err.Error())
		}
		outs = append(outs, Output{filepath.Join(g.dir, g.name), b.Bytes()})
	}
	if m.Machine != nil {
		outs = append(outs, Output{filepath.Join(l.Docs, "client-statemachine.dot"), EmitDot(m.Machine)})
	}
	return outs, nil
}

// Write writes the outputs, leaving files whose content is unchanged alone.
func Write(outs []Output) error {
	for _, o := range outs {
		if old, err := os.ReadFile(o.Path); err == nil && bytes.Equal(old, o.Data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(o.Path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(o.Path, o.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
