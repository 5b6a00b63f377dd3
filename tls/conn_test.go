package tls_test

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
)

// TestConcurrentReadWriteBeforeHandshake: a Read and a Write started
// together, before the handshake, must both complete (the Read may finish
// the handshake and then block on the transport while the Write proceeds).
func TestConcurrentReadWriteBeforeHandshake(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	for i := 0; i < 50; i++ {
		raw, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		raw.SetDeadline(time.Now().Add(10 * time.Second))
		reading := make(chan struct{})
		c := tls.Client(&signalOnRead{Conn: raw, reading: reading}, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
		msg := bytes.Repeat([]byte{'x'}, 20000)
		done := make(chan error, 1)
		go func() {
			got := make([]byte, len(msg))
			_, err := io.ReadFull(c, got)
			done <- err
		}()
		<-reading // the Read is running the handshake
		if _, err := c.Write(msg); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatalf("read: %v", err)
		}
		c.Close()
	}
}

// signalOnRead closes reading on the first Read from the transport.
type signalOnRead struct {
	net.Conn
	reading chan struct{}
	once    sync.Once
}

func (s *signalOnRead) Read(p []byte) (int, error) {
	s.once.Do(func() { close(s.reading) })
	return s.Conn.Read(p)
}
