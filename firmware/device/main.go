// Command device is the firmware example: a TLS 1.3 client for a
// microcontroller that sees the network only as a byte stream, the way a
// device behind a UART cellular modem or an AT-command Wi-Fi module does.
//
// It reads a provisioning block from the link (server name, pin or CA,
// client certificate, ALPN, the request, an entropy seed and the time:
// package provision), then runs one TLS connection over the same link:
// handshake, request, reply until the server closes. It reports on its
// console, one "key=value" line each: the negotiated parameters, the reply,
// the heap the handshake allocated and the result.
//
// The link and the console are per target: on QEMU's mps2 boards the link is
// UART0 and the console is semihosting (link_mps2.go); under wasip1 and on a
// host the link is stdin/stdout and the console stderr (link_stdio.go).
// `make firmware` builds it for Cortex-M4, Cortex-M3 and wasip1;
// firmware/bridge runs it against real servers.
package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"io"
	"runtime"
	"strconv"
	"time"

	"github.com/tabletls/tabletls/firmware/provision"
	"github.com/tabletls/tabletls/tls"
)

// The connection's memory, placed statically as firmware would. hsIn bounds
// the server's Certificate message.
var (
	recordIn  [tls.MinReadBuffer]byte
	recordOut [tls.MinWriteBuffer]byte
	hsIn      [8192]byte
	hsOut     [tls.MinHandshakeOut]byte
	reply     [4096]byte
)

func main() {
	link := &countingLink{rw: openLink()}
	paintStack()
	err := run(link)
	free, serr := checkStack()
	report("stack_free", strconv.Itoa(free))
	if serr != nil {
		err = serr
	}
	report("gc_stress", strconv.FormatBool(gcStress))
	report("link_rx", strconv.Itoa(link.rx))
	report("link_tx", strconv.Itoa(link.tx))
	if err != nil {
		report("error", err.Error())
		report("result", "fail")
	} else {
		report("result", "ok")
	}
	finish(err == nil)
}

func run(link io.ReadWriter) error {
	p, err := provision.Read(link)
	if err != nil {
		return err
	}
	config, err := configure(p)
	if err != nil {
		return err
	}
	conn := tls.ClientWithBuffers(link, config, tls.Buffers{
		Read: recordIn[:], Write: recordOut[:], HandshakeIn: hsIn[:], HandshakeOut: hsOut[:],
	})

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err = conn.Handshake()
	runtime.ReadMemStats(&after)
	report("heap_alloc", strconv.FormatUint(after.TotalAlloc-before.TotalAlloc, 10))
	report("heap_objects", strconv.FormatUint(after.Mallocs-before.Mallocs, 10))
	report("heap_sys", strconv.FormatUint(after.HeapSys, 10))
	if err != nil {
		return err
	}
	cs := conn.ConnectionState()
	report("suite", tls.CipherSuiteName(cs.CipherSuite))
	report("group", cs.CurveID.String())
	report("alpn", cs.NegotiatedProtocol)
	report("hrr", strconv.FormatBool(cs.DidHelloRetryRequest))
	report("client_cert", strconv.FormatBool(cs.ClientCertificateSent))
	if len(cs.PeerCertificateChain) > 0 {
		pin, err := tls.PinFromCertificate(cs.PeerCertificateChain[0])
		if err != nil {
			return err
		}
		report("server_pin", pin)
	}

	if _, err := conn.Write(p.Request); err != nil {
		return err
	}
	n := 0
	for n < len(reply) {
		m, err := conn.Read(reply[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	report("reply", string(reply[:n]))
	return conn.Close()
}

func configure(p *provision.Block) (*tls.Config, error) {
	if len(p.Seed) != 32 {
		return nil, errors.New("device: provisioning has no 32-octet entropy seed")
	}
	config := &tls.Config{
		ServerName: p.ServerName,
		NextProtos: p.ALPN,
		Rand:       newRand(p.Seed),
		Crypto:     deviceCrypto,
	}
	if gcStress {
		// Collect at every step of the state machine too.
		config.Trace = func(tls.TraceEvent) { collect() }
	}
	if p.Time != 0 {
		// No RTC on the board: the time is provisioned, and the
		// validity check only needs it to the day.
		now := time.Unix(int64(p.Time), 0)
		config.Time = func() time.Time { return now }
	}
	for _, s := range p.Suites {
		config.CipherSuites = append(config.CipherSuites, uint16(s))
	}
	for _, g := range p.Groups {
		config.CurvePreferences = append(config.CurvePreferences, tls.CurveID(g))
	}
	switch {
	case p.Pin != "":
		v, err := tls.NewPinVerifier(p.Pin)
		if err != nil {
			return nil, err
		}
		config.Verifier = v
	case len(p.CAs) > 0:
		v, err := chainVerifier(p.CAs, config.Time)
		if err != nil {
			return nil, err
		}
		config.Verifier = v
	default:
		return nil, errors.New("device: provisioning has neither a pin nor a CA")
	}
	if len(p.Certs) > 0 {
		key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), p.Key)
		if err != nil {
			return nil, err
		}
		config.Certificates = []tls.Certificate{{Certificate: p.Certs, PrivateKey: key}}
	}
	return config, nil
}

// newRand stands in for the board's TRNG, which a real device plugs into
// Config.Rand: QEMU's mps2 boards have none, so the host provisions a seed
// and AES-CTR expands it (the AES code is linked for the record layer
// anyway).
func newRand(seed []byte) io.Reader {
	block, err := aes.NewCipher(seed[:16])
	if err != nil {
		panic(err)
	}
	return cipher.StreamReader{S: cipher.NewCTR(block, seed[16:32]), R: zeros{}}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// countingLink counts the octets the device moved, for the report.
type countingLink struct {
	rw     io.ReadWriter
	rx, tx int
}

func (l *countingLink) Read(p []byte) (int, error) {
	collect()
	n, err := l.rw.Read(p)
	l.rx += n
	return n, err
}

func (l *countingLink) Write(p []byte) (int, error) {
	collect()
	n, err := l.rw.Write(p)
	l.tx += n
	return n, err
}
