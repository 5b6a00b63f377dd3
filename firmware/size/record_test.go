package size_test

import (
	"bytes"
	cryptotls "crypto/tls"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/tabletls/tabletls/firmware/size/harness"
	"github.com/tabletls/tabletls/firmware/size/profile"
	"github.com/tabletls/tabletls/firmware/size/recorded"
	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	// As in the full program: its ClientHello lists everything.
	_ "github.com/tabletls/tabletls/tls/ed25519sig"
	_ "github.com/tabletls/tabletls/tls/hybrid"
	_ "github.com/tabletls/tabletls/tls/rsapss"
)

var update = flag.Bool("update", false, "rewrite the recordings in recorded/")

// recorder is a transport that keeps what the server sent.
type recorder struct {
	net.Conn
	got bytes.Buffer
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	r.got.Write(p[:n])
	return n, err
}

type profileFunc func(io.Reader, string) (*tls.Config, error)

// record runs mk's client against a crypto/tls server that answers
// profile.Request with profile.Reply, and returns what the server sent.
func record(t testing.TB, cert *testpeer.Cert, mk profileFunc) []byte {
	t.Helper()
	client, server := net.Pipe()
	done := make(chan error, 1)
	go func() {
		defer server.Close()
		c := cryptotls.Server(server, &cryptotls.Config{
			Certificates: []cryptotls.Certificate{cert.TLS}, MinVersion: cryptotls.VersionTLS13,
			SessionTicketsDisabled: true,
		})
		buf := make([]byte, len(profile.Request))
		if _, err := io.ReadFull(c, buf); err != nil {
			done <- err
			return
		}
		_, err := c.Write([]byte(profile.Reply))
		done <- err
	}()
	got := recordOver(t, client, cert, mk, buffers())
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return got
}

// recordOpenSSL is record against openssl s_server -rev, which honours
// max_fragment_length.
func recordOpenSSL(t testing.TB, cert *testpeer.Cert, mk profileFunc, b tls.Buffers) []byte {
	t.Helper()
	srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Cert: cert, Mode: testpeer.ModeRev, NoTickets: true})
	conn, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	return recordOver(t, conn, cert, mk, b)
}

func recordOver(t testing.TB, conn net.Conn, cert *testpeer.Cert, mk profileFunc, b tls.Buffers) []byte {
	t.Helper()
	defer conn.Close()
	pin, err := tls.PinFromCertificate(cert.Chain[0])
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mk(harness.NewRand(profile.Seed), pin)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Conn: conn}
	if err := profile.Run(rec, cfg, b); err != nil {
		t.Fatal(err)
	}
	return rec.got.Bytes()
}

func smallBuffers() tls.Buffers {
	return tls.Buffers{
		Read:         make([]byte, profile.SmallRecordBuffer),
		Write:        make([]byte, profile.SmallRecordBuffer),
		HandshakeIn:  make([]byte, profile.SmallHandshakeIn),
		HandshakeOut: make([]byte, profile.SmallHandshakeOut),
	}
}

func buffers() tls.Buffers {
	return tls.Buffers{
		Read:         make([]byte, tls.MinReadBuffer),
		Write:        make([]byte, tls.MinWriteBuffer),
		HandshakeIn:  make([]byte, tls.MinHandshakeIn),
		HandshakeOut: make([]byte, tls.MinHandshakeOut),
	}
}

// replay runs mk's client against a recording.
func replay(pin string, mk profileFunc, server []byte, b tls.Buffers) error {
	cfg, err := mk(harness.NewRand(profile.Seed), pin)
	if err != nil {
		return err
	}
	return profile.Run(harness.NewReplay(string(server)), cfg, b)
}

// TestCommittedRecordings replays the recordings the footprint programs
// embed, with the gc toolchain: a change to what the client sends (its
// ClientHello) makes them stale, and then the programs fail under QEMU
// (TestRAMBudget, make firmware-size). `go test ./firmware/size -run
// TestRecordings -update` records them anew.
func TestCommittedRecordings(t *testing.T) {
	for _, p := range []struct {
		name   string
		mk     profileFunc
		server string
		buf    func() tls.Buffers
	}{
		{"pinned", profile.Pinned, recorded.Pinned, buffers},
		{"full", profile.Full, recorded.Full, buffers},
		{"pinned512", profile.PinnedSmall, recorded.Pinned512, smallBuffers},
	} {
		if err := replay(recorded.Pin, p.mk, []byte(p.server), p.buf()); err != nil {
			t.Errorf("recorded/%s.bin no longer replays (%v): record it anew with go test ./firmware/size -run TestRecordings -update", p.name, err)
		}
	}
}

// TestRecordings records both profiles against crypto/tls and replays the
// recordings as the footprint programs do. With -update it writes them to
// recorded/ (make firmware-size does when TestCommittedRecordings fails,
// before it builds the programs).
func TestRecordings(t *testing.T) {
	cert := testpeer.NewCA().Issue(testpeer.ECDSAP256)
	pin, _ := tls.PinFromCertificate(cert.Chain[0])
	if got := tls.RecordBufferSize(profile.SmallLimit); got != profile.SmallRecordBuffer {
		t.Fatalf("profile.SmallRecordBuffer = %d, tls.RecordBufferSize = %d", profile.SmallRecordBuffer, got)
	}
	for _, p := range []struct {
		name string
		mk   profileFunc
		rec  func() []byte
		buf  func() tls.Buffers
	}{
		{"pinned", profile.Pinned, func() []byte { return record(t, cert, profile.Pinned) }, buffers},
		{"full", profile.Full, func() []byte { return record(t, cert, profile.Full) }, buffers},
		{"pinned512", profile.PinnedSmall, func() []byte { return recordOpenSSL(t, cert, profile.PinnedSmall, smallBuffers()) }, smallBuffers},
	} {
		server := p.rec()
		if err := replay(pin, p.mk, server, p.buf()); err != nil {
			t.Fatalf("%s: replay: %v", p.name, err)
		}
		// The recording authenticates the handshake: a flipped octet in
		// the server's flight must fail it.
		bad := bytes.Clone(server)
		bad[len(bad)/2] ^= 1
		if err := replay(pin, p.mk, bad, p.buf()); err == nil {
			t.Fatalf("%s: a corrupted recording replayed", p.name)
		}
		if *update {
			if err := os.WriteFile(filepath.Join("recorded", p.name+".bin"), server, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if *update {
		if err := os.WriteFile(filepath.Join("recorded", "pin.txt"), []byte(pin), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkHandshakeReplay is the gc toolchain's allocation count of one
// handshake and request/response of the pinned profile with caller-owned
// buffers: the client alone, with no network code.
func BenchmarkHandshakeReplay(b *testing.B) {
	cert := testpeer.NewCA().Issue(testpeer.ECDSAP256)
	pin, _ := tls.PinFromCertificate(cert.Chain[0])
	for _, p := range []struct {
		name string
		mk   profileFunc
	}{{"pinned", profile.Pinned}, {"full", profile.Full}} {
		server := record(b, cert, p.mk)
		buf := buffers()
		rand := harness.NewRand(profile.Seed)
		cfg, err := p.mk(rand, pin)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rand.Reset(profile.Seed)
				if err := profile.Run(harness.NewReplay(string(server)), cfg, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestHandshakeAllocs keeps the gc toolchain's allocations per pinned
// handshake (and request/response) with caller-owned buffers from growing
// back: 76, of which 3 are the harness's (the replayed transport, the
// request and the reply buffer). The rest is the standard library's for
// the keys and the signature (see the README: ten HMAC keys, four AES-GCM
// keys, x25519, ECDSA) and 6 of ours (the Conn, the handshake's working
// state, the key share, the pinned public key, the copy of the server's
// chain and its list).
func TestHandshakeAllocs(t *testing.T) {
	cert := testpeer.NewCA().Issue(testpeer.ECDSAP256)
	pin, _ := tls.PinFromCertificate(cert.Chain[0])
	server := record(t, cert, profile.Pinned)
	buf := buffers()
	rand := harness.NewRand(profile.Seed)
	cfg, err := profile.Pinned(rand, pin)
	if err != nil {
		t.Fatal(err)
	}
	const want = 76
	n := testing.AllocsPerRun(20, func() {
		rand.Reset(profile.Seed)
		if err := profile.Run(harness.NewReplay(string(server)), cfg, buf); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("a pinned handshake and request/response: %v allocations", n)
	if n > want {
		t.Errorf("a pinned handshake allocates %v times, want at most %v", n, want)
	}
}
