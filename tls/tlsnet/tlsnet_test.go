package tlsnet_test

import (
	"context"
	stdtls "crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/tlsnet"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// verifiedConfig returns a client config trusting the CA of srv's
// certificate.
func verifiedConfig(ca *testpeer.CA) *tls.Config {
	return &tls.Config{Verifier: x509verify.New(x509verify.Options{Roots: ca.Pool})}
}

func TestDialEcho(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	// ServerName is left empty: Dial takes it from the address (an IP
	// here, which the test certificate lists).
	conn, err := tlsnet.Dial("tcp", srv.Addr, verifiedConfig(srv.Cert.CA))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cs := conn.ConnectionState()
	if !cs.HandshakeComplete || cs.Version != 0x0304 {
		t.Fatalf("after Dial: %+v", cs)
	}
	if cs.ServerName != "127.0.0.1" {
		t.Errorf("ServerName = %q, want the host of the address", cs.ServerName)
	}
	if conn.RemoteAddr().String() != srv.Addr {
		t.Errorf("RemoteAddr = %v, want %v", conn.RemoteAddr(), srv.Addr)
	}
	if conn.LocalAddr() == nil {
		t.Error("LocalAddr is nil")
	}
	msg := "hello over net.Conn"
	if _, err := io.WriteString(conn, msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, buf); err != nil {
		t.Fatal(err)
	}
	if string(buf) != msg {
		t.Fatalf("echo = %q, want %q", buf, msg)
	}
	if err := conn.KeyUpdate(); err != nil {
		t.Fatal("KeyUpdate:", err)
	}
	if _, err := io.WriteString(conn, msg); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(conn, buf); err != nil || string(buf) != msg {
		t.Fatalf("echo after KeyUpdate = %q, %v", buf, err)
	}
	// CloseWrite sends close_notify; the echo server answers with its own.
	if err := conn.CloseWrite(); err != nil {
		t.Fatal("CloseWrite:", err)
	}
	if n, err := conn.Read(buf); n != 0 || err != io.EOF {
		t.Fatalf("Read after CloseWrite = %d, %v; want 0, io.EOF", n, err)
	}
	if r := srv.WaitHandshake(t); r.Err != nil {
		t.Fatal("server:", r.Err)
	}
}

func TestClientHandshake(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{NextProtos: []string{"http/1.1"}})
	raw, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg := verifiedConfig(srv.Cert.CA)
	cfg.ServerName = "localhost"
	cfg.NextProtos = []string{"h2", "http/1.1"}
	conn := tlsnet.Client(raw, cfg)
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.HandshakeContext(ctx); err != nil {
		t.Fatal(err)
	}
	cs := conn.ConnectionState()
	if cs.NegotiatedProtocol != "http/1.1" || cs.ServerName != "localhost" {
		t.Fatalf("state = %+v", cs)
	}
	if conn.NetConn() != raw {
		t.Error("NetConn is not the dialed connection")
	}
	// HandshakeContext must not leave its deadline behind: a read that
	// waits longer than nothing must not time out at once.
	if _, err := io.WriteString(conn, "x"); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(conn, b); err != nil {
		t.Fatal(err)
	}
}

func TestClientWithBuffers(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	raw, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	b := tls.Buffers{
		Read:         make([]byte, tls.MinReadBuffer),
		Write:        make([]byte, tls.MinWriteBuffer),
		HandshakeIn:  make([]byte, 8192),
		HandshakeOut: make([]byte, tls.MinHandshakeOut),
	}
	pin, err := tls.PinFromCertificate(srv.Cert.Chain[0])
	if err != nil {
		t.Fatal(err)
	}
	v, err := tls.NewPinVerifier(pin)
	if err != nil {
		t.Fatal(err)
	}
	conn := tlsnet.ClientWithBuffers(raw, &tls.Config{ServerName: "localhost", Verifier: v}, b)
	defer conn.Close()
	// Larger than the write buffer: Write splits it into records.
	msg := strings.Repeat("0123456789abcdef", 1024)
	go io.WriteString(conn, msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(conn, got); err != nil {
		t.Fatal(err)
	}
	if string(got) != msg {
		t.Fatal("echo differs")
	}
}

func TestReadDeadline(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	conn, err := tlsnet.Dial("tcp", srv.Addr, verifiedConfig(srv.Cert.CA))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	// The echo server sends nothing unprompted: with a deadline in the
	// past, Read times out at once.
	if err := conn.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := conn.Read(buf)
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read past the deadline = %d, %v; want a timeout net.Error", n, err)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("error %v is not os.ErrDeadlineExceeded", err)
	}

	// A short deadline in the future times out too.
	conn.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	start := time.Now()
	if _, err := conn.Read(buf); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read = %v, want a timeout", err)
	}
	if d := time.Since(start); d < 15*time.Millisecond {
		t.Errorf("Read returned after %v, before the deadline", d)
	}

	// The timeout did not break the connection: after clearing the
	// deadline, data flows again.
	if err := conn.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte("still alive")); err != nil {
		t.Fatal(err)
	}
	n, err = io.ReadFull(conn, buf[:11])
	if err != nil || string(buf[:n]) != "still alive" {
		t.Fatalf("after the timeout: %q, %v", buf[:n], err)
	}

	// Write deadlines pass through as well.
	conn.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := conn.Write([]byte("late")); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Write past the deadline = %v, want a timeout", err)
	}
}

func TestHandshakeContextTimeout(t *testing.T) {
	// A server that accepts and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	t.Cleanup(func() {
		select {
		case c := <-accepted:
			c.Close()
		default:
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = tlsnet.DialContext(ctx, nil, "tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("DialContext = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("DialContext took %v", d)
	}

	// Cancellation without a deadline interrupts the handshake too.
	go func() {
		c, err := ln.Accept()
		if err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}()
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(30*time.Millisecond, cancel)
	_, err = tlsnet.DialContext(ctx, nil, "tcp", ln.Addr().String(), &tls.Config{InsecureSkipVerify: true})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("DialContext = %v, want context.Canceled", err)
	}
}

func TestDialErrors(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	// An untrusted CA: the client sends unknown_ca and Dial returns the
	// AlertError.
	_, err := tlsnet.Dial("tcp", srv.Addr, verifiedConfig(testpeer.NewCA()))
	var ae *tls.AlertError
	if !errors.As(err, &ae) || ae.Alert != tls.AlertUnknownCA || ae.Received {
		t.Fatalf("Dial with the wrong CA = %v, want a local unknown_ca", err)
	}
	if r := srv.WaitHandshake(t); r.Err == nil {
		t.Error("server handshake succeeded")
	}

	// Nothing listens: the net error comes back as is.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = tlsnet.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "dial" {
		t.Fatalf("Dial to a closed port = %v, want a dial *net.OpError", err)
	}

	if _, err := tlsnet.Dial("tcp", srv.Addr, nil); err == nil {
		t.Fatal("Dial with a nil Config succeeded")
	}
}

func TestHTTPClient(t *testing.T) {
	cert := testpeer.DefaultCA().Issue(testpeer.ECDSAP256)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || r.TLS.Version != stdtls.VersionTLS13 {
			http.Error(w, "not TLS 1.3", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "hello "+r.URL.Path+" via "+stdtls.CipherSuiteName(r.TLS.CipherSuite))
	}))
	ts.TLS = &stdtls.Config{
		MinVersion:   stdtls.VersionTLS13,
		Certificates: []stdtls.Certificate{cert.TLS},
	}
	ts.StartTLS()
	defer ts.Close()

	dialer := &tlsnet.Dialer{
		NetDialer: &net.Dialer{Timeout: 10 * time.Second},
		Config: &tls.Config{
			NextProtos: []string{"http/1.1"},
			Verifier:   x509verify.New(x509verify.Options{Roots: cert.CA.Pool}),
		},
	}
	client := &http.Client{
		Transport: &http.Transport{DialTLSContext: dialer.DialContext},
		Timeout:   10 * time.Second,
	}
	defer client.CloseIdleConnections()
	for i := 0; i < 2; i++ { // the second request reuses the connection
		resp, err := client.Get(ts.URL + "/tabletls")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "hello /tabletls via TLS_") {
			t.Fatalf("GET: %s %q", resp.Status, body)
		}
	}
}
