package tlsserver

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
	_ "github.com/tabletls/tabletls/tls/ed25519sig"
	_ "github.com/tabletls/tabletls/tls/hybrid"
	_ "github.com/tabletls/tabletls/tls/rsapss"
)

// NewRand returns a deterministic random source for tls.Config.Rand.
func NewRand(seed string) io.Reader {
	return rand.NewChaCha8(sha256.Sum256([]byte("tlsserver client rand " + seed)))
}

// FixedTime is the clock of ClientConfig.
var FixedTime = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// ClientConfig is a client configuration for the Server: it pins
// ServerCertificate, uses NewRand(seed) and a fixed clock, and otherwise
// has the defaults. Tests change what they need.
func ClientConfig(seed string) *tls.Config {
	v, err := tls.NewPinVerifier(ServerCertificate().Pin())
	if err != nil {
		panic(err)
	}
	return &tls.Config{
		ServerName: "server.test",
		Verifier:   v,
		Rand:       NewRand(seed),
		Time:       func() time.Time { return FixedTime },
	}
}

// NewBuffers allocates engine buffers of the default sizes of tls.Client.
func NewBuffers() tls.Buffers {
	return tls.Buffers{
		Read:         make([]byte, tls.MinReadBuffer),
		Write:        make([]byte, tls.MinReadBuffer+1024),
		HandshakeIn:  make([]byte, 4+1<<14),
		HandshakeOut: make([]byte, 12288),
	}
}

// DefaultMaxSteps bounds the exchanges of one Pump.
const DefaultMaxSteps = 1000

// Pipe connects a client tls.Engine and a Server in memory. Every call into
// the engine is guarded: a panic is recorded (Result.Panic) and stops the
// pipe instead of the test binary.
type Pipe struct {
	Client *tls.Engine
	Server *Server
	// MaxSteps bounds the exchanges of one Pump; 0 means DefaultMaxSteps.
	MaxSteps int
	// ChunkSize, if positive, is the most octets given to the client's
	// Input at once, to exercise reassembly of records from pieces.
	ChunkSize int

	toClient  []byte // server output the client has not taken yet
	clientErr error
	serverErr error
	received  []byte
	panicked  string
	started   bool
	steps     int
	// ClientWire and ServerWire are every octet each side sent, to replay
	// or compare conversations.
	ClientWire, ServerWire []byte
}

// NewPipe creates the engine with cfg and NewBuffers.
func NewPipe(cfg *tls.Config, srv *Server) (*Pipe, error) {
	return NewPipeWithBuffers(cfg, srv, NewBuffers())
}

// NewPipeWithBuffers creates the engine with cfg and the given buffers. A
// nil cfg.Crypto means tls.DefaultCrypto, everything tabletls implements (this package imports tls/hybrid, tls/rsapss and tls/ed25519sig).
func NewPipeWithBuffers(cfg *tls.Config, srv *Server, b tls.Buffers) (*Pipe, error) {
	if cfg != nil && cfg.Crypto == nil {
		c := *cfg
		c.Crypto = tls.DefaultCrypto()
		cfg = &c
	}
	e, err := tls.NewEngine(cfg, b)
	if err != nil {
		return nil, err
	}
	return &Pipe{Client: e, Server: srv}, nil
}

// guard runs f, turning a panic into a recorded failure.
func (p *Pipe) guard(f func()) (ok bool) {
	if p.panicked != "" {
		return false
	}
	defer func() {
		if r := recover(); r != nil {
			p.panicked = fmt.Sprintf("%v\n%s", r, debug.Stack())
			ok = false
		}
	}()
	f()
	return true
}

func (p *Pipe) clientFailed(err error) {
	if err != nil && p.clientErr == nil {
		p.clientErr = err
	}
}

// Handshake starts the client (once) and pumps until the handshake is
// complete, the client fails, or nothing moves. It returns the client's
// error.
func (p *Pipe) Handshake() error {
	if !p.started {
		p.started = true
		var err error
		if !p.guard(func() { err = p.Client.Start() }) {
			return p.Err()
		}
		p.clientFailed(err)
	}
	p.Pump()
	return p.Err()
}

// Err is the client's error: its first error, or a panic.
func (p *Pipe) Err() error {
	if p.panicked != "" {
		return errors.New("tlsserver: client panicked: " + p.panicked)
	}
	if p.clientErr != nil {
		return p.clientErr
	}
	var err error
	p.guard(func() { err = p.Client.Err() })
	return err
}

// Pump moves octets both ways until nothing moves (or MaxSteps).
func (p *Pipe) Pump() {
	max := p.MaxSteps
	if max == 0 {
		max = DefaultMaxSteps
	}
	for range max {
		if p.panicked != "" {
			return
		}
		p.steps++
		moved := false
		// Client to server.
		var out []byte
		if !p.guard(func() {
			out = bytes.Clone(p.Client.Output())
			p.Client.OutputAck(len(out))
		}) {
			return
		}
		if len(out) > 0 {
			moved = true
			p.ClientWire = append(p.ClientWire, out...)
			if p.serverErr == nil {
				resp, err := p.Server.Input(out)
				p.ServerWire = append(p.ServerWire, resp...)
				p.toClient = append(p.toClient, resp...)
				if err != nil {
					p.serverErr = err
				}
			}
		}
		// Server to client.
		for len(p.toClient) > 0 && p.clientErr == nil {
			chunk := p.toClient
			if p.ChunkSize > 0 && len(chunk) > p.ChunkSize {
				chunk = chunk[:p.ChunkSize]
			}
			var n int
			var err error
			if !p.guard(func() { n, err = p.Client.Input(chunk) }) {
				return
			}
			p.toClient = p.toClient[n:]
			p.clientFailed(err)
			if n == 0 {
				break
			}
			moved = true
			if n < len(chunk) {
				break // application data to read first
			}
		}
		// Application data waiting in the client.
		var data []byte
		if !p.guard(func() {
			data = bytes.Clone(p.Client.ApplicationData())
			p.clientFailed(p.Client.ApplicationDataAck(len(data))) // it processes the records after the data
		}) {
			return
		}
		if len(data) > 0 {
			p.received = append(p.received, data...)
			moved = true
		}
		if !moved {
			return
		}
	}
}

// ClientWrite has the client write p (all of it, record by record) and
// pumps.
func (p *Pipe) ClientWrite(b []byte) error {
	for len(b) > 0 && p.clientErr == nil {
		var n int
		var err error
		if !p.guard(func() { n, err = p.Client.WriteApplicationData(b) }) {
			break
		}
		if err != nil {
			return err // a usage error, not a protocol failure
		}
		b = b[n:]
		p.Pump()
	}
	p.Pump()
	return p.Err()
}

// ClientKeyUpdate has the client update its keys and pumps.
func (p *Pipe) ClientKeyUpdate() error {
	var err error
	if p.guard(func() { err = p.Client.KeyUpdate() }) && err != nil {
		return err
	}
	p.Pump()
	return p.Err()
}

// ClientClose has the client close and pumps.
func (p *Pipe) ClientClose() error {
	var err error
	if p.guard(func() { err = p.Client.Close() }) && err != nil {
		return err
	}
	p.Pump()
	return p.Err()
}

// ServerSend has the server send items and pumps.
func (p *Pipe) ServerSend(items ...Item) error {
	if p.serverErr != nil {
		return p.serverErr
	}
	out, err := p.Server.Send(items...)
	p.ServerWire = append(p.ServerWire, out...)
	p.toClient = append(p.toClient, out...)
	if err != nil {
		p.serverErr = err
		return err
	}
	p.Pump()
	return nil
}

// Received is the application data the client received.
func (p *Pipe) Received() []byte { return p.received }

// Result is the outcome of a conversation.
type Result struct {
	// Err is the client's error; Alert is it as an *tls.AlertError, if it
	// is one.
	Err   error
	Alert *tls.AlertError
	// HandshakeComplete and State are the client's.
	HandshakeComplete bool
	State             tls.HandshakeState
	ConnectionState   tls.ConnectionState
	// Sent is every alert the client sent (decrypted by the server).
	Sent []wire.Alert
	// Records is every record the client sent.
	Records []ClientRecord
	// AppData is the application data the client received; ServerAppData
	// what the server received.
	AppData, ServerAppData []byte
	// ServerErr is the server's error: something the client sent that it
	// could not accept, or a flight it could not build.
	ServerErr error
	// Panic is the client's panic and stack, if it panicked.
	Panic string
	// Stalled is true if the handshake neither completed nor failed.
	Stalled bool
	// ClientWire and ServerWire are every octet each side sent.
	ClientWire, ServerWire []byte
	// Violations are broken invariants: see Pipe.Result.
	Violations []string
}

// SentAlert is the last alert the client sent.
func (r *Result) SentAlert() (wire.Alert, bool) {
	if len(r.Sent) == 0 {
		return wire.Alert{}, false
	}
	return r.Sent[len(r.Sent)-1], true
}

// Result summarizes the conversation so far and checks the invariants
// every conversation must keep, whatever the server sent:
//
//   - the client does not panic;
//   - it sends no application data before its handshake is complete;
//   - its errors are *tls.AlertError;
//   - when it fails with an alert of its own, it sent exactly that alert,
//     at level fatal, and nothing after it;
//   - when it fails on the server's alert, it sends no alert back;
//   - the server noticed nothing else wrong (Server.Violations).
func (p *Pipe) Result() *Result {
	r := &Result{
		Err:           p.Err(),
		Panic:         p.panicked,
		Records:       p.Server.Records(),
		Sent:          p.Server.Alerts(),
		AppData:       p.received,
		ServerAppData: p.Server.AppData(),
		ServerErr:     p.serverErr,
		ClientWire:    p.ClientWire,
		ServerWire:    p.ServerWire,
	}
	p.guard(func() {
		r.HandshakeComplete = p.Client.HandshakeComplete()
		r.State = p.Client.State()
		r.ConnectionState = p.Client.ConnectionState()
	})
	errors.As(r.Err, &r.Alert)
	r.Stalled = r.Err == nil && !r.HandshakeComplete
	v := &r.Violations
	if r.Panic != "" {
		*v = append(*v, "client panicked: "+r.Panic)
	}
	for i, rec := range r.Records {
		if rec.Type == wire.ContentTypeApplicationData && !rec.AfterFinished {
			*v = append(*v, fmt.Sprintf("client record %d: application data before the client's Finished", i))
		}
	}
	if r.Err != nil && r.Alert == nil && r.Panic == "" {
		*v = append(*v, fmt.Sprintf("client error is not a *tls.AlertError: %T %v", r.Err, r.Err))
	}
	if r.Alert != nil && r.ServerErr == nil {
		last := -1
		for i, rec := range r.Records {
			if rec.Type == wire.ContentTypeAlert {
				last = i
			}
		}
		switch {
		case r.Alert.Received:
			for _, a := range r.Sent {
				if a.Description != wire.AlertDescriptionCloseNotify && a.Description != wire.AlertDescriptionUserCanceled {
					*v = append(*v, fmt.Sprintf("client sent %v after receiving the server's %v", a.Description, r.Alert.Alert))
				}
			}
		case last < 0:
			*v = append(*v, fmt.Sprintf("client failed with %v but sent no alert", r.Alert.Alert))
		default:
			a, _ := r.SentAlert()
			if tls.AlertDescription(a.Description) != r.Alert.Alert || a.Level != wire.AlertLevelFatal {
				*v = append(*v, fmt.Sprintf("client failed with %v but sent %v %v", r.Alert.Alert, a.Level, a.Description))
			}
			if last != len(r.Records)-1 {
				*v = append(*v, "client sent records after its fatal alert")
			}
		}
	}
	*v = append(*v, p.Server.Violations()...)
	return r
}

// Probe is what Run has the client write once the handshake is complete.
var Probe = []byte("tlsserver probe")

// Run connects a client with cfg to New(opts): the handshake, then, if it
// completes, the client writes Probe. It is the whole conversation a test
// or a fuzzer needs for most cases.
func Run(cfg *tls.Config, opts Options) *Result {
	r, _ := RunPipe(cfg, opts)
	return r
}

// RunPipe is Run that also returns the Pipe, for more steps.
func RunPipe(cfg *tls.Config, opts Options) (*Result, *Pipe) {
	srv := New(opts)
	p, err := NewPipe(cfg, srv)
	if err != nil {
		return &Result{Err: err, Violations: []string{"tls.NewEngine: " + err.Error()}}, nil
	}
	if p.Handshake() == nil && p.Client.HandshakeComplete() {
		_ = p.ClientWrite(Probe)
	}
	return p.Result(), p
}
