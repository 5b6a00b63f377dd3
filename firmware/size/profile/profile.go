// Package profile holds the client configurations the footprint programs
// measure, so that the recorder and the programs use the same ones.
package profile

import (
	"io"

	"github.com/tabletls/tabletls/tls"
)

// Pinned is a device client that needs x25519, AES-128-GCM, ECDSA P-256 and
// a pin, and links nothing else.
func Pinned(rand io.Reader, pin string) (*tls.Config, error) {
	v, err := tls.NewPinVerifier(pin)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		ServerName: "device.example",
		Verifier:   v,
		Rand:       rand,
		Crypto: &tls.Crypto{
			CipherSuites: []*tls.Suite{tls.AES128GCMSHA256()},
			KeyExchanges: []*tls.KeyExchange{tls.X25519KeyExchange()},
			Signatures:   []*tls.SignatureVerifier{tls.ECDSAP256SHA256Verifier()},
		},
	}, nil
}

// Full is the same client with everything tabletls implements.
func Full(rand io.Reader, pin string) (*tls.Config, error) {
	v, err := tls.NewPinVerifier(pin)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		ServerName: "device.example",
		Verifier:   v,
		Rand:       rand,
		Crypto:     tls.DefaultCrypto(),
	}, nil
}

// Seed is the harness.Rand seed of the recorded handshakes.
const Seed = 0x7ab1e715

// Request is what the client sends after the handshake; the recorded
// server answers Reply.
const (
	Request = "ping"
	Reply   = "pong"
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

var errUnexpectedReply = &replyError{}

type replyError struct{}

func (*replyError) Error() string { return "unexpected reply" }
