package bridge

import (
	"bufio"
	"context"
	"crypto/rand"
	stdtls "crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tabletls/tabletls/firmware/provision"
	"github.com/tabletls/tabletls/firmware/tinygo"
	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
)

// The firmware tests need TinyGo, QEMU and node. Without them they say so
// and skip, unless TABLETLS_REQUIRE_FIRMWARE=1 (set by .ci/run), which makes
// a missing tool a failure.
func toolchain(t *testing.T) *tinygo.Toolchain {
	t.Helper()
	tc, err := tinygo.Find()
	if err == nil {
		err = RequireTools()
	}
	if err != nil {
		if os.Getenv("TABLETLS_REQUIRE_FIRMWARE") == "1" {
			t.Fatalf("firmware tests need TinyGo, QEMU and node: %v", err)
		}
		t.Skipf("FIRMWARE TESTS NOT RUN: %v", err)
	}
	return tc
}

var (
	imagesMu sync.Mutex
	images   = map[string]string{}
	imageDir string
)

// image builds firmware/device for target once per test binary, with the
// default RAM and stack, or returns the build already made.
func image(t *testing.T, target tinygo.Target, opts tinygo.Options) string {
	t.Helper()
	tc := toolchain(t)
	imagesMu.Lock()
	defer imagesMu.Unlock()
	key := target.Name + "/" + opts.GC + "/" + itoa(opts.RAM) + "/" + itoa(opts.Stack)
	if img, ok := images[key]; ok {
		return img
	}
	// For debugging: a directory of images made by `make firmware`.
	if dir := os.Getenv("TABLETLS_FW_IMAGES"); dir != "" && key == target.Name+"//0/0" {
		return filepath.Join(dir, "device-"+target.Name+target.Ext)
	}
	if imageDir == "" {
		d, err := os.MkdirTemp("", "tabletls-fw-images-")
		if err != nil {
			t.Fatal(err)
		}
		imageDir = d
	}
	opts.Target = target
	opts.Package = "./firmware/device"
	opts.Output = filepath.Join(imageDir, strings.ReplaceAll(key, "/", "-")+target.Ext)
	start := time.Now()
	if _, err := tc.Build(opts); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %v", opts.Output, time.Since(start).Round(time.Millisecond))
	images[key] = opts.Output
	return opts.Output
}

func TestMain(m *testing.M) {
	code := m.Run()
	if imageDir != "" {
		os.RemoveAll(imageDir)
	}
	os.Exit(code)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

func seed(t *testing.T) []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func pinOf(t *testing.T, c *testpeer.Cert) string {
	t.Helper()
	pin, err := tls.PinFromCertificate(c.Chain[0])
	if err != nil {
		t.Fatal(err)
	}
	return pin
}

// greeter answers one request line with "hello <line> over <ALPN>" and
// names the client certificate's subject if there is one.
func greeter(srv **testpeer.GoServer) func(*stdtls.Conn) {
	return func(c *stdtls.Conn) {
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			(*srv).ReportError(err)
			return
		}
		cs := c.ConnectionState()
		who := "anonymous"
		if len(cs.PeerCertificates) > 0 {
			who = cs.PeerCertificates[0].Subject.CommonName
		}
		c.Write([]byte("hello " + strings.TrimSpace(line) + " over " + cs.NegotiatedProtocol + " from " + who + "\n"))
	}
}

func run(t *testing.T, target tinygo.Target, img, server string, p *provision.Block) *Result {
	t.Helper()
	res, err := Run(context.Background(), Options{Target: target, Image: img, Server: server, Provision: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: wall %v, %d octets to the server, %d to the device; heap %s B in %s objects",
		target.Name, res.Wall.Round(time.Millisecond), res.ToServer, res.ToDevice, res.Report["heap_alloc"], res.Report["heap_objects"])
	if !res.OK() {
		t.Fatalf("device failed: exit %d, console:\n%s\nruntime: %s", res.ExitCode, res.Console, res.Runtime)
	}
	return res
}

func expect(t *testing.T, res *Result, key, want string) {
	t.Helper()
	if got := res.Report[key]; got != want {
		t.Errorf("%s = %q, want %q (console:\n%s)", key, got, want, res.Console)
	}
}

func TestFirmwareGoServerPinned(t *testing.T) {
	for _, target := range tinygo.Targets {
		t.Run(target.Name, func(t *testing.T) {
			img := image(t, target, tinygo.Options{})
			var srv *testpeer.GoServer
			srv = testpeer.StartGoServer(t, testpeer.GoServerOptions{NextProtos: []string{"mqtt"}, Handler: greeter(&srv)})
			res := run(t, target, img, srv.Addr, &provision.Block{
				ServerName: "localhost", Pin: pinOf(t, srv.Cert), ALPN: []string{"mqtt"},
				Request: []byte("temperature=21.5\n"), Seed: seed(t),
			})
			expect(t, res, "reply", "hello temperature=21.5 over mqtt from anonymous\n")
			expect(t, res, "suite", "TLS_AES_128_GCM_SHA256")
			expect(t, res, "group", "x25519")
			expect(t, res, "alpn", "mqtt")
			expect(t, res, "server_pin", pinOf(t, srv.Cert))
			hs := srv.WaitHandshake(t)
			if hs.Err != nil || hs.State.NegotiatedProtocol != "mqtt" {
				t.Errorf("server side: %+v", hs)
			}
		})
	}
}
