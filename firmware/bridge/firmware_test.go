package bridge

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	stdtls "crypto/tls"
	"os"
	"path/filepath"
	"strconv"
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
	key := target.Name + "/" + opts.GC + "/" + strconv.Itoa(opts.RAM) + "/" + strconv.Itoa(opts.Stack) + "/" + strings.Join(opts.Tags, ",")
	if img, ok := images[key]; ok {
		return img
	}
	// For debugging: a directory of images made by `make firmware`.
	if dir := os.Getenv("TABLETLS_FW_IMAGES"); dir != "" && key == target.Name+"//0/0/" {
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
	t.Logf("%s: wall %v; the device sent %s octets and received %s (with provisioning); its handshake allocated %s B of heap in %s objects; stack never used: %s B",
		target.Name, res.Wall.Round(time.Millisecond), res.Report["link_tx"], res.Report["link_rx"], res.Report["heap_alloc"], res.Report["heap_objects"], res.Report["stack_free"])
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

// deviceCert issues the device's client certificate (ECDSA P-256, the key
// the firmware parses) and returns it with the raw private scalar the
// device is provisioned with.
func deviceCert(t *testing.T, ca *testpeer.CA, name string) (*testpeer.Cert, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := key.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return ca.IssueWithKey(key, name), raw
}

func TestFirmwareGoServerClientCertificate(t *testing.T) {
	for _, target := range tinygo.Targets {
		t.Run(target.Name, func(t *testing.T) {
			img := image(t, target, tinygo.Options{})
			ca := testpeer.NewCA()
			cert, key := deviceCert(t, ca, "sensor-0042")
			var srv *testpeer.GoServer
			srv = testpeer.StartGoServer(t, testpeer.GoServerOptions{
				ClientAuth: stdtls.RequireAndVerifyClientCert, ClientCAs: ca.Pool, Handler: greeter(&srv),
			})
			res := run(t, target, img, srv.Addr, &provision.Block{
				ServerName: "localhost", Pin: pinOf(t, srv.Cert), Certs: cert.Chain, Key: key,
				Request: []byte("reading\n"), Seed: seed(t),
			})
			expect(t, res, "reply", "hello reading over  from sensor-0042\n")
			expect(t, res, "client_cert", "true")
			hs := srv.WaitHandshake(t)
			if hs.Err != nil || len(hs.State.PeerCertificates) != 1 || hs.State.PeerCertificates[0].Subject.CommonName != "sensor-0042" {
				t.Errorf("server side: %+v", hs)
			}
		})
	}
}

// The device against openssl s_server: ChaCha20-Poly1305 and P-256 (what a
// Cortex-M without AES hardware would rather use), a HelloRetryRequest
// (the device offers x25519 first; the server wants P-256), ALPN, a client
// certificate the server verifies, and the -www reply.
func TestFirmwareOpenSSL(t *testing.T) {
	for _, target := range tinygo.Targets {
		t.Run(target.Name, func(t *testing.T) {
			img := image(t, target, tinygo.Options{})
			ca := testpeer.NewCA()
			cert, key := deviceCert(t, ca, "sensor-0043")
			srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{
				Mode: testpeer.ModeWWW, CipherSuite: stdtls.TLS_CHACHA20_POLY1305_SHA256,
				Groups: []stdtls.CurveID{stdtls.CurveP256}, ALPN: []string{"http/1.0"},
				ClientCA: ca, RequireClientCert: true,
			})
			res := run(t, target, img, srv.Addr, &provision.Block{
				ServerName: "localhost", Pin: pinOf(t, srv.Cert), ALPN: []string{"http/1.0"},
				Certs: cert.Chain, Key: key,
				Groups:  []uint16{uint16(tls.X25519), uint16(tls.CurveP256)},
				Request: []byte("GET / HTTP/1.0\r\n\r\n"), Seed: seed(t),
			})
			expect(t, res, "suite", "TLS_CHACHA20_POLY1305_SHA256")
			expect(t, res, "group", "secp256r1")
			expect(t, res, "hrr", "true")
			expect(t, res, "alpn", "http/1.0")
			expect(t, res, "client_cert", "true")
			if reply := res.Report["reply"]; !strings.HasPrefix(reply, "HTTP/1.0 200 ok") || !strings.Contains(reply, "TLS_CHACHA20_POLY1305_SHA256") {
				t.Errorf("reply = %q", reply)
			}
		})
	}
}

// A wrong pin must fail the handshake on the device with bad_certificate,
// and the server must see that alert.
func TestFirmwareWrongPin(t *testing.T) {
	target := tinygo.Targets[0]
	img := image(t, target, tinygo.Options{})
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	otherKey, err := testpeer.GenerateKey(testpeer.ECDSAP256) // not the cached key the server has
	if err != nil {
		t.Fatal(err)
	}
	other := testpeer.NewCA().IssueWithKey(otherKey)
	res, err := Run(context.Background(), Options{Target: target, Image: img, Server: srv.Addr, Timeout: time.Minute, Provision: &provision.Block{
		ServerName: "localhost", Pin: pinOf(t, other), Request: []byte("x\n"), Seed: seed(t),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() || res.ExitCode == 0 || !strings.Contains(res.Report["error"], "pin") {
		t.Fatalf("device with a wrong pin: exit %d, console:\n%s", res.ExitCode, res.Console)
	}
	t.Logf("device sent %s octets, the server got %d", res.Report["link_tx"], res.ToServer)
	if hs := srv.WaitHandshake(t); hs.Err == nil || !strings.Contains(hs.Err.Error(), "bad certificate") {
		t.Errorf("server side: %v", hs.Err)
	}
}

// Memory a pinned handshake needs on the Cortex-M4 board, measured by
// bracketing: the whole RAM the linker script gives the board (static data,
// the 2 KiB system stack, and the heap that holds the 16 KiB main goroutine
// stack and every allocation) with the precise GC the targets use, and the
// main goroutine's stack. 80 KiB runs out of memory under both GCs; 88 KiB
// is enough for the conservative GC, which the targets do not use: under
// memory pressure it gives wrong answers (see firmware/targets).
const (
	handshakeRAM   = 96 << 10
	handshakeStack = 4 << 10
)

// Below its memory need the device must fail loudly, never answer wrongly:
// with too little heap the TinyGo runtime panics "out of memory"; with too
// little stack the device's guard band catches the overflow or the overflow
// faults. At the need, the same image succeeds (the other tests).
func TestFirmwareMemoryLimits(t *testing.T) {
	target := tinygo.Targets[0]
	var srv *testpeer.GoServer
	srv = testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: greeter(&srv)})
	p := func() *provision.Block {
		return &provision.Block{ServerName: "localhost", Pin: pinOf(t, srv.Cert), Request: []byte("ping\n"), Seed: seed(t)}
	}
	loud := func(t *testing.T, res *Result, want ...string) {
		t.Helper()
		if res.OK() || res.ExitCode == 0 || res.Report["result"] == "ok" {
			t.Fatalf("device below its memory need succeeded:\n%s", res.Console)
		}
		for _, w := range want {
			if strings.Contains(res.Runtime, w) || strings.Contains(res.Report["error"], w) {
				return
			}
		}
		t.Fatalf("device failed without saying it ran out of memory (%q): console:\n%s\nruntime: %s", want, res.Console, res.Runtime)
	}
	for _, gc := range []string{"conservative", "precise"} {
		t.Run("heap/"+gc, func(t *testing.T) {
			for _, ram := range []int{handshakeRAM - 16<<10} {
				opts := tinygo.Options{GC: gc, RAM: ram}
				if gc == "precise" {
					opts.GC = "" // the targets' own, so the image is shared
				}
				img := image(t, target, opts)
				res, err := Run(context.Background(), Options{Target: target, Image: img, Server: srv.Addr, Timeout: time.Minute, Provision: p()})
				if err != nil {
					t.Fatal(err)
				}
				loud(t, res, "out of memory")
			}
		})
	}
	// The collector at every link read and write and every state machine
	// step, at the RAM the handshake needs: still the right answer. (With
	// the conservative GC this gives "tls: invalid CertificateVerify
	// signature" at 88 KiB and an unaligned-access fault at 104 KiB.)
	t.Run("gcstress", func(t *testing.T) {
		res := run(t, target, image(t, target, tinygo.Options{RAM: handshakeRAM, Tags: []string{"gcstress"}}), srv.Addr, p())
		expect(t, res, "gc_stress", "true")
		expect(t, res, "reply", "hello ping over  from anonymous\n")
	})
	t.Run("stack", func(t *testing.T) {
		img := image(t, target, tinygo.Options{Stack: handshakeStack - 2<<10})
		res, err := Run(context.Background(), Options{Target: target, Image: img, Server: srv.Addr, Timeout: time.Minute, Provision: p()})
		if err != nil {
			t.Fatal(err)
		}
		loud(t, res, "stack overflow", "fatal error")
		res = run(t, target, image(t, target, tinygo.Options{Stack: handshakeStack, RAM: handshakeRAM}), srv.Addr, p())
		expect(t, res, "reply", "hello ping over  from anonymous\n")
	})
}
