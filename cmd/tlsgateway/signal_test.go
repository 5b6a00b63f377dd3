package main

import (
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
)

// buildGateway builds the tlsgateway binary (go test puts its own go
// first on PATH).
func buildGateway(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tlsgateway")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// gatewayProcess is the built binary, running.
type gatewayProcess struct {
	cmd    *exec.Cmd
	log    *logBuffer
	addr   string
	exited chan struct{}
	err    error
}

func startGatewayProcess(t testing.TB, bin string, args ...string) *gatewayProcess {
	t.Helper()
	p := &gatewayProcess{log: newLogBuffer(), exited: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"-log-format", "json"}, args...)...)
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("--- tlsgateway log ---\n%s", p.log.String())
		}
	})
	p.addr = p.log.waitFor(t, "msg=listening", 1, func(e logEntry) bool { return e.str("msg") == "listening" })[0].str("listen")
	return p
}

// wait waits for the process to exit and returns how long that took.
func (p *gatewayProcess) wait(t testing.TB) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-p.exited:
	case <-time.After(testTimeout):
		t.Fatal("tlsgateway did not exit")
	}
	if p.err != nil {
		t.Errorf("tlsgateway exited with %v, want status 0", p.err)
	}
	return time.Since(start)
}

func echoOnce(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, len(s))
	if _, err := io.ReadFull(c, b); err != nil || string(b) != s {
		t.Fatalf("echo %q: %q, %v", s, b, err)
	}
}

// TestSIGTERM builds the binary and signals it with connections open: it
// stops accepting, lets them run for -drain-timeout, closes the rest and
// exits 0.
func TestSIGTERM(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	bin := buildGateway(t)

	t.Run("drain", func(t *testing.T) {
		p := startGatewayProcess(t, bin, "-listen", "127.0.0.1:0", "-connect", srv.Addr,
			"-ca", writeCA(t, srv.Cert.CA), "-drain-timeout", "1500ms")
		stays, leaves := dialDevice(t, p.addr), dialDevice(t, p.addr)
		echoOnce(t, stays, "a")
		echoOnce(t, leaves, "b")

		signalled := time.Now()
		p.cmd.Process.Signal(syscall.SIGTERM)
		e := p.log.waitFor(t, "shutting down", 1, func(e logEntry) bool {
			return e.str("msg") == "shutting down: no new connections, draining the open ones"
		})[0]
		expectField(t, e, "signal", "terminated")
		if e.num("open") != 2 {
			t.Errorf("open = %d, want 2", e.num("open"))
		}
		// No new connections...
		if c, err := net.DialTimeout("tcp", p.addr, time.Second); err == nil {
			c.Close()
			t.Error("a new connection was accepted after SIGTERM")
		}
		// ...but the open ones still work, and one ends on its own.
		echoOnce(t, leaves, "still here")
		leaves.(*net.TCPConn).CloseWrite()
		if rest := readAll(t, leaves); rest != "" {
			t.Errorf("after CloseWrite: %q", rest)
		}
		echoOnce(t, stays, "me too")
		// The other is closed when the drain time runs out.
		stays.SetReadDeadline(time.Now().Add(testTimeout))
		if n, err := stays.Read(make([]byte, 1)); n != 0 || (err != io.EOF && !errors.Is(err, syscall.ECONNRESET)) {
			t.Errorf("open connection at the drain timeout: %d bytes, %v", n, err)
		}
		if d := time.Since(signalled); d < 1400*time.Millisecond {
			t.Errorf("open connection closed %v after SIGTERM, before the 1.5s drain timeout", d)
		}
		p.wait(t)
		if d := time.Since(signalled); d > 10*time.Second {
			t.Errorf("exit %v after SIGTERM", d)
		}
		lines := p.log.connections()
		if len(lines) != 2 {
			t.Fatalf("%d connection log lines, want 2", len(lines))
		}
		expectField(t, lines[0], "end", "device closed first, then upstream")
		expectField(t, lines[0], "bytes_up", "11")
		expectField(t, lines[1], "end", "shutdown: still open after the drain timeout (1.5s)")
		expectField(t, lines[1], "bytes_up", "7")
		p.log.waitFor(t, "stopped", 1, func(e logEntry) bool { return e.str("msg") == "stopped" })
	})

	t.Run("second signal", func(t *testing.T) {
		p := startGatewayProcess(t, bin, "-listen", "127.0.0.1:0", "-connect", srv.Addr,
			"-ca", writeCA(t, srv.Cert.CA), "-drain-timeout", "1h")
		c := dialDevice(t, p.addr)
		echoOnce(t, c, "x")
		p.cmd.Process.Signal(os.Interrupt)
		p.log.waitFor(t, "shutting down", 1, func(e logEntry) bool { return e.str("signal") == "interrupt" })
		p.cmd.Process.Signal(syscall.SIGTERM)
		if d := p.wait(t); d > 10*time.Second {
			t.Errorf("exit %v after the second signal", d)
		}
		e := p.log.waitConnections(t, 1)[0]
		expectField(t, e, "end", "shutdown: second signal (terminated)")
	})
}

func dialDevice(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(testTimeout))
	return c
}
