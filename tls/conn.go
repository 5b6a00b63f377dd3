package tls

import (
	"io"
	"sync"
	"time"
)

// Engine is the client without I/O, in the manner of BearSSL's engine and
// rustls's unbuffered API: received octets go in, records to send come
// out, and the caller moves them. Status says what it needs next. It is
// what Conn is built on (through these methods only), what the fuzzers
// drive, and what a firmware event loop can use directly:
//
//	e, _ := tls.NewEngine(config, buffers)
//	e.Start()
//	for {
//		st := e.Status()
//		switch {
//		case st&tls.StatusSend != 0:
//			n, err := transport.Write(e.Output())
//			e.OutputAck(n) // then stop on err
//		case st&tls.StatusData != 0:
//			use(e.ApplicationData())
//			e.ApplicationDataAck(len(e.ApplicationData()))
//		case st&tls.StatusClosed != 0, st&tls.StatusEOF != 0:
//			return e.Err() // nil after a clean close
//		case st&tls.StatusRecv != 0:
//			n, err := transport.Read(e.RecvBuffer())
//			e.RecvAck(n) // then stop on err
//		}
//		if st&tls.StatusWrite != 0 && len(pending) > 0 {
//			n, _ := e.WriteApplicationData(pending)
//			pending = pending[n:]
//		}
//	}
//
// Misuse (an Ack count out of range, Start twice, writing before the
// handshake or after Close) returns an error and changes nothing. An
// Engine is not safe for concurrent use, but its buffers stay put for a
// caller that moves data without holding its lock: the octets of Output
// stay unchanged until OutputAck (other calls only append after them), and
// RecvBuffer is written by nothing but the caller until RecvAck.
type Engine struct {
	e engine
}

// NewEngine returns an Engine working in the given buffers (see Buffers).
func NewEngine(config *Config, buffers Buffers) (*Engine, error) {
	x := new(Engine)
	if err := x.e.init(config, buffers); err != nil {
		return nil, err
	}
	return x, nil
}

// Start begins the handshake: the ClientHello is then in Output. A second
// call returns an error and changes nothing.
func (x *Engine) Start() error { return x.e.start() }

// Status is what the Engine needs next, as a set of bits; several can
// hold at once.
type Status uint8

const (
	// StatusStart: Start has not been called.
	StatusStart Status = 1 << iota
	// StatusSend: Output holds records to send.
	StatusSend
	// StatusRecv: the Engine reads from the peer; RecvBuffer is where the
	// octets go. Not while application data waits to be read.
	StatusRecv
	// StatusData: ApplicationData holds received data.
	StatusData
	// StatusWrite: the handshake is complete and we have not closed:
	// WriteApplicationData and KeyUpdate are accepted.
	StatusWrite
	// StatusEOF: the server sent close_notify; no more data will come.
	StatusEOF
	// StatusClosed: the connection is over (Err says why, if it failed);
	// Output may still hold its last records.
	StatusClosed
)

// Status says what the Engine needs next.
func (x *Engine) Status() Status {
	e := &x.e
	var st Status
	if accepts(e.state, EventStart) && e.err == nil {
		st |= StatusStart
	}
	if e.outLen > 0 {
		st |= StatusSend
	}
	if len(e.appData) > 0 {
		st |= StatusData
	} else if e.err == nil && e.receiving() && !accepts(e.state, EventStart) {
		st |= StatusRecv
	}
	if e.err == nil && accepts(e.state, EventWrite) {
		st |= StatusWrite
	}
	if e.peerClosed() {
		st |= StatusEOF
	}
	if e.err != nil || stateFinal[e.state] {
		st |= StatusClosed
	}
	return st
}

// RecvBuffer is where the next received octets go: all the free room of
// the Read buffer, so one transport read can bring many records. After
// writing n octets there, call RecvAck(n). It is empty while application
// data waits to be read, and after a fatal error.
func (x *Engine) RecvBuffer() []byte { return x.e.recvBuffer() }

// RecvAck processes n octets written into the last RecvBuffer: every
// record they complete, until application data is waiting to be read.
func (x *Engine) RecvAck(n int) error { return x.e.recvAck(n) }

// Input copies received octets in and processes them; it returns how many
// it took, fewer than len(p) when application data must be read first.
func (x *Engine) Input(p []byte) (int, error) { return x.e.input(p) }

// Output is the octets to send; after sending n, call OutputAck(n).
func (x *Engine) Output() []byte { return x.e.output() }

// OutputAck drops the first n octets of Output, once sent.
func (x *Engine) OutputAck(n int) error { return x.e.outputAck(n) }

// ApplicationData is the received data not yet consumed.
func (x *Engine) ApplicationData() []byte { return x.e.appData }

// ApplicationDataAck consumes n octets of ApplicationData; once it is all
// consumed, the records received after it are processed. The error is a
// misuse, or a fatal error in those records.
func (x *Engine) ApplicationDataAck(n int) error { return x.e.applicationDataAck(n) }

// WriteApplicationData protects as much of p as the Write buffer takes,
// in records, into Output, and returns how much of p it took. With no
// room it returns ErrWriteBufferFull: send Output first.
func (x *Engine) WriteApplicationData(p []byte) (int, error) {
	return x.e.writeApplicationData(p)
}

// KeyUpdate updates the write key and asks the server to update its own
// (RFC 8446 §4.6.3).
func (x *Engine) KeyUpdate() error { return x.e.local(EventSendKeyUpdate) }

// Close sends close_notify (or, during the handshake, user_canceled and
// close_notify). Closing again does nothing.
func (x *Engine) Close() error { return x.e.local(EventClose) }

// State is the state machine's current state.
func (x *Engine) State() HandshakeState { return x.e.state }

// HandshakeComplete reports whether the handshake has finished.
func (x *Engine) HandshakeComplete() bool { return x.e.handshakeComplete() }

// PeerClosed reports whether the server sent close_notify.
func (x *Engine) PeerClosed() bool { return x.e.peerClosed() }

// Err is the fatal error that ended the connection, if any.
func (x *Engine) Err() error { return x.e.err }

// ConnectionState describes the connection.
func (x *Engine) ConnectionState() ConnectionState { return x.e.connectionState() }

// peerClosed: the server's close_notify was processed. The table's
// states say so: PEER_CLOSED, or CLOSED after a clean close of both sides
// (a close of our own during the handshake ends it before any of theirs).
func (e *engine) peerClosed() bool {
	return e.state == StatePeerClosed || (e.state == StateClosed && e.err == nil && e.handshakeComplete())
}

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
// Write like crypto/tls.Conn, built on the Engine's exported methods
// alone. Input and output have separate paths: one goroutine may Read
// while another Writes, neither waits for the other's transport call, and
// Close from a third unblocks both by closing the transport.
type Conn struct {
	transport io.ReadWriter
	engine    *Engine
	own       Engine // the engine of Client and ClientWithBuffers
	initErr   error

	handshakeMu sync.Mutex // serializes handshakes; they read the transport
	readMu      sync.Mutex // one Read at a time: it owns RecvBuffer and ApplicationData
	writeMu     sync.Mutex // one Write, KeyUpdate or CloseWrite at a time

	mu       sync.Mutex // guards the engine and the fields below; never held across I/O
	flushed  sync.Cond  // a transport write ended
	flushing bool       // a goroutine is writing Output to the transport
	sent     int64      // octets of Output sent so far
	writers  int        // Write, KeyUpdate, CloseWrite or Close calls under way
	readOwed bool       // Read queued output for the writers to send
	writeErr error      // a failed transport write; permanent, like crypto/tls
	closed   bool       // Close was called
}

// Client returns a client connection over transport, with buffers it
// allocates once (about 63 KiB, one allocation). The handshake runs on the
// first Read or Write, or on Handshake.
func Client(transport io.ReadWriter, config *Config) *Conn {
	c := &Conn{transport: transport}
	c.engine = &c.own
	c.initErr = c.own.e.init(config, newBuffers())
	c.flushed.L = &c.mu
	return c
}

// ClientWithBuffers is Client with caller-owned buffers, which firmware can
// place statically. Nothing else grows during the connection.
func ClientWithBuffers(transport io.ReadWriter, config *Config, buffers Buffers) *Conn {
	c := &Conn{transport: transport}
	c.engine = &c.own
	c.initErr = c.own.e.init(config, buffers)
	c.flushed.L = &c.mu
	return c
}

// NewConn returns a connection that drives an Engine the caller made with
// NewEngine, over transport. From then on only the Conn may use it.
func NewConn(transport io.ReadWriter, engine *Engine) *Conn {
	c := &Conn{transport: transport, engine: engine}
	c.flushed.L = &c.mu
	return c
}

// Handshake runs the handshake if it has not run yet.
func (c *Conn) Handshake() error {
	if c.initErr != nil {
		return c.initErr
	}
	// Done once our Finished is sealed: whoever writes next sends it
	// first, and a failure to send it is the handshaker's to report.
	c.mu.Lock()
	done := c.engine.HandshakeComplete()
	c.mu.Unlock()
	if done {
		return nil
	}
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	ran := false // this call ran (part of) the handshake
	for {
		x := c.engine
		if x.HandshakeComplete() {
			if ran {
				return c.writeErr // sending our Finished
			}
			return nil
		}
		ran = true
		if err := x.Err(); err != nil {
			c.flushLocked() // its alert, if any
			return err
		}
		st := x.Status()
		if st&StatusStart != 0 {
			if c.closed {
				return errClosed
			}
			if err := x.Start(); err != nil {
				continue
			}
			st = x.Status()
		}
		if err := c.flushLocked(); err != nil {
			return err
		}
		if st&StatusRecv == 0 {
			return errClosedBeforeDone
		}
		if err := c.fillLocked(); err != nil {
			if x.Err() != nil {
				continue // send the alert, return the engine's error
			}
			return err
		}
	}
}

// fillLocked reads once from the transport into the engine and processes
// every record that completes. c.mu must be held, and c.readMu (or
// c.handshakeMu, during the handshake); c.mu is let go during the read.
func (c *Conn) fillLocked() error {
	x := c.engine
	buf := x.RecvBuffer()
	if len(buf) == 0 {
		return x.Err()
	}
	c.mu.Unlock()
	n, err := c.transport.Read(buf)
	c.mu.Lock()
	if n < 0 || n > len(buf) {
		n, err = 0, errTransportCount
	}
	aerr := x.RecvAck(n)
	c.sendFromReadLocked()
	if aerr != nil {
		return aerr
	}
	switch {
	case err == nil || n > 0 && err == io.EOF: // EOF again on the next read
		return nil
	case err != io.EOF:
		return err
	case !x.HandshakeComplete():
		return errClosedInHandshake
	}
	return io.ErrUnexpectedEOF // no close_notify (§6.1)
}

var errTransportCount = &eofError{"tls: transport Read returned an invalid count"}

// errClosedInHandshake is the transport ending before the handshake did.
// It matches io.ErrUnexpectedEOF with errors.Is.
var errClosedInHandshake = &eofError{"tls: connection closed during the handshake"}

type eofError struct{ msg string }

func (e *eofError) Error() string { return e.msg }
func (e *eofError) Unwrap() error { return io.ErrUnexpectedEOF }

// flushLocked writes the engine's output to the transport: what is there
// now, not what other goroutines add meanwhile (they send their own); if
// another goroutine is writing, it waits for that write to end. c.mu must
// be held; it is let go during the write, while the octets being sent
// stay in place (the Engine only appends to Output). A failed write (a
// deadline, say) may have sent part of a record, so the stream is broken:
// every later write fails the same way, as in crypto/tls, rather than
// resend data the caller was told was not sent. Reading goes on.
func (c *Conn) flushLocked() error {
	x := c.engine
	mark := c.sent + int64(len(x.Output()))
	for {
		if c.readOwed { // what Read left to us (sendFromReadLocked)
			c.readOwed = false
			mark = c.sent + int64(len(x.Output()))
		}
		if c.sent >= mark {
			break
		}
		if c.writeErr != nil {
			return c.writeErr
		}
		if c.flushing {
			c.flushed.Wait()
			continue
		}
		out := x.Output()
		c.flushing = true
		c.mu.Unlock()
		n, err := c.transport.Write(out)
		c.mu.Lock()
		c.flushing = false
		if n < 0 || n > len(out) {
			n, err = 0, io.ErrShortWrite
		}
		x.OutputAck(n) // n is in range: cannot fail
		c.sent += int64(n)
		if err == nil && n < len(out) {
			err = io.ErrShortWrite
		}
		if err != nil {
			c.writeErr = err
		}
		c.flushed.Broadcast()
	}
	return c.writeErr
}

// sendFromReadLocked sends what reading produced (a KeyUpdate answer, an
// alert). While a Write is under way, Read leaves it to that Write, which
// sends it with its own records: Read never waits on the transport's
// write side then, so a peer that writes before it reads (an echo) cannot
// deadlock it. Otherwise Read sends it itself, as crypto/tls does. A
// failed write is left for Write to report; it does not stop reading.
func (c *Conn) sendFromReadLocked() {
	if len(c.engine.Output()) == 0 {
		return
	}
	if c.writers > 0 {
		c.readOwed = true
		return
	}
	c.flushLocked()
}

// writingLocked counts a call that writes to the transport until done is
// called; c.mu must be held for both.
func (c *Conn) writingLocked() (done func()) {
	c.writers++
	return func() { c.writers-- }
}

// Read reads application data, after running the handshake if needed. It
// returns io.EOF after the server's close_notify. Data already decrypted
// is returned before any error.
func (c *Conn) Read(p []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.engine
	for {
		// Fill p from every record already here: one transport read
		// brings many small records.
		n := 0
		for n < len(p) {
			d := x.ApplicationData()
			if len(d) == 0 {
				break
			}
			k := copy(p[n:], d)
			n += k
			x.ApplicationDataAck(k) // an error in later records comes on the next Read
			c.sendFromReadLocked()
		}
		if n > 0 {
			return n, nil
		}
		st := x.Status()
		if st&StatusEOF != 0 {
			return 0, io.EOF
		}
		if err := x.Err(); err != nil {
			return 0, err
		}
		if st&StatusRecv == 0 {
			return 0, errClosed
		}
		if err := c.fillLocked(); err != nil && len(x.ApplicationData()) == 0 {
			return 0, err
		}
	}
}

// Write writes application data, after running the handshake if needed.
// It returns once the records are written to the transport.
func (c *Conn) Write(p []byte) (int, error) {
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.writingLocked()()
	total := 0
	for len(p) > 0 {
		if c.closed {
			return total, errClosed
		}
		if c.writeErr != nil {
			return total, c.writeErr
		}
		n, err := c.engine.WriteApplicationData(p)
		if err != nil && err != ErrWriteBufferFull {
			c.flushLocked()
			return total, err
		}
		// Sealed data counts once it is sent.
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
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.writingLocked()()
	return c.controlLocked(c.engine.KeyUpdate)
}

// controlLocked runs a call that queues a control record, making room in
// the Write buffer first if needed, and sends it.
func (c *Conn) controlLocked(call func() error) error {
	err := call()
	if err == ErrWriteBufferFull {
		if ferr := c.flushLocked(); ferr != nil {
			return ferr
		}
		err = call()
	}
	if ferr := c.flushLocked(); err == nil {
		err = ferr
	}
	return err
}

// CloseWrite sends close_notify without closing the transport; the
// server's remaining data can still be read.
func (c *Conn) CloseWrite() error {
	if c.initErr != nil {
		return c.initErr
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.writingLocked()()
	return c.controlLocked(c.engine.Close)
}

// closeNotifyTimeout bounds how long Close waits to send close_notify to a
// server that does not read, when the transport has write deadlines.
const closeNotifyTimeout = 5 * time.Second

// aLongTimeAgo is a deadline in the past, which interrupts blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// Close sends close_notify, unless a Write is blocked on the transport,
// and closes the transport if it is an io.Closer, which unblocks a Read
// or Write in progress; a transport with SetReadDeadline has a blocked
// Read return first, before close_notify goes. Sending close_notify is
// bounded by 5 seconds when the transport has SetWriteDeadline, as with
// crypto/tls. Read and Write return errors afterwards.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errClosed
	}
	c.closed = true
	// A Read blocked on the transport returns now, not after close_notify.
	if d, ok := c.transport.(interface{ SetReadDeadline(time.Time) error }); ok {
		d.SetReadDeadline(aLongTimeAgo)
	}
	var err error
	if c.initErr == nil && !c.flushing {
		done := c.writingLocked()
		err = c.engine.Close()
		if len(c.engine.Output()) > 0 {
			if d, ok := c.transport.(interface{ SetWriteDeadline(time.Time) error }); ok {
				d.SetWriteDeadline(time.Now().Add(closeNotifyTimeout))
			}
			if ferr := c.flushLocked(); err == nil {
				err = ferr
			}
		}
		done()
	}
	c.mu.Unlock()
	if cl, ok := c.transport.(io.Closer); ok {
		if cerr := cl.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// ConnectionState describes the connection.
func (c *Conn) ConnectionState() ConnectionState {
	if c.initErr != nil {
		return ConnectionState{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.engine.ConnectionState()
}

// Engine returns the sans-I/O engine under c, for inspection (State,
// ConnectionState) once c is no longer in use. Driving it directly while
// c is in use breaks c.
func (c *Conn) Engine() *Engine { return c.engine }
