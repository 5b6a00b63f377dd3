package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/tlsnet"
)

// gateway accepts plain TCP connections on each route's listener and
// forwards each one over its own TLS connection to the route's upstream.
type gateway struct {
	log   *slog.Logger
	drain time.Duration // how long open connections may run after a signal

	quit chan struct{} // closed when shutdown starts: stop accepting
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns map[*proxy]struct{}
}

func newGateway(log *slog.Logger, drain time.Duration) *gateway {
	return &gateway{log: log, drain: drain, quit: make(chan struct{}), conns: map[*proxy]struct{}{}}
}

// serve runs the accept loops until the first signal on stop, then lets the
// open connections finish for up to g.drain (or until a second signal) and
// closes those still open.
func (g *gateway) serve(routes []*route, lns []net.Listener, stop <-chan os.Signal) {
	var accepting sync.WaitGroup
	for i, r := range routes {
		accepting.Add(1)
		go func() {
			defer accepting.Done()
			g.acceptLoop(r, lns[i])
		}()
	}
	sig := <-stop
	close(g.quit)
	for _, ln := range lns {
		ln.Close()
	}
	accepting.Wait()
	g.log.Info("shutting down: no new connections, draining the open ones",
		"signal", sig.String(), "open", g.open(), "drain_timeout", g.drain)

	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	timer := time.NewTimer(g.drain)
	defer timer.Stop()
	select {
	case <-done:
		g.log.Info("stopped: every connection ended", "signal", sig.String())
		return
	case <-timer.C:
		g.closeAll(fmt.Sprintf("shutdown: still open after the drain timeout (%v)", g.drain))
	case sig := <-stop:
		g.closeAll("shutdown: second signal (" + sig.String() + ")")
	}
	<-done
	g.log.Info("stopped", "signal", sig.String())
}

// acceptLoop accepts the route's connections until the listener closes,
// holding at most r.maxConns open: beyond that, devices wait in the
// kernel's listen backlog, as with HAProxy's maxconn.
func (g *gateway) acceptLoop(r *route, ln net.Listener) {
	slots := make(chan struct{}, r.maxConns)
	for {
		select {
		case slots <- struct{}{}:
		case <-g.quit:
			return
		default:
			g.log.Warn("connection limit reached: new connections wait until one closes",
				"route", r.name, "max_conns", r.maxConns)
			select {
			case slots <- struct{}{}:
			case <-g.quit:
				return
			}
		}
		c, err := ln.Accept()
		if err != nil {
			<-slots
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and the like: wait rather than spin.
			g.log.Error("accept failed", "route", r.name, "error", err)
			select {
			case <-time.After(100 * time.Millisecond):
			case <-g.quit:
				return
			}
			continue
		}
		p := g.add(r, c)
		if p == nil {
			<-slots
			continue
		}
		go func() {
			defer func() { <-slots }()
			p.run()
		}()
	}
}

// add registers a new connection, or closes it if shutdown has started.
func (g *gateway) add(r *route, c net.Conn) *proxy {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.quit:
		c.Close()
		return nil
	default:
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &proxy{g: g, r: r, dev: c, ctx: ctx, cancel: cancel, start: time.Now(), downDone: make(chan struct{})}
	p.touch()
	g.conns[p] = struct{}{}
	g.wg.Add(1)
	return p
}

func (g *gateway) remove(p *proxy) {
	g.mu.Lock()
	delete(g.conns, p)
	g.mu.Unlock()
	g.wg.Done()
}

func (g *gateway) open() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.conns)
}

func (g *gateway) closeAll(why string) {
	g.mu.Lock()
	ps := make([]*proxy, 0, len(g.conns))
	for p := range g.conns {
		ps = append(ps, p)
	}
	g.mu.Unlock()
	for _, p := range ps {
		p.abort(why, nil, false)
	}
}

// proxy is one device connection and its upstream TLS connection.
type proxy struct {
	g   *gateway
	r   *route
	dev net.Conn

	ctx    context.Context // cancelled by abort, to interrupt the dial and handshake
	cancel context.CancelFunc
	start  time.Time
	last   atomic.Int64 // time of the last data in either direction, UnixNano

	bytesUp, bytesDown atomic.Int64  // plaintext, device→upstream and upstream→device
	downDone           chan struct{} // closed when copyDown returns

	mu       sync.Mutex
	raw      net.Conn      // upstream TCP, once dialled
	up       *tlsnet.Conn  // upstream TLS, once dialled
	dialTime time.Duration // the upstream TCP connect
	hsTime   time.Duration // the TLS handshake
	state    tls.ConnectionState
	end      string // why it ended; the first reason wins
	err      error
	aborted  bool
	finished []string // sides whose clean close was passed on, in order
}

// copyBufferSize is the buffer of each direction: two full TLS records.
const copyBufferSize = 32 << 10

func (p *proxy) run() {
	defer p.g.remove(p)
	defer p.cancel()
	if p.connect() {
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.copyUp()
		}()
		p.copyDown()
		close(p.downDone)
		wg.Wait()
	}
	p.dev.Close()
	p.mu.Lock()
	if p.raw != nil {
		p.raw.Close() // close_notify went out with the device's FIN, or the end was not clean
	}
	p.mu.Unlock()
	p.logEnd()
}

// connect dials the upstream and runs the handshake, within the route's
// handshake timeout. On failure the device's connection is closed.
func (p *proxy) connect() bool {
	ctx, cancel := context.WithTimeout(p.ctx, p.r.handshakeTimeout)
	defer cancel()
	start := time.Now()
	var d net.Dialer
	raw, err := d.DialContext(ctx, "tcp", p.r.connect)
	if err != nil {
		p.abort("upstream connect failed", p.timeoutError(ctx, err), false)
		return false
	}
	up := tlsnet.Client(raw, p.r.config)
	p.mu.Lock()
	p.raw, p.up = raw, up
	p.dialTime = time.Since(start)
	aborted := p.aborted
	p.mu.Unlock()
	if aborted { // shutdown came during the dial
		return false
	}
	hsStart := time.Now()
	err = up.HandshakeContext(ctx)
	p.mu.Lock()
	p.hsTime = time.Since(hsStart)
	p.state = up.ConnectionState()
	p.mu.Unlock()
	if err != nil {
		p.abort("upstream handshake failed", p.timeoutError(ctx, err), false)
		return false
	}
	return true
}

// timeoutError names the limit that ctx's deadline stands for.
func (p *proxy) timeoutError(ctx context.Context, err error) error {
	// The connection's deadline, which is ctx's, may pass a moment before
	// ctx notices: either says the time is up.
	timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded)
	if timedOut && p.ctx.Err() == nil {
		return fmt.Errorf("timed out after %v (-handshake-timeout)", p.r.handshakeTimeout)
	}
	return err
}

// copyUp copies device → upstream. The device's FIN becomes close_notify.
func (p *proxy) copyUp() {
	buf := make([]byte, copyBufferSize)
	for {
		p.dev.SetReadDeadline(p.idleDeadline())
		n, err := p.dev.Read(buf)
		if n > 0 {
			p.touch()
			p.up.SetWriteDeadline(time.Now().Add(p.r.idleTimeout))
			if _, werr := p.up.Write(buf[:n]); werr != nil {
				// A server that sent an alert and closed breaks our
				// write too; the alert, in the other direction, says
				// more. Give that direction a moment to read it.
				select {
				case <-p.downDone:
				case <-time.After(time.Second):
				}
				p.abort("upstream write failed", werr, true)
				return
			}
			p.bytesUp.Add(int64(n))
		}
		switch {
		case err == nil:
		case err == io.EOF:
			p.finish("device") // before the other side can see it
			p.up.SetWriteDeadline(time.Now().Add(p.r.idleTimeout))
			if err := p.up.CloseWrite(); err != nil {
				p.abort("upstream write failed", err, true)
			}
			return
		case isTimeout(err) && !p.idle():
		case isTimeout(err):
			p.abort(fmt.Sprintf("idle timeout (%v)", p.r.idleTimeout), nil, false)
			return
		default:
			p.abort("device connection failed", err, false)
			return
		}
	}
}

// copyDown copies upstream → device. close_notify becomes a FIN; an
// upstream that fails or closes TCP without close_notify gets the device's
// connection reset, so the device cannot take a truncated reply for a
// complete one.
func (p *proxy) copyDown() {
	buf := make([]byte, copyBufferSize)
	for {
		p.up.SetReadDeadline(p.idleDeadline())
		n, err := p.up.Read(buf)
		if n > 0 {
			p.touch()
			p.dev.SetWriteDeadline(time.Now().Add(p.r.idleTimeout))
			if _, werr := p.dev.Write(buf[:n]); werr != nil {
				p.abort("device connection failed", werr, false)
				return
			}
			p.bytesDown.Add(int64(n))
		}
		switch {
		case err == nil:
		case err == io.EOF:
			p.finish("upstream") // before the other side can see it
			if cw, ok := p.dev.(interface{ CloseWrite() error }); ok {
				if err := cw.CloseWrite(); err != nil {
					p.abort("device connection failed", err, false)
				}
			}
			return
		case isTimeout(err) && !p.idle():
		case isTimeout(err):
			p.abort(fmt.Sprintf("idle timeout (%v)", p.r.idleTimeout), nil, false)
			return
		case isReceivedAlert(err) && p.bytesDown.Load() == 0:
			// A TLS 1.3 client's handshake is done when it sends
			// Finished, so a server that rejects the client's
			// certificate says so in an alert after that (§4.4.2.4).
			p.abort("upstream handshake failed", err, false)
			return
		case errors.Is(err, io.ErrUnexpectedEOF):
			p.abort("upstream closed TCP without close_notify (truncation)", err, true)
			return
		default:
			p.abort("upstream connection failed", err, true)
			return
		}
	}
}

func (p *proxy) touch() { p.last.Store(time.Now().UnixNano()) }

// idleDeadline is when the connection turns idle if nothing moves.
func (p *proxy) idleDeadline() time.Time {
	return time.Unix(0, p.last.Load()).Add(p.r.idleTimeout)
}

func (p *proxy) idle() bool { return !time.Now().Before(p.idleDeadline()) }

// finish records that side closed cleanly and its close was passed on.
func (p *proxy) finish(side string) {
	p.mu.Lock()
	p.finished = append(p.finished, side)
	p.mu.Unlock()
}

// abort ends the connection early and records why (the first reason
// wins). It closes both sockets so that both copy loops return: the
// upstream without close_notify, since the end is not a clean one; the
// device's with a reset if resetDevice.
func (p *proxy) abort(end string, err error, resetDevice bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.aborted {
		return
	}
	p.aborted = true
	p.end, p.err = end, err
	p.cancel()
	if tc, ok := p.dev.(*net.TCPConn); ok && resetDevice {
		tc.SetLinger(0)
	}
	p.dev.Close()
	if p.raw != nil {
		p.raw.Close()
	}
}

// logEnd writes the connection's one log line.
func (p *proxy) logEnd() {
	p.mu.Lock()
	defer p.mu.Unlock()
	end, level := p.end, slog.LevelInfo
	switch {
	case p.aborted && p.err != nil:
		level = slog.LevelWarn
	case !p.aborted && len(p.finished) == 2:
		end = p.finished[0] + " closed first, then " + p.finished[1]
	}
	attrs := []slog.Attr{
		slog.String("route", p.r.name),
		slog.String("device", p.dev.RemoteAddr().String()),
		slog.String("upstream", p.r.connect),
	}
	if p.raw != nil {
		attrs = append(attrs, slog.String("upstream_addr", p.raw.RemoteAddr().String()))
	}
	if p.state.HandshakeComplete {
		attrs = append(attrs,
			slog.String("suite", tls.CipherSuiteName(p.state.CipherSuite)),
			slog.String("group", p.state.CurveID.String()))
		if p.state.NegotiatedProtocol != "" {
			attrs = append(attrs, slog.String("alpn", p.state.NegotiatedProtocol))
		}
		attrs = append(attrs, slog.Bool("client_cert", p.state.ClientCertificateSent))
	}
	if p.dialTime > 0 {
		attrs = append(attrs, slog.Duration("connect", p.dialTime))
	}
	if p.hsTime > 0 {
		attrs = append(attrs, slog.Duration("handshake", p.hsTime))
	}
	attrs = append(attrs,
		slog.Int64("bytes_up", p.bytesUp.Load()),
		slog.Int64("bytes_down", p.bytesDown.Load()),
		slog.Duration("duration", time.Since(p.start)),
		slog.String("end", end))
	if p.err != nil {
		attrs = append(attrs, slog.String("error", describeError(p.err)))
	}
	p.g.log.LogAttrs(context.Background(), level, "connection", attrs...)
}

// describeError is err with the alert, when one was sent, named.
func describeError(err error) string {
	msg := err.Error()
	var ae *tls.AlertError
	if errors.As(err, &ae) && !ae.Received && ae.Alert != tls.AlertInternalError {
		msg += " (sent alert " + ae.Alert.String() + ")"
	}
	return msg
}

func isReceivedAlert(err error) bool {
	var ae *tls.AlertError
	return errors.As(err, &ae) && ae.Received
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
