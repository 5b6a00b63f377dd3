package main

import (
	"bufio"
	"bytes"
	stdtls "crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
)

// runCmd runs the command with args and returns its exit status and
// output.
func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	t.Logf("tlsclient %s\nexit %d\n--- stdout ---\n%s--- stderr ---\n%s", strings.Join(args, " "), code, out.String(), errOut.String())
	return code, out.String(), errOut.String()
}

func init() {
	// Tests must not write secrets to a developer's key log.
	os.Unsetenv("SSLKEYLOGFILE")
}

const replyText = "hello from testpeer"

// startReplyServer starts a crypto/tls server whose handler reads a
// request and answers with replyText, like a tiny HTTP/1.0 server.
func startReplyServer(t *testing.T, opts testpeer.GoServerOptions) *testpeer.GoServer {
	t.Helper()
	var srv *testpeer.GoServer
	opts.Handler = func(c *stdtls.Conn) {
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				srv.ReportError(err)
				return
			}
			if line == "\r\n" {
				break
			}
		}
		io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\n"+replyText+"\n")
	}
	srv = testpeer.StartGoServer(t, opts)
	return srv
}

func caFile(t *testing.T, ca *testpeer.CA) string {
	t.Helper()
	path, err := ca.WriteFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return path
}

func assertContains(t *testing.T, what, s string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q", what, w)
		}
	}
}

// summaryLine matches a "Label:   value" line of the summary.
func summaryLine(label, value string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(label+":") + ` +` + value + `$`)
}

func assertSummary(t *testing.T, stdout string, labelValues ...string) {
	t.Helper()
	for i := 0; i < len(labelValues); i += 2 {
		if re := summaryLine(labelValues[i], labelValues[i+1]); !re.MatchString(stdout) {
			t.Errorf("summary has no line matching %v", re)
		}
	}
}

func TestNoArguments(t *testing.T) {
	code, stdout, stderr := runCmd(t)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr = %q, want nothing", stderr)
	}
	assertContains(t, "stdout", stdout,
		"HTTP/1.0 200 OK",
		"Hello from the embedded crypto/tls server.",
		"You sent: GET / HTTP/1.0",
		"--- connection ---",
	)
	assertSummary(t, stdout,
		"Protocol", "TLS 1.3",
		"Cipher suite", "TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)",
		"Group", "x25519",
		"HelloRetryRequest", "no",
		"ALPN", `\(none\)`,
		"Verification", `public key pin of the embedded server's fresh key, sha256/\S+=`,
		"Peer certificates", "1",
		"Handshake time", `[0-9.]+ms`,
		"Handshake bytes", `[1-9][0-9]* sent, [1-9][0-9]* received`,
		"Total on the wire", `[1-9][0-9]* sent, [1-9][0-9]* received`,
		"Reply", `[1-9][0-9]* bytes; server sent close_notify`,
	)
	assertContains(t, "stdout", stdout, "subject: CN=localhost", "key:     ECDSA P-256")
}

func TestQuiet(t *testing.T) {
	code, stdout, _ := runCmd(t, "-quiet", "-request", `PING\r\n\r\n`)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.HasPrefix(stdout, "HTTP/1.0 200 OK\r\n") || strings.Contains(stdout, "---") {
		t.Errorf("-quiet printed more than the reply: %q", stdout)
	}
	assertContains(t, "stdout", stdout, "You sent: PING\n")
}

// keyLogLine is a TLS 1.3 key log line with a secret of hexLen digits.
func keyLogLine(label string, hexLen int) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + label + ` [0-9a-f]{64} [0-9a-f]{` + strconv.Itoa(hexLen) + `}$`)
}

func TestConnectTraceKeyLog(t *testing.T) {
	for _, tc := range []struct {
		suite  string
		hexLen int
	}{
		{"TLS_AES_128_GCM_SHA256", 64},
		{"TLS_AES_256_GCM_SHA384", 96},
	} {
		t.Run(tc.suite, func(t *testing.T) {
			srv := startReplyServer(t, testpeer.GoServerOptions{})
			keyLog := filepath.Join(t.TempDir(), "keys.log")
			code, stdout, stderr := runCmd(t,
				"-connect", srv.Addr, "-servername", "localhost",
				"-ca", caFile(t, srv.Cert.CA),
				"-suites", tc.suite,
				"-trace", "-keylog", keyLog,
			)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if r := srv.WaitHandshake(t); r.Err != nil {
				t.Fatal("server:", r.Err)
			}
			assertContains(t, "stdout", stdout, replyText)
			assertSummary(t, stdout,
				"Cipher suite", tc.suite,
				"Verification", regexp.QuoteMeta("X.509 chain to the roots in ")+`.*, for localhost`,
			)
			// The trace: transitions of the generated table, records and
			// handshake messages, each with the time since the last.
			for _, re := range []string{
				`START --start--> WAIT_SH`,
				`WAIT_SH --server_hello--> WAIT_EE`,
				`WAIT_EE --encrypted_extensions--> WAIT_CERT_CR`,
				`WAIT_CV --certificate_verify--> WAIT_FINISHED`,
				`WAIT_FINISHED --finished--> CONNECTED`,
				`CONNECTED --close_notify--> PEER_CLOSED`,
				`>>> handshake client_hello, \d+ bytes`,
				`>>> record handshake, \d+ bytes`,
				`<<< record handshake, \d+ bytes`,
				`<<< handshake server_hello, \d+ bytes`,
				`<<< record application_data, \d+ bytes \(encrypted\)`,
				`<<< handshake certificate, \d+ bytes`,
				`>>> handshake finished, ` + strconv.Itoa(4+tc.hexLen/2) + ` bytes`,
				`<<< handshake finished, ` + strconv.Itoa(4+tc.hexLen/2) + ` bytes`,
			} {
				if !regexp.MustCompile(`(?m)^trace +\+[0-9]+\.[0-9]{3}ms  ` + re + `$`).MatchString(stdout) {
					t.Errorf("no trace line matching %q", re)
				}
			}

			data, err := os.ReadFile(keyLog)
			if err != nil {
				t.Fatal(err)
			}
			keys := string(data)
			for _, label := range []string{
				"CLIENT_HANDSHAKE_TRAFFIC_SECRET",
				"SERVER_HANDSHAKE_TRAFFIC_SECRET",
				"CLIENT_TRAFFIC_SECRET_0",
				"SERVER_TRAFFIC_SECRET_0",
			} {
				if !keyLogLine(label, tc.hexLen).MatchString(keys) {
					t.Errorf("key log has no %s line with a %d-digit secret:\n%s", label, tc.hexLen, keys)
				}
			}
			// Every line names the same connection.
			var random string
			for _, line := range strings.Split(strings.TrimSpace(keys), "\n") {
				f := strings.Fields(line)
				if len(f) != 3 {
					t.Fatalf("key log line %q", line)
				}
				if random == "" {
					random = f[1]
				} else if f[1] != random {
					t.Errorf("client randoms differ: %s, %s", random, f[1])
				}
			}
			assertContains(t, "stderr", stderr, "appending the TLS secrets to "+keyLog)
		})
	}
}

func TestSSLKEYLOGFILE(t *testing.T) {
	keyLog := filepath.Join(t.TempDir(), "env.log")
	t.Setenv("SSLKEYLOGFILE", keyLog)
	code, _, stderr := runCmd(t, "-quiet")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	data, err := os.ReadFile(keyLog)
	if err != nil {
		t.Fatal(err)
	}
	if !keyLogLine("SERVER_TRAFFIC_SECRET_0", 64).Match(data) && !keyLogLine("SERVER_TRAFFIC_SECRET_0", 96).Match(data) {
		t.Errorf("key log from SSLKEYLOGFILE:\n%s", data)
	}
	assertContains(t, "stderr", stderr, "(SSLKEYLOGFILE)")
}

func TestClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, stdout, stderr := runCmd(t, "-connect", addr)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if stdout != "" {
		t.Errorf("stdout = %q, want nothing", stdout)
	}
	assertOneErrorLine(t, stderr, "tlsclient: dial tcp "+addr+": ")
}

func assertOneErrorLine(t *testing.T, stderr, prefix string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is not one line: %q", stderr)
	}
	if !strings.HasPrefix(stderr, prefix) {
		t.Errorf("stderr = %q, want it to start with %q", stderr, prefix)
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
		t.Errorf("stderr looks like a crash: %q", stderr)
	}
}

func TestWrongPin(t *testing.T) {
	wrong := tls.PinSHA256([]byte("not the server's key"))

	// Embedded server.
	code, _, stderr := runCmd(t, "-pin", wrong)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	assertOneErrorLine(t, stderr, "tlsclient: tls: server public key sha256/")
	assertContains(t, "stderr", stderr, " does not match any pin (sent alert bad_certificate)")

	// A testpeer server sees the alert. The error names the server's
	// pin, and the summary shows what was settled and the certificate.
	srv := startReplyServer(t, testpeer.GoServerOptions{})
	pin, err := tls.PinFromCertificate(srv.Cert.Chain[0])
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, "-connect", srv.Addr, "-pin", wrong+","+tls.PinSHA256([]byte("neither")))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	assertOneErrorLine(t, stderr, "tlsclient: tls: server public key "+pin+" does not match any pin")
	if r := srv.WaitHandshake(t); r.Err == nil || !strings.Contains(r.Err.Error(), "bad certificate") {
		t.Errorf("server handshake error = %v, want a bad certificate alert", r.Err)
	}
	assertContains(t, "stdout", stdout, "--- connection (handshake failed) ---", "pin:     "+pin)
	assertSummary(t, stdout,
		"Protocol", `\(none: the handshake did not finish\)`,
		"Cipher suite", "TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)",
		"Group", "x25519",
		"Peer certificates", "1",
		"Failed", regexp.QuoteMeta("tls: server public key "+pin+" does not match any pin"))

	// The right pin among wrong ones, given as repeated flags.
	code, stdout, _ = runCmd(t, "-connect", srv.Addr, "-pin", wrong, "-pin", pin)
	if code != 0 {
		t.Fatalf("exit %d with the right pin", code)
	}
	assertSummary(t, stdout, "Verification", `public key pin \(2 given\); chain and name not checked`)
}

func TestAlertFromPeer(t *testing.T) {
	// The server requires a client certificate and gets none.
	srv := startReplyServer(t, testpeer.GoServerOptions{ClientAuth: stdtls.RequireAndVerifyClientCert})
	code, _, stderr := runCmd(t, "-connect", srv.Addr, "-ca", caFile(t, srv.Cert.CA))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	assertOneErrorLine(t, stderr, "tlsclient: tls: alert certificate_required from peer")
}

func TestUntrustedServer(t *testing.T) {
	srv := startReplyServer(t, testpeer.GoServerOptions{})
	code, _, stderr := runCmd(t, "-connect", srv.Addr, "-ca", caFile(t, testpeer.NewCA()))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	assertOneErrorLine(t, stderr, "tlsclient: tls: failed to verify certificate: x509: certificate signed by unknown authority")
	assertContains(t, "stderr", stderr, "(sent alert unknown_ca)")
}

func TestInsecure(t *testing.T) {
	srv := startReplyServer(t, testpeer.GoServerOptions{})
	code, stdout, stderr := runCmd(t, "-connect", srv.Addr, "-insecure")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertContains(t, "stderr", stderr, "WARNING", "NOT verified")
	assertSummary(t, stdout, "Verification", `NONE \(-insecure\).*`)
	assertContains(t, "stdout", stdout, replyText)
}

func TestClientCertificate(t *testing.T) {
	dir := t.TempDir()
	srv := startReplyServer(t, testpeer.GoServerOptions{ClientAuth: stdtls.RequireAndVerifyClientCert})
	ca := caFile(t, srv.Cert.CA)
	client := srv.Cert.CA.Issue(testpeer.ECDSAP384, "device-7")
	certFile, keyFile, err := client.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, "-connect", srv.Addr, "-servername", "localhost", "-ca", ca, "-cert", certFile, "-key", keyFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	assertSummary(t, stdout, "Client certificate", "requested, sent")
	r := srv.WaitHandshake(t)
	if r.Err != nil || len(r.State.PeerCertificates) == 0 || r.State.PeerCertificates[0].Subject.CommonName != "device-7" {
		t.Fatalf("server saw %v, %v", r.Err, r.State.PeerCertificates)
	}

	// Key and certificate in one file.
	both := filepath.Join(dir, "both.pem")
	os.WriteFile(both, append(append([]byte(nil), client.CertPEM...), client.KeyPEM...), 0o600)
	if code, _, _ := runCmd(t, "-connect", srv.Addr, "-ca", ca, "-cert", both, "-quiet"); code != 0 {
		t.Fatalf("exit %d with a combined PEM file", code)
	}

	// A key that does not match.
	other := srv.Cert.CA.Issue(testpeer.Ed25519, "other")
	_, otherKey, err := other.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, "-connect", srv.Addr, "-ca", ca, "-cert", certFile, "-key", otherKey)
	if code != 2 { // found when the flags are read
		t.Errorf("exit %d, want 2", code)
	}
	assertOneErrorLine(t, stderr, "tlsclient: -key "+otherKey+" does not match the certificate")
}

func TestHelloRetryRequest(t *testing.T) {
	srv := startReplyServer(t, testpeer.GoServerOptions{CurvePreferences: []stdtls.CurveID{stdtls.CurveP256}})
	code, stdout, _ := runCmd(t, "-connect", srv.Addr, "-ca", caFile(t, srv.Cert.CA),
		"-groups", "x25519,secp256r1", "-alpn", "h2,http/1.1", "-trace")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertSummary(t, stdout, "Group", "secp256r1", "HelloRetryRequest", "yes", "ALPN", `\(none\)`)
	assertContains(t, "stdout", stdout, "WAIT_SH --hello_retry_request--> WAIT_SH_AFTER_HRR", "WAIT_SH_AFTER_HRR --server_hello--> WAIT_EE")

	// With a key share for P-256 up front there is no HRR.
	code, stdout, _ = runCmd(t, "-connect", srv.Addr, "-ca", caFile(t, srv.Cert.CA), "-keyshares", "secp256r1")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertSummary(t, stdout, "Group", "secp256r1", "HelloRetryRequest", "no")
}

func TestALPNAndHybridGroup(t *testing.T) {
	srv := startReplyServer(t, testpeer.GoServerOptions{NextProtos: []string{"http/1.1"}})
	code, stdout, _ := runCmd(t, "-connect", srv.Addr, "-ca", caFile(t, srv.Cert.CA),
		"-groups", "X25519MLKEM768,x25519", "-alpn", "h2,http/1.1")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertSummary(t, stdout, "Group", "X25519MLKEM768", "HelloRetryRequest", "no", "ALPN", "http/1.1")
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-groups", "x448"},
		{"-keyshares", "secp384r1", "-groups", "x25519"},
		{"-suites", "TLS_AES_128_CCM_SHA256"},
		{"-pin", "md5/abc"},
		{"-insecure", "-pin", tls.PinSHA256(nil)},
		{"-connect", "no-port"},
		{"-timeout", "0s"},
		{"-key", "k.pem"},
		{"stray"},
		// Files that flags name are read first (issue 13 item 15).
		{"-ca", "/nonexistent/ca.pem"},
		{"-cert", "/nonexistent/cert.pem"},
		{"-interactive", "-request", "x"},
		{"-idle", "-1s"},
	} {
		code, stdout, stderr := runCmd(t, args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if stdout != "" {
			t.Errorf("%q: stdout %q", args, stdout)
		}
		assertOneErrorLine(t, stderr, "tlsclient: ")
	}
	if code, _, stderr := runCmd(t, "-nosuchflag"); code != 2 || !strings.Contains(stderr, "-connect") {
		t.Errorf("unknown flag: exit %d, usage not printed", code)
	}
	if code, _, _ := runCmd(t, "-h"); code != 0 {
		t.Errorf("-h: exit %d", code)
	}
}

func TestTimeout(t *testing.T) {
	// A server that accepts and never answers.
	addr := testpeer.StartSilentServer(t)
	code, _, stderr := runCmd(t, "-connect", addr, "-insecure", "-timeout", "100ms")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.HasSuffix(stderr, "tlsclient: handshake: timed out after 100ms (-timeout)\n") {
		t.Errorf("stderr = %q", stderr)
	}
}
