package tlsnet_test

import (
	cryptotls "crypto/tls"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/tlsnet"
)

// After a Write times out the connection cannot write any more (part of a
// record may be on the wire), as in crypto/tls: every later Write returns
// the same error, and what the Writes reported is exactly what the server
// could decrypt — nothing is sent twice.
func TestWriteTimeoutIsPermanent(t *testing.T) {
	start := make(chan struct{})
	got := make(chan int64, 1)
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: func(c *cryptotls.Conn) {
		<-start
		n, _ := io.Copy(io.Discard, c)
		got <- n
	}})
	conn, err := tlsnet.Dial("tcp", srv.Addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	var written int64
	var werr error
	conn.SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		n, err := conn.Write(chunk)
		written += int64(n)
		if err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatal(err)
			}
			werr = err
			break
		}
	}
	conn.SetWriteDeadline(time.Time{})
	if n, err := conn.Write(chunk); n != 0 || err != werr {
		t.Fatalf("Write after a timeout: %d, %v; want 0, %v", n, err, werr)
	}
	close(start)
	conn.Close()
	if n := <-got; n != written {
		t.Fatalf("Write calls reported %d bytes written, the server received %d", written, n)
	}
}
