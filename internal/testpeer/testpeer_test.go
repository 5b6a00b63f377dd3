package testpeer

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests use crypto/tls's own client to check the peers themselves.

func clientConfig(ca *CA) *tls.Config {
	return &tls.Config{
		RootCAs:    ca.Pool,
		ServerName: "localhost",
		MinVersion: tls.VersionTLS13,
	}
}

// dial connects with a bounded timeout and an overall deadline on the conn.
func dial(t *testing.T, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	c := tls.Client(raw, cfg)
	if err := c.Handshake(); err != nil {
		t.Fatalf("client handshake with %s: %v", addr, err)
	}
	return c
}

func TestCerts(t *testing.T) {
	ca := NewCA()
	for _, kt := range KeyTypes() {
		t.Run(kt.String(), func(t *testing.T) {
			c := ca.Issue(kt)
			if c.KeyType != kt {
				t.Errorf("KeyType = %v", c.KeyType)
			}
			for _, eku := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
				if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: ca.Pool, KeyUsages: []x509.ExtKeyUsage{eku}}); err != nil {
					t.Errorf("verify for %v: %v", eku, err)
				}
			}
			if err := c.Leaf.VerifyHostname("127.0.0.1"); err != nil {
				t.Errorf("default cert lacks 127.0.0.1: %v", err)
			}
			if _, err := tls.X509KeyPair(c.CertPEM, c.KeyPEM); err != nil {
				t.Errorf("PEM pair: %v", err)
			}
			if !bytes.Equal(c.Chain[0], c.TLS.Certificate[0]) || !bytes.Equal(c.Chain[0], c.Leaf.Raw) {
				t.Error("Chain/TLS/Leaf disagree")
			}
			if k, ok := ca.Issue(kt, "example.test").Key.(interface{ Equal(crypto.PrivateKey) bool }); !ok || !k.Equal(c.Key) {
				t.Error("key not cached per KeyType")
			}
			cf, kf, err := c.WriteFiles(t.TempDir())
			if err != nil || cf == "" || kf == "" {
				t.Fatalf("WriteFiles: %q %q %v", cf, kf, err)
			}
		})
	}
}

func TestGoServerKeyTypes(t *testing.T) {
	ca := NewCA()
	for _, kt := range KeyTypes() {
		t.Run(kt.String(), func(t *testing.T) {
			srv := StartGoServer(t, GoServerOptions{Cert: ca.Issue(kt)})
			c := dial(t, srv.Addr, clientConfig(ca))
			msg := []byte("hello " + kt.String())
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("echo: got %q, %v", got, err)
			}
			r := srv.WaitHandshake(t)
			if r.Err != nil {
				t.Fatalf("server handshake: %v", r.Err)
			}
			if hrr, _ := stateHRR(r.State); r.State.Version != tls.VersionTLS13 || hrr {
				t.Errorf("server state: version %x, HRR %v", r.State.Version, hrr)
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if srv.Handshakes() != 1 || srv.FailedHandshakes() != 0 {
				t.Errorf("handshakes %d failed %d", srv.Handshakes(), srv.FailedHandshakes())
			}
		})
	}
}

func TestGoServerEchoUntilCloseNotify(t *testing.T) {
	srv := StartGoServer(t, GoServerOptions{})
	c := dial(t, srv.Addr, clientConfig(DefaultCA()))
	data := bytes.Repeat([]byte("0123456789abcdef"), 10000) // 160 KB, many records
	go func() {
		c.Write(data)
		c.CloseWrite() // close_notify; the echo server then closes too
	}()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("echo of %d bytes: got %d bytes, %v", len(data), len(got), err)
	}
	if err := srv.LastError(); err != nil {
		t.Fatalf("server error: %v", err)
	}
}

func TestGoServerHelloRetryRequest(t *testing.T) {
	srv := StartGoServer(t, GoServerOptions{CurvePreferences: []tls.CurveID{tls.CurveP256}})
	cfg := clientConfig(DefaultCA())
	cfg.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256} // key share for X25519 only
	c, wire := dialRecording(t, srv.Addr, cfg)
	if cs := c.ConnectionState(); !wireHRR(wire) || cs.CurveID != tls.CurveP256 {
		t.Errorf("client: HRR on the wire %v, curve %v", wireHRR(wire), cs.CurveID)
	}
	r := srv.WaitHandshake(t)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if hrr, known := stateHRR(r.State); (known && !hrr) || r.State.CurveID != tls.CurveP256 {
		t.Errorf("server: HRR %v curve %v", hrr, r.State.CurveID)
	}
	if st, ok := srv.ConnectionState(); !ok || st.CurveID != tls.CurveP256 {
		t.Errorf("ConnectionState: %v %v", ok, st.CurveID)
	}
}

func TestGoServerCipherSuiteAssertion(t *testing.T) {
	// crypto/tls's client always offers all three TLS 1.3 suites, so learn
	// which one the server picks, then assert it and a different one.
	probe := StartGoServer(t, GoServerOptions{})
	picked := dial(t, probe.Addr, clientConfig(DefaultCA())).ConnectionState().CipherSuite

	ok := StartGoServer(t, GoServerOptions{CipherSuite: picked})
	dial(t, ok.Addr, clientConfig(DefaultCA()))
	if r := ok.WaitHandshake(t); r.Err != nil {
		t.Fatalf("asserting %s: %v", tls.CipherSuiteName(picked), r.Err)
	}

	bad := StartGoServer(t, GoServerOptions{CipherSuite: tls.TLS_AES_256_GCM_SHA384})
	if picked == tls.TLS_AES_256_GCM_SHA384 {
		t.Skip("server unexpectedly picked AES-256-GCM")
	}
	dial(t, bad.Addr, clientConfig(DefaultCA()))
	r := bad.WaitHandshake(t)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "cipher suite") {
		t.Fatalf("want cipher suite mismatch error, got %v", r.Err)
	}
	if bad.LastError() == nil || bad.Handshakes() != 0 || bad.FailedHandshakes() != 1 {
		t.Errorf("LastError %v, handshakes %d, failed %d", bad.LastError(), bad.Handshakes(), bad.FailedHandshakes())
	}
}

func TestGoServerClientAuth(t *testing.T) {
	ca := NewCA()
	srv := StartGoServer(t, GoServerOptions{
		Cert:       ca.Issue(ECDSAP256),
		ClientAuth: tls.RequireAndVerifyClientCert, // ClientCAs defaults to ca.Pool
	})

	t.Run("good", func(t *testing.T) {
		cfg := clientConfig(ca)
		clientCert := ca.Issue(Ed25519, "client.test")
		cfg.Certificates = []tls.Certificate{clientCert.TLS}
		c := dial(t, srv.Addr, cfg)
		c.Write([]byte("x"))
		io.ReadFull(c, make([]byte, 1))
		r := srv.WaitHandshake(t)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if len(r.State.PeerCertificates) == 0 || !r.State.PeerCertificates[0].Equal(clientCert.Leaf) {
			t.Error("server did not see the client certificate")
		}
	})
	t.Run("missing", func(t *testing.T) {
		c := dial(t, srv.Addr, clientConfig(ca)) // TLS 1.3: the client learns of the failure on read
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("read succeeded without client certificate")
		}
		r := srv.WaitHandshake(t)
		if r.Err == nil || !strings.Contains(r.Err.Error(), "certificate") {
			t.Fatalf("server error = %v", r.Err)
		}
	})
	t.Run("untrusted", func(t *testing.T) {
		cfg := clientConfig(ca)
		cfg.Certificates = []tls.Certificate{NewCA().Issue(RSA2048, "client.test").TLS}
		c := dial(t, srv.Addr, cfg)
		c.Read(make([]byte, 1))
		r := srv.WaitHandshake(t)
		if r.Err == nil || !strings.Contains(r.Err.Error(), "unknown authority") {
			t.Fatalf("server error = %v", r.Err)
		}
	})
}

func TestGoServerSeesClientAlert(t *testing.T) {
	srv := StartGoServer(t, GoServerOptions{Cert: NewCA().Issue(ECDSAP256)})
	raw, err := net.DialTimeout("tcp", srv.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	if err := tls.Client(raw, clientConfig(DefaultCA())).Handshake(); err == nil {
		t.Fatal("client accepted a certificate from an unknown CA")
	}
	r := srv.WaitHandshake(t)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "remote error: tls: ") {
		t.Fatalf("server error = %v", r.Err)
	}
	if srv.LastError() != r.Err {
		t.Errorf("LastError = %v", srv.LastError())
	}
}

func TestGoServerALPN(t *testing.T) {
	srv := StartGoServer(t, GoServerOptions{NextProtos: []string{"h2", "http/1.1"}})
	cfg := clientConfig(DefaultCA())
	cfg.NextProtos = []string{"http/1.1"}
	if p := dial(t, srv.Addr, cfg).ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Errorf("ALPN = %q", p)
	}
}

func TestOpenSSLRev(t *testing.T) {
	ca := NewCA()
	suites := []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256, tls.TLS_AES_128_GCM_SHA256}
	for i, kt := range KeyTypes() {
		suite := suites[i]
		t.Run(kt.String()+"/"+tls.CipherSuiteName(suite), func(t *testing.T) {
			t.Parallel()
			srv := StartOpenSSL(t, OpenSSLOptions{Cert: ca.Issue(kt), Mode: ModeRev, CipherSuite: suite})
			c := dial(t, srv.Addr, clientConfig(ca))
			if got := c.ConnectionState().CipherSuite; got != suite {
				t.Errorf("suite = %s, want %s", tls.CipherSuiteName(got), tls.CipherSuiteName(suite))
			}
			br := bufio.NewReader(c)
			for _, line := range []string{"hello world", "second line"} {
				if _, err := io.WriteString(c, line+"\n"); err != nil {
					t.Fatal(err)
				}
				got, err := br.ReadString('\n')
				if err != nil {
					t.Fatal(err)
				}
				if want := reverse(line) + "\n"; got != want {
					t.Fatalf("got %q, want %q", got, want)
				}
			}
			// "CLOSE" makes s_server close the connection with close_notify.
			io.WriteString(c, "CLOSE\n")
			if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
				t.Errorf("after CLOSE: %q, %v", rest, err)
			}
			if err := srv.WaitForOutput("CONNECTION CLOSED", 5*time.Second); err != nil {
				t.Error(err)
			}
		})
	}
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func TestOpenSSLHelloRetryRequest(t *testing.T) {
	t.Parallel()
	srv := StartOpenSSL(t, OpenSSLOptions{Mode: ModeRev, Groups: []tls.CurveID{tls.CurveP256}})
	cfg := clientConfig(DefaultCA())
	cfg.CurvePreferences = []tls.CurveID{tls.X25519, tls.CurveP256}
	c, wire := dialRecording(t, srv.Addr, cfg)
	cs := c.ConnectionState()
	if hrr, known := stateHRR(cs); !wireHRR(wire) || (known && !hrr) || cs.CurveID != tls.CurveP256 {
		t.Errorf("HRR on the wire %v, in state %v; curve %v", wireHRR(wire), hrr, cs.CurveID)
	}
}

func TestOpenSSLKeyUpdate(t *testing.T) {
	t.Parallel()
	srv := StartOpenSSL(t, OpenSSLOptions{Mode: ModeStdio})
	c := dial(t, srv.Addr, clientConfig(DefaultCA()))
	br := bufio.NewReader(c)
	// Client data shows up in the output once the server is done with
	// the handshake and reading stdin.
	io.WriteString(c, "ping\n")
	if err := srv.WaitForOutput("ping\n", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	for i, request := range []bool{false, true, false} {
		if err := srv.KeyUpdate(request); err != nil {
			t.Fatal(err)
		}
		msg := "from-server-" + string(rune('a'+i)) + "\n"
		if err := srv.Send(msg); err != nil {
			t.Fatal(err)
		}
		got, err := br.ReadString('\n')
		if err != nil || got != msg {
			t.Fatalf("after KeyUpdate(%v): got %q, %v", request, got, err)
		}
		// The client answered update_requested with its own KeyUpdate;
		// data it sends now must still be readable by the server.
		back := "from-client-" + string(rune('a'+i)) + "\n"
		io.WriteString(c, back)
		if err := srv.WaitForOutput(back, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

// recordingConn keeps a copy of every byte read from the network.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	buf bytes.Buffer
}

func (r *recordingConn) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.mu.Lock()
	r.buf.Write(p[:n])
	r.mu.Unlock()
	return n, err
}

// dialRecording is dial, also returning the bytes received during the
// handshake.
func dialRecording(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, []byte) {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { raw.Close() })
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	rec := &recordingConn{Conn: raw}
	c := tls.Client(rec, cfg)
	if err := c.Handshake(); err != nil {
		t.Fatalf("client handshake with %s: %v", addr, err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return c, bytes.Clone(rec.buf.Bytes())
}

// wireHRR reports whether the server's first flight starts with a
// HelloRetryRequest (a ServerHello with the special random, RFC 8446 4.1.3).
func wireHRR(wire []byte) bool {
	hrrRandom := []byte{
		0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
		0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
	}
	// record header (5) + handshake header (4) + legacy_version (2) + random (32)
	return len(wire) >= 43 && wire[0] == 22 && wire[5] == 2 && bytes.Equal(wire[11:43], hrrRandom)
}

func TestOpenSSLWWWMaxSendFrag(t *testing.T) {
	t.Parallel()
	const frag = 512
	srv := StartOpenSSL(t, OpenSSLOptions{Mode: ModeWWW, MaxSendFrag: frag})
	raw, err := net.DialTimeout("tcp", srv.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	rec := &recordingConn{Conn: raw}
	c := tls.Client(rec, clientConfig(DefaultCA()))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(c) // ends with the server's close_notify
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(body, []byte("HTTP/1.0 200 ok")) || !bytes.Contains(body, []byte("</BODY></HTML>")) {
		t.Fatalf("unexpected -www response (%d bytes): %.200q", len(body), body)
	}
	if len(body) < 4*frag {
		t.Fatalf("-www response only %d bytes", len(body))
	}
	// Every encrypted record must carry at most frag bytes of plaintext
	// (+1 content type byte +16 AEAD tag).
	rec.mu.Lock()
	wire := rec.buf.Bytes()
	rec.mu.Unlock()
	encrypted := 0
	for len(wire) >= 5 {
		typ, n := wire[0], int(binary.BigEndian.Uint16(wire[3:5]))
		if typ == 23 {
			encrypted++
			if n > frag+1+16 {
				t.Errorf("record of %d bytes exceeds max_send_frag %d", n, frag)
			}
		}
		wire = wire[min(5+n, len(wire)):]
	}
	if want := len(body) / frag; encrypted < want {
		t.Errorf("only %d encrypted records for %d bytes of body", encrypted, len(body))
	}
}

func TestOpenSSLClientAuth(t *testing.T) {
	t.Parallel()
	ca := NewCA()
	srv := StartOpenSSL(t, OpenSSLOptions{
		Cert: ca.Issue(ECDSAP384), Mode: ModeRev,
		ClientCA: ca, RequireClientCert: true,
		ALPN: []string{"x-test"}, NoTickets: true, NoMiddlebox: true,
	})

	cfg := clientConfig(ca)
	cfg.Certificates = []tls.Certificate{ca.Issue(RSA2048, "client.test").TLS}
	cfg.NextProtos = []string{"x-test"}
	c := dial(t, srv.Addr, cfg)
	if p := c.ConnectionState().NegotiatedProtocol; p != "x-test" {
		t.Errorf("ALPN = %q", p)
	}
	io.WriteString(c, "abc\n")
	if got, err := bufio.NewReader(c).ReadString('\n'); err != nil || got != "cba\n" {
		t.Fatalf("got %q, %v", got, err)
	}
	c.Close()

	// Without a certificate the server aborts; the TLS 1.3 client sees it
	// on its first read.
	c = dial(t, srv.Addr, clientConfig(ca))
	io.WriteString(c, "abc\n")
	if _, err := c.Read(make([]byte, 1)); err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Errorf("read without client cert: %v", err)
	}
	if err := srv.WaitForOutput("peer did not return a certificate", 5*time.Second); err != nil {
		t.Error(err)
	}
}
