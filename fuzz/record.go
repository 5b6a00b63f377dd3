package fuzz

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"sync"

	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// recordLayerSeed seeds the randomness of every client in FuzzRecordLayer,
// so that each one sends the same ClientHello with the same key share. The
// seeds of FuzzRecordLayer are what real servers sent to such a client
// (TestSeedCorpus records them), so they decrypt: replayed, they take the
// client through whole handshakes, and the fuzzer mutates from there.
// Changing it, recordLayerConfig or the ClientHello the client builds
// makes those seeds stale: TestSeedCorpus then says so, and
// `go test ./fuzz -run TestSeedCorpus -update` records them again.
var recordLayerSeed = [32]byte{'t', 'a', 'b', 'l', 'e', 't', 'l', 's', '/', 'f', 'u', 'z', 'z', '/', 'r', 'e', 'c', 'o', 'r', 'd'}

// recordLayerConfig is the client of FuzzRecordLayer: it offers the
// defaults plus ALPN and session tickets, so that servers send more, and
// accepts any certificate.
func recordLayerConfig(trace func(tls.TraceEvent)) *tls.Config {
	return &tls.Config{
		ServerName:         "localhost",
		NextProtos:         []string{"h2", "http/1.1"},
		InsecureSkipVerify: true,
		Crypto:             tls.DefaultCrypto(),
		Rand:               rand.NewChaCha8(recordLayerSeed),
		OnNewSessionTicket: func(*tls.SessionTicket) {},
		Trace:              trace,
	}
}

// engineMemory is the default buffer sizes of tls.Client, reused across
// inputs.
type engineMemory struct {
	read         [tls.MinReadBuffer]byte
	write        [tls.MinReadBuffer + 1024]byte
	handshakeIn  [4 + 1<<14]byte
	handshakeOut [12288]byte
}

var memoryPool = sync.Pool{New: func() any { return new(engineMemory) }}

func (m *engineMemory) buffers() tls.Buffers {
	*m = engineMemory{} // an input must not see the last one's bytes
	return tls.Buffers{Read: m.read[:], Write: m.write[:], HandshakeIn: m.handshakeIn[:], HandshakeOut: m.handshakeOut[:]}
}

// recordTrace counts what the engine received and keeps the records it
// sent since the last reset.
type recordTrace struct {
	recordsIn, messagesIn, transitions int
	out                                []sentRecord
}

type sentRecord struct {
	data      []byte // as on the wire
	encrypted bool
}

func (r *recordTrace) trace(ev tls.TraceEvent) {
	switch ev.Kind {
	case tls.TraceRecordIn:
		r.recordsIn++
	case tls.TraceHandshakeIn:
		r.messagesIn++
	case tls.TraceTransition:
		r.transitions++
	case tls.TraceRecordOut:
		r.out = append(r.out, sentRecord{bytes.Clone(ev.Data), ev.Encrypted})
	}
}

// checkRecordLayer is the property of FuzzRecordLayer.
func checkRecordLayer(t tb, data []byte) { recordLayer(t, data) }

// recordLayer is checkRecordLayer; it returns the state the input left the
// client in.
func recordLayer(t tb, data []byte) tls.HandshakeState {
	t.Helper()
	e, r, release := startRecordLayer(t)
	defer release()
	in := data
	for len(in) > 0 {
		n, err := e.Input(in)
		if n < 0 || n > len(in) {
			t.Fatalf("Input took %d of %d octets", n, len(in))
		}
		in = in[n:]
		if err != nil {
			checkRecordFailure(t, e, r, err)
			break
		}
		if e.Err() != nil {
			t.Fatalf("Input returned no error, Err is %v", e.Err())
		}
		if len(in) > 0 && len(e.ApplicationData()) == 0 {
			t.Fatalf("Input stopped %d octets short, with no error and no application data to read", len(in))
		}
		// Consuming the data processes the records after it.
		if err := e.ApplicationDataAck(len(e.ApplicationData())); err != nil {
			checkRecordFailure(t, e, r, err)
			break
		}
		e.OutputAck(len(e.Output()))
		r.out = r.out[:0]
	}
	if e.Err() == nil && e.State() == tls.StateClosed {
		t.Fatalf("state %v without an error", e.State())
	}
	// Bounded work: a record takes at least its 5-octet header, a
	// handshake message at least its 4-octet header, and each causes at
	// most one transition (plus the failure's).
	if r.recordsIn > len(data)/5 || r.messagesIn > len(data)/4 || r.transitions > r.recordsIn+r.messagesIn+1 {
		t.Fatalf("%d octets made %d records, %d handshake messages and %d transitions", len(data), r.recordsIn, r.messagesIn, r.transitions)
	}
	return e.State()
}

// startRecordLayer returns a client engine in WAIT_SH with its
// ClientHello sent, and the trace of what follows.
func startRecordLayer(t tb) (*tls.Engine, *recordTrace, func()) {
	t.Helper()
	r := new(recordTrace)
	mem := memoryPool.Get().(*engineMemory)
	e, err := tls.NewEngine(recordLayerConfig(r.trace), mem.buffers())
	if err != nil {
		t.Fatalf("NewEngine: %v", err)
	}
	if err := e.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if e.State() != tls.StateWaitSH || len(e.Output()) == 0 {
		t.Fatalf("after Start: state %v, %d octets of output", e.State(), len(e.Output()))
	}
	e.OutputAck(len(e.Output()))
	*r = recordTrace{}
	return e, r, func() { memoryPool.Put(mem) }
}

// checkRecordFailure checks the engine after Input failed with err; r.out
// holds the records sent during that Input.
func checkRecordFailure(t tb, e *tls.Engine, r *recordTrace, err error) {
	t.Helper()
	ae, ok := err.(*tls.AlertError)
	if !ok {
		t.Fatalf("Input failed with %q, a %T, not a *tls.AlertError", err, err)
	}
	if e.Err() != err || e.State() != tls.StateClosed {
		t.Fatalf("Input failed with %q; then Err is %v and the state %v", err, e.Err(), e.State())
	}
	out := bytes.Clone(e.Output())
	var sent []byte
	alerts := 0
	for _, rec := range r.out {
		sent = append(sent, rec.data...)
		if !rec.encrypted && wire.ContentType(rec.data[0]) == wire.ContentTypeAlert {
			alerts++
		}
	}
	if !bytes.Equal(sent, out) {
		t.Fatalf("the output is not the records traced:\noutput: %x\ntraced: %x", out, sent)
	}
	switch {
	case ae.Received:
		if alerts != 0 {
			t.Fatalf("error %q came from the server, but the client sent %d alerts: %x", err, alerts, out)
		}
	case len(r.out) == 0:
		t.Fatalf("error %q: no alert sent", err)
	case !r.out[len(r.out)-1].encrypted:
		want := []byte{byte(wire.ContentTypeAlert), 3, 3, 0, 2, byte(wire.AlertLevelFatal), byte(ae.Alert)}
		if !bytes.Equal(r.out[len(r.out)-1].data, want) || alerts != 1 {
			t.Fatalf("error %q: output %x does not end with the one alert %x", err, out, want)
		}
	default:
		// Protected: 2 octets of alert, the inner content type and a
		// 16-octet tag. Earlier records of the output are protected too.
		last := r.out[len(r.out)-1].data
		if len(last) != 5+2+1+16 || wire.ContentType(last[0]) != wire.ContentTypeApplicationData || alerts != 0 {
			t.Fatalf("error %q: output %x does not end with one protected alert", err, out)
		}
	}
	// The error is sticky: more input is refused and sends nothing.
	if n, err2 := e.Input([]byte{byte(wire.ContentTypeHandshake), 3, 3, 0, 0}); n != 0 || err2 != err {
		t.Fatalf("after %q, Input takes %d octets and returns %v", err, n, err2)
	}
	if !bytes.Equal(e.Output(), out) {
		t.Fatalf("after %q, more input sent %x", err, e.Output()[len(out):])
	}
}

// cfLastRecord is the last whole record of wire.
func cfLastRecord(raw []byte) []byte {
	var last []byte
	for len(raw) >= 5 {
		n := 5 + int(binary.BigEndian.Uint16(raw[3:5]))
		if n > len(raw) {
			break
		}
		last, raw = raw[:n], raw[n:]
	}
	return last
}
