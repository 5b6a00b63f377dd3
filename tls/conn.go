package tls

import (
	"io"
	"sync"
	"time"
)

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

// Client returns a client connection over transport, with PooledBuffers
// (none held when idle; MaxHandshakeIn 256 KiB). The handshake runs on the
// first Read, Write or Handshake. A nil config.Crypto means DefaultCrypto;
// an invalid config is a *ConfigError from the first call.
func Client(transport io.ReadWriter, config *Config) *Conn {
	c := &Conn{transport: transport}
	c.engine = &c.own
	if config != nil && config.Crypto == nil {
		// A copy, as the caller's Config may be shared and is not ours
		// to change.
		withDefault := *config
		withDefault.Crypto = clientCrypto()
		config = &withDefault
	}
	c.initErr = c.own.Init(config, PooledBuffers())
	c.flushed.L = &c.mu
	return c
}

// clientCrypto is the DefaultCrypto of every Client: made once, as it is
// only read, rather than held by each connection. (Made in a function
// only Client calls, so that a program without Client links none of it.)
func clientCrypto() *Crypto {
	clientCryptoOnce.Do(func() { clientCryptoValue = DefaultCrypto() })
	return clientCryptoValue
}

var (
	clientCryptoOnce  sync.Once
	clientCryptoValue *Crypto
)

// ClientWithBuffers is Client with caller-owned buffers and exactly the
// cryptography of config.Crypto, which must be set. Read and Write
// allocate nothing; a key change makes, per direction, a new HMAC (3
// allocations) and AEAD (AES-GCM 2, ChaCha20-Poly1305 1).
func ClientWithBuffers(transport io.ReadWriter, config *Config, buffers Buffers) *Conn {
	c := &Conn{transport: transport}
	c.engine = &c.own
	c.initErr = c.own.Init(config, buffers)
	c.flushed.L = &c.mu
	return c
}

// NewConn returns a connection that drives an Engine the caller made with
// NewEngine, over transport. From then on only the Conn may use it.
func NewConn(transport io.ReadWriter, e *Engine) *Conn {
	c := &Conn{transport: transport}
	c.engine = e
	c.flushed.L = &c.mu
	return c
}

func configCrypto(config *Config) *Crypto {
	if config == nil {
		return nil
	}
	return config.Crypto
}

// HandshakeWithEarlyData is Handshake sending data as 0-RTT early data (RFC
// 8446 §2.3); see Engine.SetEarlyData and ConnectionState.EarlyDataAccepted.
func (c *Conn) HandshakeWithEarlyData(data []byte) error {
	if err := c.SetEarlyData(data); err != nil {
		return err
	}
	return c.Handshake()
}

// SetEarlyData is HandshakeWithEarlyData for a handshake run otherwise
// (tlsnet's HandshakeContext, or the first Read or Write).
func (c *Conn) SetEarlyData(data []byte) error {
	if c.initErr != nil {
		return c.initErr
	}
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.engine.SetEarlyData(data)
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
