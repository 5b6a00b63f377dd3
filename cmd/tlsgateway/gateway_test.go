package main

import (
	"bufio"
	"bytes"
	"context"
	stdtls "crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
)

func TestFlagErrors(t *testing.T) {
	dir := t.TempDir()
	writeFile := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-connect", "example.com:443"}, "-listen is required"},
		{[]string{"-listen", "127.0.0.1:0"}, "-connect is required"},
		{[]string{"-listen", "127.0.0.1", "-connect", "example.com:443"}, `-listen "127.0.0.1": want host:port`},
		{[]string{"-listen", "0.0.0.0:1883", "-connect", "example.com:8883"}, "-listen 0.0.0.0:1883 listens on every interface: the device side is plain TCP"},
		{[]string{"-listen", ":1883", "-connect", "example.com:8883"}, "listens on every interface"},
		{[]string{"-listen", "[::]:1883", "-connect", "example.com:8883"}, "listens on every interface"},
		{[]string{"-listen", "192.0.2.1:1883", "-connect", "example.com:8883"}, "-listen 192.0.2.1:1883 is not a loopback address: the device side is plain TCP, and whoever can reach it can read the traffic and send as the device's certificate. Listen on 127.0.0.1 or ::1, or, if the network between the devices and this gateway is trusted (a dedicated interface, VLAN or cable), say so with -allow-remote"},
		{[]string{"-listen", "127.0.0.1:0", "-connect", "example.com:8883", "-idle-timeout", "0s"}, "-idle-timeout must be positive"},
		{[]string{"-listen", "127.0.0.1:0", "-connect", "example.com:8883", "-max-conns", "0"}, "-max-conns must be positive"},
		{[]string{"-listen", "127.0.0.1:0", "-connect", "example.com:8883", "-insecure", "-pin", "sha256/" + strings.Repeat("A", 43) + "="}, "-insecure cannot be combined with -ca or -pin"},
		{[]string{"-listen", "127.0.0.1:0", "-connect", "example.com:8883", "-groups", "x448"}, `unknown group "x448"`},
		{[]string{"-listen", "127.0.0.1:0", "-connect", "example.com:8883", "-key", "k.pem"}, "-key needs -cert"},
		{[]string{"-listen", "127.0.0.1:0", "-connect", "example.com:8883", "-log-format", "xml"}, `-log-format "xml": want text or json`},
		{[]string{"-config", writeFile("ok.conf", "[a]\nlisten=127.0.0.1:0\nconnect=x:1\n"), "-ca", "ca.pem"}, "-ca with -config: route settings go in the config file"},
		{[]string{"-config", filepath.Join(dir, "missing.conf")}, "-config: open"},
		{[]string{"-config", writeFile("empty.conf", "# nothing\nca = x\n")}, "no [route] sections"},
		{[]string{"-config", writeFile("unknown.conf", "[a]\nlisten=127.0.0.1:0\nport = 1\n")}, `unknown.conf:3: unknown setting "port"`},
		{[]string{"-config", writeFile("dup.conf", "[a]\nlisten=127.0.0.1:0\nlisten=127.0.0.1:1\n")}, "dup.conf:3: listen already set on line 2"},
		{[]string{"-config", writeFile("dupsec.conf", "[a]\nlisten=127.0.0.1:1\nconnect=x:1\n[a]\n")}, "dupsec.conf:4: route [a] already defined on line 1"},
		{[]string{"-config", writeFile("noeq.conf", "[a]\nlisten\n")}, "noeq.conf:2: want name = value, got listen"},
		{[]string{"-config", writeFile("badval.conf", "[a]\nlisten=127.0.0.1:1\nconnect=x:1\nidle-timeout = soon\n")}, "badval.conf:4: idle-timeout: parse error"},
		{[]string{"-config", writeFile("remote.conf", "[a]\nlisten=10.1.2.3:1883\nconnect=x:1\n")}, "remote.conf:1: [a]: -listen 10.1.2.3:1883 is not a loopback address"},
		{[]string{"-config", writeFile("samelisten.conf", "[a]\nlisten=127.0.0.1:1883\nconnect=x:1\n[b]\nlisten=127.0.0.1:1883\nconnect=y:1\n")}, "[b]: listen 127.0.0.1:1883 is also route [a]'s"},
	} {
		var stderr bytes.Buffer
		code := run(tc.args, &stderr, nil, nil)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %q", tc.args, code, exitUsage, stderr.String())
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: stderr %q does not contain %q", tc.args, stderr.String(), tc.want)
		}
	}

}

// TestFileFlags: the files that -ca, -cert and -key name are read when the
// flags are (internal/clientflags), so a missing or wrong one is a usage
// error, on the command line or in a config file, before anything listens.
func TestFileFlags(t *testing.T) {
	dir := t.TempDir()
	writeFile := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cert := testpeer.DefaultCA().Issue(testpeer.ECDSAP256)
	certOnly := writeFile("cert.pem", cert.CertPEM)
	notPEM := writeFile("notpem.txt", []byte("not a certificate\n"))
	route := []string{"-listen", "127.0.0.1:0", "-connect", "x:1"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(route, "-cert", filepath.Join(dir, "nope.pem")), "tlsgateway: -cert: open " + filepath.Join(dir, "nope.pem")},
		{append(route, "-ca", filepath.Join(dir, "nope.pem")), "tlsgateway: -ca: open " + filepath.Join(dir, "nope.pem")},
		{append(route, "-ca", notPEM), "tlsgateway: -ca " + notPEM + ": no PEM certificates in it"},
		{append(route, "-cert", certOnly), "tlsgateway: -cert " + certOnly + " has no private key in it: give the key with -key"},
		{append(route, "-cert", certOnly, "-key", notPEM), "tlsgateway: -key " + notPEM + ": no PEM private key in it"},
		{[]string{"-config", writeFile("ca.conf", []byte("[a]\nlisten=127.0.0.1:0\nconnect=x:1\nca = missing.pem\n"))},
			"tlsgateway: " + filepath.Join(dir, "ca.conf") + ":1: [a]: -ca: open " + filepath.Join(dir, "missing.pem")},
	} {
		var stderr bytes.Buffer
		code := run(tc.args, &stderr, nil, nil)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d; stderr %q", tc.args, code, exitUsage, stderr.String())
		}
		if !strings.HasPrefix(stderr.String(), tc.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line starting %q", tc.args, stderr.String(), tc.want)
		}
	}
}

func TestAllowRemote(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	// Any interface, explicitly allowed: the gateway starts and serves.
	g := startGateway(t, "-listen", "0.0.0.0:0", "-allow-remote", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA))
	_, port, _ := net.SplitHostPort(g.addrs[0])
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	io.WriteString(c, "ping")
	c.(*net.TCPConn).CloseWrite()
	if got := readAll(t, c); got != "ping" {
		t.Errorf("echo %q", got)
	}
	// localhost resolves to loopback only: no -allow-remote needed.
	var stderr bytes.Buffer
	stop := make(chan os.Signal, 1)
	stop <- syscall.SIGTERM
	if code := run([]string{"-listen", "localhost:0", "-connect", srv.Addr}, &stderr, stop, nil); code != exitOK {
		t.Errorf("-listen localhost:0: exit %d, stderr %q", code, stderr.String())
	}
}

// TestCryptoTLS forwards to a crypto/tls echo server and checks the log line.
func TestCryptoTLS(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{NextProtos: []string{"mqtt"}})
	g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA),
		"-alpn", "mqtt", "-groups", "secp256r1", "-suites", "TLS_CHACHA20_POLY1305_SHA256")
	c := g.dial(t, 0)
	msg := strings.Repeat("hello through the gateway\n", 1000)
	go func() {
		io.WriteString(c, msg)
		c.CloseWrite()
	}()
	if got := readAll(t, c); got != msg {
		t.Fatalf("echo: %d bytes back, want %d", len(got), len(msg))
	}
	e := g.log.waitConnections(t, 1)[0]
	expectField(t, e, "level", "INFO")
	expectField(t, e, "route", "default")
	expectField(t, e, "device", c.LocalAddr().String())
	expectField(t, e, "upstream", srv.Addr)
	expectField(t, e, "upstream_addr", srv.Addr)
	expectField(t, e, "suite", "TLS_CHACHA20_POLY1305_SHA256")
	expectField(t, e, "group", "secp256r1")
	expectField(t, e, "alpn", "mqtt")
	expectField(t, e, "end", "device closed first, then upstream")
	if e.num("bytes_up") != int64(len(msg)) || e.num("bytes_down") != int64(len(msg)) {
		t.Errorf("bytes_up %d, bytes_down %d, want %d each", e.num("bytes_up"), e.num("bytes_down"), len(msg))
	}
	for _, key := range []string{"connect", "handshake", "duration"} {
		if d := time.Duration(e.num(key)); d <= 0 || d > testTimeout {
			t.Errorf("%s %v", key, d)
		}
	}
	st := srv.WaitHandshake(t)
	if st.Err != nil || st.State.CipherSuite != stdtls.TLS_CHACHA20_POLY1305_SHA256 || st.State.NegotiatedProtocol != "mqtt" {
		t.Errorf("server saw %+v", st)
	}
	if err := srv.LastError(); err != nil {
		t.Errorf("server: %v", err)
	}
	listening := g.log.waitFor(t, "msg=listening", 1, func(e logEntry) bool { return e.str("msg") == "listening" })[0]
	expectField(t, listening, "verification", "X.509 chain to the roots in "+listening.str("verification")[len("X.509 chain to the roots in "):])
	expectContains(t, listening, "verification", ", for 127.0.0.1")
}

// TestOpenSSL forwards to openssl s_server, which requires a client
// certificate: -rev for lines, -www for an HTTP request.
func TestOpenSSL(t *testing.T) {
	ca := testpeer.DefaultCA()
	certFile, keyFile := writeCert(t, ca.Issue(testpeer.ECDSAP256, "sensor-17"))
	t.Run("rev", func(t *testing.T) {
		srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, ClientCA: ca, RequireClientCert: true})
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-servername", "localhost",
			"-ca", writeCA(t, srv.Cert.CA), "-cert", certFile, "-key", keyFile)
		c := g.dial(t, 0)
		r := bufio.NewReader(c)
		for _, line := range []string{"hello openssl", "second line"} {
			io.WriteString(c, line+"\n")
			got, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if want := reverse(line) + "\n"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		}
		io.WriteString(c, "CLOSE\n") // s_server closes the connection
		if rest := readAll(t, r); rest != "" {
			t.Errorf("after CLOSE: %q", rest)
		}
		c.CloseWrite() // the device's side was still open
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "client_cert", "true")
		expectField(t, e, "group", "x25519")
		expectContains(t, e, "end", "upstream closed first")
	})
	t.Run("www", func(t *testing.T) {
		srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeWWW, MaxSendFrag: 512})
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-servername", "localhost", "-ca", writeCA(t, srv.Cert.CA))
		c := g.dial(t, 0)
		io.WriteString(c, "GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
		reply := readAll(t, c)
		c.CloseWrite()
		if !strings.HasPrefix(reply, "HTTP/1.0 200 ok\r\n") || !strings.Contains(reply, "</HTML>") {
			t.Errorf("reply (%d bytes) %.200q", len(reply), reply)
		}
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "end", "upstream closed first, then device")
		if e.num("bytes_down") != int64(len(reply)) {
			t.Errorf("bytes_down %d, want %d", e.num("bytes_down"), len(reply))
		}
	})
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// TestHalfClose passes each side's close on while the other direction
// keeps flowing.
func TestHalfClose(t *testing.T) {
	t.Run("device first", func(t *testing.T) {
		// The server reads to close_notify, then answers and closes.
		srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: func(c *stdtls.Conn) {
			b, err := io.ReadAll(c)
			if err != nil {
				t.Errorf("server read: %v", err)
			}
			fmt.Fprintf(c, "got %d bytes: %s", len(b), b)
		}})
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA))
		c := g.dial(t, 0)
		io.WriteString(c, "request")
		c.CloseWrite()
		if got := readAll(t, c); got != "got 7 bytes: request" {
			t.Errorf("reply %q", got)
		}
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "end", "device closed first, then upstream")
		if e.num("bytes_up") != 7 || e.num("bytes_down") != 20 {
			t.Errorf("bytes_up %d, bytes_down %d", e.num("bytes_up"), e.num("bytes_down"))
		}
	})
	t.Run("upstream first", func(t *testing.T) {
		// The server sends a banner and close_notify, then reads on.
		got := make(chan string, 1)
		srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: func(c *stdtls.Conn) {
			io.WriteString(c, "banner")
			if err := c.CloseWrite(); err != nil {
				t.Errorf("server CloseWrite: %v", err)
			}
			b, err := io.ReadAll(c)
			if err != nil {
				t.Errorf("server read after its close_notify: %v", err)
			}
			got <- string(b)
		}})
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA))
		c := g.dial(t, 0)
		if banner := readAll(t, c); banner != "banner" {
			t.Errorf("banner %q", banner)
		}
		// The device's read side is closed; its write side still works.
		io.WriteString(c, "late data")
		c.CloseWrite()
		select {
		case s := <-got:
			if s != "late data" {
				t.Errorf("server got %q", s)
			}
		case <-time.After(testTimeout):
			t.Fatal("server got nothing after its close_notify")
		}
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "end", "upstream closed first, then device")
	})
	t.Run("truncation", func(t *testing.T) {
		// The server closes TCP without close_notify: the device must not
		// see a clean end of stream.
		srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: func(c *stdtls.Conn) {
			io.ReadFull(c, make([]byte, 2)) // the device is connected
			io.WriteString(c, "partial")
			c.NetConn().Close()
		}})
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA))
		c := g.dial(t, 0)
		io.WriteString(c, "go")
		b, err := io.ReadAll(c)
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("device read: %q, %v; want a reset", b, err)
		}
		if !strings.HasPrefix("partial", string(b)) {
			t.Errorf("device read %q", b)
		}
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "level", "WARN")
		expectField(t, e, "end", "upstream closed TCP without close_notify (truncation)")
	})
}

// TestRefusedHandshake: the device sees its connection closed and the log
// says why.
func TestRefusedHandshake(t *testing.T) {
	expectClosed := func(t *testing.T, c net.Conn) {
		t.Helper()
		b, err := io.ReadAll(c)
		if len(b) != 0 {
			t.Errorf("device read %q", b)
		}
		if err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("device read: %v, want EOF or a reset", err)
		}
	}
	t.Run("alpn", func(t *testing.T) {
		srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{NextProtos: []string{"mqtt"}})
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA), "-alpn", "h2")
		c := g.dial(t, 0)
		io.WriteString(c, "hello")
		expectClosed(t, c)
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "level", "WARN")
		expectField(t, e, "end", "upstream handshake failed")
		expectField(t, e, "error", "tls: alert no_application_protocol from peer")
		if _, ok := e["suite"]; ok {
			t.Errorf("log has a suite for a failed handshake: %v", e)
		}
	})
	t.Run("client certificate required", func(t *testing.T) {
		srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{ClientAuth: stdtls.RequireAndVerifyClientCert})
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA))
		c := g.dial(t, 0)
		expectClosed(t, c)
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "end", "upstream handshake failed")
		expectField(t, e, "error", "tls: alert certificate_required from peer")
		expectField(t, e, "client_cert", "false")
	})
	t.Run("untrusted server", func(t *testing.T) {
		srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, testpeer.NewCA()))
		c := g.dial(t, 0)
		expectClosed(t, c)
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "end", "upstream handshake failed")
		expectContains(t, e, "error", "(sent alert ")
		if r := srv.WaitHandshake(t); r.Err == nil {
			t.Error("server handshake succeeded")
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", addr, "-insecure")
		c := g.dial(t, 0)
		expectClosed(t, c)
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "end", "upstream connect failed")
		expectContains(t, e, "error", "connection refused")
	})
	t.Run("handshake timeout", func(t *testing.T) {
		// A TCP server that never answers the ClientHello.
		addr := testpeer.StartSilentServer(t)
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", addr, "-insecure", "-handshake-timeout", "300ms")
		c := g.dial(t, 0)
		start := time.Now()
		expectClosed(t, c)
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Errorf("closed after %v, before the handshake timeout", d)
		}
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "end", "upstream handshake failed")
		expectField(t, e, "error", "timed out after 300ms (-handshake-timeout)")
	})
}

func TestIdleTimeout(t *testing.T) {
	// The server reads and never answers: only the device→upstream
	// direction moves, and that keeps the connection alive.
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: func(c *stdtls.Conn) { io.Copy(io.Discard, c) }})
	g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA), "-idle-timeout", "400ms")
	c := g.dial(t, 0)
	start := time.Now()
	for range 8 {
		if _, err := io.WriteString(c, "tick"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	if n := len(g.log.connections()); n != 0 {
		t.Fatalf("connection ended while data was moving one way: %v", g.log.connections())
	}
	expectClosedAfter := time.Now()
	if b := readAll(t, c); b != "" {
		t.Errorf("device read %q", b)
	}
	if d := time.Since(expectClosedAfter); d < 200*time.Millisecond {
		t.Errorf("closed %v after the last data, want about 400ms", d)
	}
	e := g.log.waitConnections(t, 1)[0]
	expectField(t, e, "end", "idle timeout (400ms)")
	expectField(t, e, "level", "INFO")
	if e.num("bytes_up") != 32 {
		t.Errorf("bytes_up %d, want 32", e.num("bytes_up"))
	}
	if d := time.Duration(e.num("duration")); d < 1200*time.Millisecond || d > time.Since(start)+time.Second {
		t.Errorf("duration %v", d)
	}
}

func TestMaxConns(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA), "-max-conns", "2")
	echo := func(c net.Conn, s string) error {
		if _, err := io.WriteString(c, s); err != nil {
			return err
		}
		b := make([]byte, len(s))
		_, err := io.ReadFull(c, b)
		if err == nil && string(b) != s {
			err = fmt.Errorf("echo %q, want %q", b, s)
		}
		return err
	}
	c1, c2 := g.dial(t, 0), g.dial(t, 0)
	for _, c := range []net.Conn{c1, c2} {
		if err := echo(c, "x"); err != nil {
			t.Fatal(err)
		}
	}
	// The third waits in the backlog while two are open.
	c3 := g.dial(t, 0)
	c3.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if err := echo(c3, "third"); !isTimeout(err) {
		t.Fatalf("third connection served while two were open: %v", err)
	}
	g.log.waitFor(t, "connection limit reached", 1, func(e logEntry) bool {
		return strings.HasPrefix(e.str("msg"), "connection limit reached") && e.num("max_conns") == 2
	})
	c1.Close()
	c3.SetReadDeadline(time.Now().Add(testTimeout))
	b := make([]byte, 5)
	if _, err := io.ReadFull(c3, b); err != nil || string(b) != "third" {
		t.Fatalf("third connection after the first closed: %q, %v", b, err)
	}
	if n := srv.Accepted(); n != 3 {
		t.Errorf("upstream accepted %d connections, want 3", n)
	}
}

// TestConfigRoutes runs two routes from a config file, each with its own
// client certificate, and checks that the upstream sees each identity.
func TestConfigRoutes(t *testing.T) {
	ca := testpeer.DefaultCA()
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{
		ClientAuth: stdtls.RequireAndVerifyClientCert,
		Handler: func(c *stdtls.Conn) {
			fmt.Fprintf(c, "you are %s\n", c.ConnectionState().PeerCertificates[0].Subject.CommonName)
		},
	})
	// File names relative to the config file's directory.
	dir := t.TempDir()
	var conf strings.Builder
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&conf, "# defaults for every route\nca = ca.pem\nidle-timeout = 1m\n\n")
	for _, name := range []string{"sensor-a", "sensor-b"} {
		cert := ca.Issue(testpeer.ECDSAP256, name)
		if err := os.WriteFile(filepath.Join(dir, name+".pem"), append(cert.CertPEM, cert.KeyPEM...), 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&conf, "[%s]\nlisten = 127.0.0.1:0\nconnect = %s\ncert = %s.pem\n\n", name, srv.Addr, name)
	}
	path := filepath.Join(dir, "gateway.conf")
	if err := os.WriteFile(path, []byte(conf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, "-config", path)
	if len(g.addrs) != 2 {
		t.Fatalf("listening on %v, want 2 addresses", g.addrs)
	}
	for i, name := range []string{"sensor-a", "sensor-b"} {
		c := g.dial(t, i)
		c.CloseWrite()
		if got := readAll(t, c); got != "you are "+name+"\n" {
			t.Errorf("route %s: %q", name, got)
		}
	}
	lines := g.log.waitConnections(t, 2)
	for _, e := range lines {
		expectField(t, e, "client_cert", "true")
	}
	routes := []string{lines[0].str("route"), lines[1].str("route")}
	if !(routes[0] == "sensor-a" && routes[1] == "sensor-b") && !(routes[0] == "sensor-b" && routes[1] == "sensor-a") {
		t.Errorf("routes in the log: %v", routes)
	}
	listening := g.log.waitFor(t, "msg=listening", 2, func(e logEntry) bool { return e.str("msg") == "listening" })
	expectContains(t, listening[0], "client_cert", "CN=sensor-")
}

// Test64Parallel1MiB moves 1 MiB each way on 64 connections at once, each
// device writing while it reads the echo: both directions of every
// tabletls connection run at the same time.
func Test64Parallel1MiB(t *testing.T) {
	const conns, size = 64, 1 << 20
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	// A generous handshake timeout: 64 handshakes at once under -race on a
	// loaded machine can take seconds.
	g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA), "-max-conns", "64", "-handshake-timeout", "1m")
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 2*conns)
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", g.addrs[0], testTimeout)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(2 * testTimeout))
			data := make([]byte, size)
			r := rand.New(rand.NewPCG(uint64(i), 14))
			for j := range data {
				data[j] = byte(r.Uint32())
			}
			go func() {
				for off := 0; off < size; off += 16 << 10 {
					if _, err := c.Write(data[off : off+16<<10]); err != nil {
						errs <- fmt.Errorf("conn %d: write at %d: %w", i, off, err)
						return
					}
				}
				c.(*net.TCPConn).CloseWrite()
			}()
			back, err := io.ReadAll(c)
			if err != nil {
				errs <- fmt.Errorf("conn %d: read after %d bytes: %w", i, len(back), err)
				return
			}
			if !bytes.Equal(back, data) {
				errs <- fmt.Errorf("conn %d: %d bytes back, not the %d sent", i, len(back), size)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		logStacks(t, "tabletls/tls.")
		return
	}
	t.Logf("%d connections × %d bytes each way in %v", conns, size, time.Since(start))
	for _, e := range g.log.waitConnections(t, conns) {
		if e.num("bytes_up") != size || e.num("bytes_down") != size || e.str("end") != "device closed first, then upstream" {
			t.Errorf("log line %v", e)
		}
	}
	if err := srv.LastError(); err != nil {
		t.Errorf("server: %v", err)
	}
}

// TestFullDuplexLarge moves 64 MiB each way on one connection, more than
// the socket buffers on both paths hold, so that the upstream tabletls
// connection must read while a write of its own is blocked.
func TestFullDuplexLarge(t *testing.T) {
	const size, chunk = 64 << 20, 16 << 10
	const stall = 20 * time.Second // no progress for this long is a hang
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-ca", writeCA(t, srv.Cert.CA))
	c := g.dial(t, 0)
	c.SetDeadline(time.Time{})
	stream := func() *rand.ChaCha8 { return rand.NewChaCha8([32]byte{14}) }
	werr := make(chan error, 1)
	go func() {
		src, buf := stream(), make([]byte, chunk)
		for off := 0; off < size; off += chunk {
			src.Read(buf)
			c.SetWriteDeadline(time.Now().Add(stall))
			if _, err := c.Write(buf); err != nil {
				werr <- fmt.Errorf("device write stalled or failed at %d of %d bytes: %w", off, size, err)
				return
			}
		}
		werr <- c.CloseWrite()
	}()
	want, got, buf := stream(), make([]byte, chunk), make([]byte, chunk)
	var n int
	for n < size {
		c.SetReadDeadline(time.Now().Add(stall))
		m, err := io.ReadFull(c, buf[:min(chunk, size-n)])
		want.Read(got[:m])
		if !bytes.Equal(buf[:m], got[:m]) {
			t.Fatalf("echo differs at about byte %d", n)
		}
		n += m
		if err != nil {
			logStacks(t, "tabletls/tls.")
			t.Fatalf("device read stalled or failed at %d of %d bytes: %v", n, size, err)
		}
	}
	if err := <-werr; err != nil {
		logStacks(t, "tabletls/tls.")
		t.Fatal(err)
	}
	if rest := readAll(t, c); rest != "" {
		t.Errorf("%d bytes after the echo", len(rest))
	}
	e := g.log.waitConnections(t, 1)[0]
	if e.num("bytes_up") != size || e.num("bytes_down") != size {
		t.Errorf("log line %v", e)
	}
}

// TestTrustFlags: -pin and -keylog work on the gateway as on tlsclient.
func TestTrustFlags(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	pin, err := tls.PinFromCertificate(srv.Cert.Chain[0])
	if err != nil {
		t.Fatal(err)
	}
	keyLog := filepath.Join(t.TempDir(), "keys.log")
	g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-pin", pin, "-keylog", keyLog)
	c := g.dial(t, 0)
	io.WriteString(c, "pinned")
	c.CloseWrite()
	if got := readAll(t, c); got != "pinned" {
		t.Errorf("echo %q", got)
	}
	g.log.waitConnections(t, 1)
	g.log.waitFor(t, "key log warning", 1, func(e logEntry) bool {
		return strings.Contains(e.str("msg"), "appending the TLS secrets to "+keyLog+" (-keylog)")
	})
	listening := g.log.waitFor(t, "msg=listening", 1, func(e logEntry) bool { return e.str("msg") == "listening" })[0]
	expectField(t, listening, "verification", "public key pin (1 given); chain and name not checked")
	b, err := os.ReadFile(keyLog)
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_TRAFFIC_SECRET_0 ", "CLIENT_TRAFFIC_SECRET_0 "} {
		if !strings.Contains(string(b), label) {
			t.Errorf("key log has no %s line:\n%s", label, b)
		}
	}

	// Another key's pin: the gateway refuses the server.
	key, err := testpeer.GenerateKey(testpeer.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	other, err := tls.PinFromCertificate(testpeer.NewCA().IssueWithKey(key).Chain[0])
	if err != nil {
		t.Fatal(err)
	}
	g = startGateway(t, "-listen", "127.0.0.1:0", "-connect", srv.Addr, "-pin", other)
	c = g.dial(t, 0)
	if b, _ := io.ReadAll(c); len(b) != 0 {
		t.Errorf("device read %q through a wrong pin", b)
	}
	e := g.log.waitConnections(t, 1)[0]
	expectField(t, e, "end", "upstream handshake failed")
	// The error names the key the server presented (package tls).
	expectContains(t, e, "error", "tls: server public key "+pin+" does not match any pin (sent alert bad_certificate)")
}

// TestHTTPKeepAlive is docs/gateway.md's HTTP example: a plain HTTP client
// through the gateway to an HTTPS server (net/http), two requests on one
// connection.
func TestHTTPKeepAlive(t *testing.T) {
	cert := testpeer.DefaultCA().Issue(testpeer.ECDSAP256)
	var tlsConns atomic.Int32
	api := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s host=%s tls=%v", r.Method, r.URL.Path, r.Host, r.TLS != nil)
	}))
	api.TLS = &stdtls.Config{Certificates: []stdtls.Certificate{cert.TLS}, MinVersion: stdtls.VersionTLS13}
	api.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			tlsConns.Add(1)
		}
	}
	api.StartTLS()
	defer api.Close()
	g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", api.Listener.Addr().String(),
		"-servername", "localhost", "-ca", writeCA(t, cert.CA), "-alpn", "http/1.1")
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", g.addrs[0])
		},
	}}
	defer client.CloseIdleConnections()
	for _, path := range []string{"/v1/config", "/v1/firmware"} {
		resp, err := client.Get("http://api.example.com" + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if want := "GET " + path + " host=api.example.com tls=true"; string(body) != want {
			t.Errorf("reply %q, want %q", body, want)
		}
	}
	if n := tlsConns.Load(); n != 1 {
		t.Errorf("%d TLS connections upstream, want 1 (keep-alive)", n)
	}
	client.CloseIdleConnections()
	e := g.log.waitConnections(t, 1)[0]
	expectField(t, e, "alpn", "http/1.1")
}
