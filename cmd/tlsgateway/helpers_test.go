package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
)

func init() {
	// Tests must not write secrets to a developer's key log.
	os.Unsetenv("SSLKEYLOGFILE")
}

// testTimeout bounds every wait in these tests, so a hang fails the test
// with a message instead of running into go test's timeout.
const testTimeout = 60 * time.Second

// logBuffer collects the gateway's JSON log lines.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.changed)
	b.changed = make(chan struct{})
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitText waits up to testTimeout for the text written so far to satisfy ok,
// and reports whether it did: a process writes its log when it likes.
func (b *logBuffer) waitText(ok func(string) bool) bool {
	deadline := time.After(testTimeout)
	for {
		b.mu.Lock()
		text, changed := b.buf.String(), b.changed
		b.mu.Unlock()
		if ok(text) {
			return true
		}
		select {
		case <-changed:
		case <-deadline:
			return false
		}
	}
}

// logEntry is one JSON log line.
type logEntry map[string]any

func (e logEntry) str(key string) string {
	v, ok := e[key]
	if !ok {
		return ""
	}
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

func (e logEntry) num(key string) int64 {
	f, _ := e[key].(float64)
	return int64(f)
}

func (b *logBuffer) entries() []logEntry {
	var out []logEntry
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	for sc.Scan() {
		var e logEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

// connections returns the per-connection log lines.
func (b *logBuffer) connections() []logEntry {
	var out []logEntry
	for _, e := range b.entries() {
		if e.str("msg") == "connection" {
			out = append(out, e)
		}
	}
	return out
}

// waitFor waits until n log lines satisfy match and returns them.
func (b *logBuffer) waitFor(t testing.TB, what string, n int, match func(logEntry) bool) []logEntry {
	t.Helper()
	deadline := time.After(testTimeout)
	for {
		b.mu.Lock()
		changed := b.changed
		b.mu.Unlock()
		var got []logEntry
		for _, e := range b.entries() {
			if match(e) {
				got = append(got, e)
			}
		}
		if len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("no %d log lines %s after %v; log:\n%s", n, what, testTimeout, b.String())
		}
	}
}

// waitConnections waits for n per-connection log lines.
func (b *logBuffer) waitConnections(t testing.TB, n int) []logEntry {
	t.Helper()
	return b.waitFor(t, "msg=connection", n, func(e logEntry) bool { return e.str("msg") == "connection" })
}

// testGateway is tlsgateway's run in-process.
type testGateway struct {
	addrs []string
	log   *logBuffer
	stop  chan os.Signal
	exit  chan int
}

// startGateway runs the gateway with args (and -log-format json) until the
// test ends.
func startGateway(t *testing.T, args ...string) *testGateway {
	t.Helper()
	g := &testGateway{log: newLogBuffer(), stop: make(chan os.Signal, 2), exit: make(chan int, 1)}
	ready := make(chan []net.Addr, 1)
	go func() {
		g.exit <- run(append([]string{"-log-format", "json"}, args...), g.log, g.stop, func(a []net.Addr) { ready <- a })
	}()
	select {
	case addrs := <-ready:
		for _, a := range addrs {
			g.addrs = append(g.addrs, a.String())
		}
	case code := <-g.exit:
		t.Fatalf("tlsgateway %s: exit %d before listening; log:\n%s", strings.Join(args, " "), code, g.log.String())
	case <-time.After(testTimeout):
		t.Fatal("tlsgateway did not start listening")
	}
	t.Cleanup(func() {
		g.shutdown(t)
		if t.Failed() {
			t.Logf("tlsgateway %s\n--- log ---\n%s", strings.Join(args, " "), g.log.String())
		}
	})
	return g
}

// shutdown sends SIGTERM (twice if needed) and waits for run to return.
func (g *testGateway) shutdown(t *testing.T) int {
	t.Helper()
	select {
	case code := <-g.exit:
		g.exit <- code
		return code
	default:
	}
	g.stop <- syscall.SIGTERM
	select {
	case code := <-g.exit:
		g.exit <- code
		return code
	case <-time.After(testTimeout):
		t.Fatalf("tlsgateway did not stop after SIGTERM; log:\n%s", g.log.String())
	}
	return -1
}

// dial connects a device to the gateway's listener i.
func (g *testGateway) dial(t *testing.T, i int) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", g.addrs[i], testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testTimeout))
	return c.(*net.TCPConn)
}

// writeCA writes the CA certificate to a file and returns its path.
func writeCA(t testing.TB, ca *testpeer.CA) string {
	t.Helper()
	path, err := ca.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// writeCert writes a certificate and its key and returns their paths.
func writeCert(t testing.TB, c *testpeer.Cert) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile, err := c.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// readAll reads until EOF and fails the test on any other error.
func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v (after %q)", err, b)
	}
	return string(b)
}

// expectField checks a log field.
func expectField(t *testing.T, e logEntry, key, want string) {
	t.Helper()
	if got := e.str(key); got != want {
		t.Errorf("log %s = %q, want %q (line %v)", key, got, want, e)
	}
}

// expectContains checks that a log field contains want.
func expectContains(t *testing.T, e logEntry, key, want string) {
	t.Helper()
	if got := e.str(key); !strings.Contains(got, want) {
		t.Errorf("log %s = %q, want it to contain %q (line %v)", key, got, want, e)
	}
}

// logStacks logs the goroutines whose stacks mention substr: where a hang
// is stuck.
func logStacks(t *testing.T, substr string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var keep []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, substr) {
			keep = append(keep, g)
		}
	}
	t.Logf("goroutines in %s:\n%s", substr, strings.Join(keep, "\n\n"))
}
