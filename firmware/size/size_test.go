package size_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tabletls/tabletls/firmware/tinygo"
)

// forbidden are the symbols the pinned profile (x25519, AES-128-GCM, ECDSA
// P-256, a pin) must not link unless a program calling only those
// primitives links them too.
var forbidden = regexp.MustCompile(`mlkem|chacha20|poly1305|crypto/rsa|fips140/rsa|ed25519|edwards25519|math/big|^fmt\.|strconv|reflect\.|P384|P521|p384|p521|sha3`)

func symbols(t *testing.T, dir, pkg string) map[string]bool {
	t.Helper()
	bin := filepath.Join(dir, filepath.Base(pkg))
	build := exec.Command("go", "build", "-o", bin, pkg)
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	out, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm %s: %v", bin, err)
	}
	syms := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) >= 3 {
			syms[f[len(f)-1]] = true
		}
	}
	return syms
}

// TestPinnedLinksOnlyItsPrimitives builds the pinned profile and the
// primitives-only program for linux/arm with the gc toolchain and fails if
// the profile links cryptography, math/big, fmt or reflection that the
// primitives alone do not.
func TestPinnedLinksOnlyItsPrimitives(t *testing.T) {
	dir := t.TempDir()
	prims := symbols(t, dir, "github.com/tabletls/tabletls/firmware/size/primitives")
	pinned := symbols(t, dir, "github.com/tabletls/tabletls/firmware/size/pinned")
	full := symbols(t, dir, "github.com/tabletls/tabletls/firmware/size/full")
	var extra []string
	for s := range pinned {
		if !prims[s] && forbidden.MatchString(s) {
			extra = append(extra, s)
		}
	}
	slices.Sort(extra)
	if len(extra) > 0 {
		t.Errorf("the pinned profile links %d symbols the primitives-only program does not, e.g.:\n%s", len(extra), strings.Join(extra[:min(len(extra), 20)], "\n"))
	}
	// The test can fail: the full profile links all of it.
	inFull := 0
	for s := range full {
		if !prims[s] && forbidden.MatchString(s) {
			inFull++
		}
	}
	if inFull < 100 {
		t.Errorf("the full profile links only %d such symbols: the check is broken", inFull)
	}
	t.Logf("full profile: %d such symbols", inFull)
}

// flashBudget is issue 9's: the pinned profile may use at most 64 KiB of
// flash more than a program that calls only the same primitives.
const flashBudget = 64 << 10

// TestFlashBudget builds the pinned profiles and the primitives-only
// program with TinyGo for the Cortex-M4 (the footprint programs' target and
// GC, as make firmware-size does) and fails if a profile's flash, text plus
// data, is over the primitives' by more than flashBudget. It needs TinyGo
// (see toolchain).
func TestFlashBudget(t *testing.T) {
	tc := toolchain(t)
	cm4, _ := tinygo.TargetByName("cortex-m4")
	dir := t.TempDir()
	flash := func(pkg string) int {
		out, err := tc.Build(tinygo.Options{
			Target: cm4, Package: "./firmware/size/" + pkg, Output: filepath.Join(dir, pkg+".elf"),
			RAM: 1 << 20, GC: "precise", SizeInfo: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		// "   code    data     bss |   flash     ram", then the numbers.
		lines := strings.Split(strings.TrimSpace(out), "\n")
		f := strings.Fields(lines[len(lines)-1])
		if len(f) == 6 {
			if n, err := strconv.Atoi(f[4]); err == nil {
				return n
			}
		}
		t.Fatalf("%s: cannot read TinyGo's size report:\n%s", pkg, out)
		return 0
	}
	prims := flash("primitives")
	for _, p := range []string{"pinned", "pinned512"} {
		got := flash(p)
		t.Logf("%s: %d octets of flash, primitives %d: +%d of the +%d allowed", p, got, prims, got-prims, flashBudget)
		if got-prims > flashBudget {
			t.Errorf("%s: %d octets of flash, %d over the primitives' %d: more than the budget of %d", p, got, got-prims, prims, flashBudget)
		}
	}
}

// toolchain finds TinyGo (and, with qemu, qemu-system-arm) as the firmware
// tests do: without them the test says so and skips, unless
// TABLETLS_REQUIRE_FIRMWARE=1 (.ci/run), which makes that a failure.
func toolchain(t *testing.T, tools ...string) *tinygo.Toolchain {
	t.Helper()
	tc, err := tinygo.Find()
	for _, tool := range tools {
		if _, lerr := exec.LookPath(tool); err == nil && lerr != nil {
			err = lerr
		}
	}
	if err != nil {
		if os.Getenv("TABLETLS_REQUIRE_FIRMWARE") == "1" {
			t.Fatalf("%s needs TinyGo and %v: %v", t.Name(), tools, err)
		}
		t.Skipf("FIRMWARE TESTS NOT RUN: %v", err)
	}
	return tc
}

// TestRAMBudget runs the pinned profiles under QEMU's Cortex-M4 in a fixed
// RAM: the 16 KB-record program in issue 9's 64 KiB, the 512-octet one in
// 35 KiB, where make firmware-size measured it at 33,280 octets with a
// 1 KiB system stack (these builds have 2 KiB). Issue 9 asks 24 KiB of the
// latter, under what the primitives alone need (26,368): this keeps it
// from growing back. Like TestFlashBudget it needs TinyGo, and QEMU.
func TestRAMBudget(t *testing.T) {
	tc := toolchain(t, "qemu-system-arm")
	cm4, _ := tinygo.TargetByName("cortex-m4")
	dir := t.TempDir()
	for _, p := range []struct {
		pkg string
		ram int
	}{{"pinned", 64 << 10}, {"pinned512", 35 << 10}} {
		elf := filepath.Join(dir, p.pkg+".elf")
		if _, err := tc.Build(tinygo.Options{
			Target: cm4, Package: "./firmware/size/" + p.pkg, Output: elf,
			RAM: p.ram, Stack: 3 << 10, GC: "precise",
		}); err != nil {
			t.Fatal(err)
		}
		out := runQEMU(t, elf)
		if !strings.HasPrefix(out, p.pkg+" ok\n") {
			t.Errorf("%s in %d octets of RAM: %q, want %q first", p.pkg, p.ram, out, p.pkg+" ok")
		}
	}
}

// runQEMU runs a footprint program under QEMU's mps2-an386 and returns what
// it printed. The runtime's println goes to lm3s6965's UART, which mps2
// leaves unimplemented: QEMU's -d unimp log of those writes has it.
func runQEMU(t *testing.T, elf string) string {
	t.Helper()
	log := elf + ".log"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The program ends in a semihosting exit whose code QEMU returns.
	_ = exec.CommandContext(ctx, "qemu-system-arm", "-machine", "mps2-an386", "-cpu", "cortex-m4",
		"-semihosting", "-nographic", "-d", "unimp", "-D", log, "-kernel", elf).Run()
	raw, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, m := range uartWrite.FindAllSubmatch(raw, -1) {
		if c, err := strconv.ParseUint(string(m[1]), 16, 8); err == nil && c != '\r' {
			b.WriteByte(byte(c))
		}
	}
	return b.String()
}

var uartWrite = regexp.MustCompile(`offset 0xc000, value 0x([0-9a-f]+)\)`)
