package main

import (
	"bytes"
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/tlsnet"
)

// run connects, sends the request and prints the reply and the summary.
func (o *options) run(stdout, stderr io.Writer) error {
	if o.Insecure {
		fmt.Fprintln(stderr, "tlsclient: WARNING: -insecure: the server's certificate is NOT verified; anyone on the path can impersonate the server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()

	addr := o.connect
	var demo *demoServer
	if addr == "" {
		var err error
		if demo, err = startDemoServer(o.CertFile != ""); err != nil {
			return fmt.Errorf("starting the embedded server: %w", err)
		}
		defer demo.Close()
		addr = demo.Addr
	}
	host, _, _ := net.SplitHostPort(addr)
	serverName := host
	if demo != nil {
		serverName = demoServerName
	}
	if o.ServerNameSet {
		serverName = o.ServerName
	}

	var fallback func(*tls.Config) (string, error)
	if demo != nil {
		fallback = demo.pinVerifier
	}
	cfg, verification, err := o.Flags.Config(serverName, fallback)
	if err != nil {
		return err
	}
	// Keep the chain the server presents, to show it even when the
	// Verifier turns it down.
	seen := &chainRecorder{Verifier: cfg.Verifier}
	if cfg.Verifier != nil {
		cfg.Verifier = seen
	}
	if o.KeyLog != "" {
		f, err := os.OpenFile(o.KeyLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("key log: %w", err)
		}
		defer f.Close()
		cfg.KeyLogWriter = f
		fmt.Fprintf(stderr, "tlsclient: appending the TLS secrets to %s (%s): this connection can be decrypted\n", o.KeyLog, o.KeyLogSource())
	}
	var tr *tracer
	if o.trace {
		tr = &tracer{w: stdout}
		cfg.Trace = tr.event
	}

	// Connect.
	start := time.Now()
	var dialer net.Dialer
	raw, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return timeoutError(err, ctx, "connecting", o.timeout)
	}
	connectTime := time.Since(start)
	wireData := &countingConn{Conn: raw}
	conn := tlsnet.Client(wireData, cfg)
	defer conn.Close()

	// Handshake.
	hsStart := time.Now()
	if tr != nil {
		tr.reset(hsStart)
		fmt.Fprintf(stdout, "trace connected to %s in %s; handshake:\n", addr, ms(connectTime))
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		if text := wireData.plainText(); text != "" {
			return errors.New("the server answered in plain text, not TLS: " + quote(text))
		}
		err = timeoutError(err, ctx, "handshake", o.timeout)
		if !o.quiet {
			// What was settled before the failure.
			sent, recv := wireData.counts()
			s := summary{addr: addr, state: conn.ConnectionState(), verification: verification,
				connectTime: connectTime, hsTime: time.Since(hsStart), hsSent: sent, hsRecv: recv,
				now: time.Now(), failed: err, chain: seen.chain}
			s.print(stdout)
		}
		return err
	}
	hsTime := time.Since(hsStart)
	hsSent, hsRecv := wireData.counts()
	state := conn.ConnectionState()
	if o.interactive {
		return o.interact(conn, stdout)
	}

	// Request and reply.
	request := o.request
	if !o.requestSet {
		request = "GET / HTTP/1.0\r\nHost: " + hostHeader(serverName, addr) + "\r\n\r\n"
	}
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	out := stdout
	if !o.quiet {
		out = &headerWriter{w: stdout, header: "--- reply from " + addr + " ---\n"}
	}
	if request != "" {
		if _, err := io.WriteString(conn, request); err != nil {
			return timeoutError(err, ctx, "sending the request", o.timeout)
		}
	}
	reply, ending, err := copyReply(out, conn, o.idle)
	if err != nil {
		return timeoutError(err, ctx, "reading the reply", o.timeout)
	}
	conn.SetDeadline(time.Now().Add(time.Second))
	conn.Close()
	if o.quiet {
		return nil
	}
	if reply.n == 0 {
		io.WriteString(out, "(no reply)\n")
	} else if reply.last != '\n' {
		fmt.Fprintln(stdout)
	}
	sent, recv := wireData.counts()
	s := summary{
		addr:         addr,
		state:        state,
		verification: verification,
		connectTime:  connectTime,
		hsTime:       hsTime,
		hsSent:       hsSent,
		hsRecv:       hsRecv,
		sent:         sent,
		recv:         recv,
		replyBytes:   reply.n,
		ending:       ending,
		now:          time.Now(),
	}
	s.print(stdout)
	return nil
}

// pinVerifier pins the embedded server's key: the verifier when no flag
// chose one.
func (d *demoServer) pinVerifier(cfg *tls.Config) (string, error) {
	pin, err := tls.PinFromCertificate(d.CertDER)
	if err != nil {
		return "", err
	}
	v, err := tls.NewPinVerifier(pin)
	if err != nil {
		return "", err
	}
	cfg.Verifier = v
	return "public key pin of the embedded server's fresh key, " + pin, nil
}

func nameOrNone(s string) string {
	if s == "" {
		return "(no name)"
	}
	return s
}

// hostHeader is the Host of the default request: the server name, or the
// host of addr.
func hostHeader(serverName, addr string) string {
	if serverName != "" {
		return serverName
	}
	host, _, _ := net.SplitHostPort(addr)
	return host
}

// replyInfo is what copyReply saw.
type replyInfo struct {
	n    int64
	last byte
}

// copyReply copies application data to w until the server closes or,
// once the reply has begun, is silent for idle (if not 0): an echo server
// or an HTTP/1.1 server keeps the connection open. It returns how the
// reply ended; a timeout after some data is an ending, not an error.
func copyReply(w io.Writer, conn *tlsnet.Conn, idle time.Duration) (replyInfo, string, error) {
	var info replyInfo
	buf := make([]byte, 32<<10)
	deadline, _ := deadlineOf(conn)
	idled := false
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			info.n += int64(n)
			info.last = buf[n-1]
			if _, werr := w.Write(buf[:n]); werr != nil {
				return info, "", werr
			}
			if idle > 0 {
				// The earlier of -idle from now and the -timeout deadline.
				d := time.Now().Add(idle)
				idled = deadline.IsZero() || d.Before(deadline)
				if !idled {
					d = deadline
				}
				conn.SetReadDeadline(d)
			}
		}
		switch {
		case err == nil:
			continue
		case err == io.EOF:
			return info, "server sent close_notify", nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return info, "server closed TCP without close_notify (a truncation attack would look the same)", nil
		case isTimeout(err) && info.n > 0 && idled:
			return info, fmt.Sprintf("the server sent nothing more for %v (-idle); it did not close", idle), nil
		case isTimeout(err) && info.n > 0:
			return info, "timed out waiting for more; the server did not close", nil
		}
		return info, "", err
	}
}

// deadlineOf is the deadline run set on conn (the -timeout one).
func deadlineOf(conn *tlsnet.Conn) (time.Time, bool) {
	if dc, ok := conn.NetConn().(*countingConn); ok {
		return dc.deadline, !dc.deadline.IsZero()
	}
	return time.Time{}, false
}

// interact is -interactive: stdin to the server, the server's data to
// stdout. At the end of stdin the client sends close_notify and reads on
// until the server closes too (§6.1).
func (o *options) interact(conn *tlsnet.Conn, stdout io.Writer) error {
	conn.SetDeadline(time.Time{}) // -timeout was for connecting and the handshake
	sendErr := make(chan error, 1)
	go func() {
		_, err := io.Copy(conn, o.stdin)
		if err == nil {
			err = conn.CloseWrite()
		}
		sendErr <- err
	}()
	_, _, err := copyReply(stdout, conn, 0)
	conn.Close()
	if err != nil {
		return err
	}
	select {
	case err := <-sendErr:
		return err
	default: // the server closed first; stdin is not read further
		return nil
	}
}

// chainRecorder passes the server's chain on to a Verifier, keeping a copy.
type chainRecorder struct {
	tls.Verifier
	chain [][]byte
}

func (r *chainRecorder) Verify(serverName string, chain [][]byte) (crypto.PublicKey, error) {
	for _, der := range chain {
		r.chain = append(r.chain, bytes.Clone(der))
	}
	return r.Verifier.Verify(serverName, chain)
}

// headerWriter writes a header before the first octets written through it.
type headerWriter struct {
	w      io.Writer
	header string
	done   bool
}

func (h *headerWriter) Write(p []byte) (int, error) {
	if !h.done {
		h.done = true
		if _, err := io.WriteString(h.w, h.header); err != nil {
			return 0, err
		}
	}
	return h.w.Write(p)
}

// countingConn counts the octets on the wire, and keeps the first ones
// received to recognize a server that does not speak TLS.
type countingConn struct {
	net.Conn
	sent, recv atomic.Int64
	mu         sync.Mutex
	head       []byte
	deadline   time.Time
}

const headLen = 200

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.recv.Add(int64(n))
	c.mu.Lock()
	if len(c.head) < headLen {
		c.head = append(c.head, p[:min(n, headLen-len(c.head))]...)
	}
	c.mu.Unlock()
	return n, err
}

func (c *countingConn) SetDeadline(t time.Time) error {
	c.deadline = t
	return c.Conn.SetDeadline(t)
}

// plainText is the first line the server sent if it is text rather than
// a TLS record, reading a little more to complete it; "" otherwise.
func (c *countingConn) plainText() string {
	c.mu.Lock()
	head := bytes.Clone(c.head)
	c.mu.Unlock()
	// A TLS record starts with a content type of 20 to 23 and a version
	// whose first octet is 3: no text does.
	if len(head) == 0 || !isText(head[:1]) {
		return ""
	}
	if i := bytes.IndexByte(head, '\n'); i < 0 && len(head) < headLen {
		c.Conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		buf := make([]byte, headLen-len(head))
		for len(head) < headLen && bytes.IndexByte(head, '\n') < 0 {
			n, err := c.Conn.Read(buf[:headLen-len(head)])
			head = append(head, buf[:n]...)
			if err != nil {
				break
			}
		}
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	if !isText(line) {
		return ""
	}
	return string(line)
}

func isText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' || c > 0x7e {
			return false
		}
	}
	return true
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.sent.Add(int64(n))
	return n, err
}

func (c *countingConn) counts() (sent, recv int64) { return c.sent.Load(), c.recv.Load() }

// tracer prints Config.Trace events, each with the time since the one
// before.
type tracer struct {
	mu   sync.Mutex
	w    io.Writer
	last time.Time
}

func (t *tracer) reset(now time.Time) {
	t.mu.Lock()
	t.last = now
	t.mu.Unlock()
}

func (t *tracer) event(ev tls.TraceEvent) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	step := now.Sub(t.last)
	if t.last.IsZero() {
		step = 0
	}
	t.last = now
	fmt.Fprintf(t.w, "trace %10s  %s\n", "+"+ms(step), describeEvent(ev))
}

// describeEvent is one line for a trace event.
func describeEvent(ev tls.TraceEvent) string {
	switch ev.Kind {
	case tls.TraceTransition:
		var ae *tls.AlertError
		switch {
		case errors.As(ev.Err, &ae) && ae.Received:
			return fmt.Sprintf("%s --alert %s received--> %s", ev.From, ae.Alert, ev.To)
		case errors.As(ev.Err, &ae):
			// The client found the error: not an alert from the server.
			return fmt.Sprintf("%s --local error, alert %s sent--> %s: %s", ev.From, ae.Alert, ev.To, ev.Err)
		case ev.Err != nil:
			return fmt.Sprintf("%s --local error--> %s: %s", ev.From, ev.To, ev.Err)
		}
		return fmt.Sprintf("%s --%s--> %s", ev.From, ev.Event, ev.To)
	case tls.TraceRecordIn, tls.TraceRecordOut:
		dir := "<<<"
		if ev.Kind == tls.TraceRecordOut {
			dir = ">>>"
		}
		s := fmt.Sprintf("%s record %s, %d bytes", dir, wire.ContentType(ev.ContentType), ev.Length)
		if ev.Encrypted && ev.ContentType == uint8(wire.ContentTypeApplicationData) {
			s += " (encrypted)"
		}
		return s
	case tls.TraceHandshakeIn:
		return fmt.Sprintf("<<< handshake %s, %d bytes", wire.HandshakeType(ev.HandshakeType), ev.Length)
	case tls.TraceHandshakeOut:
		return fmt.Sprintf(">>> handshake %s, %d bytes", wire.HandshakeType(ev.HandshakeType), ev.Length)
	}
	return fmt.Sprintf("event %d", ev.Kind)
}

// ms formats d in milliseconds with microsecond precision.
func ms(d time.Duration) string {
	return fmt.Sprintf("%.3fms", float64(d)/float64(time.Millisecond))
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// timeoutError turns the errors of a deadline into a sentence naming the
// step that ran out of time.
func timeoutError(err error, ctx context.Context, step string, limit time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) || (isTimeout(err) && ctx.Err() != nil) {
		return fmt.Errorf("%s: timed out after %v (-timeout)", step, limit)
	}
	return err
}

// printError writes err as one line.
func printError(w io.Writer, err error) {
	msg := err.Error()
	var ae *tls.AlertError
	if errors.As(err, &ae) && !ae.Received && ae.Alert != tls.AlertInternalError {
		msg += " (sent alert " + ae.Alert.String() + ")"
	}
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", "; ")), " ")
	fmt.Fprintln(w, "tlsclient: "+msg)
}
