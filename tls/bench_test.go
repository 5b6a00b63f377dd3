package tls_test

import (
	"bufio"
	cryptotls "crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/internal/tlsserver"
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

// runBenchServer serves these ports: one that closes after the handshake,
// one that discards what it reads, three that send without end, in
// records of 16 KiB, 1 KiB and 64 octets, and one that echoes. It prints
// the addresses, the CA and the leaf pin, and runs until stdin closes.
func runBenchServer() {
	ca := testpeer.NewCA()
	cert := ca.Issue(testpeer.ECDSAP256)
	cfg := &cryptotls.Config{Certificates: []cryptotls.Certificate{cert.TLS}, MinVersion: cryptotls.VersionTLS13,
		CurvePreferences: []cryptotls.CurveID{cryptotls.X25519}, SessionTicketsDisabled: true}
	serve := func(handle func(*cryptotls.Conn, *batchConn)) string { return serveWith(cfg, handle) }
	discard := func(c *cryptotls.Conn, _ *batchConn) { io.Copy(io.Discard, c) }
	hs, sink := serve(discard), serve(discard)
	source := func(size int) string {
		return serve(func(c *cryptotls.Conn, bc *batchConn) {
			// The records go out 64 KiB at a time, so that the server,
			// which makes one record per Write, is not what is measured.
			bc.w = bufio.NewWriterSize(bc.Conn, 64<<10)
			buf := make([]byte, size) // one Write, one record
			for {
				if _, err := c.Write(buf); err != nil {
					return
				}
			}
		})
	}
	pin, _ := tls.PinFromCertificate(cert.Chain[0])
	echo := serve(func(c *cryptotls.Conn, _ *batchConn) { io.Copy(c, c) })
	// resume: crypto/tls with tickets, for both clients' resumption.
	tickets := cfg.Clone()
	tickets.SessionTicketsDisabled = false
	resume := serveWith(tickets, discard)
	// The PSK handshakes crypto/tls cannot serve (psk_ke, external PSKs),
	// by the scripted server, which takes benchPSK for any identity.
	pskDHE := servePSK(tlsserver.Options{PSK: benchPSK})
	pskKE := servePSK(tlsserver.Options{PSK: benchPSK, PSKKE: true})
	extDHE := servePSK(tlsserver.Options{PSK: benchPSK, ExternalPSK: true})
	extKE := servePSK(tlsserver.Options{PSK: benchPSK, ExternalPSK: true, PSKKE: true})
	fmt.Printf("%s %s %s %s %s %s %s %s %s %s %s %s %s\n", hs, sink, source(16384), base64.StdEncoding.EncodeToString(ca.DER), pin,
		source(1024), source(64), echo, resume, pskDHE, pskKE, extDHE, extKE)
	io.Copy(io.Discard, os.Stdin)
}

// serveWith serves crypto/tls with cfg on a new port, running handle
// after each handshake.
func serveWith(cfg *cryptotls.Config, handle func(*cryptotls.Conn, *batchConn)) string {
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
				bc := &batchConn{Conn: c}
				tc := cryptotls.Server(bc, cfg)
				if tc.Handshake() == nil {
					handle(tc, bc)
				}
				tc.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// benchPSK is the PSK of the PSK benchmarks.
var benchPSK = []byte("0123456789abcdef0123456789abcdef")

// servePSK serves the scripted server with opts on a new port: one
// handshake per connection, then close.
func servePSK(opts tlsserver.Options) string {
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
				defer c.Close()
				srv := tlsserver.New(opts)
				buf := make([]byte, 32<<10)
				for !srv.HandshakeComplete() {
					n, err := c.Read(buf)
					out, serr := srv.Input(buf[:n])
					if len(out) > 0 {
						c.Write(out)
					}
					if err != nil || serr != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// batchConn is the server's transport: once w is set (after the
// handshake), writes are gathered in it.
type batchConn struct {
	net.Conn
	w *bufio.Writer
}

func (c *batchConn) Write(p []byte) (int, error) {
	if c.w != nil {
		return c.w.Write(p)
	}
	return c.Conn.Write(p)
}

type benchServer struct {
	handshake, sink, source string
	source1K, source64      string
	echo                    string
	// resume is crypto/tls with tickets; the psk ones the scripted server.
	resume, pskDHE, pskKE, extDHE, extKE string
	roots                                *x509.CertPool
	pin                                  string
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
		if err != nil || len(f) != 13 {
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
		benchSrv = &benchServer{handshake: f[0], sink: f[1], source: f[2], roots: roots, pin: f[4], source1K: f[5], source64: f[6], echo: f[7],
			resume: f[8], pskDHE: f[9], pskKE: f[10], extDHE: f[11], extKE: f[12]}
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
	return &tls.Config{ServerName: "localhost", Verifier: v, CipherSuites: []uint16{tls.TLS_AES_128_GCM_SHA256}}
}

func (s *benchServer) x509Config() *tls.Config {
	return &tls.Config{ServerName: "localhost", Verifier: x509verify.New(x509verify.Options{Roots: s.roots}),
		CipherSuites: []uint16{tls.TLS_AES_128_GCM_SHA256}}
}

func (s *benchServer) goConfig() *cryptotls.Config {
	return &cryptotls.Config{ServerName: "localhost", RootCAs: s.roots, MinVersion: cryptotls.VersionTLS13,
		CurvePreferences: []cryptotls.CurveID{cryptotls.X25519}}
}

// goPinConfig is crypto/tls doing what our pinned client does: no chain
// verification, the leaf's SPKI checked against the same pin.
func (s *benchServer) goPinConfig() *cryptotls.Config {
	cfg := s.goConfig()
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs cryptotls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("no certificate")
		}
		if pin, err := tls.PinFromCertificate(cs.PeerCertificates[0].Raw); err != nil || pin != s.pin {
			return errors.New("pin mismatch")
		}
		return nil
	}
	return cfg
}

// alternate runs the named sub-benchmarks in order, or in reverse when
// TABLETLS_BENCH_REVERSE is set: make bench runs both, so neither client
// always runs first, on a colder (or warmer) machine.
func alternate(b *testing.B, names []string, run func(b *testing.B, name string)) {
	order := slices.Clone(names)
	if os.Getenv("TABLETLS_BENCH_REVERSE") != "" {
		slices.Reverse(order)
	}
	for _, name := range order {
		b.Run(name, func(b *testing.B) { run(b, name) })
	}
}

// BenchmarkHandshake compares full x25519 + ECDSA P-256 handshakes of our
// client and crypto/tls's, like for like, against the same crypto/tls
// server in one run: each pinning the leaf's key (crypto/tls in
// VerifyConnection), and each verifying the chain with x509.
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
	// Like for like: a pin against a pin, x509 against x509.
	alternate(b, []string{"tabletls-pin", "crypto-tls-pin", "tabletls-pin-static-buffers", "tabletls-x509", "crypto-tls"}, func(b *testing.B, name string) {
		switch name {
		case "tabletls-pin":
			cfg := s.pinConfig()
			run(b, func(c net.Conn) error { return tls.Client(c, cfg).Handshake() })
		case "tabletls-pin-static-buffers":
			cfg := s.pinConfig()
			cfg.Crypto = tls.DefaultCrypto()
			buf := staticBuffers()
			run(b, func(c net.Conn) error { return tls.ClientWithBuffers(c, cfg, buf).Handshake() })
		case "tabletls-x509":
			cfg := s.x509Config()
			run(b, func(c net.Conn) error { return tls.Client(c, cfg).Handshake() })
		case "crypto-tls-pin":
			cfg := s.goPinConfig()
			run(b, func(c net.Conn) error { return cryptotls.Client(c, cfg).Handshake() })
		case "crypto-tls":
			cfg := s.goConfig()
			run(b, func(c net.Conn) error { return cryptotls.Client(c, cfg).Handshake() })
		}
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

// BenchmarkWrite16K compares bulk write throughput.
func BenchmarkWrite16K(b *testing.B) {
	s := startBenchServer(b)
	conns := dialBoth(b, s.sink)
	alternate(b, []string{"tabletls", "crypto-tls"}, func(b *testing.B, name string) {
		c := conns[name]
		buf := make([]byte, 16384)
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		start := processCPU()
		for b.Loop() {
			if _, err := c.Write(buf); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	})
}

// BenchmarkRead compares read throughput when the server sends records of
// 16 KiB, 1 KiB and 64 octets: one op reads one record's worth. Small
// records show the cost per record (transport reads, locking, framing).
func BenchmarkRead(b *testing.B) {
	s := startBenchServer(b)
	for _, size := range []struct {
		name string
		addr string
		n    int
	}{{"16K", s.source, 16384}, {"1K", s.source1K, 1024}, {"64B", s.source64, 64}} {
		b.Run(size.name, func(b *testing.B) {
			conns := dialBoth(b, size.addr)
			alternate(b, []string{"tabletls", "crypto-tls"}, func(b *testing.B, name string) {
				c := conns[name]
				buf := make([]byte, size.n)
				b.SetBytes(int64(len(buf)))
				b.ReportAllocs()
				// MB/s is wall time, which other load on the machine
				// sways; cpu-ns/op is this process's CPU, the client's.
				start := processCPU()
				for b.Loop() {
					if _, err := io.ReadFull(c, buf); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
			})
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

// BenchmarkResumption compares, in one run, the client's cost of a full
// pinned handshake, of resumption with psk_dhe_ke against the crypto/tls
// server next to crypto/tls's own resumption against it, and of the PSK
// handshakes crypto/tls has no client for (psk_ke resumption, external
// PSKs), served by the scripted server of internal/tlsserver. The server
// runs in a child process: cpu-ns/op and allocs/op are the client's.
func BenchmarkResumption(b *testing.B) {
	s := startBenchServer(b)
	run := func(b *testing.B, addr string, handshake func(net.Conn) error) {
		b.ReportAllocs()
		start := processCPU()
		for b.Loop() {
			raw, err := net.Dial("tcp", addr)
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
	// A session for the scripted server, which takes benchPSK for any ticket.
	session := func(modes ...tls.PSKMode) *tls.Config {
		cfg := s.pinConfig()
		cache := tls.NewLRUClientSessionCache(1)
		cache.Put("localhost", &tls.ClientSessionState{Ticket: []byte("ticket"), PSK: benchPSK, Lifetime: time.Hour,
			CipherSuite: tls.TLS_AES_128_GCM_SHA256, ReceivedAt: time.Now()})
		cfg.ClientSessionCache, cfg.ResumptionModes = cache, modes
		return cfg
	}
	external := func(modes ...tls.PSKMode) *tls.Config {
		return &tls.Config{ServerName: "localhost", CipherSuites: []uint16{tls.TLS_AES_128_GCM_SHA256},
			ExternalPSK: &tls.ExternalPSK{Identity: []byte("device"), Key: benchPSK, Modes: modes}}
	}
	client := func(cfg *tls.Config, resumed bool) func(net.Conn) error {
		return func(c net.Conn) error {
			conn := tls.Client(c, cfg)
			if err := conn.Handshake(); err != nil {
				return err
			}
			if st := conn.ConnectionState(); st.DidResume != resumed && st.DidExternalPSK != resumed {
				return fmt.Errorf("resumed %v, want %v", st.DidResume, resumed)
			}
			return nil
		}
	}
	alternate(b, []string{"tabletls-full-pin", "crypto-tls-full-pin", "tabletls-resume-psk_dhe_ke", "crypto-tls-resume",
		"tabletls-resume-psk_ke", "tabletls-resume-psk_dhe_ke-scripted", "tabletls-external-psk_ke", "tabletls-external-psk_dhe_ke"}, func(b *testing.B, name string) {
		switch name {
		case "tabletls-full-pin":
			run(b, s.handshake, client(s.pinConfig(), false))
		case "crypto-tls-full-pin":
			cfg := s.goPinConfig()
			run(b, s.handshake, func(c net.Conn) error { return cryptotls.Client(c, cfg).Handshake() })
		case "tabletls-resume-psk_dhe_ke":
			// One full handshake gets a ticket (read after the
			// handshake); every one after it resumes with it.
			cfg := s.pinConfig()
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
			raw, err := net.Dial("tcp", s.resume)
			if err != nil {
				b.Fatal(err)
			}
			c := tls.Client(raw, cfg)
			if err := c.Handshake(); err != nil {
				b.Fatal(err)
			}
			raw.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			c.Read(make([]byte, 1))
			raw.Close()
			if _, ok := cfg.ClientSessionCache.Get("localhost"); !ok {
				b.Fatal("no ticket")
			}
			run(b, s.resume, client(cfg, true))
		case "crypto-tls-resume":
			cfg := s.goPinConfig()
			cfg.ClientSessionCache = cryptotls.NewLRUClientSessionCache(1)
			raw, err := net.Dial("tcp", s.resume)
			if err != nil {
				b.Fatal(err)
			}
			c := cryptotls.Client(raw, cfg)
			if err := c.Handshake(); err != nil {
				b.Fatal(err)
			}
			raw.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			c.Read(make([]byte, 1))
			raw.Close()
			run(b, s.resume, func(c net.Conn) error {
				conn := cryptotls.Client(c, cfg)
				if err := conn.Handshake(); err != nil {
					return err
				}
				if !conn.ConnectionState().DidResume {
					return errors.New("crypto/tls did not resume")
				}
				return nil
			})
		case "tabletls-resume-psk_ke":
			run(b, s.pskKE, client(session(tls.PSKModeKE), true))
		case "tabletls-resume-psk_dhe_ke-scripted":
			run(b, s.pskDHE, client(session(), true))
		case "tabletls-external-psk_ke":
			run(b, s.extKE, client(external(tls.PSKModeKE), true))
		case "tabletls-external-psk_dhe_ke":
			run(b, s.extDHE, client(external(), true))
		}
	})
}

// BenchmarkHandshakeEngine is the client's own cost of one handshake,
// without I/O or a server: the scripted server's flight (deterministic,
// like the client's Rand and Time here) is recorded once and replayed to
// a fresh Engine in static buffers every iteration. Full (x25519 +
// ECDSA P-256, pinned) against the PSK handshakes.
func BenchmarkHandshakeEngine(b *testing.B) {
	pinned := func() *tls.Config {
		v, err := tls.NewPinVerifier(tlsserver.ServerCertificate().Pin())
		if err != nil {
			b.Fatal(err)
		}
		return &tls.Config{ServerName: "localhost", Verifier: v, CipherSuites: []uint16{tls.TLS_AES_128_GCM_SHA256},
			Crypto: tls.DefaultCrypto(), Time: func() time.Time { return tlsserver.FixedTime }}
	}
	session := func(modes ...tls.PSKMode) *tls.Config {
		cfg := pinned()
		cache := tls.NewLRUClientSessionCache(1)
		cache.Put("localhost", &tls.ClientSessionState{Ticket: []byte("ticket"), PSK: benchPSK, Lifetime: time.Hour,
			CipherSuite: tls.TLS_AES_128_GCM_SHA256, ReceivedAt: tlsserver.FixedTime})
		cfg.ClientSessionCache, cfg.ResumptionModes = cache, modes
		return cfg
	}
	external := func(modes ...tls.PSKMode) *tls.Config {
		cfg := pinned()
		cfg.Verifier = nil
		cfg.ExternalPSK = &tls.ExternalPSK{Identity: []byte("device"), Key: benchPSK, Modes: modes}
		return cfg
	}
	for _, c := range []struct {
		name string
		cfg  *tls.Config
		opts tlsserver.Options
	}{
		{"full-pin", pinned(), tlsserver.Options{}},
		{"resume-psk_dhe_ke", session(), tlsserver.Options{PSK: benchPSK}},
		{"resume-psk_ke", session(tls.PSKModeKE), tlsserver.Options{PSK: benchPSK, PSKKE: true}},
		{"external-psk_dhe_ke", external(), tlsserver.Options{PSK: benchPSK, ExternalPSK: true}},
		{"external-psk_ke", external(tls.PSKModeKE), tlsserver.Options{PSK: benchPSK, ExternalPSK: true, PSKKE: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			buf := staticBuffers()
			var x tls.Engine
			handshake := func(flight []byte) []byte {
				c.cfg.Rand = tlsserver.NewRand("bench")
				if err := x.Init(c.cfg, buf); err != nil {
					b.Fatal(err)
				}
				if err := x.Start(); err != nil {
					b.Fatal(err)
				}
				hello := slices.Clone(x.Output())
				x.OutputAck(len(x.Output()))
				for len(flight) > 0 {
					n, err := x.Input(flight)
					if err != nil {
						b.Fatal(err)
					}
					flight = flight[n:]
				}
				if !x.HandshakeComplete() || len(x.Output()) == 0 {
					b.Fatal("handshake not complete")
				}
				x.OutputAck(len(x.Output()))
				return hello
			}
			// Record the server's flight once.
			srv := tlsserver.New(c.opts)
			c.cfg.Rand = tlsserver.NewRand("bench")
			_ = x.Init(c.cfg, buf)
			if err := x.Start(); err != nil {
				b.Fatal(err)
			}
			flight, err := srv.Input(x.Output())
			if err != nil {
				b.Fatal(err)
			}
			hello := handshake(flight)
			if _, err := tlsserver.New(c.opts).Input(hello); err != nil {
				b.Fatal(err)
			}
			st := x.ConnectionState()
			if st.DidResume || st.DidExternalPSK {
				if len(st.PeerCertificateChain) != 0 {
					b.Fatal("PSK handshake with a certificate")
				}
			} else if c.opts.PSK != nil {
				b.Fatal("PSK not accepted")
			}
			b.ReportAllocs()
			for b.Loop() {
				handshake(flight)
			}
		})
	}
}

// keyChange is one key change each way: KeyUpdate (ours, requesting the
// server's), then an octet echoed back, whose Read first takes the
// server's KeyUpdate.
func keyChange(c *tls.Conn, buf []byte) error {
	if err := c.KeyUpdate(); err != nil {
		return err
	}
	if _, err := c.Write(buf[:1]); err != nil {
		return err
	}
	_, err := io.ReadFull(c, buf[:1])
	return err
}

func dialKeyUpdate(tb testing.TB, suite uint16, fixed bool) *tls.Conn {
	s := startBenchServer(tb)
	raw, err := net.Dial("tcp", s.echo)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	cfg := s.pinConfig()
	cfg.CipherSuites = []uint16{suite}
	c := tls.Client(raw, cfg)
	if fixed {
		cfg.Crypto = tls.DefaultCrypto()
		c = tls.ClientWithBuffers(raw, cfg, staticBuffers())
	}
	var buf [1]byte
	if err := keyChange(c, buf[:]); err != nil { // and the handshake
		tb.Fatal(err)
	}
	return c
}

// BenchmarkKeyUpdate measures a key change in both directions (our
// KeyUpdate, the server's answer) with an octet echoed, per suite, with
// caller-owned buffers and with Client's. crypto/tls's client has no
// KeyUpdate to set beside it (it only answers the server's).
func BenchmarkKeyUpdate(b *testing.B) {
	for _, suite := range []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256} {
		for _, fixed := range []bool{true, false} {
			name := tls.CipherSuiteName(suite) + "/Client"
			if fixed {
				name = tls.CipherSuiteName(suite) + "/ClientWithBuffers"
			}
			b.Run(name, func(b *testing.B) {
				c := dialKeyUpdate(b, suite, fixed)
				var buf [1]byte
				b.ReportAllocs()
				for b.Loop() {
					if err := keyChange(c, buf[:]); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestKeyUpdateAllocs: with caller-owned buffers a key change allocates
// only what the standard library cannot avoid for a new key, per
// direction: the HMAC of the new traffic secret (crypto/hmac.New: the HMAC
// and its two pads) and the AEAD (crypto/aes.NewCipher and cipher.NewGCM,
// one each; chacha20poly1305.New, one). Client, whose idle connections
// let the HMAC of the current secret and the two hash states under it go,
// keys that HMAC again and makes the hash states: 5 more per direction.
func TestKeyUpdateAllocs(t *testing.T) {
	for _, tc := range []struct {
		suite uint16
		fixed bool
		want  float64 // both directions
	}{
		{tls.TLS_AES_128_GCM_SHA256, true, 2 * (3 + 2)},
		{tls.TLS_AES_256_GCM_SHA384, true, 2 * (3 + 2)},
		{tls.TLS_CHACHA20_POLY1305_SHA256, true, 2 * (3 + 1)},
		{tls.TLS_AES_128_GCM_SHA256, false, 2 * (3 + 2 + 5)},
		{tls.TLS_CHACHA20_POLY1305_SHA256, false, 2 * (3 + 1 + 5)},
	} {
		c := dialKeyUpdate(t, tc.suite, tc.fixed)
		var buf [1]byte
		n := testing.AllocsPerRun(100, func() {
			if err := keyChange(c, buf[:]); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%v, caller-owned buffers %v: a key change each way: %v allocations", tls.CipherSuiteName(tc.suite), tc.fixed, n)
		if raceEnabled && !tc.fixed {
			// Client's buffers come from sync.Pools, which the race
			// detector makes drop some of what is put back: a key change
			// each way then sometimes makes its read and write buffers
			// anew. Without -race the bound is exact.
			tc.want += 2
		}
		if n > tc.want {
			t.Errorf("%v, caller-owned buffers %v: a key change each way allocates %v times, want at most %v", tls.CipherSuiteName(tc.suite), tc.fixed, n, tc.want)
		}
	}
}
