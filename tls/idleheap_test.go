package tls_test

import (
	cryptotls "crypto/tls"
	"io"
	"net"
	"runtime"
	"testing"

	"github.com/tabletls/tabletls/tls"
)

// BenchmarkIdleHeap measures the heap each idle connection holds after
// its handshake and one small exchange, for our Client (library-owned
// buffers), ClientWithBuffers (the caller's buffers are not counted: a
// device places them statically) and crypto/tls's client, side by side.
// The server is in another process, so only the clients are counted.
func BenchmarkIdleHeap(b *testing.B) {
	s := startBenchServer(b)
	const conns = 32
	measure := func(b *testing.B, mk func(net.Conn) io.ReadWriteCloser) {
		b.ReportAllocs()
		var perConn float64
		for b.Loop() {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			cs := make([]io.ReadWriteCloser, conns)
			for i := range cs {
				raw, err := net.Dial("tcp", s.sink)
				if err != nil {
					b.Fatal(err)
				}
				cs[i] = mk(raw)
				if _, err := cs[i].Write([]byte("hello")); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			perConn = float64(after.HeapAlloc-before.HeapAlloc) / conns
			for _, c := range cs {
				c.Close()
			}
		}
		b.ReportMetric(perConn, "idle-B/conn")
	}
	b.Run("tabletls-Client", func(b *testing.B) {
		cfg := s.pinConfig()
		measure(b, func(c net.Conn) io.ReadWriteCloser { return tls.Client(c, cfg) })
	})
	b.Run("tabletls-ClientWithBuffers", func(b *testing.B) {
		cfg := s.pinConfig()
		cfg.Crypto = tls.DefaultCrypto()
		bufs := make([]tls.Buffers, 0, conns)
		for range conns {
			bufs = append(bufs, staticBuffers())
		}
		i := 0
		measure(b, func(c net.Conn) io.ReadWriteCloser {
			i++
			return tls.ClientWithBuffers(c, cfg, bufs[(i-1)%conns])
		})
	})
	b.Run("crypto-tls", func(b *testing.B) {
		cfg := s.goConfig()
		measure(b, func(c net.Conn) io.ReadWriteCloser { return cryptotls.Client(c, cfg) })
	})
}
