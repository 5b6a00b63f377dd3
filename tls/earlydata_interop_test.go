package tls_test

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// earlyHandshake resumes from cache with HandshakeWithEarlyData(data),
// sends after "then" as ordinary data, and returns the state.
func earlyHandshake(t *testing.T, addr string, cfg *tls.Config, data, then string) tls.ConnectionState {
	t.Helper()
	c, err := dialEarly(t, addr, cfg, data)
	if err != nil {
		t.Fatal(err)
	}
	st := c.ConnectionState()
	if !st.EarlyDataAccepted {
		then = data + then // not received: the caller sends it again
	}
	if _, err := c.Write([]byte(then)); err != nil {
		t.Fatal(err)
	}
	c.Close() // s_server serves one connection at a time
	return st
}

// TestEarlyDataOpenSSL: 0-RTT against openssl s_server -early_data:
// accepted on a fresh ticket; rejected (PSK accepted) when the ticket is
// replayed, which OpenSSL's anti-replay catches; rejected with the PSK by
// a server with other ticket keys; never sent for a ticket without
// max_early_data_size, or for more than it allows.
func TestEarlyDataOpenSSL(t *testing.T) {
	srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeStdio, ExtraArgs: []string{"-early_data"}})
	cache := &slotCache{}
	cfg := resumeConfig(srv.Cert.CA, cache)
	c, err := dialPSK(t, srv.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte("first\n"))
	if err := srv.WaitForOutput("first", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	srv.Send("tickets please\n") // the client reads the tickets before it
	buf := make([]byte, 64)
	c.Read(buf)
	c.Close()
	s, ok := cache.Get("localhost")
	if !ok || s.MaxEarlyDataSize == 0 {
		t.Fatalf("no ticket allowing early data: %+v", s)
	}
	replay := cache.blob

	st := earlyHandshake(t, srv.Addr, cfg, "reading=21.5C seq=1\n", "after\n")
	if !st.DidResume || !st.EarlyDataAccepted {
		t.Fatalf("fresh ticket: %+v\n%s", st, srv.Output())
	}
	if err := srv.WaitForOutput("after", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if out := srv.Output(); !strings.Contains(out, "Early data received:\nreading=21.5C seq=1") && !strings.Contains(out, "reading=21.5C seq=1") {
		t.Fatalf("server did not get the early data:\n%s", out)
	}
	if cache.blob != nil {
		t.Fatal("the ticket used for 0-RTT stayed in the cache")
	}

	// The same ticket again: OpenSSL's anti-replay (single-use tickets)
	// declines it, and the early data with it.
	cache.blob = replay
	st = earlyHandshake(t, srv.Addr, cfg, "reading=21.6C seq=2\n", "after2\n")
	if st.EarlyDataAccepted {
		t.Fatalf("replayed ticket: %+v", st)
	}
	if err := srv.WaitForOutput("after2", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(srv.Output(), "reading=21.6C seq=2"); n != 1 {
		t.Fatalf("rejected early data resent: the server printed it %d times:\n%s", n, srv.Output())
	}

	// Another server: the PSK and the early data are declined.
	other := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeStdio, ExtraArgs: []string{"-early_data"}})
	cache.blob = replay
	cfg.Verifier = resumeConfig(other.Cert.CA, nil).Verifier
	st = earlyHandshake(t, other.Addr, cfg, "reading=3\n", "after3\n")
	if st.DidResume || st.EarlyDataAccepted {
		t.Fatalf("other server: %+v", st)
	}
	if err := other.WaitForOutput("after3", 10*time.Second); err != nil {
		t.Fatal(err)
	}

	// More than max_early_data_size: not offered at all.
	small := *s
	small.MaxEarlyDataSize = 4
	cache.Put("localhost", &small)
	offered := false
	cfg.Trace = func(ev tls.TraceEvent) {
		if ev.Kind == tls.TraceHandshakeOut && ev.HandshakeType == uint8(wire.HandshakeTypeClientHello) {
			var ch wire.ClientHello
			if ch.Unmarshal(ev.Data[4:]) == nil {
				offered = offered || ch.Extensions.Has(wire.ExtensionTypeEarlyData)
			}
		}
	}
	cfg.Verifier = resumeConfig(srv.Cert.CA, nil).Verifier
	c, err = dialEarly(t, srv.Addr, cfg, "12345")
	if err != nil {
		t.Fatal(err)
	}
	if st := c.ConnectionState(); st.EarlyDataAccepted || offered {
		t.Fatalf("oversized early data: offered %v, state %+v", offered, st)
	}
	c.Close()
}

func dialEarly(t *testing.T, addr string, cfg *tls.Config, data string) (*tls.Conn, error) {
	t.Helper()
	c, err := dialPSKNoHandshake(t, addr, cfg)
	if err != nil {
		return nil, err
	}
	return c, c.HandshakeWithEarlyData([]byte(data))
}

// TestEarlyDataGnuTLS: 0-RTT accepted by gnutls-serv --earlydata.
func TestEarlyDataGnuTLS(t *testing.T) {
	srv := testpeer.StartGnuTLS(t, nil, "NORMAL:-VERS-ALL:+VERS-TLS1.3", "--earlydata", "--maxearlydata", "1024")
	cache := tls.NewLRUClientSessionCache(1)
	cfg := resumeConfig(srv.Cert.CA, cache)
	for i := range 2 {
		c, err := dialEarly(t, srv.Addr, cfg, "early\n")
		if err != nil {
			t.Fatal(err)
		}
		st := c.ConnectionState()
		if i == 1 && (!st.DidResume || !st.EarlyDataAccepted) {
			t.Fatalf("resumed: %+v", st)
		}
		// gnutls-serv --echo does not echo early data: the connection
		// after EndOfEarlyData is checked with a line of 1-RTT data.
		if _, err := c.Write([]byte("after\n")); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("connection %d: %v", i, err)
			}
			if line == "after\n" {
				break
			}
		}
		c.Close()
	}
}
