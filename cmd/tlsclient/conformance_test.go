package main

import (
	"bufio"
	stdtls "crypto/tls"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
)

// Issue 13, items 12 to 15: the CLI's rough edges.

// Item 12: against an echo server (crypto/tls, testpeer's EchoHandler),
// the reply ends when the server has been silent for -idle, not at
// -timeout; -interactive sends stdin and prints the echo, then closes.
func TestEchoServerIdle(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	start := time.Now()
	code, stdout, stderr := runCmd(t, "-connect", srv.Addr, "-ca", caFile(t, srv.Cert.CA), "-request", `ping\n`, "-idle", "200ms", "-timeout", "20s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v: waited for -timeout", d)
	}
	assertContains(t, "stdout", stdout, "--- reply from "+srv.Addr+" ---\nping\n")
	assertSummary(t, stdout, "Reply", `5 bytes; the server sent nothing more for 200ms \(-idle\); it did not close`)
}

func TestInteractive(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	var out, errOut strings.Builder
	start := time.Now()
	code := runWithStdin([]string{"-connect", srv.Addr, "-ca", caFile(t, srv.Cert.CA), "-interactive", "-timeout", "20s"},
		strings.NewReader("line one\nline two\n"), &out, &errOut)
	t.Logf("stdout %q\nstderr %q", out.String(), errOut.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out.String() != "line one\nline two\n" {
		t.Errorf("stdout %q, want exactly the echo of stdin", out.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	if res := srv.WaitHandshake(t); res.Err != nil {
		t.Errorf("server: %v", res.Err)
	}
}

// Item 14: a plain-text service is named, with its first line, instead of
// an alert or an unexpected EOF; net/http answers the ClientHello with a
// 400, an SSH server sends its banner first.
func TestPlainTextServer(t *testing.T) {
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: http.NotFoundHandler()}
	go hs.Serve(httpLn)
	t.Cleanup(func() { hs.Close() })

	sshLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sshLn.Close() })
	go func() {
		for {
			c, err := sshLn.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.WriteString(c, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
				bufio.NewReader(c).ReadString('\n') // what OpenSSH does with a ClientHello: no line, then EOF
			}()
		}
	}()

	for _, c := range []struct{ addr, line string }{
		{httpLn.Addr().String(), "HTTP/1.1 400 Bad Request"},
		{sshLn.Addr().String(), "SSH-2.0-OpenSSH_9.2p1 Debian-2"},
	} {
		code, stdout, stderr := runCmd(t, "-connect", c.addr, "-pin", tls.PinSHA256(nil), "-timeout", "10s")
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
		assertOneErrorLine(t, stderr, `tlsclient: the server answered in plain text, not TLS: "`+c.line+`"`)
		if stdout != "" {
			t.Errorf("stdout %q", stdout)
		}
	}
}

// Item 15: -cert without a key says so; -trace shows a local failure as
// one, and an alert from the server as received.
func TestCertWithoutKey(t *testing.T) {
	ca := testpeer.DefaultCA()
	c := ca.Issue(testpeer.ECDSAP256)
	certFile := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(certFile, c.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "-cert", certFile)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	assertOneErrorLine(t, stderr, "tlsclient: -cert "+certFile+" has no private key in it: give the key with -key")
}

func TestTraceLocalAndReceivedFailures(t *testing.T) {
	srv := startReplyServer(t, testpeer.GoServerOptions{})
	code, stdout, _ := runCmd(t, "-connect", srv.Addr, "-ca", caFile(t, testpeer.NewCA()), "-trace")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	assertContains(t, "stdout", stdout, "WAIT_CERT_CR --local error, alert unknown_ca sent--> CLOSED: tls: failed to verify certificate")
	if strings.Contains(stdout, "--alert-->") || strings.Contains(stdout, "received-->") {
		t.Error("a local failure is drawn as a received alert")
	}

	srv = startReplyServer(t, testpeer.GoServerOptions{ClientAuth: stdtls.RequireAndVerifyClientCert})
	code, stdout, _ = runCmd(t, "-connect", srv.Addr, "-ca", caFile(t, srv.Cert.CA), "-trace")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	assertContains(t, "stdout", stdout, "--alert certificate_required received--> CLOSED")
	if strings.Contains(stdout, "local error") {
		t.Error("an alert from the server is drawn as a local error")
	}
}
