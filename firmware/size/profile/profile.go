// Package profile holds the client configurations the footprint programs
// measure, so that the recorder and the programs use the same ones.
package profile

import (
	"io"

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
	// c.Read, not io.ReadAtLeast(c, …): under TinyGo, a *tls.Conn put in an
	// interface brings the type descriptors of everything it holds, about
	// 8 KB of flash (README, Firmware footprint).
	var buf [16]byte
	n := 0
	for n < len(Reply) {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			return err
		}
	}
	if string(buf[:n]) != Reply {
		return errUnexpectedReply
	}
	return nil
}

// Measure is a footprint program's main: one connection of cfg (or err,
// from building it) against the recorded server, reported on the console as
// "<name> ok" and what it allocated. It sets no Trace hook: the programs
// link what a device would. The RAM a program needs is measured from the
// outside, by the least RAM it runs in (report.sh).
func Measure(name string, cfg *tls.Config, err error, server string, buffers tls.Buffers) {
	b0, m0 := harness.Allocated()
	if err == nil {
		err = Run(harness.NewReplay(server), cfg, buffers)
	}
	b1, m1 := harness.Allocated()
	harness.Report(name, err)
	println("heap-total", b1-b0, "mallocs", m1-m0)
}

var errUnexpectedReply = &replyError{}

type replyError struct{}

func (*replyError) Error() string { return "unexpected reply" }
