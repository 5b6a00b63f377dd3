package main

import (
	stdtls "crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"testing"

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
	hp := startHAProxy(b, haproxyUpstream{upstream: srv.Addr, ca: ca, client: client})
	direct := &tls.Config{
		ServerName:   "localhost",
		Verifier:     x509verify.New(x509verify.Options{Roots: ca.Pool}),
		Certificates: []tls.ClientCertificate{{Chain: client.Chain, PrivateKey: client.Key}},
	}
	type closeWriter interface{ CloseWrite() error }
	targets := []struct {
		name string
		dial func() (net.Conn, error)
	}{
		{"direct-tabletls", func() (net.Conn, error) { return tlsnet.Dial("tcp", srv.Addr, direct) }},
		{"tlsgateway", func() (net.Conn, error) { return net.Dial("tcp", gw.addr) }},
		{"haproxy", func() (net.Conn, error) { return net.Dial("tcp", hp) }},
	}
	for _, tg := range targets {
		b.Run("Connect/"+tg.name, func(b *testing.B) {
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
			for range b.N {
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
