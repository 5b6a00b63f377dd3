package tls_test

import (
	cryptotls "crypto/tls"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/tabletls/tabletls/tls"
)

const idleConns = 32

// idleHeap is the heap each of idleConns idle connections of mk holds
// after its handshake and one small write (to the sink server, which
// sends nothing back); with blockedRead, a
// goroutine per connection is blocked in Read meanwhile (goroutine stacks
// are not heap). The server is in another process, so only the clients
// are counted, with their net.Conn, and a blocked Read's goroutine.
//
// It returns two figures: after one collection, with what the pools
// cache, and after two, when sync.Pool has let go of what it cached (the
// buffers of no connection).
func idleHeap(tb testing.TB, mk func(net.Conn) io.ReadWriteCloser, blockedRead bool) (withPools, perConn float64) {
	s := startBenchServer(tb)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC() // and what earlier runs left in the pools
	runtime.ReadMemStats(&before)
	cs := make([]io.ReadWriteCloser, idleConns)
	done := make(chan struct{}, idleConns)
	for i := range cs {
		raw, err := net.Dial("tcp", s.sink)
		if err != nil {
			tb.Fatal(err)
		}
		cs[i] = mk(raw)
		if _, err := cs[i].Write([]byte("hello")); err != nil {
			tb.Fatal(err)
		}
		if blockedRead {
			go func(c io.Reader) {
				var b [1]byte
				c.Read(b[:])
				done <- struct{}{}
			}(cs[i])
		}
	}
	if blockedRead {
		time.Sleep(50 * time.Millisecond) // into their transport reads
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	withPools = float64(after.HeapAlloc-before.HeapAlloc) / idleConns
	runtime.GC()
	runtime.ReadMemStats(&after)
	perConn = float64(after.HeapAlloc-before.HeapAlloc) / idleConns
	for _, c := range cs {
		c.Close()
	}
	if blockedRead {
		for range cs {
			<-done
		}
	}
	return withPools, perConn
}

func idleClients(s *benchServer) []struct {
	name string
	mk   func(net.Conn) io.ReadWriteCloser
} {
	cfg := s.pinConfig()
	fixed := s.pinConfig()
	fixed.Crypto = tls.DefaultCrypto()
	bufs := make([]tls.Buffers, 0, idleConns)
	for range idleConns {
		bufs = append(bufs, staticBuffers())
	}
	i := 0
	goCfg := s.goConfig()
	return []struct {
		name string
		mk   func(net.Conn) io.ReadWriteCloser
	}{
		{"tabletls-Client", func(c net.Conn) io.ReadWriteCloser { return tls.Client(c, cfg) }},
		{"tabletls-ClientWithBuffers", func(c net.Conn) io.ReadWriteCloser {
			i++
			return tls.ClientWithBuffers(c, fixed, bufs[(i-1)%idleConns])
		}},
		{"crypto-tls", func(c net.Conn) io.ReadWriteCloser { return cryptotls.Client(c, goCfg) }},
	}
}

// BenchmarkIdleHeap measures the heap each idle connection holds after
// its handshake and one small exchange, for our Client (library-owned
// buffers), ClientWithBuffers (the caller's buffers are not counted: a
// device places them statically) and crypto/tls's client, side by side,
// without and with a goroutine blocked in Read.
func BenchmarkIdleHeap(b *testing.B) {
	s := startBenchServer(b)
	for _, c := range idleClients(s) {
		for _, blocked := range []bool{false, true} {
			name := c.name
			if blocked {
				name += "/blocked-Read"
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				var withPools, perConn float64
				for b.Loop() {
					withPools, perConn = idleHeap(b, c.mk, blocked)
				}
				b.ReportMetric(perConn, "idle-B/conn")
				b.ReportMetric(withPools, "idle+pools-B/conn")
			})
		}
	}
}

// TestIdleHeap: an idle Client holds no more heap than an idle crypto/tls
// client, with and without a Read blocked on the transport (its buffers
// are back in their pools; a blocked Read waits in 64 octets of the
// engine).
func TestIdleHeap(t *testing.T) {
	s := startBenchServer(t)
	cl := idleClients(s)
	for _, blocked := range []bool{false, true} {
		oursPooled, ours := idleHeap(t, cl[0].mk, blocked)
		theirsPooled, theirs := idleHeap(t, cl[2].mk, blocked)
		t.Logf("idle heap per connection (blocked Read %v): Client %.0f B, crypto/tls %.0f B; with what the pools cache, %.0f and %.0f B",
			blocked, ours, theirs, oursPooled, theirsPooled)
		if ours > theirs {
			t.Errorf("an idle Client holds %.0f B of heap (blocked Read %v), crypto/tls %.0f B", ours, blocked, theirs)
		}
	}
}
