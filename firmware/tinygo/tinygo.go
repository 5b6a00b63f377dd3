// Package tinygo finds the TinyGo toolchain and builds the firmware example
// (firmware/device) for the boards and runtimes it is tested on: QEMU's
// mps2-an386 (Cortex-M4) and mps2-an385 (Cortex-M3), and wasip1. The target
// files in firmware/targets are TinyGo's cortex-m targets with Debian's
// picolibc and a linker script whose RAM and stack sizes are set per build,
// so that the memory a handshake needs can be bracketed.
//
// The Cortex-M targets use TinyGo's precise GC, not the conservative one of
// TinyGo's own cortex-m targets: with the conservative GC, the same program
// with the same server and the collector run at every step (-tags gcstress)
// verifies the server's signature wrongly at 88 KiB of RAM ("tls: invalid
// CertificateVerify signature") and faults on an unaligned access at 104
// KiB, where the precise GC gets every run right and runs out of memory
// loudly below 96 KiB (TestFirmwareMemoryLimits).
package tinygo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Version is the TinyGo release the firmware is built and tested with.
const Version = "0.40.1"

// goVersion is the Go release TinyGo 0.40 drives (it refuses newer ones).
const goVersion = "go1.25.5"

// Target is a board or runtime the firmware is built for.
type Target struct {
	Name    string // short name: "cortex-m4", "cortex-m3", "wasip1"
	File    string // target file in firmware/targets
	Machine string // QEMU machine, "" for wasip1
	Ext     string // image file extension
}

// Targets are the builds `make firmware` makes.
var Targets = []Target{
	{Name: "cortex-m4", File: "mps2-an386.json", Machine: "mps2-an386", Ext: ".elf"},
	{Name: "cortex-m3", File: "mps2-an385.json", Machine: "mps2-an385", Ext: ".elf"},
	{Name: "wasip1", File: "wasip1.json", Ext: ".wasm"},
}

// TargetByName returns the target called name.
func TargetByName(name string) (Target, bool) {
	for _, t := range Targets {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}

// Options of one build. Zero sizes mean the defaults (256 KiB of RAM, 16 KiB
// of stack), which fit a handshake with room to spare.
type Options struct {
	Target   Target
	Package  string   // import path or directory to build
	Output   string   // image path
	Tags     []string // extra build tags, e.g. "x509"
	RAM      int      // bytes of RAM the linker script gives the board
	Stack    int      // bytes of the main goroutine's stack (Cortex-M)
	GC       string   // "conservative" (the target's default) or "precise"
	SizeInfo bool     // ask TinyGo for -size short, returned by Build
}

// systemStack is the linker script's stack: the scheduler's and the
// interrupt handlers'.
const systemStack = 2 << 10

// Defaults for Options.RAM and Options.Stack.
const (
	DefaultRAM   = 256 << 10
	DefaultStack = 16 << 10
)

// Toolchain is a TinyGo binary and the Go root it builds with.
type Toolchain struct {
	TinyGo string
	GOROOT string
}

// ErrNotInstalled is returned by Find when TinyGo is missing.
var ErrNotInstalled = errors.New("TinyGo " + Version + " not found: run .ci/install-tinygo, or set TINYGO to the tinygo binary")

// Find locates TinyGo: $TINYGO, then .ci/install-tinygo's cache, then PATH.
// It also needs the Go release TinyGo drives, which `go` fetches from the
// module proxy on first use (.ci/install-tinygo does that).
func Find() (*Toolchain, error) {
	var candidates []string
	if p := os.Getenv("TINYGO"); p != "" {
		candidates = append(candidates, p)
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, ".cache")
		}
	}
	if cache != "" {
		candidates = append(candidates, filepath.Join(cache, "tabletls", "tinygo-"+Version, "build", "tinygo"))
	}
	if p, err := exec.LookPath("tinygo"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			cmd := exec.Command("go", "env", "GOROOT")
			cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+goVersion)
			root, err := cmd.Output()
			if err != nil {
				return nil, fmt.Errorf("tinygo: %s for TinyGo: %v", goVersion, err)
			}
			return &Toolchain{TinyGo: p, GOROOT: strings.TrimSpace(string(root))}, nil
		}
	}
	return nil, ErrNotInstalled
}

// Env is the environment TinyGo runs in: its Go first on PATH, no toolchain
// switching.
func (tc *Toolchain) Env() []string {
	env := append([]string(nil), os.Environ()...)
	path := filepath.Join(tc.GOROOT, "bin") + string(os.PathListSeparator) + os.Getenv("PATH")
	return append(env, "PATH="+path, "GOTOOLCHAIN=local", "GOROOT="+tc.GOROOT)
}

// Root is the repository's firmware directory.
func Root() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("tinygo: cannot locate the firmware directory")
	}
	return filepath.Dir(filepath.Dir(file)), nil
}

// Build builds an image. With SizeInfo it returns TinyGo's size report.
func (tc *Toolchain) Build(o Options) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	if o.RAM == 0 {
		o.RAM = DefaultRAM
	}
	if o.Stack == 0 {
		o.Stack = DefaultStack
	}
	work, err := os.MkdirTemp("", "tabletls-fw-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	target, err := writeTarget(root, work, o)
	if err != nil {
		return "", err
	}
	args := []string{"build", "-target", target, "-o", o.Output, "-no-debug"}
	if o.GC != "" {
		args = append(args, "-gc", o.GC)
	}
	if o.SizeInfo {
		args = append(args, "-size", "short")
	}
	if len(o.Tags) > 0 {
		args = append(args, "-tags", strings.Join(o.Tags, " "))
	}
	args = append(args, o.Package)
	cmd := exec.Command(tc.TinyGo, args...)
	cmd.Dir = filepath.Dir(root)
	cmd.Env = tc.Env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("tinygo build %s: %v\n%s", o.Target.Name, err, out.String())
	}
	return out.String(), nil
}

// writeTarget makes the target file of one build: firmware/targets' file
// with absolute paths and, for mps2, a linker script with o's RAM and stack.
func writeTarget(root, work string, o Options) (string, error) {
	raw, err := os.ReadFile(filepath.Join(root, "targets", o.Target.File))
	if err != nil {
		return "", err
	}
	var t map[string]any
	if err := json.Unmarshal(raw, &t); err != nil {
		return "", err
	}
	// main runs as a goroutine, on a stack of TinyGo's default-stack-size
	// taken from the heap; the linker script's stack is the scheduler's
	// and the interrupt handlers'. (Without a scheduler main would run on
	// the linker's stack, but crypto/internal/sysrand starts a goroutine.)
	if o.Target.Machine != "" {
		t["default-stack-size"] = o.Stack
	}
	if t["linkerscript"] != nil {
		tmpl, err := os.ReadFile(filepath.Join(root, "targets", "mps2.ld.in"))
		if err != nil {
			return "", err
		}
		ld := strings.NewReplacer("@RAM@", strconv.Itoa(o.RAM), "@STACK@", strconv.Itoa(systemStack)).Replace(string(tmpl))
		ldPath := filepath.Join(work, "mps2.ld")
		if err := os.WriteFile(ldPath, []byte(ld), 0o644); err != nil {
			return "", err
		}
		t["linkerscript"] = ldPath
	}
	out, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(work, "target.json")
	return path, os.WriteFile(path, out, 0o644)
}
