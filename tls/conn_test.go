package tls_test

import (
	"bytes"
	"io"
	"net"
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
		c := tls.Client(raw, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true})
		msg := bytes.Repeat([]byte{'x'}, 20000)
		done := make(chan error, 1)
		go func() {
			got := make([]byte, len(msg))
			_, err := io.ReadFull(c, got)
			done <- err
		}()
		if _, err := c.Write(msg); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := <-done; err != nil {
			t.Fatalf("read: %v", err)
		}
		c.Close()
	}
}
