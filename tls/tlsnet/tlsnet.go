// Package tlsnet adapts the tabletls client to package net: its Conn is a
// net.Conn, so it plugs into net/http, net/rpc, gRPC dialers and the like.
//
// It is a separate package because package tls does not import net (a
// device with its own network stack drives tls.Conn over any
// io.ReadWriter, or the sans-I/O tls.Engine, without linking net).
//
// Deadlines are those of the underlying net.Conn: Set*Deadline pass
// straight through, and a Read or Write that runs into one returns the
// underlying timeout error (a net.Error whose Timeout() is true). A read
// timeout leaves the connection usable, as with a plain net.Conn: a
// partly received record stays buffered. A write timeout ends writing, as
// in crypto/tls (part of a record may be on the wire): every later Write
// returns the same error, but Read goes on and returns what the server
// sends.
package tlsnet

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/tabletls/tabletls/tls"
	// Desktop and server programs get everything in tls.DefaultCrypto.
	_ "github.com/tabletls/tabletls/tls/ed25519sig"
	_ "github.com/tabletls/tabletls/tls/hybrid"
	_ "github.com/tabletls/tabletls/tls/rsapss"
)

// Conn is a TLS 1.3 client connection over a net.Conn. It implements
// net.Conn. One goroutine may Read while another Writes.
type Conn struct {
	tls *tls.Conn
	raw net.Conn
}

var _ net.Conn = (*Conn)(nil)

// Client returns a TLS client connection over conn, with buffers allocated
// once by package tls (see tls.Client). config must not be modified after
// the call. The handshake runs on the first Read or Write, or on
// Handshake.
func Client(conn net.Conn, config *tls.Config) *Conn {
	return &Conn{tls: tls.Client(conn, config), raw: conn}
}

// ClientWithBuffers is Client with caller-owned buffers (see
// tls.ClientWithBuffers). Unlike tls.ClientWithBuffers, a nil
// config.Crypto means tls.DefaultCrypto, as in Client: a program that uses
// package net is not one that counts bytes of flash.
func ClientWithBuffers(conn net.Conn, config *tls.Config, b tls.Buffers) *Conn {
	if config != nil && config.Crypto == nil {
		c := *config
		c.Crypto = tls.DefaultCrypto()
		config = &c
	}
	return &Conn{tls: tls.ClientWithBuffers(conn, config, b), raw: conn}
}

// Dial connects to addr on the named network and runs the handshake. If
// config.ServerName is empty, it is set, in a copy of config, to the host
// of addr. The socket is closed if the handshake fails.
func Dial(network, addr string, config *tls.Config) (*Conn, error) {
	return DialContext(context.Background(), nil, network, addr, config)
}

// DialContext is Dial with a context and a net.Dialer (nil means the zero
// Dialer). The context, and the Dialer's Timeout and Deadline, bound both
// the connection and the handshake; once DialContext has returned, the
// context no longer affects the connection.
func DialContext(ctx context.Context, dialer *net.Dialer, network, addr string, config *tls.Config) (*Conn, error) {
	if config == nil {
		return nil, errors.New("tlsnet: nil tls.Config")
	}
	if dialer == nil {
		dialer = new(net.Dialer)
	}
	if dialer.Timeout != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, dialer.Timeout)
		defer cancel()
	}
	if !dialer.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dialer.Deadline)
		defer cancel()
	}
	if config.ServerName == "" {
		host, err := hostOf(addr)
		if err != nil {
			return nil, err
		}
		c := *config // a Config must not change once in use: copy it
		c.ServerName = host
		config = &c
	}
	raw, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	conn := Client(raw, config)
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}

// hostOf returns the host of addr ("host:port"), without the brackets of
// an IPv6 literal.
func hostOf(addr string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		// No port: the whole of addr is the host, as crypto/tls does.
		if i := strings.LastIndex(addr, ":"); i < 0 || strings.HasPrefix(addr, "[") {
			return strings.Trim(addr, "[]"), nil
		}
		return "", err
	}
	return host, nil
}

// Dialer dials TLS connections. Its DialContext method has the signature
// of net/http's Transport.DialTLSContext.
type Dialer struct {
	// NetDialer is used for the TCP connection; nil means the zero
	// net.Dialer.
	NetDialer *net.Dialer
	// Config is the TLS configuration; ServerName is filled in from the
	// address when it is empty.
	Config *tls.Config
}

// Dial is DialContext with context.Background.
func (d *Dialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

// DialContext connects to addr and runs the handshake. The returned
// net.Conn is a *Conn.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := DialContext(ctx, d.NetDialer, network, addr, d.Config)
	if err != nil {
		return nil, err // not a typed nil *Conn in a non-nil net.Conn
	}
	return c, nil
}

// Handshake runs the handshake if it has not run yet. Read and Write run
// it on their own; calling it first separates handshake errors from I/O
// errors.
func (c *Conn) Handshake() error { return netError(c.tls.Handshake()) }

// HandshakeContext is Handshake bounded by ctx: the context's deadline
// becomes the connection's deadline for the handshake, and cancelling ctx
// interrupts it. Any deadline set before is replaced, and none is left
// behind after it returns. If ctx ends first, the error is ctx.Err().
func (c *Conn) HandshakeContext(ctx context.Context) error {
	if ctx.Done() == nil {
		return c.tls.Handshake()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok {
		if err := c.raw.SetDeadline(d); err != nil {
			return err
		}
	}
	stop := make(chan struct{})
	interrupted := make(chan bool, 1)
	go func() {
		select {
		case <-ctx.Done():
			c.raw.SetDeadline(aLongTimeAgo) // wake up blocked I/O
			interrupted <- true
		case <-stop:
			interrupted <- false
		}
	}()
	err := c.tls.Handshake()
	close(stop)
	if <-interrupted && err != nil {
		err = ctx.Err()
	} else if isTimeout(err) {
		// The connection's deadline, which is the context's, may pass
		// a moment before the context notices.
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			err = context.DeadlineExceeded
		}
	}
	// Clear the deadline, after the goroutine can no longer set its own.
	c.raw.SetDeadline(time.Time{})
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// aLongTimeAgo is a deadline in the past, which interrupts blocked I/O.
var aLongTimeAgo = time.Unix(1, 0)

// Read reads application data, running the handshake first if needed. It
// returns io.EOF after the server's close_notify.
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.tls.Read(b)
	return n, netError(err)
}

// Write writes application data, running the handshake first if needed.
// After Close it returns an error matching net.ErrClosed, as net.Conn's
// Write does, and tls.ErrClosed.
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.tls.Write(b)
	return n, netError(err)
}

// closedError is tls.ErrClosed as package net says it: errors.Is finds
// both net.ErrClosed and tls.ErrClosed.
type closedError struct{ err error }

func (e *closedError) Error() string   { return e.err.Error() }
func (e *closedError) Unwrap() []error { return []error{e.err, net.ErrClosed} }

// netError makes the use of a closed connection match net.ErrClosed.
func netError(err error) error {
	if err != nil && errors.Is(err, tls.ErrClosed) && !errors.Is(err, net.ErrClosed) {
		return &closedError{err}
	}
	return err
}

// Close sends close_notify, if it can, and closes the underlying
// connection (see tls.Conn.Close): a Read or Write blocked in another
// goroutine returns at once. Sending close_notify may take up to 5 seconds
// when the server does not read.
func (c *Conn) Close() error {
	err := c.tls.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// CloseWrite sends close_notify and leaves the underlying connection open,
// so the server's remaining data can still be read. Unlike
// net.TCPConn.CloseWrite, it does not shut down the TCP write side.
func (c *Conn) CloseWrite() error { return netError(c.tls.CloseWrite()) }

// KeyUpdate updates the write key and asks the server to update its own
// (RFC 8446, Section 4.6.3).
func (c *Conn) KeyUpdate() error { return netError(c.tls.KeyUpdate()) }

// ConnectionState describes the connection: what the handshake settled on
// and the server's certificates.
func (c *Conn) ConnectionState() tls.ConnectionState { return c.tls.ConnectionState() }

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// SetDeadline sets the read and write deadlines of the underlying
// connection.
func (c *Conn) SetDeadline(t time.Time) error { return c.raw.SetDeadline(t) }

// SetReadDeadline sets the read deadline of the underlying connection.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.raw.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline of the underlying connection.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.raw.SetWriteDeadline(t) }

// NetConn returns the underlying connection. Reading or writing it
// directly corrupts the TLS stream.
func (c *Conn) NetConn() net.Conn { return c.raw }

// TLSConn returns the tls.Conn under c, e.g. for its Engine.
func (c *Conn) TLSConn() *tls.Conn { return c.tls }
