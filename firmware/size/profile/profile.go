// Package profile holds the client configurations the footprint programs
// measure, so that the recorder and the programs use the same ones.
package profile

import (
	"io"
	"runtime"

	"github.com/tabletls/tabletls/firmware/size/harness"
	"github.com/tabletls/tabletls/tls"
)

// Pinned is a device client that needs x25519, AES-128-GCM, ECDSA P-256 and
// a pin, and links nothing else.
func Pinned(rand io.Reader, pin string) (*tls.Config, error) {
	return pinnedConfig(rand, pin, &tls.Crypto{
		CipherSuites: []*tls.Suite{tls.AES128GCMSHA256()},
		KeyExchanges: []*tls.KeyExchange{tls.X25519KeyExchange()},
		Signatures:   []*tls.SignatureVerifier{tls.ECDSAP256SHA256Verifier()},
	})
}

// pinnedConfig is the footprint programs' client: the recorded server's
// name and pin, with the cryptography crypto.
func pinnedConfig(rand io.Reader, pin string, crypto *tls.Crypto) (*tls.Config, error) {
	v, err := tls.NewPinVerifier(pin)
	if err != nil {
		return nil, err
	}
	return &tls.Config{ServerName: "device.example", Verifier: v, Rand: rand, Crypto: crypto}, nil
}

// PinnedSmall is Pinned with 512-octet records (RecordSizeLimit 513, so
// also max_fragment_length 512), for SmallBuffers.
func PinnedSmall(rand io.Reader, pin string) (*tls.Config, error) {
	cfg, err := Pinned(rand, pin)
	if err != nil {
		return nil, err
	}
	cfg.RecordSizeLimit = SmallLimit
	return cfg, nil
}

// SmallLimit is PinnedSmall's RecordSizeLimit, and the sizes of its
// buffers: records of 512 octets of content, and the recorded server's
// Certificate message (a 430-octet ECDSA P-256 leaf) with room to spare.
const (
	SmallLimit        = 513
	SmallRecordBuffer = 5 + SmallLimit + 256 // tls.RecordBufferSize(SmallLimit)
	SmallHandshakeIn  = 768
	SmallHandshakeOut = 1024
)

// Full is the same client with everything tabletls implements.
func Full(rand io.Reader, pin string) (*tls.Config, error) {
	return pinnedConfig(rand, pin, tls.DefaultCrypto())
}

// Seed is the harness.Rand seed of the recorded handshakes.
const Seed = 0x7ab1e715

// Request is what the client sends after the handshake; the recorded
// server answers Reply (it reverses the line, as openssl s_server -rev).
const (
	Request = "ping\n"
	Reply   = "gnip\n"
)

// Run does one handshake and a request/response over transport with cfg in
// the given buffers, as a device would.
func Run(transport io.ReadWriter, cfg *tls.Config, b tls.Buffers) error {
	c := tls.ClientWithBuffers(transport, cfg, b)
	if _, err := c.Write([]byte(Request)); err != nil {
		return err
	}
	var buf [16]byte
	n, err := io.ReadAtLeast(c, buf[:], len(Reply))
	if err != nil {
		return err
	}
	if string(buf[:n]) != Reply {
		return errUnexpectedReply
	}
	return nil
}

// Measure is a footprint program's main: one connection of cfg (or err,
// from building it) against the recorded server, metered, reported on the
// console as "<name> ok" and the heap figures.
func Measure(name string, cfg *tls.Config, err error, server []byte, buffers tls.Buffers) {
	var m Meter
	if err == nil {
		m.Attach(cfg)
		err = Run(harness.NewReplay(server), cfg, buffers)
	}
	harness.Report(name, err)
	println("heap-peak", m.Peak, "heap-total", m.Total, "mallocs", m.Mallocs)
}

// Meter samples the live heap at every step of a connection, collecting
// garbage first, for the footprint programs: Peak is the most the
// connection ever needed at once, Total and Mallocs what it allocated.
type Meter struct {
	Peak, Total, Mallocs uint64
	start                runtime.MemStats
}

// Attach starts measuring and makes cfg report to m.
func (m *Meter) Attach(cfg *tls.Config) {
	runtime.GC()
	runtime.ReadMemStats(&m.start)
	cfg.Trace = func(tls.TraceEvent) { m.sample() }
}

func (m *Meter) sample() {
	var s runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&s)
	if s.HeapInuse > m.start.HeapInuse {
		m.Peak = max(m.Peak, s.HeapInuse-m.start.HeapInuse)
	}
	m.Total = s.TotalAlloc - m.start.TotalAlloc
	m.Mallocs = s.Mallocs - m.start.Mallocs
}

var errUnexpectedReply = &replyError{}

type replyError struct{}

func (*replyError) Error() string { return "unexpected reply" }
