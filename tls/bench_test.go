package tls_test

import (
	"bufio"
	cryptotls "crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// The benchmarks and allocation tests talk to a crypto/tls server in a
// child process (this test binary, re-run with benchServerEnv set), so that
// allocs/op and B/op count the client alone, for our client and for
// crypto/tls's alike.
const benchServerEnv = "TABLETLS_BENCH_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) == "1" {
		runBenchServer()
		return
	}
	os.Exit(m.Run())
}

// runBenchServer serves three ports: one that closes after the handshake,
// one that discards what it reads, one that sends without end. It prints
// the addresses, the CA and the leaf pin, and runs until stdin closes.
func runBenchServer() {
	ca := testpeer.NewCA()
	cert := ca.Issue(testpeer.ECDSAP256)
	cfg := &cryptotls.Config{Certificates: []cryptotls.Certificate{cert.TLS}, MinVersion: cryptotls.VersionTLS13,
		CurvePreferences: []cryptotls.CurveID{cryptotls.X25519}, SessionTicketsDisabled: true}
	serve := func(handle func(*cryptotls.Conn)) string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					tc := cryptotls.Server(c, cfg)
					if tc.Handshake() == nil {
						handle(tc)
					}
					tc.Close()
				}()
			}
		}()
		return ln.Addr().String()
	}
	hs := serve(func(c *cryptotls.Conn) { io.Copy(io.Discard, c) })
	sink := serve(func(c *cryptotls.Conn) { io.Copy(io.Discard, c) })
	source := serve(func(c *cryptotls.Conn) {
		buf := make([]byte, 16384)
		for {
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	})
	pin, _ := tls.PinFromCertificate(cert.Chain[0])
	fmt.Printf("%s %s %s %s %s\n", hs, sink, source, base64.StdEncoding.EncodeToString(ca.DER), pin)
	io.Copy(io.Discard, os.Stdin)
}

type benchServer struct {
	handshake, sink, source string
	roots                   *x509.CertPool
	pin                     string
}

var (
	benchStdin io.WriteCloser
	benchOnce  sync.Once
	benchSrv   *benchServer
	benchErr   error
)

func startBenchServer(tb testing.TB) *benchServer {
	benchOnce.Do(func() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), benchServerEnv+"=1")
		cmd.Stderr = os.Stderr
		// The child exits when this pipe closes: with us. Kept in a
		// variable that lives as long as the process, or a finalizer would
		// close it.
		benchStdin, _ = cmd.StdinPipe()
		out, _ := cmd.StdoutPipe()
		if benchErr = cmd.Start(); benchErr != nil {
			return
		}
		line, err := bufio.NewReader(out).ReadString('\n')
		f := strings.Fields(line)
		if err != nil || len(f) != 5 {
			benchErr = fmt.Errorf("bench server said %q: %v", line, err)
			return
		}
		der, _ := base64.StdEncoding.DecodeString(f[3])
		caCert, err := x509.ParseCertificate(der)
		if err != nil {
			benchErr = err
			return
		}
		roots := x509.NewCertPool()
		roots.AddCert(caCert)
		benchSrv = &benchServer{handshake: f[0], sink: f[1], source: f[2], roots: roots, pin: f[4]}
	})
	if benchErr != nil {
		tb.Fatal(benchErr)
	}
	return benchSrv
}

func (s *benchServer) pinConfig() *tls.Config {
	v, err := tls.NewPinVerifier(s.pin)
	if err != nil {
		panic(err)
	}
	return &tls.Config{ServerName: "localhost", Verifier: v, CipherSuites: []tls.CipherSuite{tls.TLS_AES_128_GCM_SHA256}}
}

func (s *benchServer) x509Config() *tls.Config {
	return &tls.Config{ServerName: "localhost", Verifier: x509verify.New(x509verify.Options{Roots: s.roots}),
		CipherSuites: []tls.CipherSuite{tls.TLS_AES_128_GCM_SHA256}}
}

func (s *benchServer) goConfig() *cryptotls.Config {
	return &cryptotls.Config{ServerName: "localhost", RootCAs: s.roots, MinVersion: cryptotls.VersionTLS13,
		CurvePreferences: []cryptotls.CurveID{cryptotls.X25519}}
}

// BenchmarkHandshake compares full x25519 + ECDSA P-256 handshakes of our
// client (pin and x509 verification) and crypto/tls's client, against the
// same crypto/tls server, in one run.
func BenchmarkHandshake(b *testing.B) {
	s := startBenchServer(b)
	run := func(b *testing.B, handshake func(net.Conn) error) {
		b.ReportAllocs()
		// ns/op is wall time and includes the server; cpu-ns/op is this
		// process's CPU time (user+system), the client's cost alone.
		start := processCPU()
		for b.Loop() {
			raw, err := net.Dial("tcp", s.handshake)
			if err != nil {
				b.Fatal(err)
			}
			if err := handshake(raw); err != nil {
				b.Fatal(err)
			}
			raw.Close()
		}
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	}
	b.Run("tabletls-pin", func(b *testing.B) {
		cfg := s.pinConfig()
		run(b, func(c net.Conn) error { return tls.Client(c, cfg).Handshake() })
	})
	b.Run("tabletls-x509", func(b *testing.B) {
		cfg := s.x509Config()
		run(b, func(c net.Conn) error { return tls.Client(c, cfg).Handshake() })
	})
	b.Run("tabletls-pin-static-buffers", func(b *testing.B) {
		cfg := s.pinConfig()
		cfg.Crypto = tls.DefaultCrypto()
		buf := staticBuffers()
		run(b, func(c net.Conn) error { return tls.ClientWithBuffers(c, cfg, buf).Handshake() })
	})
	b.Run("crypto-tls", func(b *testing.B) {
		cfg := s.goConfig()
		run(b, func(c net.Conn) error { return cryptotls.Client(c, cfg).Handshake() })
	})
}

// processCPU is the CPU time this process has used, in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func staticBuffers() tls.Buffers {
	return tls.Buffers{Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, tls.MinReadBuffer+512),
		HandshakeIn: make([]byte, 16388), HandshakeOut: make([]byte, 12288)}
}

type rw interface {
	io.ReadWriter
	Handshake() error
}

func dialBoth(tb testing.TB, addr string) map[string]rw {
	s := startBenchServer(tb)
	conns := map[string]rw{}
	for name, mk := range map[string]func(net.Conn) rw{
		"tabletls":   func(c net.Conn) rw { return tls.Client(c, s.pinConfig()) },
		"crypto-tls": func(c net.Conn) rw { return cryptotls.Client(c, s.goConfig()) },
	} {
		raw, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { raw.Close() })
		c := mk(raw)
		if err := c.Handshake(); err != nil {
			tb.Fatal(err)
		}
		conns[name] = c
	}
	return conns
}

// BenchmarkWrite16K and BenchmarkRead16K compare bulk throughput.
func BenchmarkWrite16K(b *testing.B) {
	s := startBenchServer(b)
	for _, name := range []string{"tabletls", "crypto-tls"} {
		c := dialBoth(b, s.sink)[name]
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 16384)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRead16K(b *testing.B) {
	s := startBenchServer(b)
	for _, name := range []string{"tabletls", "crypto-tls"} {
		c := dialBoth(b, s.source)[name]
		b.Run(name, func(b *testing.B) {
			buf := make([]byte, 16384)
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestSteadyStateAllocs: once connected, Read and Write allocate nothing.
func TestSteadyStateAllocs(t *testing.T) {
	s := startBenchServer(t)
	w := dialBoth(t, s.sink)["tabletls"]
	r := dialBoth(t, s.source)["tabletls"]
	buf := make([]byte, 16384)
	w.Write(buf) // warm up
	io.ReadFull(r, buf)
	if n := testing.AllocsPerRun(200, func() {
		if _, err := w.Write(buf); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Write of 16 KiB: %v allocs, want 0", n)
	}
	if n := testing.AllocsPerRun(200, func() {
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Read of 16 KiB: %v allocs, want 0", n)
	}
}
