package tls

import (
	"io"
	"sync"
)

// Engine is the client without I/O: received bytes go in, records to send
// come out, and the caller moves them. It is what Conn wraps, what the
// fuzzers drive, and what a firmware event loop can use directly. An
// Engine is not safe for concurrent use.
type Engine struct {
	e engine
}

// NewEngine returns an Engine working in the given buffers (see Buffers),
// with exactly the cryptography of config.Crypto, which must be set.
func NewEngine(config *Config, buffers Buffers) (*Engine, error) {
	x := new(Engine)
	if err := x.e.init(config, configCrypto(config), buffers); err != nil {
		return nil, err
	}
	return x, nil
}

// Start begins the handshake: the ClientHello is then in Output.
func (x *Engine) Start() error { return x.e.start() }

// RecvBuffer is where the next received octets go; after writing n of
// them, call RecvAck(n). It is empty while application data waits to be
// read, and after a fatal error.
func (x *Engine) RecvBuffer() []byte { return x.e.recvBuffer() }

// RecvAck processes n octets written into RecvBuffer.
func (x *Engine) RecvAck(n int) error { return x.e.recvAck(n) }

// Input copies received octets in and processes them; it returns how many
// it took, fewer than len(p) when application data must be read first.
func (x *Engine) Input(p []byte) (int, error) { return x.e.input(p) }

// Output is the octets to send; after sending n, call OutputAck(n).
func (x *Engine) Output() []byte { return x.e.output() }

// OutputAck drops the first n octets of Output.
func (x *Engine) OutputAck(n int) { x.e.outputAck(n) }

// ApplicationData is the received data not yet consumed.
func (x *Engine) ApplicationData() []byte { return x.e.appData }

// ApplicationDataAck consumes n octets of ApplicationData.
func (x *Engine) ApplicationDataAck(n int) { x.e.appData = x.e.appData[n:] }

// WriteApplicationData protects up to one record of p into Output and
// returns how much of p it took.
func (x *Engine) WriteApplicationData(p []byte) (int, error) {
	return x.e.writeApplicationData(p)
}

// KeyUpdate updates the write key and asks the server to update its own.
func (x *Engine) KeyUpdate() error { return x.e.local(EventSendKeyUpdate, errNotConnected) }

// Close sends close_notify (or, during the handshake, user_canceled).
func (x *Engine) Close() error {
	return x.e.local(EventClose, nil) // nil when already closed
}

// State is the state machine's current state.
func (x *Engine) State() HandshakeState { return x.e.state }

// HandshakeComplete reports whether the handshake has finished.
func (x *Engine) HandshakeComplete() bool { return x.e.handshakeComplete() }

// PeerClosed reports whether the server sent close_notify.
func (x *Engine) PeerClosed() bool { return x.e.peerClosed }

// Err is the fatal error that ended the connection, if any.
func (x *Engine) Err() error { return x.e.err }

// ConnectionState describes the connection.
func (x *Engine) ConnectionState() ConnectionState { return x.e.connectionState() }

// ConnectionState is what the handshake settled on.
type ConnectionState struct {
	Version               uint16 // 0x0304 once the handshake is complete
	HandshakeComplete     bool
	CipherSuite           CipherSuite
	Group                 NamedGroup
	NegotiatedProtocol    string // ALPN, or ""
	ServerName            string
	DidHelloRetryRequest  bool
	DidResume             bool
	PeerCertificates      [][]byte // DER, leaf first
	PeerSignatureScheme   SignatureScheme
	ClientAuthRequested   bool
	ClientCertificateSent bool
}

func (e *engine) connectionState() ConnectionState {
	hs := &e.hs
	cs := ConnectionState{
		HandshakeComplete:     e.handshakeComplete(),
		Group:                 hs.group,
		NegotiatedProtocol:    hs.alpn,
		ServerName:            e.config.ServerName,
		DidHelloRetryRequest:  hs.hrr,
		PeerCertificates:      hs.peerCerts,
		PeerSignatureScheme:   hs.peerScheme,
		ClientAuthRequested:   hs.certRequested,
		ClientCertificateSent: hs.sentCert,
	}
	if hs.suite != nil {
		cs.CipherSuite = hs.suite.id
	}
	if cs.HandshakeComplete {
		cs.Version = 0x0304
	}
	return cs
}

// Conn is a TLS client connection over a transport, with blocking Read and
// Write like crypto/tls.Conn. One goroutine may Read while another Writes.
type Conn struct {
	transport io.ReadWriter
	initErr   error

	writeErr error // a failed transport write; permanent, like crypto/tls

	handshakeMu sync.Mutex // serializes handshakes; they read the transport
	readMu      sync.Mutex // serializes Reads, which start after the handshake
	mu          sync.Mutex // guards the engine and its output
	engine      Engine
}

// Client returns a client connection over transport, with buffers it
// allocates once (about 63 KiB, one allocation). The handshake runs on the
// first Read or Write, or on Handshake. A nil config.Crypto means
// DefaultCrypto: everything tabletls implements is linked.
func Client(transport io.ReadWriter, config *Config) *Conn {
	c := &Conn{transport: transport}
	cr := configCrypto(config)
	if config != nil && cr == nil {
		cr = DefaultCrypto()
	}
	c.initErr = c.engine.e.init(config, cr, newBuffers())
	return c
}

// ClientWithBuffers is Client with caller-owned buffers, which firmware can
// place statically. Nothing else grows during the connection. It uses
// exactly the cryptography of config.Crypto, which must be set, so that a
// program links only that.
func ClientWithBuffers(transport io.ReadWriter, config *Config, buffers Buffers) *Conn {
	c := &Conn{transport: transport}
	c.initErr = c.engine.e.init(config, configCrypto(config), buffers)
	return c
}

func configCrypto(config *Config) *Crypto {
	if config == nil {
		return nil
	}
	return config.Crypto
}

// Handshake runs the handshake if it has not run yet.
func (c *Conn) Handshake() error {
	if c.initErr != nil {
		return c.initErr
	}
	e := &c.engine.e
	// Once the handshake is done, Write must not wait for a Read blocked
	// on the transport, so the handshake has its own lock: Read takes
	// readMu only after its own Handshake call returned.
	c.mu.Lock()
	done := e.handshakeComplete()
	c.mu.Unlock()
	if done {
		return nil
	}
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	c.mu.Lock()
	if e.state == initialState && e.err == nil {
		err := e.start()
		if ferr := c.flushLocked(); err == nil {
			err = ferr
		}
		if err != nil {
			c.mu.Unlock()
			return err
		}
	}
	c.mu.Unlock()
	for {
		c.mu.Lock()
		done, err := e.handshakeComplete(), e.err
		c.mu.Unlock()
		if done {
			return nil
		}
		if err != nil {
			return err
		}
		if err := c.readRecordLocked(); err != nil {
			return err
		}
	}
}

// readRecordLocked reads one record from the transport into the engine
// and processes it. c.handshakeMu (during the handshake) or c.readMu
// (after it) must be held.
func (c *Conn) readRecordLocked() error {
	e := &c.engine.e
	for first := true; ; first = false {
		buf := e.recvBuffer()
		if len(buf) == 0 {
			return nil
		}
		n, err := io.ReadFull(c.transport, buf)
		c.mu.Lock()
		aerr := e.recvAck(n)
		ferr := c.flushLocked()
		c.mu.Unlock()
		if aerr != nil {
			return aerr
		}
		if ferr != nil {
			return ferr
		}
		if err != nil {
			if first && n == 0 && err == io.EOF {
				if !e.handshakeComplete() {
					return errClosedInHandshake
				}
				return io.ErrUnexpectedEOF
			}
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
		if e.inLen == 0 { // a whole record was processed
			return nil
		}
	}
}

// errClosedInHandshake is the transport ending before the handshake did.
// It matches io.ErrUnexpectedEOF with errors.Is.
var errClosedInHandshake = &eofError{"tls: connection closed during the handshake"}

type eofError struct{ msg string }

func (e *eofError) Error() string { return e.msg }
func (e *eofError) Unwrap() error { return io.ErrUnexpectedEOF }

// flushLocked writes the engine's output to the transport. c.mu must be
// held. A failed write (a deadline, say) may have sent part of a record,
// so the stream is broken: every later write fails the same way, as in
// crypto/tls, rather than resend data the caller was told was not sent.
func (c *Conn) flushLocked() error {
	if c.writeErr != nil {
		return c.writeErr
	}
	e := &c.engine.e
	for e.outLen > 0 {
		n, err := c.transport.Write(e.output())
		e.outputAck(n)
		if err != nil {
			c.writeErr = err
			return err
		}
	}
	return nil
}

// Read reads application data, after running the handshake if needed. It
// returns io.EOF after the server's close_notify.
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()
	e := &c.engine.e
	for {
		if d := e.appData; len(d) > 0 {
			n := copy(p, d)
			e.appData = d[n:]
			return n, nil
		}
		c.mu.Lock()
		peerClosed, err := e.peerClosed, e.err
		c.mu.Unlock()
		if peerClosed {
			return 0, io.EOF
		}
		if err != nil {
			return 0, err
		}
		if err := c.readRecordLocked(); err != nil {
			return 0, err
		}
	}
}

// Write writes application data, after running the handshake if needed.
func (c *Conn) Write(p []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := &c.engine.e
	total := 0
	if c.writeErr != nil {
		return 0, c.writeErr
	}
	for len(p) > 0 {
		if e.closeSent {
			return total, errClosed
		}
		n, err := e.writeApplicationData(p)
		if err != nil {
			c.flushLocked()
			return total, err
		}
		if err := c.flushLocked(); err != nil {
			return total, err
		}
		total += n
		p = p[n:]
	}
	return total, nil
}

// KeyUpdate updates the write key and asks the server to update its own
// (RFC 8446 §4.6.3).
func (c *Conn) KeyUpdate() error {
	if err := c.Handshake(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.engine.KeyUpdate()
	if ferr := c.flushLocked(); err == nil {
		err = ferr
	}
	return err
}

// CloseWrite sends close_notify without closing the transport.
func (c *Conn) CloseWrite() error {
	if c.initErr != nil {
		return c.initErr
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.engine.Close()
	if ferr := c.flushLocked(); err == nil {
		err = ferr
	}
	return err
}

// Close sends close_notify and closes the transport if it is an io.Closer.
func (c *Conn) Close() error {
	err := c.CloseWrite()
	if cl, ok := c.transport.(io.Closer); ok {
		if cerr := cl.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// ConnectionState describes the connection.
func (c *Conn) ConnectionState() ConnectionState {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.initErr != nil {
		return ConnectionState{}
	}
	return c.engine.e.connectionState()
}

// Engine returns the sans-I/O engine under c, for inspection (State,
// ConnectionState). Driving it directly while c is in use breaks c.
func (c *Conn) Engine() *Engine { return &c.engine }
