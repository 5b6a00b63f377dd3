package tlsserver_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// hostileCase is one misbehaving server and the alert the client must
// answer it with.
type hostileCase struct {
	name string
	opts tlsserver.Options
	cfg  func(*tls.Config)
	// post, if set, runs after the handshake (whether or not it completed)
	// instead of Run's probe.
	post func(p *tlsserver.Pipe)
	// want is the alert the client must fail with; received says it is
	// the server's alert (so the client sends none).
	want     tls.AlertDescription
	received bool
	// knownBug, if set, skips the case: the client is known to get it
	// wrong (see the report in the commit that added it).
	knownBug string
}

// skipKnownBug skips a test of a known client bug, unless
// TLSSERVER_KNOWN_BUGS=1 (to check a fix, or that the bug is still there).
func skipKnownBug(t *testing.T, bug string) {
	t.Helper()
	if bug != "" && os.Getenv("TLSSERVER_KNOWN_BUGS") != "1" {
		t.Skip("known client bug: " + bug)
	}
}

func runHostile(t *testing.T, cases []hostileCase) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			skipKnownBug(t, c.knownBug)
			r := converse(c.name, c.opts, c.cfg, c.post)
			checkAlert(t, r, c.want, c.received)
		})
	}
}

// converse runs the handshake against a server with opts and then post
// (default: the client writes a probe).
func converse(seed string, opts tlsserver.Options, cfgFn func(*tls.Config), post func(*tlsserver.Pipe)) *tlsserver.Result {
	cfg := tlsserver.ClientConfig(seed)
	if cfgFn != nil {
		cfgFn(cfg)
	}
	p, err := tlsserver.NewPipe(cfg, tlsserver.New(opts))
	if err != nil {
		panic(err)
	}
	p.Handshake()
	switch {
	case post != nil:
		post(p)
	case p.Err() == nil && p.Client.HandshakeComplete():
		p.ClientWrite(tlsserver.Probe)
	}
	return p.Result()
}

// checkAlert asserts that the client failed with want, and that it sent
// want (fatal) unless received.
func checkAlert(t *testing.T, r *tlsserver.Result, want tls.AlertDescription, received bool) {
	t.Helper()
	checkInvariants(t, r)
	if r.Alert == nil {
		t.Fatalf("client error = %v (handshake complete %v, state %v); want alert %v (received=%v)",
			r.Err, r.HandshakeComplete, r.State, want, received)
	}
	if r.Alert.Alert != want || r.Alert.Received != received {
		t.Errorf("client error: alert %v, received=%v (%q); want %v, received=%v",
			r.Alert.Alert, r.Alert.Received, r.Alert.Error(), want, received)
	}
	a, ok := r.SentAlert()
	switch {
	case received && ok && a.Description != wire.AlertDescription(tls.AlertCloseNotify):
		t.Errorf("client answered the server's alert with %v %v", a.Level, a.Description)
	case !received && !ok:
		t.Errorf("client sent no alert; want fatal %v", want)
	case !received && (a.Description != wire.AlertDescription(want) || a.Level != wire.AlertLevelFatal):
		t.Errorf("client sent %v %v; want fatal %v", a.Level, a.Description, want)
	}
}

// checkInvariants fails on a panic, application data before the
// handshake, an alert not matching the error, and whatever else
// Pipe.Result flags.
func checkInvariants(t *testing.T, r *tlsserver.Result) {
	t.Helper()
	for _, v := range r.Violations {
		t.Errorf("violation: %s", v)
	}
	if r.ServerErr != nil && r.Alert == nil {
		t.Errorf("server error: %v", r.ServerErr)
	}
}

// checkOK asserts a complete handshake with no error anywhere.
func checkOK(t *testing.T, r *tlsserver.Result) {
	t.Helper()
	checkInvariants(t, r)
	if r.Err != nil {
		t.Fatalf("client error: %v", r.Err)
	}
	if r.ServerErr != nil {
		t.Fatalf("server error: %v", r.ServerErr)
	}
	if !r.HandshakeComplete {
		t.Fatalf("handshake not complete (state %v)", r.State)
	}
	if len(r.Sent) > 0 {
		t.Errorf("client sent alerts %v", r.Sent)
	}
}

// --- Mutators ---

func onMain(fn func(s *tlsserver.Server, f *tlsserver.Flight)) *tlsserver.Mutator {
	return tlsserver.OnFlight(tlsserver.FlightServerHello, fn)
}

func onHRR(fn func(s *tlsserver.Server, f *tlsserver.Flight)) *tlsserver.Mutator {
	return tlsserver.OnFlight(tlsserver.FlightHelloRetryRequest, fn)
}

func onPost(fn func(s *tlsserver.Server, f *tlsserver.Flight)) *tlsserver.Mutator {
	return tlsserver.OnFlight(tlsserver.FlightPostHandshake, fn)
}

// editMain edits the first message of type typ of the main flight.
func editMain(typ wire.HandshakeType, fn func(m *tlsserver.Message)) *tlsserver.Mutator {
	return onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
		m := f.Message(typ)
		if m == nil {
			panic("no " + typ.String() + " in the flight")
		}
		fn(m)
	})
}

func editSH(fn func(*wire.ServerHello)) *tlsserver.Mutator {
	return editMain(wire.HandshakeTypeServerHello, func(m *tlsserver.Message) { tlsserver.MustEdit(m, fn) })
}

func editHRR(fn func(*wire.HelloRetryRequest)) *tlsserver.Mutator {
	return onHRR(func(s *tlsserver.Server, f *tlsserver.Flight) {
		tlsserver.MustEdit(f.Message(wire.HandshakeTypeServerHello), fn)
	})
}

// addExt adds a raw extension to the first message of type typ of the
// main flight.
func addExt(typ wire.HandshakeType, ext wire.ExtensionType, data []byte) *tlsserver.Mutator {
	return editMain(typ, func(m *tlsserver.Message) { must(m.AddExtension(ext, data)) })
}

func removeExt(typ wire.HandshakeType, ext wire.ExtensionType) *tlsserver.Mutator {
	return editMain(typ, func(m *tlsserver.Message) { must(m.RemoveExtension(ext)) })
}

// insertAfter inserts items after the first message of type typ in the
// main flight.
func insertAfter(typ wire.HandshakeType, items ...tlsserver.Item) *tlsserver.Mutator {
	return onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
		f.Insert(f.Index(typ, 0)+1, items...)
	})
}

// insertBefore inserts items before the first message of type typ in the
// main flight.
func insertBefore(typ wire.HandshakeType, items ...tlsserver.Item) *tlsserver.Mutator {
	return onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
		f.Insert(f.Index(typ, 0), items...)
	})
}

// setBody replaces the body of a message of the main flight.
func setBody(typ wire.HandshakeType, fn func(body []byte) []byte) *tlsserver.Mutator {
	return editMain(typ, func(m *tlsserver.Message) { m.Edit = fn })
}

// corruptRecord flips a bit of the i-th record of flights of kind, at
// offset off from its end (1 is the last octet).
func corruptRecord(kind tlsserver.FlightKind, i, off int) *tlsserver.Mutator {
	return tlsserver.OnRecords(kind, func(s *tlsserver.Server, recs []*tlsserver.Record) []*tlsserver.Record {
		recs[i].Corrupt = func(w []byte) []byte { w[len(w)-off] ^= 0x80; return w }
		return recs
	})
}

func u16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func repeat(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }

// rawRecord is a record with any header.
func rawRecord(typ wire.ContentType, length int, body []byte) tlsserver.Item {
	return tlsserver.Item{Rec: &tlsserver.Record{Raw: cat([]byte{byte(typ), 3, 3, byte(length >> 8), byte(length)}, body)}}
}
