package tls_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// smallBuffers are Buffers sized for RecordSizeLimit limit.
func smallBuffers(limit uint16) tls.Buffers {
	n := tls.RecordBufferSize(limit)
	return tls.Buffers{
		Read:         make([]byte, n),
		Write:        make([]byte, n),
		HandshakeIn:  make([]byte, 2048),
		HandshakeOut: make([]byte, 1024),
	}
}

// smallConfig is a client whose buffers hold only 512-octet records, and
// the largest record it received.
func smallConfig(ca *testpeer.CA, largest *int) *tls.Config {
	return &tls.Config{
		ServerName:      "localhost",
		Verifier:        x509verify.New(x509verify.Options{Roots: ca.Pool}),
		Crypto:          tls.DefaultCrypto(),
		RecordSizeLimit: 513, // 512 octets of content and the content type
		Trace: func(ev tls.TraceEvent) {
			if ev.Kind == tls.TraceRecordIn {
				*largest = max(*largest, ev.Length)
			}
		},
	}
}

func dialSmall(t *testing.T, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	c := tls.ClientWithBuffers(raw, cfg, smallBuffers(cfg.RecordSizeLimit))
	t.Cleanup(func() { c.Close() })
	return c
}

// TestSmallRecordsOpenSSLMaxFragmentLength: OpenSSL does not implement
// record_size_limit but honours max_fragment_length, so a client with
// 774-octet record buffers reads a page of several KB.
func TestSmallRecordsOpenSSLMaxFragmentLength(t *testing.T) {
	srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeWWW})
	largest := 0
	c := dialSmall(t, srv.Addr, smallConfig(srv.Cert.CA, &largest))
	if err := c.Handshake(); err != nil {
		t.Fatalf("handshake: %v\n%s", err, srv.Output())
	}
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !strings.Contains(string(page), "HTTP/1.0 200 ok") || len(page) < 2000 {
		t.Fatalf("page of %d bytes: %.200q", len(page), page)
	}
	if largest > tls.RecordBufferSize(513) || largest < 400 {
		t.Fatalf("largest record %d octets", largest)
	}
	t.Logf("page of %d octets in records of at most %d octets", len(page), largest)
}

// TestSmallRecordsGnuTLSRecordSizeLimit: GnuTLS honours record_size_limit.
// Lines longer than a record come back whole.
func TestSmallRecordsGnuTLSRecordSizeLimit(t *testing.T) {
	srv := testpeer.StartGnuTLSEcho(t, nil)
	largest := 0
	c := dialSmall(t, srv.Addr, smallConfig(srv.Cert.CA, &largest))
	if err := c.Handshake(); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	r := bufio.NewReader(c)
	line := strings.Repeat("0123456789abcdef", 200) + "\n" // 3,201 octets
	for range 3 {
		if _, err := io.WriteString(c, line); err != nil {
			t.Fatal(err)
		}
		got, err := r.ReadString('\n')
		if err != nil || got != line {
			t.Fatalf("echo of %d octets: got %d, %v", len(line), len(got), err)
		}
	}
	if largest > 5+513+16 {
		t.Fatalf("largest record %d octets: over the limit", largest)
	}
}

// TestSmallRecordsUnacknowledged: crypto/tls implements neither extension;
// with small buffers the handshake stops with an error that says why,
// before a large record can arrive.
func TestSmallRecordsUnacknowledged(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	largest := 0
	c := dialSmall(t, srv.Addr, smallConfig(srv.Cert.CA, &largest))
	err := c.Handshake()
	var ae *tls.AlertError
	if !errors.As(err, &ae) || ae.Alert != tls.AlertHandshakeFailure ||
		!strings.Contains(err.Error(), "neither record_size_limit") {
		t.Fatalf("handshake: %v; want handshake_failure naming both extensions", err)
	}
}

// TestSmallRecordsBufferSizes: small buffers need a RecordSizeLimit, and
// the error for too small ones gives the sizes.
func TestSmallRecordsBufferSizes(t *testing.T) {
	cfg := &tls.Config{InsecureSkipVerify: true, Crypto: tls.DefaultCrypto()}
	_, err := tls.NewEngine(cfg, smallBuffers(513))
	if err == nil || !strings.Contains(err.Error(), "Buffers.Read: 774 octets; it needs at least 16645") {
		t.Fatalf("small buffers without RecordSizeLimit: %v", err)
	}
	cfg.RecordSizeLimit = 513
	if _, err := tls.NewEngine(cfg, smallBuffers(513)); err != nil {
		t.Fatal(err)
	}
	b := smallBuffers(513)
	b.Read = b.Read[:len(b.Read)-1]
	if _, err := tls.NewEngine(cfg, b); err == nil || !strings.Contains(err.Error(), "Buffers.Read: 773 octets; it needs at least 774") {
		t.Fatalf("Read one octet short: %v", err)
	}
}
