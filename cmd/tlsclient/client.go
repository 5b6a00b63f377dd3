package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tabletls/tabletls/tls"
	_ "github.com/tabletls/tabletls/tls/ed25519sig"
	_ "github.com/tabletls/tabletls/tls/hybrid"
	_ "github.com/tabletls/tabletls/tls/rsapss"
	"github.com/tabletls/tabletls/tls/tlsnet"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// run connects, sends the request and prints the reply and the summary.
func (o *options) run(stdout, stderr io.Writer) error {
	if o.insecure {
		fmt.Fprintln(stderr, "tlsclient: WARNING: -insecure: the server's certificate is NOT verified; anyone on the path can impersonate the server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()

	addr := o.connect
	var demo *demoServer
	if addr == "" {
		var err error
		if demo, err = startDemoServer(o.certFile != ""); err != nil {
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
	if o.serverNameOK {
		serverName = o.serverName
	}

	cfg := &tls.Config{
		ServerName:       serverName,
		NextProtos:       o.alpn,
		CipherSuites:     o.suites,
		CurvePreferences: o.groups,
		KeyShares:        o.keyShares,
		Crypto:           tls.DefaultCrypto(),
	}
	verification, err := o.setVerifier(cfg, demo)
	if err != nil {
		return err
	}
	if o.certFile != "" {
		cert, err := loadClientCertificate(o.certFile, o.keyFile)
		if err != nil {
			return err
		}
		cfg.Certificates = []tls.ClientCertificate{cert}
	}
	if o.keyLog != "" {
		f, err := os.OpenFile(o.keyLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("key log: %w", err)
		}
		defer f.Close()
		cfg.KeyLogWriter = f
		from := "-keylog"
		if o.keyLogEnv {
			from = "SSLKEYLOGFILE"
		}
		fmt.Fprintf(stderr, "tlsclient: appending the TLS secrets to %s (%s): this connection can be decrypted\n", o.keyLog, from)
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
	wire := &countingConn{Conn: raw}
	conn := tlsnet.Client(wire, cfg)
	defer conn.Close()

	// Handshake.
	hsStart := time.Now()
	if tr != nil {
		tr.reset(hsStart)
		fmt.Fprintf(stdout, "trace connected to %s in %s; handshake:\n", addr, ms(connectTime))
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		return timeoutError(err, ctx, "handshake", o.timeout)
	}
	hsTime := time.Since(hsStart)
	hsSent, hsRecv := wire.counts()
	state := conn.ConnectionState()

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
	reply, ending, err := copyReply(out, conn)
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
	sent, recv := wire.counts()
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

// setVerifier chooses how the server is authenticated and describes it.
func (o *options) setVerifier(cfg *tls.Config, demo *demoServer) (string, error) {
	switch {
	case o.insecure:
		cfg.InsecureSkipVerify = true
		return "NONE (-insecure): the server was not authenticated", nil
	case len(o.pins) > 0:
		v, err := tls.NewPinVerifier(o.pins...)
		if err != nil {
			return "", &usageError{strings.TrimPrefix(err.Error(), "tls: ")}
		}
		cfg.Verifier = v
		return fmt.Sprintf("public key pin (%d given); chain and name not checked", len(o.pins)), nil
	case o.caFile != "":
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return "", fmt.Errorf("-ca: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return "", fmt.Errorf("-ca %s: no PEM certificates in it", o.caFile)
		}
		cfg.Verifier = x509verify.New(x509verify.Options{Roots: roots})
		return "X.509 chain to the roots in " + o.caFile + ", for " + nameOrNone(cfg.ServerName), nil
	case demo != nil:
		pin, err := tls.PinFromCertificate(demo.CertDER)
		if err != nil {
			return "", err
		}
		v, err := tls.NewPinVerifier(pin)
		if err != nil {
			return "", err
		}
		cfg.Verifier = v
		return "public key pin of the embedded server's fresh key, " + pin, nil
	default:
		cfg.Verifier = x509verify.New(x509verify.Options{})
		return "X.509 chain to the system roots, for " + nameOrNone(cfg.ServerName), nil
	}
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

// copyReply copies application data to w until the server closes. It
// returns how the reply ended; a timeout after some data is an ending,
// not an error, since many servers keep the connection open.
func copyReply(w io.Writer, conn *tlsnet.Conn) (replyInfo, string, error) {
	var info replyInfo
	buf := make([]byte, 32<<10)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			info.n += int64(n)
			info.last = buf[n-1]
			if _, werr := w.Write(buf[:n]); werr != nil {
				return info, "", werr
			}
		}
		switch {
		case err == nil:
			continue
		case err == io.EOF:
			return info, "server sent close_notify", nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return info, "server closed TCP without close_notify (a truncation attack would look the same)", nil
		case isTimeout(err) && info.n > 0:
			return info, "timed out waiting for more; the server did not close", nil
		}
		return info, "", err
	}
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

// countingConn counts the octets on the wire.
type countingConn struct {
	net.Conn
	sent, recv atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.recv.Add(int64(n))
	return n, err
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
		return fmt.Sprintf("%s --%s--> %s", ev.From, ev.Event, ev.To)
	case tls.TraceRecordIn, tls.TraceRecordOut:
		dir := "<<<"
		if ev.Kind == tls.TraceRecordOut {
			dir = ">>>"
		}
		s := fmt.Sprintf("%s record %s, %d bytes", dir, ev.ContentType, ev.Length)
		if ev.Encrypted && ev.ContentType == tls.ContentTypeApplicationData {
			s += " (encrypted)"
		}
		return s
	case tls.TraceHandshakeIn:
		return fmt.Sprintf("<<< handshake %s, %d bytes", ev.HandshakeType, ev.Length)
	case tls.TraceHandshakeOut:
		return fmt.Sprintf(">>> handshake %s, %d bytes", ev.HandshakeType, ev.Length)
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
	if errors.As(err, &ae) && !ae.Received && ae.Alert != tls.AlertDescriptionInternalError {
		msg += " (sent alert " + ae.Alert.String() + ")"
	}
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", "; ")), " ")
	fmt.Fprintln(w, "tlsclient: "+msg)
}
