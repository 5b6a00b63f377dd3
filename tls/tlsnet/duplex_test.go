package tlsnet_test

import (
	"bytes"
	cryptotls "crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/tlsnet"
)

// The full-duplex tests: tls.Conn and tlsnet.Conn, over TCP and over
// net.Pipe, against crypto/tls servers, under -race (make test).

// conn is what both connection types offer.
type conn interface {
	io.ReadWriter
	Handshake() error
	KeyUpdate() error
	Close() error
}

func insecure() *tls.Config { return &tls.Config{ServerName: "localhost", InsecureSkipVerify: true} }

// transports names the four ways to reach a server: a tls.Conn or a
// tlsnet.Conn, over TCP to srv or over a net.Pipe served by handler.
func transports(t *testing.T, srv *testpeer.GoServer, handler func(*cryptotls.Conn)) map[string]func() (conn, net.Conn) {
	pipe := func() net.Conn {
		c, s := net.Pipe()
		go func() {
			tc := cryptotls.Server(s, srv.Config)
			if tc.Handshake() == nil {
				handler(tc)
			}
			tc.Close()
		}()
		t.Cleanup(func() { c.Close(); s.Close() })
		return c
	}
	tcp := func() net.Conn {
		c, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	return map[string]func() (conn, net.Conn){
		"tls.Conn/tcp":    func() (conn, net.Conn) { raw := tcp(); return tls.Client(raw, insecure()), raw },
		"tls.Conn/pipe":   func() (conn, net.Conn) { raw := pipe(); return tls.Client(raw, insecure()), raw },
		"tlsnet.Conn/tcp": func() (conn, net.Conn) { raw := tcp(); return tlsnet.Client(raw, insecure()), raw },
		"tlsnet.Conn/pipe": func() (conn, net.Conn) {
			raw := pipe()
			return tlsnet.Client(raw, insecure()), raw
		},
	}
}

// pattern is n octets that differ from one offset to the next.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>11)
	}
	return b
}

// TestFullDuplexEcho sends 32 MiB to an echo server while reading the
// echo back, in 16 KiB Writes and in one Write of 32 MiB. A Write that
// held the connection across its transport write would deadlock here.
func TestFullDuplexEcho(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	data := pattern(32 << 20)
	for name, dial := range transports(t, srv, srv.EchoHandler) {
		for _, chunk := range []int{16 << 10, len(data)} {
			t.Run(fmt.Sprintf("%s/writes_of_%d", name, chunk), func(t *testing.T) {
				c, raw := dial()
				raw.SetDeadline(time.Now().Add(2 * time.Minute))
				defer c.Close()
				werr := make(chan error, 1)
				go func() {
					for p := data; len(p) > 0; {
						n, err := c.Write(p[:min(chunk, len(p))])
						if err != nil {
							werr <- err
							return
						}
						p = p[n:]
					}
					werr <- nil
				}()
				got := make([]byte, len(data))
				if _, err := io.ReadFull(c, got); err != nil {
					t.Fatalf("read: %v", err)
				}
				if err := <-werr; err != nil {
					t.Fatalf("write: %v", err)
				}
				if !bytes.Equal(got, data) {
					t.Fatal("the echo differs from what was sent")
				}
			})
		}
	}
}

// TestHTTPStreamingPost streams a 128 MiB POST through tlsnet to a
// handler that echoes the body as it reads it (full-duplex HTTP/1.1).
func TestHTTPStreamingPost(t *testing.T) {
	const size = 128 << 20
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).EnableFullDuplex(); err != nil {
			t.Error(err)
		}
		w.WriteHeader(http.StatusOK)
		buf := make([]byte, 32<<10)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
			if err != nil {
				return
			}
		}
	}))
	ts.Config.ErrorLog = nil
	ts.StartTLS()
	defer ts.Close()
	d := &tlsnet.Dialer{Config: &tls.Config{ServerName: "example.com", InsecureSkipVerify: true}}
	client := &http.Client{Transport: &http.Transport{DialTLSContext: d.DialContext}, Timeout: 5 * time.Minute}
	body := &countingReader{n: size}
	resp, err := client.Post(ts.URL, "application/octet-stream", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != size {
		t.Fatalf("echoed %d of %d bytes: %v (sent %d)", n, size, err, size-body.n)
	}
}

// countingReader yields n octets of zeros, then EOF.
type countingReader struct{ n int }

func (r *countingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n)
	clear(p[:k])
	r.n -= k
	return k, nil
}

// TestCloseUnblocks: Close returns at once, and makes a Write blocked on
// a server that does not read, and a Read blocked on a server that does
// not write, return within 100 ms, as with crypto/tls.
func TestCloseUnblocks(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	idle := func(c *cryptotls.Conn) { <-release }
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: idle})
	for name, dial := range transports(t, srv, idle) {
		for _, op := range []string{"Write", "Read"} {
			t.Run(name+"/"+op, func(t *testing.T) {
				c, raw := dial()
				raw.SetDeadline(time.Now().Add(time.Minute))
				if err := c.Handshake(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				var progress atomic.Int64
				go func() {
					buf := make([]byte, 64<<10)
					for {
						var n int
						var err error
						if op == "Write" {
							n, err = c.Write(buf)
						} else {
							n, err = c.Read(buf)
						}
						progress.Add(int64(n))
						if err != nil {
							done <- err
							return
						}
					}
				}()
				// Blocked: no progress for 200 ms.
				for last := int64(-1); ; {
					time.Sleep(200 * time.Millisecond)
					p := progress.Load()
					if p == last {
						break
					}
					last = p
				}
				select {
				case err := <-done:
					t.Fatalf("%s returned before Close: %v", op, err)
				default:
				}
				start := time.Now()
				closed := make(chan struct{})
				go func() { c.Close(); close(closed) }()
				select {
				case err := <-done:
					if err == nil {
						t.Fatalf("%s returned no error after Close", op)
					}
				case <-time.After(100 * time.Millisecond):
					t.Fatalf("%s still blocked 100 ms after Close", op)
				}
				// With a Write blocked there is no close_notify to send, so
				// Close is immediate; with a Read blocked, close_notify goes
				// first, and a net.Pipe whose server does not read holds it
				// for the 5 s that crypto/tls allows too.
				if op == "Write" {
					select {
					case <-closed:
					case <-time.After(100 * time.Millisecond):
						t.Fatal("Close took more than 100 ms")
					}
				}
				t.Logf("%s returned %v after Close", op, time.Since(start))
			})
		}
	}
}

// TestConcurrentReadWriteKeyUpdateClose runs Read, Write, KeyUpdate and
// Close from separate goroutines, many times: under -race this finds
// unguarded state; every call must return, with no panic.
func TestConcurrentReadWriteKeyUpdateClose(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	for name, dial := range transports(t, srv, srv.EchoHandler) {
		t.Run(name, func(t *testing.T) {
			for i := range 25 {
				c, raw := dial()
				raw.SetDeadline(time.Now().Add(time.Minute))
				var wg sync.WaitGroup
				loop := func(f func() error) {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for f() == nil {
						}
					}()
				}
				wbuf, rbuf := pattern(3000), make([]byte, 1000)
				loop(func() error { _, err := c.Write(wbuf); return err })
				loop(func() error { _, err := c.Read(rbuf); return err })
				loop(func() error { time.Sleep(time.Millisecond); return c.KeyUpdate() })
				time.Sleep(time.Duration(i%5) * 3 * time.Millisecond)
				c.Close()
				waited := make(chan struct{})
				go func() { wg.Wait(); close(waited) }()
				select {
				case <-waited:
				case <-time.After(10 * time.Second):
					t.Fatalf("run %d: a call still blocked 10 s after Close", i)
				}
			}
		})
	}
}

// TestReadAfterWriteTimeout: a write timeout breaks only writing; data
// the server sends afterwards is read, not the write error.
func TestReadAfterWriteTimeout(t *testing.T) {
	send := make(chan struct{})
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: func(c *cryptotls.Conn) {
		<-send
		io.WriteString(c, "after the timeout")
		io.Copy(io.Discard, c)
	}})
	for _, typ := range []string{"tls.Conn", "tlsnet.Conn"} {
		t.Run(typ, func(t *testing.T) {
			raw, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			var c conn = tls.Client(raw, insecure())
			if typ == "tlsnet.Conn" {
				c = tlsnet.Client(raw, insecure())
			}
			defer c.Close()
			if err := c.Handshake(); err != nil {
				t.Fatal(err)
			}
			raw.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
			var werr error
			for werr == nil {
				_, werr = c.Write(make([]byte, 1<<20))
			}
			if ne, ok := werr.(net.Error); !ok || !ne.Timeout() {
				t.Fatalf("Write: %v, want a timeout", werr)
			}
			send <- struct{}{}
			raw.SetReadDeadline(time.Now().Add(10 * time.Second))
			got := make([]byte, len("after the timeout"))
			if _, err := io.ReadFull(c, got); err != nil || string(got) != "after the timeout" {
				t.Fatalf("Read after a write timeout: %q, %v", got, err)
			}
		})
	}
}

// TestCloseBeforeHandshake: Close or CloseWrite before the handshake,
// then Read, Write or Handshake return an error at once.
func TestCloseBeforeHandshake(t *testing.T) {
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	for _, how := range []string{"Close", "CloseWrite", "tlsnet.Close", "tlsnet.CloseWrite"} {
		t.Run(how, func(t *testing.T) {
			raw, err := net.Dial("tcp", srv.Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			raw.SetDeadline(time.Now().Add(10 * time.Second))
			tc := tls.Client(raw, insecure())
			nc := tlsnet.Client(raw, insecure())
			var c conn = tc
			switch how {
			case "Close":
				tc.Close()
			case "CloseWrite":
				tc.CloseWrite()
			case "tlsnet.Close":
				nc.Close()
				c = nc
			case "tlsnet.CloseWrite":
				nc.CloseWrite()
				c = nc
			}
			for _, op := range []func() error{
				func() error { _, err := c.Read(make([]byte, 10)); return err },
				func() error { _, err := c.Write([]byte("x")); return err },
				c.Handshake,
			} {
				start := time.Now()
				if err := op(); err == nil {
					t.Fatal("no error after closing before the handshake")
				}
				if d := time.Since(start); d > 100*time.Millisecond {
					t.Fatalf("the error took %v", d)
				}
			}
		})
	}
}
