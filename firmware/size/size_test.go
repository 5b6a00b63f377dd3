package size_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// forbidden are the symbols the pinned profile (x25519, AES-128-GCM, ECDSA
// P-256, a pin) must not link unless a program calling only those
// primitives links them too.
var forbidden = regexp.MustCompile(`mlkem|chacha20|poly1305|crypto/rsa|fips140/rsa|ed25519|edwards25519|math/big|^fmt\.|strconv|reflect\.|P384|P521|p384|p521|sha3`)

// knownGap is what package tls still links for implementations it holds
// but the pinned profile does not name: importing crypto/rsa and
// crypto/ed25519 registers their FIPS 140 self-tests (sync.OnceFunc
// package variables), which the gc linker keeps with everything they call.
// TinyGo drops them (make firmware-size). Moving RSA-PSS and Ed25519 into
// packages of their own, as tls/hybrid is for ML-KEM, removes it.
var knownGap = regexp.MustCompile(`^(crypto/internal/fips140/(rsa|ed25519|edwards25519(/field)?)|crypto/(rsa|ed25519))\.`)

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
	var extra, gap []string
	for s := range pinned {
		if prims[s] || !forbidden.MatchString(s) {
			continue
		}
		if knownGap.MatchString(strings.TrimPrefix(s, "type:")) {
			gap = append(gap, s)
			continue
		}
		extra = append(extra, s)
	}
	if len(extra) > 0 {
		t.Errorf("the pinned profile links %d symbols the primitives-only program does not, e.g.:\n%s", len(extra), strings.Join(extra[:min(len(extra), 20)], "\n"))
	}
	t.Logf("known gap (FIPS self-tests of crypto/rsa and crypto/ed25519): %d symbols", len(gap))
	// The test can fail: the full profile links all of it.
	var inFull int
	for s := range full {
		if !prims[s] && forbidden.MatchString(s) && !knownGap.MatchString(strings.TrimPrefix(s, "type:")) {
			inFull++
		}
	}
	if inFull == 0 {
		t.Error("the full profile links nothing the primitives do not: the check is broken")
	}
}
