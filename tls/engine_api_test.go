package tls_test

import (
	"bytes"
	cryptotls "crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
)

// pipeServer runs a crypto/tls server with handler over one end of a
// net.Pipe and returns the other end.
func pipeServer(t *testing.T, cfg *cryptotls.Config, handler func(*cryptotls.Conn)) net.Conn {
	c, s := net.Pipe()
	go func() {
		tc := cryptotls.Server(s, cfg)
		if tc.Handshake() == nil {
			handler(tc)
		}
		tc.Close()
	}()
	t.Cleanup(func() { c.Close(); s.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// step moves the Engine one step as an event loop does: output first, then
// input. It reports the Status it acted on.
func step(t *testing.T, e *tls.Engine, raw net.Conn) tls.Status {
	t.Helper()
	st := e.Status()
	switch {
	case st&tls.StatusSend != 0:
		n, err := raw.Write(e.Output())
		if err := e.OutputAck(n); err != nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatal(err)
		}
	case st&tls.StatusRecv != 0:
		n, err := raw.Read(e.RecvBuffer())
		if aerr := e.RecvAck(n); aerr != nil {
			t.Fatalf("RecvAck: %v", aerr)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// TestEngineMisuse: every misuse of the Engine returns an error, panics
// not, changes nothing and tells the peer nothing; the connection then
// completes and carries data as if nothing happened.
func TestEngineMisuse(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	raw := pipeServer(t, srv.Config, srv.EchoHandler)
	e, err := tls.NewEngine(&tls.Config{ServerName: "localhost", InsecureSkipVerify: true, Crypto: tls.DefaultCrypto()}, tls.Buffers{
		Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, tls.MinReadBuffer+512),
		HandshakeIn: make([]byte, 16388), HandshakeOut: make([]byte, tls.MinHandshakeOut)})
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func(what string, want tls.HandshakeState, outLen int) {
		t.Helper()
		if e.Err() != nil || e.State() != want || len(e.Output()) != outLen {
			t.Fatalf("after %s: err %v, state %v, %d octets of output; want nil, %v, %d", what, e.Err(), e.State(), len(e.Output()), want, outLen)
		}
	}
	misuse := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		var ae *tls.AlertError
		if errors.As(err, &ae) {
			t.Fatalf("%s: %v is a fatal *AlertError, want a usage error", what, err)
		}
	}
	if e.Status() != tls.StatusStart {
		t.Fatalf("new Engine: status %b", e.Status())
	}
	misuse("WriteApplicationData before Start", second(e.WriteApplicationData([]byte("x"))))
	misuse("KeyUpdate before Start", e.KeyUpdate())
	misuse("OutputAck(1) with no output", e.OutputAck(1))
	misuse("ApplicationDataAck(1) with no data", e.ApplicationDataAck(1))
	misuse("RecvAck(-1)", e.RecvAck(-1))
	unchanged("misuse before Start", tls.StateStart, 0)

	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	hello := len(e.Output())
	misuse("second Start", e.Start())
	misuse("OutputAck(len+1)", e.OutputAck(hello+1))
	misuse("OutputAck(-1)", e.OutputAck(-1))
	misuse("RecvAck(len(RecvBuffer)+1)", e.RecvAck(len(e.RecvBuffer())+1))
	misuse("ApplicationDataAck(1) in the handshake", e.ApplicationDataAck(1))
	misuse("WriteApplicationData in the handshake", second(e.WriteApplicationData([]byte("x"))))
	misuse("KeyUpdate in the handshake", e.KeyUpdate())
	unchanged("misuse in the handshake", tls.StateWaitSH, hello)

	for !e.HandshakeComplete() {
		if st := step(t, e, raw); st&tls.StatusClosed != 0 {
			t.Fatalf("closed in the handshake: %v", e.Err())
		}
	}
	for len(e.Output()) > 0 {
		step(t, e, raw)
	}
	misuse("Start after the handshake", e.Start())
	misuse("ApplicationDataAck(1) with no data", e.ApplicationDataAck(1))
	misuse("OutputAck(1) with no output", e.OutputAck(1))
	unchanged("misuse after the handshake", tls.StateConnected, 0)

	if n, err := e.WriteApplicationData([]byte("hello, engine")); n != 13 || err != nil {
		t.Fatalf("WriteApplicationData: %d, %v", n, err)
	}
	var got []byte
	for len(got) < 13 {
		st := step(t, e, raw)
		if st&tls.StatusData != 0 {
			d := e.ApplicationData()
			misuse("ApplicationDataAck(len+1)", e.ApplicationDataAck(len(d)+1))
			got = append(got, d...)
			if err := e.ApplicationDataAck(len(d)); err != nil {
				t.Fatal(err)
			}
		}
		if st&tls.StatusClosed != 0 {
			t.Fatalf("closed: %v", e.Err())
		}
	}
	if string(got) != "hello, engine" {
		t.Fatalf("echo %q", got)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	misuse("WriteApplicationData after Close", second(e.WriteApplicationData([]byte("x"))))
	misuse("KeyUpdate after Close", e.KeyUpdate())
	if err := e.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if e.State() != tls.StateLocalClosed || e.Err() != nil {
		t.Fatalf("after Close: %v, %v", e.State(), e.Err())
	}
}

func second(_ int, err error) error { return err }

// TestEngineWriteBufferFull: a full Write buffer is ErrWriteBufferFull,
// not a fatal error, for data, KeyUpdate and Close alike.
func TestEngineWriteBufferFull(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: func(c *cryptotls.Conn) { io.Copy(io.Discard, c) }})
	raw := pipeServer(t, srv.Config, func(c *cryptotls.Conn) { io.Copy(io.Discard, c) })
	e, err := tls.NewEngine(&tls.Config{ServerName: "localhost", InsecureSkipVerify: true, Crypto: tls.DefaultCrypto()}, tls.Buffers{
		Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, tls.MinWriteBuffer),
		HandshakeIn: make([]byte, 16388), HandshakeOut: make([]byte, tls.MinHandshakeOut)})
	if err != nil {
		t.Fatal(err)
	}
	e.Start()
	for !e.HandshakeComplete() || len(e.Output()) > 0 {
		if st := step(t, e, raw); st&tls.StatusClosed != 0 {
			t.Fatal(e.Err())
		}
	}
	data := make([]byte, 1<<20)
	n, err := e.WriteApplicationData(data)
	if err != nil || n == 0 || n >= tls.MinWriteBuffer {
		t.Fatalf("first WriteApplicationData: %d, %v", n, err)
	}
	for _, f := range []func() error{
		func() error { return second(e.WriteApplicationData(data)) },
		e.KeyUpdate,
		e.Close,
	} {
		if err := f(); err != tls.ErrWriteBufferFull {
			t.Fatalf("with a full Write buffer: %v, want ErrWriteBufferFull", err)
		}
	}
	if e.Err() != nil || e.State() != tls.StateConnected || e.Status()&tls.StatusWrite == 0 {
		t.Fatalf("after a full buffer: %v, %v", e.Err(), e.State())
	}
	step(t, e, raw)
	// Retryable: once Output is sent, the same call goes through.
	if n, err := e.WriteApplicationData(data); err != nil || n == 0 {
		t.Fatalf("after sending Output: %d, %v", n, err)
	}
	for len(e.Output()) > 0 {
		step(t, e, raw)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestClientCertificateChain32K: a 32 KiB client chain goes through when
// HandshakeOut (and Write, which holds the flight's records) is large
// enough; with the default buffers it fails with a clear local error.
func TestClientCertificateChain32K(t *testing.T) {
	var names []string
	for i := range 1400 {
		names = append(names, fmt.Sprintf("device-%04d.example.test", i))
	}
	leaf := testpeer.DefaultCA().Issue(testpeer.ECDSAP256, names...)
	chain := append([][]byte{}, leaf.Chain...)
	size := 0
	for _, der := range chain {
		size += len(der)
	}
	if size < 32<<10 {
		t.Fatalf("test chain is %d octets, want 32 KiB or more", size)
	}
	var peerCerts atomic.Int64
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{ClientAuth: cryptotls.RequireAnyClientCert,
		Handler: func(c *cryptotls.Conn) {
			if cs := c.ConnectionState(); len(cs.PeerCertificates) > 0 {
				peerCerts.Store(int64(len(cs.PeerCertificates[0].DNSNames)))
			}
			srvEcho(c)
		}})
	cfg := &tls.Config{ServerName: "localhost", InsecureSkipVerify: true, Crypto: tls.DefaultCrypto(),
		Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: leaf.Key}}}
	dial := func(b *tls.Buffers) (*tls.Conn, error) {
		raw, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		raw.SetDeadline(time.Now().Add(20 * time.Second))
		c := tls.Client(raw, cfg)
		if b != nil {
			c = tls.ClientWithBuffers(raw, cfg, *b)
		}
		if err := c.Handshake(); err != nil {
			return nil, err
		}
		io.WriteString(c, "ping")
		got := make([]byte, 4)
		_, err = io.ReadFull(c, got)
		return c, err
	}
	big := tls.Buffers{Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, 64<<10),
		HandshakeIn: make([]byte, 16388), HandshakeOut: make([]byte, 64<<10)}
	if _, err := dial(&big); err != nil {
		t.Fatalf("%d-octet chain with a 64 KiB HandshakeOut: %v", size, err)
	}
	if n := peerCerts.Load(); n != int64(len(names)) {
		t.Fatalf("the server read a leaf with %d names, want %d", n, len(names))
	}
	_, err := dial(nil)
	if err == nil || !strings.Contains(err.Error(), "Buffers.HandshakeOut needs at least") {
		t.Fatalf("%d-octet chain with the default buffers: %v, want a HandshakeOut error", size, err)
	}
}

func srvEcho(c *cryptotls.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			c.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}

// TestReadBatches: small records that arrive together are taken in with
// few transport reads (one per Read buffer of them, not two per record).
func TestReadBatches(t *testing.T) {
	const records, size = 2000, 64
	sent := make(chan struct{})
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: func(c *cryptotls.Conn) {
		msg := bytes.Repeat([]byte{'r'}, size)
		for range records {
			c.Write(msg)
		}
		close(sent)
		io.Copy(io.Discard, c)
	}})
	raw, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	cr := &countingConn{Conn: raw}
	c := tls.Client(cr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true, Crypto: tls.DefaultCrypto()})
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	<-sent
	time.Sleep(50 * time.Millisecond) // let the last records reach our socket
	before := cr.reads.Load()
	buf := make([]byte, records*size)
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
	reads := cr.reads.Load() - before
	wire := records * (5 + size + 1 + 16)
	if max := int64(wire/tls.MinReadBuffer + 20); reads > max {
		t.Fatalf("%d records of %d octets took %d transport reads, want at most %d", records, size, reads, max)
	}
	t.Logf("%d records of %d octets: %d transport reads", records, size, reads)
}

type countingConn struct {
	net.Conn
	reads atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.Conn.Read(p)
}
