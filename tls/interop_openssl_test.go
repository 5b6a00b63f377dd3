package tls_test

import (
	"bufio"
	cryptotls "crypto/tls"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// dialOpenSSL connects a client to an s_server process.
func dialOpenSSL(t *testing.T, srv *testpeer.OpenSSLServer, cfg *tls.Config) *tls.Conn {
	t.Helper()
	if cfg.ServerName == "" {
		cfg.ServerName = "localhost"
	}
	if cfg.Verifier == nil {
		cfg.Verifier = x509verify.New(x509verify.Options{Roots: srv.Cert.CA.Pool})
	}
	raw, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	c := tls.Client(raw, cfg)
	t.Cleanup(func() { c.Close() })
	if err := c.Handshake(); err != nil {
		t.Fatalf("handshake with openssl: %v\n%s", err, srv.Output())
	}
	return c
}

// reverseLine checks s_server -rev: each line comes back reversed.
func reverseLine(t *testing.T, c *tls.Conn, r *bufio.Reader, line string) {
	t.Helper()
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatal(err)
	}
	got, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	want := []rune(line)
	for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
		want[i], want[j] = want[j], want[i]
	}
	if strings.TrimSuffix(got, "\n") != string(want) {
		t.Fatalf("got %q", got)
	}
}

func TestInteropOpenSSLSuitesAndGroups(t *testing.T) {
	for _, suite := range allSuites {
		for _, g := range []tls.CurveID{tls.X25519, tls.CurveP256} {
			for _, hrr := range []bool{false, true} {
				name := tls.CipherSuiteName(suite) + "/" + g.String()
				if hrr {
					name += "/hrr"
				}
				t.Run(name, func(t *testing.T) {
					srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, CipherSuite: uint16(suite), Groups: []cryptotls.CurveID{goCurve(g)}})
					cfg := &tls.Config{CipherSuites: []uint16{suite}, CurvePreferences: []tls.CurveID{g}}
					if hrr {
						other := tls.CurveP384
						cfg.CurvePreferences = []tls.CurveID{other, g}
						cfg.KeyShares = []tls.CurveID{other}
					}
					c := dialOpenSSL(t, srv, cfg)
					st := c.ConnectionState()
					if st.CipherSuite != suite || st.CurveID != g || st.DidHelloRetryRequest != hrr {
						t.Fatalf("state %+v", st)
					}
					r := bufio.NewReader(c)
					reverseLine(t, c, r, "hello from tabletls")
					reverseLine(t, c, r, strings.Repeat("0123456789abcdef", 1000))
					if _, err := io.WriteString(c, "CLOSE\n"); err != nil {
						t.Fatal(err)
					}
					if _, err := r.ReadString('\n'); err != io.EOF {
						t.Fatalf("want io.EOF after the server's close_notify, got %v", err)
					}
				})
			}
		}
	}
}

func TestInteropOpenSSLClientAuth(t *testing.T) {
	ca := testpeer.DefaultCA()
	for _, kt := range testpeer.KeyTypes() {
		t.Run(kt.String(), func(t *testing.T) {
			srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, ClientCA: ca, RequireClientCert: true})
			cc := ca.Issue(kt)
			c := dialOpenSSL(t, srv, &tls.Config{Certificates: []tls.Certificate{{Certificate: cc.Chain, PrivateKey: cc.Key}}})
			reverseLine(t, c, bufio.NewReader(c), "authenticated device")
			if st := c.ConnectionState(); !st.ClientAuthRequested || !st.ClientCertificateSent {
				t.Fatalf("state %+v", st)
			}
		})
	}
	t.Run("no certificate", func(t *testing.T) {
		srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, ClientCA: ca, RequireClientCert: true})
		c := dialOpenSSL(t, srv, &tls.Config{})
		_, err := c.Read(make([]byte, 1))
		var ae *tls.AlertError
		if !errorsAs(err, &ae) || !ae.Received || ae.Alert != tls.AlertCertificateRequired {
			t.Fatalf("want certificate_required from the server, got %v", err)
		}
	})
}

// TestInteropOpenSSLSmallRecords reads a page the server sends in records of
// at most 512 octets of plaintext: handshake messages span records.
func TestInteropOpenSSLSmallRecords(t *testing.T) {
	srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeWWW, MaxSendFrag: 512})
	records, largest := 0, 0
	cfg := &tls.Config{Trace: func(ev tls.TraceEvent) {
		if ev.Kind == tls.TraceRecordIn {
			records++
			largest = max(largest, ev.Length)
		}
	}}
	c := dialOpenSSL(t, srv, cfg)
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if !strings.Contains(string(page), "HTTP/1.0 200 ok") || len(page) < 2000 {
		t.Fatalf("page of %d bytes: %.200q", len(page), page)
	}
	if largest > 5+512+1+16 || records < 10 {
		t.Fatalf("%d records, largest %d octets: max_send_frag not in effect", records, largest)
	}
}

// TestInteropOpenSSLKeyUpdate has s_server update its keys, with and
// without asking us to update ours, and updates ours from the client side.
func TestInteropOpenSSLKeyUpdate(t *testing.T) {
	srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeStdio})
	c := dialOpenSSL(t, srv, &tls.Config{})
	r := bufio.NewReader(c)
	roundTrip := func(step string) {
		t.Helper()
		if err := srv.Send("from server " + step + "\n"); err != nil {
			t.Fatal(err)
		}
		line, err := r.ReadString('\n')
		if err != nil || line != "from server "+step+"\n" {
			t.Fatalf("%s: read %q, %v", step, line, err)
		}
		if _, err := io.WriteString(c, "from client "+step+"\n"); err != nil {
			t.Fatal(err)
		}
		if err := srv.WaitForOutput("from client "+step, 10*time.Second); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	roundTrip("before")
	if err := srv.KeyUpdate(false); err != nil { // k: server updates its key
		t.Fatal(err)
	}
	roundTrip("after k")
	if err := srv.KeyUpdate(true); err != nil { // K: and asks us to update ours
		t.Fatal(err)
	}
	roundTrip("after K")
	if err := c.KeyUpdate(); err != nil { // our own
		t.Fatal(err)
	}
	roundTrip("after client KeyUpdate")
}

// TestInteropOpenSSLKeyUpdateWhileReading: s_server asks us to update our
// key while the client only reads. The answer goes on the wire at once,
// with no Write from the application (§4.6.3), and only one.
func TestInteropOpenSSLKeyUpdateWhileReading(t *testing.T) {
	srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeStdio})
	var updates atomic.Int32
	cfg := &tls.Config{ServerName: "localhost", Verifier: x509verify.New(x509verify.Options{Roots: srv.Cert.CA.Pool}),
		Trace: func(ev tls.TraceEvent) {
			if ev.Kind == tls.TraceHandshakeOut && ev.HandshakeType == uint8(wire.HandshakeTypeKeyUpdate) {
				updates.Add(1)
			}
		}}
	raw, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	cw := &writeCounter{Conn: raw}
	c := tls.Client(cw, cfg)
	defer c.Close()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	reading := make(chan string)
	go func() {
		line, _ := r.ReadString('\n')
		reading <- line
	}()
	before := cw.n.Load()
	if err := srv.KeyUpdate(true); err != nil {
		t.Fatal(err)
	}
	const answer = 5 + 4 + 1 + 1 + 16 // a protected KeyUpdate record
	deadline := time.Now().Add(10 * time.Second)
	for cw.n.Load()-before < answer && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := cw.n.Load() - before; got != answer || updates.Load() != 1 {
		t.Fatalf("while reading, the client wrote %d octets and %d KeyUpdates; want one KeyUpdate record of %d", got, updates.Load(), answer)
	}
	if err := srv.Send("after K\n"); err != nil {
		t.Fatal(err)
	}
	if line := <-reading; line != "after K\n" {
		t.Fatalf("read %q", line)
	}
}

type writeCounter struct {
	net.Conn
	n atomic.Int64
}

func (w *writeCounter) Write(p []byte) (int, error) {
	n, err := w.Conn.Write(p)
	w.n.Add(int64(n))
	return n, err
}
