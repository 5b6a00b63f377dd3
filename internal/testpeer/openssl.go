package testpeer

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// OpenSSLMode selects how s_server treats application data.
type OpenSSLMode int

const (
	// ModeStdio is plain s_server: data received from the client is printed
	// to the process output (see Output/WaitForOutput) and whatever the test
	// writes with Send is sent to the client. Lines written with Send are
	// also s_server commands: "k\n" / "K\n" send a KeyUpdate
	// (update_not_requested / update_requested), "q\n" closes the current
	// connection, "Q\n" terminates the server. Caveats: s_server looks at
	// the first bytes of whatever one read(2) of stdin returns, so never
	// Send data starting with 'q' or 'Q', nor exactly "k\n", "K\n", "c\n"
	// (post-handshake CertificateRequest, if the client offered
	// post_handshake_auth), "r\n" or "R\n". Data starting with 'P' is
	// preceded on the wire by the unencrypted bytes "Lets print some clear
	// text\n" (handy for negative tests), 'S' prints statistics. Send
	// waits until s_server has read the data so two Sends are never merged.
	// Stdin is only read while a client is connected, so Send commands
	// once the handshake is complete (e.g. after WaitForOutput of data the
	// client sent).
	ModeStdio OpenSSLMode = iota
	// ModeRev is "s_server -rev": each line ('\n'-terminated) received is
	// sent back reversed, followed by '\n' (trailing "\r\n"/"\n" are
	// stripped before reversing). The line "CLOSE" makes the server close
	// the connection. Works with TLS 1.3.
	ModeRev
	// ModeWWW is "s_server -www": a request starting with "GET /" gets an
	// HTTP/1.0 200 response with an HTML status page (several KB: cipher
	// lists, session details), after which the server sends close_notify
	// and closes. Good for multi-record reads, especially with MaxSendFrag.
	ModeWWW
)

func (m OpenSSLMode) String() string {
	switch m {
	case ModeStdio:
		return "stdio"
	case ModeRev:
		return "rev"
	case ModeWWW:
		return "www"
	}
	return fmt.Sprintf("OpenSSLMode(%d)", int(m))
}

// OpenSSLOptions configures StartOpenSSL.
type OpenSSLOptions struct {
	// Cert is the server certificate. Nil means DefaultCA().Issue(ECDSAP256).
	Cert *Cert

	Mode OpenSSLMode

	// CipherSuite, if non-zero, restricts the server to that one TLS 1.3
	// suite (-ciphersuites NAME), which forces it. 0x1301-0x1305 are known,
	// including TLS_AES_128_CCM_SHA256 (0x1304) and TLS_AES_128_CCM_8_SHA256
	// (0x1305), which OpenSSL supports but does not enable by default.
	CipherSuite uint16

	// Groups, if non-empty, restricts the server's key exchange groups
	// (-groups). OpenSSL picks the first client key share whose group it
	// supports; if there is none, it sends a HelloRetryRequest for a mutual
	// group. So to force HRR: client shares X25519 only, lists P-256 too,
	// Groups = []tls.CurveID{tls.CurveP256}. Known: X25519, P-256, P-384,
	// P-521, X448 (30), ffdhe2048..8192 (256..260). OpenSSL 3.0 has no
	// ML-KEM groups.
	Groups []tls.CurveID

	// ClientCA, if set, makes the server request a client certificate,
	// verify it against this CA (-CAfile, -verify_return_error) and send
	// the CA's name in certificate_authorities. RequireClientCert selects
	// -Verify 1 (certificate mandatory) instead of -verify 1 (optional).
	ClientCA          *CA
	RequireClientCert bool

	// MaxSendFrag, if non-zero, caps the plaintext size of records the
	// server sends (-max_send_frag, 512..16384). It does not negotiate the
	// max_fragment_length extension.
	MaxSendFrag int

	// ALPN lists the protocols the server accepts (-alpn a,b).
	ALPN []string

	// NoTickets stops the server from sending NewSessionTicket messages
	// (-num_tickets 0; the default is 2 tickets after the handshake).
	NoTickets bool

	// NoMiddlebox disables middlebox compatibility mode (-no_middlebox);
	// by default OpenSSL sends a dummy change_cipher_spec after its first
	// handshake message if the client sent a non-empty legacy_session_id.
	NoMiddlebox bool

	// ExtraArgs are appended verbatim to the s_server command line.
	ExtraArgs []string
}

// OpenSSLServer is a running "openssl s_server" process on 127.0.0.1.
type OpenSSLServer struct {
	Addr string   // "127.0.0.1:port"
	Port int      // listening port
	Cert *Cert    // server certificate in use
	Args []string // full argv after "openssl"
	Mode OpenSSLMode

	tb           testing.TB
	cmd          *exec.Cmd
	stdin        *os.File // write end of s_server's stdin pipe
	lineBuffered bool     // stdout forced line-buffered via stdbuf
	out          *outBuf
	cancel       context.CancelFunc
	done         chan struct{} // closed when the process has exited
	werr         error         // cmd.Wait result, valid after done

	closeOnce sync.Once
	stdinMu   sync.Mutex
}

// ReadyTimeout bounds how long StartOpenSSL waits for s_server to listen.
const ReadyTimeout = 30 * time.Second

// RequireOpenSSL returns the path of the openssl binary, failing the test
// (not skipping it) if there is none on PATH.
func RequireOpenSSL(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		tb.Fatalf("testpeer: openssl is required for interop tests but was not found on PATH (%v); "+
			".ci/run installs it (apt-get install -y openssl)", err)
	}
	return p
}

var tls13SuiteNames = map[uint16]string{
	0x1301: "TLS_AES_128_GCM_SHA256",
	0x1302: "TLS_AES_256_GCM_SHA384",
	0x1303: "TLS_CHACHA20_POLY1305_SHA256",
	0x1304: "TLS_AES_128_CCM_SHA256",
	0x1305: "TLS_AES_128_CCM_8_SHA256",
}

// OpenSSLGroupName returns OpenSSL's name for a TLS named group, or "" if
// this package does not know it.
func OpenSSLGroupName(id tls.CurveID) string {
	switch id {
	case tls.X25519:
		return "X25519"
	case tls.CurveP256:
		return "P-256"
	case tls.CurveP384:
		return "P-384"
	case tls.CurveP521:
		return "P-521"
	case 30:
		return "X448"
	case 256, 257, 258, 259, 260:
		return fmt.Sprintf("ffdhe%d", []int{2048, 3072, 4096, 6144, 8192}[id-256])
	}
	return ""
}

var acceptRE = regexp.MustCompile(`(?m)^ACCEPT (\S+):(\d+)\r?$`)

// StartOpenSSL runs "openssl s_server -tls1_3" on 127.0.0.1 with an
// OS-assigned port and waits (at most ReadyTimeout) until it listens. The
// process is killed by tb.Cleanup (and, on Linux, when the test binary
// dies); its combined stdout/stderr is logged if the test failed.
func StartOpenSSL(tb testing.TB, opts OpenSSLOptions) *OpenSSLServer {
	tb.Helper()
	bin := RequireOpenSSL(tb)
	cert := opts.Cert
	if cert == nil {
		cert = DefaultCA().Issue(ECDSAP256)
	}
	dir := tb.TempDir()
	certFile, keyFile, err := cert.WriteFiles(dir)
	if err != nil {
		tb.Fatalf("testpeer: writing cert files: %v", err)
	}

	// Port 0: OpenSSL 3.x binds an ephemeral port and reports it as
	// "ACCEPT 127.0.0.1:PORT" once listening, so there is no race between
	// choosing a free port and binding it.
	args := []string{"s_server", "-accept", "127.0.0.1:0", "-tls1_3",
		"-cert", certFile, "-key", keyFile}
	if opts.CipherSuite != 0 {
		name, ok := tls13SuiteNames[opts.CipherSuite]
		if !ok {
			tb.Fatalf("testpeer: unknown TLS 1.3 cipher suite %#04x", opts.CipherSuite)
		}
		args = append(args, "-ciphersuites", name)
	}
	if len(opts.Groups) > 0 {
		names := make([]string, len(opts.Groups))
		for i, g := range opts.Groups {
			if names[i] = OpenSSLGroupName(g); names[i] == "" {
				tb.Fatalf("testpeer: no OpenSSL name for group %v (%d)", g, uint16(g))
			}
		}
		args = append(args, "-groups", strings.Join(names, ":"))
	}
	if opts.ClientCA != nil {
		caFile, err := opts.ClientCA.WriteFile(dir)
		if err != nil {
			tb.Fatalf("testpeer: writing CA file: %v", err)
		}
		if opts.RequireClientCert {
			args = append(args, "-Verify", "1")
		} else {
			args = append(args, "-verify", "1")
		}
		args = append(args, "-CAfile", caFile, "-verify_return_error")
	}
	if opts.MaxSendFrag != 0 {
		args = append(args, "-max_send_frag", strconv.Itoa(opts.MaxSendFrag))
	}
	if len(opts.ALPN) > 0 {
		args = append(args, "-alpn", strings.Join(opts.ALPN, ","))
	}
	if opts.NoTickets {
		args = append(args, "-num_tickets", "0")
	}
	if opts.NoMiddlebox {
		args = append(args, "-no_middlebox")
	}
	switch opts.Mode {
	case ModeStdio:
	case ModeRev:
		args = append(args, "-rev")
	case ModeWWW:
		args = append(args, "-www")
	default:
		tb.Fatalf("testpeer: unknown OpenSSLMode %d", int(opts.Mode))
	}
	args = append(args, opts.ExtraArgs...)

	// Never outlive the test: bound the process by the test deadline (or
	// 10 minutes), on top of the kill in Cleanup.
	deadline := time.Now().Add(10 * time.Minute)
	if d, ok := tb.(interface{ Deadline() (time.Time, bool) }); ok {
		if t, ok := d.Deadline(); ok && t.Before(deadline) {
			deadline = t
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	// s_server writes its status lines through C stdio, which is fully
	// buffered on a pipe; stdbuf (GNU coreutils) makes it line-buffered so
	// the output can be waited on. Data received from the client is written
	// unbuffered either way.
	name, argv := bin, args
	stdbuf, err := exec.LookPath("stdbuf")
	if err == nil {
		name, argv = stdbuf, append([]string{"-oL", "-eL", bin}, args...)
	}
	cmd := exec.CommandContext(ctx, name, argv...)
	cmd.WaitDelay = 2 * time.Second
	cmd.Dir = dir
	setProcAttr(cmd)
	out := newOutBuf()
	cmd.Stdout = out
	cmd.Stderr = out
	// An explicit pipe (not cmd.StdinPipe) so Send can see when s_server
	// has read what was written.
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		cancel()
		tb.Fatalf("testpeer: stdin pipe: %v", err)
	}
	cmd.Stdin = stdinR
	s := &OpenSSLServer{
		Cert:         cert,
		Args:         args,
		Mode:         opts.Mode,
		tb:           tb,
		cmd:          cmd,
		stdin:        stdinW,
		lineBuffered: stdbuf != "",
		out:          out,
		cancel:       cancel,
		done:         make(chan struct{}),
	}
	err = cmd.Start()
	stdinR.Close()
	if err != nil {
		cancel()
		stdinW.Close()
		tb.Fatalf("testpeer: starting %s %s: %v", name, strings.Join(argv, " "), err)
	}
	go func() {
		s.werr = cmd.Wait()
		close(s.done)
	}()
	tb.Cleanup(func() {
		s.Close()
		if tb.Failed() {
			tb.Logf("testpeer: openssl %s\n--- s_server output ---\n%s--- end s_server output ---",
				strings.Join(args, " "), s.Output())
		}
	})

	var m []string
	err = s.waitFor(ReadyTimeout, func(b []byte) bool {
		if sm := acceptRE.FindSubmatch(b); sm != nil {
			m = []string{string(sm[1]), string(sm[2])}
			return true
		}
		return false
	})
	if err != nil {
		tb.Fatalf("testpeer: openssl s_server did not start listening: %v\ncommand: openssl %s\noutput:\n%s",
			err, strings.Join(args, " "), s.Output())
	}
	s.Port, _ = strconv.Atoi(m[1])
	s.Addr = net.JoinHostPort(m[0], m[1])
	return s
}

// Output returns everything s_server has written to stdout and stderr so
// far.
func (s *OpenSSLServer) Output() string { return s.out.String() }

// WaitForOutput waits until the output contains substr, the process exits,
// or timeout passes.
func (s *OpenSSLServer) WaitForOutput(substr string, timeout time.Duration) error {
	return s.WaitForOutputCount(substr, 1, timeout)
}

// WaitForOutputCount waits until the output contains at least n
// occurrences of substr, the process exits, or timeout passes.
func (s *OpenSSLServer) WaitForOutputCount(substr string, n int, timeout time.Duration) error {
	err := s.waitFor(timeout, func(b []byte) bool { return bytes.Count(b, []byte(substr)) >= n })
	if err != nil {
		return fmt.Errorf("waiting for %d× %q in s_server output: %w", n, substr, err)
	}
	return nil
}

func (s *OpenSSLServer) waitFor(timeout time.Duration, pred func([]byte) bool) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		changed, ok := s.out.check(pred)
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-s.done:
			if _, ok := s.out.check(pred); ok {
				return nil
			}
			return fmt.Errorf("s_server exited (%v)", s.werr)
		case <-timer.C:
			return fmt.Errorf("timed out after %v", timeout)
		}
	}
}

// Send writes data to s_server's stdin and (on Linux) waits, up to
// HandshakeTimeout, until s_server has read all of it, so that separate
// Sends are never merged into one read (see ModeStdio). In ModeStdio the
// data is sent to the connected client or interpreted as a command;
// s_server only reads stdin while a client is connected, so Send times out
// otherwise. In the other modes s_server never reads stdin: do not Send.
func (s *OpenSSLServer) Send(data string) error {
	s.stdinMu.Lock()
	defer s.stdinMu.Unlock()
	if _, err := io.WriteString(s.stdin, data); err != nil {
		return fmt.Errorf("testpeer: writing to s_server stdin: %w", err)
	}
	if _, ok := pipePending(s.stdin); !ok {
		time.Sleep(100 * time.Millisecond) // best effort where unsupported
		return nil
	}
	deadline := time.Now().Add(HandshakeTimeout)
	for {
		n, _ := pipePending(s.stdin)
		if n == 0 {
			return nil
		}
		if s.Exited() {
			return fmt.Errorf("testpeer: s_server exited with %d bytes of stdin unread", n)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("testpeer: s_server did not read %d bytes from stdin within %v (is a client connected?)", n, HandshakeTimeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// KeyUpdate makes s_server (ModeStdio only) send a KeyUpdate on the current
// connection, with update_requested if requestPeer is true, and waits until
// s_server has processed the command (up to HandshakeTimeout).
func (s *OpenSSLServer) KeyUpdate(requestPeer bool) error {
	if s.Mode != ModeStdio {
		return fmt.Errorf("testpeer: KeyUpdate needs ModeStdio, server is in %v mode", s.Mode)
	}
	cmd := "k\n"
	if requestPeer {
		cmd = "K\n"
	}
	// s_server 3.0 acknowledges the command with "SSL_do_handshake -> 1",
	// which is only visible promptly if stdout is line-buffered.
	const ack = "SSL_do_handshake -> "
	before := strings.Count(s.Output(), ack)
	if err := s.Send(cmd); err != nil {
		return err
	}
	if !s.lineBuffered {
		return nil
	}
	if err := s.WaitForOutputCount(ack, before+1, HandshakeTimeout); err != nil {
		return err
	}
	if out := s.Output(); strings.Count(out, ack+"1") < strings.Count(out, ack) {
		return fmt.Errorf("testpeer: s_server failed to send KeyUpdate (%s0/-1 in output)", ack)
	}
	return nil
}

// Exited reports whether the s_server process has exited.
func (s *OpenSSLServer) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// Close kills s_server and waits for it to exit. It is idempotent and
// registered with tb.Cleanup.
func (s *OpenSSLServer) Close() {
	s.closeOnce.Do(func() {
		s.cancel() // SIGKILL via exec.CommandContext
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			s.tb.Errorf("testpeer: openssl s_server (pid %d) did not exit after kill", s.cmd.Process.Pid)
		}
		s.stdin.Close()
	})
}

// outBuf is a concurrency-safe output sink that can signal changes.
type outBuf struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every Write
}

func newOutBuf() *outBuf { return &outBuf{changed: make(chan struct{})} }

func (o *outBuf) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

func (o *outBuf) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// check evaluates pred on the current contents and returns a channel that
// is closed on the next Write.
func (o *outBuf) check(pred func([]byte) bool) (<-chan struct{}, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.changed, pred(o.buf.Bytes())
}
