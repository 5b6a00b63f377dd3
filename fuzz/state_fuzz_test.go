package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// FuzzRawInState takes a client to a state of its handshake or after it,
// with a valid conversation with the scripted server of internal/tlsserver,
// then gives it the fuzzer's octets as if from the server. Where
// FuzzRecordLayer always starts in WAIT_SH, this reaches every state, and
// the octets can be records the server protects with the keys the client
// expects, so that the fuzzer reaches more than the record layer.
//
// The input is:
//
//	octet 0   the state (risTargets): WAIT_SH (WAIT_SH_AFTER_HRR with a
//	          HelloRetryRequest), WAIT_EE, WAIT_CERT_CR, WAIT_CERT, WAIT_CV,
//	          WAIT_FINISHED, CONNECTED, PEER_CLOSED, LOCAL_CLOSED
//	octet 1   flags (risFlag*): HelloRetryRequest, client certificate,
//	          middlebox change_cipher_spec, ALPN, no middlebox compatibility,
//	          ChaCha20, RecvBuffer/RecvAck instead of Input, client
//	          authentication
//	octet 2   how many octets to give the client at a time (0: all)
//	octet 3   bits 0-2: how many records the server protects (below);
//	          bits 3-4: tickets after the handshake; bit 5: the client
//	          updates its keys (KeyUpdate) before the octets, once
//	          connected; bit 6: the client closes (Close) before the
//	          octets; bit 7: the client writes an octet of data after
//	          each piece of input, once connected
//	then      that many records: a content type, a length octet, the
//	          content; the server sends them under its keys of the state
//	          (none before the ServerHello)
//	the rest  raw octets, after those records
//
// Properties: no panic; Input (or RecvAck) returns, takes every octet
// unless it fails or application data waits to be read; the work is
// bounded by the input; Err is nil or a *tls.AlertError, the same one
// Input returned, sticky, with the state CLOSED; a failure with a local
// alert sends that alert, last: an unprotected alert record before the
// client has keys, else a protected record the server decrypts to that
// fatal alert (none after the client's own close_notify, in
// LOCAL_CLOSED); a failure on the server's alert sends no alert; no
// application data is delivered before the handshake is complete; after
// the server's close_notify (PEER_CLOSED) everything is ignored (§6.1:
// "Any data received after a closure alert has been received MUST be
// ignored"); and the server notices nothing wrong in what the client sent.
//
// One known client bug is skipped unless TLSSERVER_KNOWN_BUGS=1 (as
// internal/tlsserver's known-bug cases): after close_notify, a record
// header over the size limit still fails the connection with
// record_overflow (seed peer-closed-raw-header).
func FuzzRawInState(f *testing.F) {
	for _, s := range risSeeds() {
		f.Add(s.data)
	}
	f.Fuzz(checkRawInState)
}

// risTarget is a state FuzzRawInState takes the client to: the server's
// main flight is cut before the first message of type cut (all of it for
// none).
type risTarget struct {
	name  string
	state tls.HandshakeState
	cut   wire.HandshakeType // 0: keep the whole flight
	all   bool               // cut nothing: the handshake completes
	cr    bool               // needs a CertificateRequest
}

var risTargets = []risTarget{
	{name: "WAIT_SH", state: tls.StateWaitSH},
	{name: "WAIT_EE", state: tls.StateWaitEE, cut: wire.HandshakeTypeEncryptedExtensions},
	{name: "WAIT_CERT_CR", state: tls.StateWaitCertCR, cut: wire.HandshakeTypeCertificateRequest},
	{name: "WAIT_CERT", state: tls.StateWaitCert, cut: wire.HandshakeTypeCertificate, cr: true},
	{name: "WAIT_CV", state: tls.StateWaitCV, cut: wire.HandshakeTypeCertificateVerify},
	{name: "WAIT_FINISHED", state: tls.StateWaitFinished, cut: wire.HandshakeTypeFinished},
	{name: "CONNECTED", state: tls.StateConnected, all: true},
	{name: "PEER_CLOSED", state: tls.StatePeerClosed, all: true},
	{name: "LOCAL_CLOSED", state: tls.StateLocalClosed, all: true},
}

const (
	risFlagHRR = 1 << iota
	risFlagClientCert
	risFlagMiddleboxCCS
	risFlagALPN
	risFlagNoCompat
	risFlagChaCha
	risFlagRecvBuffer
	risFlagClientAuth
)

// risInput is a decoded input.
type risInput struct {
	target risTarget
	flags  byte
	chunk  int
	sealed []tlsserver.Record
	raw    []byte
	tix    int
	ctl    byte // risCtl*
}

const (
	risCtlKeyUpdate = 1 << (5 + iota)
	risCtlClose
	risCtlWrite
)

func decodeRIS(data []byte) risInput {
	var in risInput
	get := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	in.target = risTargets[int(get())%len(risTargets)]
	in.flags = get()
	in.chunk = int(get())
	b := get()
	in.tix = int(b>>3) & 3
	in.ctl = b & (risCtlKeyUpdate | risCtlClose | risCtlWrite)
	for range b & 7 {
		typ, n := get(), int(get())
		n = min(n, len(data))
		in.sealed = append(in.sealed, tlsserver.Record{Type: wire.ContentType(typ), Payload: data[:n:n]})
		data = data[n:]
	}
	in.raw = data
	return in
}

// risTrace counts what the client does.
type risTrace struct {
	recordsIn, messagesIn, transitions int
	appDataIn                          []string
}

func (r *risTrace) trace(ev tls.TraceEvent) {
	switch ev.Kind {
	case tls.TraceRecordIn:
		r.recordsIn++
	case tls.TraceHandshakeIn:
		r.messagesIn++
	case tls.TraceTransition:
		switch ev.Event {
		case tls.EventStart, tls.EventWrite, tls.EventSendKeyUpdate, tls.EventClose: // the fuzzer's calls, not its octets
		default:
			r.transitions++
		}
		if ev.Event == tls.EventApplicationData && ev.From != tls.StateConnected && ev.From != tls.StateLocalClosed {
			r.appDataIn = append(r.appDataIn, fmt.Sprintf("%v -> %v", ev.From, ev.To))
		}
	}
}

func checkRawInState(t *testing.T, data []byte) {
	in := decodeRIS(data)
	tr := new(risTrace)
	cfg := tlsserver.ClientConfig("rawinstate")
	cfg.Trace = tr.trace
	if in.flags&risFlagClientCert != 0 {
		cfg.Certificates = []tls.Certificate{tlsserver.ClientCertificate().TLSCertificate()}
	}
	if in.flags&risFlagALPN != 0 {
		cfg.NextProtos = []string{"h2"}
	}
	cfg.DisableMiddleboxCompat = in.flags&risFlagNoCompat != 0
	opts := tlsserver.Options{
		Seed:              "rawinstate",
		HelloRetryRequest: in.flags&risFlagHRR != 0,
		MiddleboxCCS:      in.flags&risFlagMiddleboxCCS != 0,
		RequestClientCert: in.flags&risFlagClientAuth != 0 || in.target.cr,
		Tickets:           in.tix,
	}
	if in.flags&risFlagALPN != 0 {
		opts.ALPN = "h2"
	}
	if in.flags&risFlagChaCha != 0 {
		opts.CipherSuite = wire.CipherSuite(tls.TLS_CHACHA20_POLY1305_SHA256)
	}
	want := in.target.state
	if want == tls.StateWaitSH && opts.HelloRetryRequest {
		want = tls.StateWaitSHAfterHRR
	}
	if in.target.cut == wire.HandshakeTypeCertificateRequest && !opts.RequestClientCert {
		in.target.cut = wire.HandshakeTypeCertificate // WAIT_CERT_CR without a request
	}

	// The server's main flight, cut for the state, then the fuzzer's
	// records under its keys; the Wire hook keeps the two apart.
	var prefix, sealedWire []byte
	var cutDone bool
	if !in.target.all {
		opts.Mutator = &tlsserver.Mutator{
			Flight: func(s *tlsserver.Server, f *tlsserver.Flight) {
				if f.Kind != tlsserver.FlightServerHello {
					return
				}
				i := 0
				if in.target.cut != 0 {
					if i = f.Index(in.target.cut, 0); i < 0 {
						panic("no " + in.target.cut.String() + " in the flight")
					}
				}
				f.Items = f.Items[:i]
				for _, r := range in.sealed {
					f.Items = append(f.Items, tlsserver.Item{Rec: &r})
				}
			},
			Wire: func(s *tlsserver.Server, f *tlsserver.Flight, wireData [][]byte) [][]byte {
				if f.Kind == tlsserver.FlightServerHello {
					k := len(wireData) - len(in.sealed)
					prefix, sealedWire = bytes.Join(wireData[:k], nil), bytes.Join(wireData[k:], nil)
					cutDone = true
				}
				return wireData
			},
		}
	}
	srv := tlsserver.New(opts)
	cfg.Crypto = tls.DefaultCrypto()
	e, err := tls.NewEngine(cfg, tlsserver.NewBuffers())
	if err != nil {
		t.Fatal(err)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s: %s\n(input %x)", in.target.name, fmt.Sprintf(format, args...), data)
	}

	// The valid conversation up to the state.
	if err := e.Start(); err != nil {
		fail("Start: %v", err)
	}
	feedAll := func(b []byte) {
		t.Helper()
		for len(b) > 0 {
			n, err := e.Input(b)
			if err != nil {
				fail("valid conversation: the client failed: %v", err)
			}
			b = b[n:]
			e.ApplicationDataAck(len(e.ApplicationData()))
		}
	}
	for range 10 {
		out := bytes.Clone(e.Output())
		e.OutputAck(len(out))
		if len(out) == 0 {
			break
		}
		resp, err := srv.Input(out)
		if err != nil {
			fail("valid conversation: the server failed: %v", err)
		}
		if cutDone && prefix != nil {
			resp, prefix = prefix, nil
		}
		feedAll(resp)
	}
	switch in.target.state {
	case tls.StatePeerClosed:
		out, err := srv.Send(tlsserver.AlertItem(wire.AlertLevelWarning, wire.AlertDescription(tls.AlertCloseNotify)))
		if err != nil {
			fail("server close_notify: %v", err)
		}
		feedAll(out)
	case tls.StateLocalClosed:
		if err := e.Close(); err != nil {
			fail("Close: %v", err)
		}
		out := bytes.Clone(e.Output())
		e.OutputAck(len(out))
		if _, err := srv.Input(out); err != nil {
			fail("server reading the client's close_notify: %v", err)
		}
	}
	if e.State() != want || e.Err() != nil {
		fail("the valid conversation left the client in %v (err %v), want %v", e.State(), e.Err(), want)
	}
	if in.target.all && len(in.sealed) > 0 {
		items := make([]tlsserver.Item, len(in.sealed))
		for i, r := range in.sealed {
			items[i] = tlsserver.Item{Rec: &r}
		}
		if sealedWire, err = srv.Send(items...); err != nil {
			fail("server sealing the records: %v", err)
		}
	}
	hadKeys := want != tls.StateWaitSH && want != tls.StateWaitSHAfterHRR
	closeSent := want == tls.StateLocalClosed
	alertsBefore := len(srv.Alerts())
	connected := func() bool { return e.State() == tls.StateConnected || e.State() == tls.StatePeerClosed }
	var sent []byte
	if in.ctl&risCtlKeyUpdate != 0 && connected() {
		if err := e.KeyUpdate(); err != nil {
			fail("KeyUpdate: %v", err)
		}
	}
	if in.ctl&risCtlClose != 0 {
		if err := e.Close(); err != nil {
			fail("Close: %v", err)
		}
		closeSent = true
		if want = e.State(); want != tls.StateLocalClosed && want != tls.StateClosed {
			fail("Close left the client in %v", want)
		}
	}
	sent = append(sent, e.Output()...)
	e.OutputAck(len(e.Output()))

	// The fuzzer's octets.
	fuzzIn := append(sealedWire, in.raw...)
	*tr = risTrace{}
	var failErr error
	rest := fuzzIn
	for len(rest) > 0 {
		chunk := rest
		if in.chunk > 0 && len(chunk) > in.chunk {
			chunk = chunk[:in.chunk]
		}
		var n int
		var err error
		peerClosed, outBefore := e.PeerClosed(), len(sent)
		if in.flags&risFlagRecvBuffer != 0 {
			for n < len(chunk) && err == nil {
				buf := e.RecvBuffer()
				if len(buf) == 0 {
					break
				}
				k := copy(buf, chunk[n:])
				n += k
				err = e.RecvAck(k)
			}
			if err == nil {
				err = e.Err()
			}
		} else {
			n, err = e.Input(chunk)
		}
		if n < 0 || n > len(chunk) {
			fail("took %d of %d octets", n, len(chunk))
		}
		rest = rest[n:]
		if len(e.ApplicationData()) > 0 && !e.HandshakeComplete() {
			fail("application data %q delivered in %v, before the handshake is complete", e.ApplicationData(), e.State())
		}
		sent = append(sent, e.Output()...)
		e.OutputAck(len(e.Output()))
		if peerClosed && (err != nil || len(sent) > outBefore || len(e.ApplicationData()) > 0) {
			fail("after the server's close_notify, octets %x made the client fail (%v), send %x or deliver %q; §6.1: they MUST be ignored",
				chunk[:n], err, sent[outBefore:], e.ApplicationData())
		}
		if err != nil {
			failErr = err
			break
		}
		if e.Err() != nil {
			fail("Input returned no error, Err is %v", e.Err())
		}
		if n < len(chunk) && len(e.ApplicationData()) == 0 {
			fail("Input stopped %d octets short, with no error and no application data to read", len(chunk)-n)
		}
		// Consuming the data processes the records after it, which may
		// fail as Input does.
		peerClosed, outBefore = e.PeerClosed(), len(sent)
		err = e.ApplicationDataAck(len(e.ApplicationData()))
		sent = append(sent, e.Output()...)
		e.OutputAck(len(e.Output()))
		if peerClosed && (err != nil || len(sent) > outBefore) {
			fail("after the server's close_notify, consuming data made the client fail (%v) or send %x; §6.1", err, sent[outBefore:])
		}
		if err != nil {
			failErr = err
			break
		}
		if in.ctl&risCtlWrite != 0 && connected() {
			if n, err := e.WriteApplicationData([]byte{'w'}); n != 1 || err != nil {
				fail("WriteApplicationData in %v: %d, %v", e.State(), n, err)
			}
			sent = append(sent, e.Output()...)
			e.OutputAck(len(e.Output()))
		}
	}
	if len(tr.appDataIn) > 0 {
		fail("application data taken in %v", tr.appDataIn)
	}
	if tr.recordsIn > len(fuzzIn)/5 || tr.messagesIn > len(fuzzIn)/4 || tr.transitions > tr.recordsIn+tr.messagesIn+1 {
		fail("%d octets made %d records, %d handshake messages and %d transitions", len(fuzzIn), tr.recordsIn, tr.messagesIn, tr.transitions)
	}
	if want == tls.StatePeerClosed && e.State() != tls.StatePeerClosed {
		fail("after the server's close_notify, the input moved the client to %v", e.State())
	}

	// What the client sent, as the server reads it.
	if _, err := srv.Input(sent); err != nil {
		fail("the server cannot read what the client sent (%x): %v", sent, err)
	}
	if v := srv.Violations(); len(v) > 0 {
		fail("the server noticed: %s", strings.Join(v, "; "))
	}
	var newAlerts []wire.Alert // but close_notify and user_canceled
	for _, a := range srv.Alerts()[alertsBefore:] {
		if a.Description != wire.AlertDescription(tls.AlertCloseNotify) && a.Description != wire.AlertDescription(tls.AlertUserCanceled) {
			newAlerts = append(newAlerts, a)
		}
	}

	if failErr == nil {
		if e.Err() != nil {
			fail("Err is %v after Input succeeded", e.Err())
		}
		if e.State() == tls.StateClosed && !closeSent {
			fail("state %v without an error", e.State())
		}
		if len(newAlerts) > 0 {
			fail("sent %v without failing", newAlerts)
		}
		return
	}
	var ae *tls.AlertError
	if !errors.As(failErr, &ae) || error(ae) != failErr {
		fail("failed with %q, a %T, not a *tls.AlertError", failErr, failErr)
	}
	if e.Err() != failErr || e.State() != tls.StateClosed {
		fail("failed with %q; then Err is %v and the state %v", failErr, e.Err(), e.State())
	}
	switch {
	case ae.Received || closeSent:
		if len(newAlerts) > 0 {
			fail("failed with %q (received %v, after close_notify %v) but sent %v", failErr, ae.Received, closeSent, newAlerts)
		}
	case !hadKeys:
		wantRec := []byte{byte(wire.ContentTypeAlert), 3, 3, 0, 2, byte(wire.AlertLevelFatal), byte(ae.Alert)}
		if !bytes.HasSuffix(sent, wantRec) || bytes.Count(sent, wantRec) != 1 {
			fail("failed with %q; output %x does not end with the one alert %x", failErr, sent, wantRec)
		}
	default:
		last := cfLastRecord(sent)
		if len(last) != 5+2+1+16 || wire.ContentType(last[0]) != wire.ContentTypeApplicationData {
			fail("failed with %q; output %x does not end with a protected alert", failErr, sent)
		}
		if len(newAlerts) != 1 || newAlerts[0].Description != wire.AlertDescription(ae.Alert) || newAlerts[0].Level != wire.AlertLevelFatal {
			fail("failed with %q; the server read the alerts %v", failErr, newAlerts)
		}
	}
	// Sticky: more input is refused and sends nothing.
	if n, err := e.Input([]byte{byte(wire.ContentTypeHandshake), 3, 3, 0, 0}); n != 0 || err != failErr {
		fail("after %q, Input takes %d octets and returns %v", failErr, n, err)
	}
	if len(e.Output()) != 0 {
		fail("after %q, more input sent %x", failErr, e.Output())
	}
}

// risSeed is a named seed of FuzzRawInState.
type risSeed struct {
	name string
	data []byte
}

// risSeeds are, for every state, a few inputs: records of each content
// type protected with the keys of the state, a valid next message where
// the fuzzer could not make one, and raw octets.
func risSeeds() []risSeed {
	rec := func(typ wire.ContentType, payload ...byte) []byte {
		return append([]byte{byte(typ), byte(len(payload))}, payload...)
	}
	hs := func(typ wire.HandshakeType, body ...byte) []byte {
		return append([]byte{byte(typ), 0, 0, byte(len(body))}, body...)
	}
	seed := func(target, flags, chunk byte, tix int, recs ...[]byte) []byte {
		b := []byte{target, flags, chunk, byte(len(recs)) | byte(tix&3)<<3 | byte(tix&^3)}
		for _, r := range recs {
			b = append(b, r...)
		}
		return b
	}
	ticket := tlsserver.TicketItem(7).Msg.Body
	var seeds []risSeed
	for i, tg := range risTargets {
		ti := byte(i)
		name := strings.ToLower(strings.ReplaceAll(tg.name, "_", "-"))
		add := func(what string, data []byte) { seeds = append(seeds, risSeed{name + "-" + what, data}) }
		add("empty", seed(ti, 0, 0, 0))
		add("alert", seed(ti, 0, 0, 0, rec(wire.ContentTypeAlert, 2, byte(tls.AlertHandshakeFailure))))
		add("close-notify", seed(ti, risFlagMiddleboxCCS, 0, 0, rec(wire.ContentTypeAlert, 1, 0)))
		add("ccs", seed(ti, 0, 0, 0, rec(wire.ContentTypeChangeCipherSpec, 1)))
		add("app-data", seed(ti, risFlagRecvBuffer, 3, 0, rec(wire.ContentTypeApplicationData, 'h', 'i')))
		add("unknown-message", seed(ti, 0, 0, 0, rec(wire.ContentTypeHandshake, hs(0x63, 1, 2, 3)...)))
		add("raw-header", append(seed(ti, risFlagHRR, 1, 0), 0x16, 3, 3, 0x40, 0x01))
		if !tg.all {
			add("many-ccs", append(seed(ti, 0, 0, 0), bytes.Repeat([]byte{0x14, 3, 3, 0, 1, 1}, 65)...))
		}
		switch tg.state {
		case tls.StateWaitEE:
			add("encrypted-extensions", seed(ti, risFlagALPN, 0, 0, rec(wire.ContentTypeHandshake, hs(wire.HandshakeTypeEncryptedExtensions, 0, 0)...)))
		case tls.StateWaitCertCR, tls.StateWaitCert:
			add("certificate-request", seed(ti, risFlagClientAuth|risFlagClientCert, 0, 0,
				rec(wire.ContentTypeHandshake, hs(wire.HandshakeTypeCertificateRequest, 0, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3)...)))
			add("empty-certificate", seed(ti, 0, 0, 0, rec(wire.ContentTypeHandshake, hs(wire.HandshakeTypeCertificate, 0, 0, 0, 0)...)))
		case tls.StateWaitCV:
			add("certificate-verify", seed(ti, 0, 0, 0, rec(wire.ContentTypeHandshake, hs(wire.HandshakeTypeCertificateVerify, 4, 3, 0, 2, 0x30, 0)...)))
		case tls.StateWaitFinished:
			add("finished", seed(ti, risFlagChaCha, 0, 0, rec(wire.ContentTypeHandshake, append(hs(wire.HandshakeTypeFinished), make([]byte, 32)...)...)))
		case tls.StateConnected, tls.StateLocalClosed:
			msg := append([]byte{byte(wire.HandshakeTypeNewSessionTicket), 0, 0, byte(len(ticket))}, ticket...)
			add("ticket", seed(ti, 0, 0, 1, rec(wire.ContentTypeHandshake, msg...)))
			add("key-update", seed(ti, 0, 0, risCtlWrite, rec(wire.ContentTypeHandshake, hs(wire.HandshakeTypeKeyUpdate, 1)...),
				rec(wire.ContentTypeApplicationData, 'x')))
			add("own-key-update", seed(ti, 0, 0, risCtlKeyUpdate|risCtlWrite, rec(wire.ContentTypeApplicationData, 'y')))
		case tls.StatePeerClosed:
			add("write", seed(ti, 0, 0, risCtlKeyUpdate|risCtlWrite, rec(wire.ContentTypeApplicationData, 'y')))
		}
		if !tg.all {
			add("close", seed(ti, risFlagHRR, 0, risCtlClose, rec(wire.ContentTypeAlert, 2, 40)))
		}
	}
	return seeds
}
