package main

import (
	"bufio"
	stdtls "crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
)

// docBlock returns the fenced code block that follows the line
// "<!-- test:name -->" in docs/gateway.md, so the tests run what the
// documentation shows.
func docBlock(t testing.TB, name string) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/gateway.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "<!-- test:"+name+" -->\n```")
	if !ok {
		t.Fatalf("docs/gateway.md has no block marked test:%s", name)
	}
	_, rest, _ = strings.Cut(rest, "\n") // the fence's info string
	block, _, ok := strings.Cut(rest, "\n```")
	if !ok {
		t.Fatalf("docs/gateway.md: block test:%s does not end", name)
	}
	return block + "\n"
}

// freeAddr returns a loopback address with a port nobody listens on now,
// for servers that cannot report the port they chose.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// haproxyUpstream is what the HAProxy configuration of docs/gateway.md
// becomes: forwarding to upstream, verified as "localhost" against ca,
// presenting client.
type haproxyUpstream struct {
	upstream string
	ca       *testpeer.CA
	client   *testpeer.Cert
}

// startHAProxy runs HAProxy with the documentation's configuration and
// returns its listen address and process id.
func startHAProxy(t testing.TB, u haproxyUpstream) (string, int) {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		bin = "/usr/sbin/haproxy"
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("haproxy is not installed (.ci/run installs it): apt-get install haproxy")
		}
	}
	dir := t.TempDir()
	combined := filepath.Join(dir, "client-combined.pem")
	if err := os.WriteFile(combined, append(append([]byte{}, u.client.CertPEM...), u.client.KeyPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	cfg := strings.NewReplacer(
		"broker.example.com:8883", u.upstream,
		"broker.example.com", "localhost",
		"/etc/tlsgateway/ca.pem", writeCA(t, u.ca),
		"/etc/tlsgateway/sensor-17-combined.pem", combined,
		"127.0.0.1:1883", listen,
	).Replace(docBlock(t, "haproxy.cfg"))
	cfgFile := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-c", "-f", cfgFile).CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s\n--- config ---\n%s", err, out, cfg)
	}
	out := newLogBuffer()
	cmd := exec.Command(bin, "-db", "-f", cfgFile)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("--- haproxy output ---\n%s", out.String())
		}
	})
	for deadline := time.Now().Add(testTimeout); ; {
		c, err := net.Dial("tcp", listen)
		if err == nil {
			c.Close()
			return listen, cmd.Process.Pid
		}
		select {
		case <-exited:
			t.Fatalf("haproxy exited:\n%s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy did not listen on %s:\n%s", listen, out.String())
		}
	}
}

// TestHAProxyConfig runs the HAProxy configuration of docs/gateway.md and
// checks that it does the gateway's job: mutual TLS to the upstream, echo
// and half-close.
func TestHAProxyConfig(t *testing.T) {
	ca := testpeer.DefaultCA()
	client := ca.Issue(testpeer.ECDSAP256, "sensor-17")
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{ClientAuth: stdtls.RequireAndVerifyClientCert, NextProtos: []string{"mqtt"}})
	addr, _ := startHAProxy(t, haproxyUpstream{upstream: srv.Addr, ca: ca, client: client})
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	io.WriteString(c, "through haproxy")
	c.(*net.TCPConn).CloseWrite()
	if got := readAll(t, c); got != "through haproxy" {
		t.Errorf("echo %q", got)
	}
	// (The readiness probe made a connection too: look at the last.)
	st, ok := srv.ConnectionState()
	if !ok || len(st.PeerCertificates) == 0 || st.PeerCertificates[0].Subject.CommonName != "sensor-17" ||
		st.NegotiatedProtocol != "mqtt" || st.ServerName != "localhost" {
		t.Errorf("server saw %+v", st)
	}
}

// TestDocConfigFile loads the config file of docs/gateway.md, with its
// paths and addresses replaced, and runs both routes.
func TestDocConfigFile(t *testing.T) {
	ca := testpeer.DefaultCA()
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{
		ClientAuth: stdtls.RequireAndVerifyClientCert,
		NextProtos: []string{"x-amzn-mqtt-ca"},
		Handler: func(c *stdtls.Conn) {
			io.WriteString(c, c.ConnectionState().PeerCertificates[0].Subject.CommonName+" "+c.ConnectionState().NegotiatedProtocol+"\n")
		},
	})
	dir := t.TempDir()
	repl := []string{
		"a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com:8883", srv.Addr,
		"/etc/tlsgateway/AmazonRootCA1.pem", writeCA(t, ca),
		"127.0.0.1:1883", "127.0.0.1:0",
		"127.0.0.1:1884", "127.0.0.1:0",
	}
	for _, name := range []string{"sensor-17", "sensor-18"} {
		certFile, keyFile := writeCert(t, ca.Issue(testpeer.ECDSAP256, name))
		repl = append(repl, "/etc/tlsgateway/"+name+".pem", certFile, "/etc/tlsgateway/"+name+".key", keyFile)
	}
	path := filepath.Join(dir, "gateway.conf")
	if err := os.WriteFile(path, []byte(strings.NewReplacer(repl...).Replace(docBlock(t, "gateway.conf"))), 0o600); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, "-config", path)
	for i, name := range []string{"sensor-17", "sensor-18"} {
		c := g.dial(t, i)
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if line != name+" x-amzn-mqtt-ca\n" {
			t.Errorf("route %s: upstream saw %q", name, line)
		}
	}
	listening := g.log.waitFor(t, "msg=listening", 2, func(e logEntry) bool { return e.str("msg") == "listening" })
	if listening[1].num("max_conns") != 4 || listening[0].num("max_conns") != 256 {
		t.Errorf("max_conns %d and %d, want 256 and 4", listening[0].num("max_conns"), listening[1].num("max_conns"))
	}
}

// TestHAProxyTruncation checks the comparison in docs/gateway.md: through
// HAProxy a device sees an upstream that closes TCP without close_notify
// as a clean end of stream; through tlsgateway it sees a reset
// (TestHalfClose/truncation).
func TestHAProxyTruncation(t *testing.T) {
	ca := testpeer.DefaultCA()
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{ClientAuth: stdtls.RequireAndVerifyClientCert, Handler: func(c *stdtls.Conn) {
		io.ReadFull(c, make([]byte, 2)) // the device is connected
		io.WriteString(c, "partial")
		c.NetConn().Close()
	}})
	addr, _ := startHAProxy(t, haproxyUpstream{upstream: srv.Addr, ca: ca, client: ca.Issue(testpeer.ECDSAP256, "sensor-17")})
	c, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(testTimeout))
	io.WriteString(c, "go")
	if b, err := io.ReadAll(c); string(b) != "partial" || err != nil {
		t.Errorf("through HAProxy: %q, %v; docs/gateway.md says a clean end after the data", b, err)
	}
}
