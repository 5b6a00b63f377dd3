package main

import (
	"bytes"
	stdtls "crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/tlsnet"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// benchHandler is the upstream of the benchmarks. The first byte picks the
// job: 'e' echoes, 'u' reads to the end and answers with the byte count,
// 'd' sends until the connection breaks.
func benchHandler(c *stdtls.Conn) {
	var first [1]byte
	if _, err := io.ReadFull(c, first[:]); err != nil {
		return
	}
	switch first[0] {
	case 'e':
		c.Write(first[:])
		io.Copy(c, c)
	case 'u':
		n, _ := io.Copy(io.Discard, c)
		c.Write(binary.BigEndian.AppendUint64(nil, uint64(n)))
	case 'd':
		buf := make([]byte, 32<<10)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	}
}

// BenchmarkGateway compares, on this machine, the tlsgateway binary and
// HAProxy with the configuration of docs/gateway.md doing the same job
// (plain TCP in, TLS 1.3 with a client certificate out), and a device
// speaking TLS itself with tabletls as the anchor.
func BenchmarkGateway(b *testing.B) {
	ca := testpeer.DefaultCA()
	client := ca.Issue(testpeer.ECDSAP256, "sensor-17")
	srv := testpeer.StartGoServer(b, testpeer.GoServerOptions{
		ClientAuth:             stdtls.RequireAndVerifyClientCert,
		SessionTicketsDisabled: true,
		Handler:                benchHandler,
	})
	certFile, keyFile := writeCert(b, client)
	gw := startGatewayProcess(b, buildGateway(b), "-listen", "127.0.0.1:0", "-connect", srv.Addr,
		"-servername", "localhost", "-ca", writeCA(b, ca), "-cert", certFile, "-key", keyFile, "-max-conns", "4096")
	hp, hpPid := startHAProxy(b, haproxyUpstream{upstream: srv.Addr, ca: ca, client: client})
	direct := &tls.Config{
		ServerName:   "localhost",
		Verifier:     x509verify.New(x509verify.Options{Roots: ca.Pool}),
		Certificates: []tls.Certificate{{Certificate: client.Chain, PrivateKey: client.Key}},
	}
	type closeWriter interface{ CloseWrite() error }
	targets := []struct {
		name string
		pid  int // the proxy's process, whose CPU time is reported; 0 for none
		dial func() (net.Conn, error)
	}{
		{"direct-tabletls", 0, func() (net.Conn, error) { return tlsnet.Dial("tcp", srv.Addr, direct) }},
		{"tlsgateway", gw.cmd.Process.Pid, func() (net.Conn, error) { return net.Dial("tcp", gw.addr) }},
		{"haproxy", hpPid, func() (net.Conn, error) { return net.Dial("tcp", hp) }},
	}
	for _, tg := range targets {
		b.Run("Connect/"+tg.name, func(b *testing.B) {
			defer reportProxyCPU(b, tg.pid)()
			var buf [1]byte
			for b.Loop() {
				c, err := tg.dial()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Write([]byte{'e'}); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf[:]); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
	const chunk, perOp = 32 << 10, 1 << 20
	for _, tg := range targets {
		b.Run("Upload/"+tg.name, func(b *testing.B) {
			c, err := tg.dial()
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte{'u'})
			buf := make([]byte, chunk)
			b.SetBytes(perOp)
			b.ResetTimer()
			defer reportProxyCPU(b, tg.pid)()
			for range b.N {
				for range perOp / chunk {
					if _, err := c.Write(buf); err != nil {
						b.Fatal(err)
					}
				}
			}
			// Until the upstream has it all.
			c.(closeWriter).CloseWrite()
			var n [8]byte
			if _, err := io.ReadFull(c, n[:]); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if got := binary.BigEndian.Uint64(n[:]); got != uint64(b.N)*perOp {
				b.Fatalf("upstream got %d bytes, want %d", got, b.N*perOp)
			}
		})
	}
	for _, tg := range targets {
		b.Run("Download/"+tg.name, func(b *testing.B) {
			c, err := tg.dial()
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			c.Write([]byte{'d'})
			buf := make([]byte, perOp)
			b.SetBytes(perOp)
			b.ResetTimer()
			defer reportProxyCPU(b, tg.pid)()
			for range b.N {
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// reportProxyCPU reports the CPU time (user and system) the proxy process
// pid spent per operation, from /proc, so that gateways can be compared on
// a machine other work shares. Call the returned function at the end.
func reportProxyCPU(b *testing.B, pid int) func() {
	if pid == 0 {
		return func() {}
	}
	start, ok := procCPU(pid)
	return func() {
		if end, ok2 := procCPU(pid); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(time.Microsecond)/float64(b.N), "proxy-cpu-µs/op")
		}
	}
}

// procCPU returns the CPU time of a process from /proc/PID/stat (Linux),
// in clock ticks of 10 ms (USER_HZ is 100 on every Linux platform Go
// supports).
func procCPU(pid int) (time.Duration, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, true
}
