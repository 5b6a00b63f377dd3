package size_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
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
