package testpeer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// HandshakeTimeout bounds every server-side handshake and every wait
// helper in this package, so a misbehaving client cannot hang a test.
const HandshakeTimeout = 30 * time.Second

// GoServerOptions configures StartGoServer. The zero value is a TLS 1.3
// echo server using a leaf from DefaultCA.
type GoServerOptions struct {
	// Cert is the server certificate. Nil means DefaultCA().Issue(ECDSAP256).
	Cert *Cert

	// CipherSuite, if non-zero, is asserted rather than configured:
	// crypto/tls has no knob for TLS 1.3 suites. The server picks the first
	// suite the client offered from its own fixed order (AES-128-GCM,
	// AES-256-GCM, ChaCha20 when it has AES hardware and the client lists an
	// AES-GCM suite first; otherwise ChaCha20 first). To force a suite, the
	// client must offer only that suite. A handshake that negotiated a
	// different suite is recorded as a failed handshake and the connection
	// is closed before the handler runs.
	CipherSuite uint16

	// CurvePreferences restricts the server's key exchange groups. Order is
	// ignored by crypto/tls (it uses an internal order: post-quantum hybrids
	// first, then any group the client sent a key share for, then X25519,
	// P-256, P-384, P-521). To force a HelloRetryRequest, list only a group
	// the client supports but sent no key share for, e.g. client shares
	// X25519 and lists P-256, server has []tls.CurveID{tls.CurveP256}.
	// Beware: with the default (nil) preferences a Go 1.26 server also sends
	// an HRR if the client merely lists X25519MLKEM768 (or another PQ hybrid)
	// in supported_groups without a key share for it.
	CurvePreferences []tls.CurveID

	// ClientAuth is the client certificate policy. If it verifies
	// certificates and ClientCAs is nil, Cert.CA.Pool is used.
	ClientAuth tls.ClientAuthType
	ClientCAs  *x509.CertPool

	// NextProtos are the ALPN protocols the server accepts.
	NextProtos []string

	// SessionTicketsDisabled stops the server from sending NewSessionTicket.
	SessionTicketsDisabled bool

	// Handler serves each successfully handshaken connection; the server
	// closes the connection when it returns. Nil means EchoHandler. Use
	// GoServer.ReportError to surface errors to the test.
	Handler func(conn *tls.Conn)

	// Configure, if set, may modify the tls.Config after it is built
	// (MinVersion/MaxVersion are reset to TLS 1.3 afterwards).
	Configure func(cfg *tls.Config)
}

// HandshakeResult is the outcome of one accepted connection's handshake.
type HandshakeResult struct {
	State tls.ConnectionState // valid if Err == nil (partial otherwise)
	Err   error               // server-side handshake error, e.g. "remote error: tls: bad certificate"
}

// GoServer is an in-process crypto/tls TLS 1.3 server on 127.0.0.1.
type GoServer struct {
	Addr   string      // "127.0.0.1:port"
	Cert   *Cert       // server certificate in use
	Config *tls.Config // effective config (do not modify after start)

	tb      testing.TB
	ln      net.Listener
	handler func(*tls.Conn)
	suite   uint16

	mu        sync.Mutex
	cond      *sync.Cond
	results   []HandshakeResult
	waited    int // results consumed by WaitHandshake
	errs      []error
	lastState *tls.ConnectionState
	accepted  int
	conns     map[net.Conn]struct{}
	closed    bool
	wg        sync.WaitGroup
}

// StartGoServer starts a crypto/tls server (TLS 1.3 only) on 127.0.0.1:0.
// It is closed automatically by tb.Cleanup.
func StartGoServer(tb testing.TB, opts GoServerOptions) *GoServer {
	tb.Helper()
	cert := opts.Cert
	if cert == nil {
		cert = DefaultCA().Issue(ECDSAP256)
	}
	cfg := &tls.Config{
		Certificates:           []tls.Certificate{cert.TLS},
		CurvePreferences:       opts.CurvePreferences,
		ClientAuth:             opts.ClientAuth,
		ClientCAs:              opts.ClientCAs,
		NextProtos:             opts.NextProtos,
		SessionTicketsDisabled: opts.SessionTicketsDisabled,
	}
	if cfg.ClientCAs == nil && opts.ClientAuth >= tls.VerifyClientCertIfGiven && opts.ClientAuth != tls.RequireAnyClientCert && cert.CA != nil {
		cfg.ClientCAs = cert.CA.Pool
	}
	if opts.Configure != nil {
		opts.Configure(cfg)
	}
	cfg.MinVersion = tls.VersionTLS13
	cfg.MaxVersion = tls.VersionTLS13

	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testpeer: listen: %v", err)
	}
	s := &GoServer{
		Addr:    ln.Addr().String(),
		Cert:    cert,
		Config:  cfg,
		tb:      tb,
		ln:      ln,
		handler: opts.Handler,
		suite:   opts.CipherSuite,
		conns:   make(map[net.Conn]struct{}),
	}
	s.cond = sync.NewCond(&s.mu)
	if s.handler == nil {
		s.handler = s.EchoHandler
	}
	s.wg.Add(1)
	go s.acceptLoop()
	tb.Cleanup(s.Close)
	return s
}

func (s *GoServer) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if !closed && !errors.Is(err, net.ErrClosed) {
				s.ReportError(fmt.Errorf("testpeer: accept: %w", err))
			}
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.accepted++
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(c)
	}
}

func (s *GoServer) serve(raw net.Conn) {
	defer s.wg.Done()
	defer func() {
		raw.Close()
		s.mu.Lock()
		delete(s.conns, raw)
		s.mu.Unlock()
	}()
	conn := tls.Server(raw, s.Config)
	ctx, cancel := context.WithTimeout(context.Background(), HandshakeTimeout)
	err := conn.HandshakeContext(ctx)
	cancel()
	st := conn.ConnectionState()
	if err == nil && s.suite != 0 && st.CipherSuite != s.suite {
		err = fmt.Errorf("testpeer: negotiated cipher suite %s, want %s",
			tls.CipherSuiteName(st.CipherSuite), tls.CipherSuiteName(s.suite))
	}
	s.mu.Lock()
	s.results = append(s.results, HandshakeResult{State: st, Err: err})
	if err != nil {
		s.errs = append(s.errs, err)
	} else {
		s.lastState = &st
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	if err != nil {
		return
	}
	s.handler(conn)
	conn.Close()
}

// EchoHandler writes back everything it reads until EOF (close_notify or
// TCP FIN), then returns (the server then sends close_notify and closes).
// Errors other than EOF are reported via ReportError.
func (s *GoServer) EchoHandler(conn *tls.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			if _, werr := conn.Write(buf[:n]); werr != nil {
				s.ReportError(fmt.Errorf("testpeer: echo write: %w", werr))
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !s.isClosed() {
				s.ReportError(fmt.Errorf("testpeer: echo read: %w", err))
			}
			return
		}
	}
}

func (s *GoServer) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// ReportError records err so that LastError/Errors return it. Handlers may
// call it from any goroutine.
func (s *GoServer) ReportError(err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.cond.Broadcast()
	s.mu.Unlock()
}

// LastError returns the most recent handshake or handler error, or nil.
func (s *GoServer) LastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) == 0 {
		return nil
	}
	return s.errs[len(s.errs)-1]
}

// Errors returns all recorded handshake and handler errors, oldest first.
func (s *GoServer) Errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

// ConnectionState returns the state of the most recent successful
// handshake; ok is false if there has been none. The server finishes its
// handshake slightly after the client does, so prefer WaitHandshake right
// after a client handshake.
func (s *GoServer) ConnectionState() (state tls.ConnectionState, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastState == nil {
		return tls.ConnectionState{}, false
	}
	return *s.lastState, true
}

// Handshakes returns the number of successful server handshakes so far.
func (s *GoServer) Handshakes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.results {
		if r.Err == nil {
			n++
		}
	}
	return n
}

// FailedHandshakes returns the number of failed server handshakes so far.
func (s *GoServer) FailedHandshakes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.results {
		if r.Err != nil {
			n++
		}
	}
	return n
}

// Accepted returns the number of TCP connections accepted so far.
func (s *GoServer) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// WaitHandshake returns the next not-yet-returned handshake outcome, in
// completion order, waiting up to HandshakeTimeout. It calls tb.Fatalf on
// timeout (so call it from the test goroutine).
func (s *GoServer) WaitHandshake(tb testing.TB) HandshakeResult {
	tb.Helper()
	r, ok := s.waitHandshake(HandshakeTimeout)
	if !ok {
		tb.Fatalf("testpeer: no server handshake completed within %v (accepted %d conns)", HandshakeTimeout, s.Accepted())
	}
	return r
}

func (s *GoServer) waitHandshake(d time.Duration) (HandshakeResult, bool) {
	deadline := time.Now().Add(d)
	t := time.AfterFunc(d, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer t.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.waited >= len(s.results) {
		if s.closed || !time.Now().Before(deadline) {
			return HandshakeResult{}, false
		}
		s.cond.Wait()
	}
	r := s.results[s.waited]
	s.waited++
	return r, true
}

// Close stops the listener, closes all open connections and waits for
// server goroutines. It is idempotent and registered with tb.Cleanup.
func (s *GoServer) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.cond.Broadcast()
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(HandshakeTimeout):
		s.tb.Errorf("testpeer: GoServer handlers still running %v after Close", HandshakeTimeout)
	}
}
