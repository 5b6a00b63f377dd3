package tls

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The de Ruiter & Poll style check of the state machine, done exhaustively
// because the machine is a flat table: every sequence of abstract events
// up to exploreDepth is walked through the generated table and compared,
// event by event, with rfcOrder, a separate reading of RFC 8446 written as
// message orders rather than states. Guards are taken both ways. Along
// every path the compatibility CCS is checked too (checkCompatCCS).

const exploreDepth = 12

// The complete handshakes RFC 8446 allows a client to see (Appendix A.1,
// §4.1.4, §4.3.2, §2.2), as sequences of events; CCS may come anywhere
// after "start" and before "finished" (§5, Appendix D.4), and
// user_canceled, a closure alert (§6.1), anywhere a record may.
var rfcHandshakes = func() [][]HandshakeEvent {
	var out [][]HandshakeEvent
	for _, hrr := range [][]HandshakeEvent{nil, {EventHelloRetryRequest}} {
		for _, auth := range [][]HandshakeEvent{
			{EventCertificate, EventCertificateVerify},                          // certificate
			{EventCertificateRequest, EventCertificate, EventCertificateVerify}, // and client auth
			nil, // PSK (§2.2): Finished alone authenticates the server
		} {
			seq := []HandshakeEvent{EventStart}
			seq = append(seq, hrr...)
			seq = append(seq, EventServerHello, EventEncryptedExtensions)
			seq = append(seq, auth...)
			seq = append(seq, EventFinished)
			out = append(out, seq)
		}
	}
	return out
}()

// rfcPhase is where a history stands according to the RFC text.
type rfcPhase struct {
	hs         []HandshakeEvent // handshake events so far (no CCS)
	cands      []int            // rfcHandshakes that hs is a prefix of
	done       bool             // Finished received
	peerClosed bool             // close_notify received (§6.1)
	selfClosed bool             // close_notify sent
	closed     bool             // the connection is over
}

// rfcOrder says whether the RFC lets ev come next. It knows nothing of the
// table's states.
func rfcOrder(p rfcPhase, ev HandshakeEvent) (rfcPhase, bool) {
	if p.closed {
		return p, false
	}
	next := p
	switch {
	case ev == EventError: // §6.2: a fatal error of our own ends any connection
		next.closed = true
		return next, true
	case ev == EventAlert: // §6.2: an error alert ends any connection...
		if p.peerClosed { // ...but nothing is read after close_notify (§6.1)
			return p, false
		}
		next.closed = true
		return next, true
	case !p.done && len(p.hs) == 0: // nothing sent yet
		if ev == EventStart {
			next.hs = []HandshakeEvent{ev}
			next.cands = nil
			for i := range rfcHandshakes {
				next.cands = append(next.cands, i)
			}
			return next, true
		}
		if ev == EventClose {
			next.closed = true
			return next, true
		}
		return p, false
	case !p.done:
		switch ev {
		case EventChangeCipherSpec: // dropped until Finished (§5)
			return p, true
		case EventUserCanceled: // a closure alert, not an error (§6.1)
			return p, true
		case EventClose, EventCloseNotify: // either side gives up (§6.1)
			next.closed = true
			return next, true
		}
		next.hs = append(append([]HandshakeEvent(nil), p.hs...), ev)
		next.cands = nil
		for _, i := range p.cands {
			if full := rfcHandshakes[i]; len(next.hs) <= len(full) && full[len(next.hs)-1] == ev {
				next.cands = append(next.cands, i)
				next.done = len(next.hs) == len(full)
			}
		}
		return next, len(next.cands) > 0
	}
	// After the handshake (§4.6, §6.1).
	switch ev {
	case EventApplicationData, EventNewSessionTicket, EventKeyUpdate, EventCloseNotify, EventUserCanceled:
		if p.peerClosed { // nothing may follow the peer's close_notify
			return p, false
		}
		if ev == EventCloseNotify {
			next.peerClosed = true
			next.closed = p.selfClosed
		}
		return next, true
	case EventWrite, EventSendKeyUpdate, EventClose: // §4.6, §6.1: until our close_notify
		if p.selfClosed {
			return p, false
		}
		if ev == EventClose {
			next.selfClosed = true
			next.closed = p.peerClosed
		}
		return next, true
	}
	return p, false
}

// rfcGuards gives each guard of the table its meaning in RFC terms: the
// phase after the guard held (or failed), and whether that can happen.
var rfcGuards = map[string]func(p rfcPhase, holds bool) (rfcPhase, bool){
	// §2.2: with a PSK the server sends no Certificate/CertificateVerify.
	"pskAccepted": func(p rfcPhase, holds bool) (rfcPhase, bool) {
		var cands []int
		for _, i := range p.cands {
			full := rfcHandshakes[i]
			psk := full[len(full)-2] == EventEncryptedExtensions
			if psk == holds {
				cands = append(cands, i)
			}
		}
		p.cands = cands
		return p, len(cands) > 0
	},
	// §4.3.2: the client answers only a CertificateRequest it received.
	"clientAuthRequested": func(p rfcPhase, holds bool) (rfcPhase, bool) {
		requested := false
		for _, ev := range p.hs {
			requested = requested || ev == EventCertificateRequest
		}
		return p, requested == holds
	},
	// §4.2.10: the server accepts early data only with the PSK of
	// ClientHello1, so in a PSK handshake without HelloRetryRequest.
	"earlyDataAccepted": func(p rfcPhase, holds bool) (rfcPhase, bool) {
		if !holds {
			return p, true
		}
		var cands []int
		for _, i := range p.cands {
			full := rfcHandshakes[i]
			if full[len(full)-2] == EventEncryptedExtensions && !slices.Contains(full, EventHelloRetryRequest) {
				cands = append(cands, i)
			}
		}
		p.cands = cands
		return p, len(cands) > 0
	},
	// §6.2: a fatal error ends the connection whether or not its alert
	// fits the Write buffer (the alert is best effort); both ways are
	// possible everywhere.
	"alertFits": func(p rfcPhase, _ bool) (rfcPhase, bool) { return p, true },
}

// protectedSends are the actions that send a record under a key once
// one is set: after the ServerHello every one of them does.
var protectedSends = map[string]bool{
	"sendClientCertificate": true, "sendFinished": true, "sendKeyUpdate": true,
	"sealApplicationData": true, "sendCloseNotify": true, "sendUserCanceled": true,
	"sendErrorAlert": true, "sendEndOfEarlyData": true,
}

// checkCompatCCS follows the compatibility change_cipher_spec along a
// path (Appendix D.4): it goes "either immediately after its first
// ClientHello or immediately before its second flight", so never before
// a ClientHello was sent, and before the client's first protected
// record, whatever that carries. It reports the path's CCS after the
// transition's actions, or an error.
func checkCompatCCS(p rfcPhase, i int, ccs bool) (bool, error) {
	keys := slices.Contains(p.hs, EventServerHello)
	for _, a := range actionsOf(i) {
		switch name := actionNames[a]; {
		case name == "sendCompatCCS":
			if len(p.hs) == 0 {
				return ccs, errors.New("the CCS goes before the first ClientHello")
			}
			ccs = true
		case protectedSends[name] && keys && !ccs:
			return ccs, errors.New(name + " sends a protected record before the CCS")
		}
	}
	return ccs, nil
}

func TestStateMachineExhaustive(t *testing.T) {
	reached := make([]bool, numStates)
	connectedOrders := map[string]bool{}
	var paths, dead int
	var history []HandshakeEvent
	var walk func(s HandshakeState, p rfcPhase, ccs bool, depth int)
	walk = func(s HandshakeState, p rfcPhase, ccs bool, depth int) {
		reached[s] = true
		if depth == exploreDepth {
			paths++
			return
		}
		for ev := HandshakeEvent(0); ev < numEvents; ev++ {
			first, end := transitionsOf(s, ev)
			rp, rfcOK := rfcOrder(p, ev)
			history = append(history, ev)
			if first == end {
				if rfcOK {
					t.Errorf("%s: the RFC allows %v here, the table does not", seqString(history), ev)
				}
				dead++ // a fatal unexpected_message, checked below on the real dispatch
			} else {
				if !rfcOK {
					t.Errorf("%s: the table takes %v in %v, the RFC does not allow it", seqString(history), ev, s)
				}
				// Guards are taken both ways, each with its RFC meaning:
				// a guarded transition is taken if the guard can hold, and
				// the later ones see it failed.
				gp := rp
				for i := first; i < end; i++ {
					rp := gp
					if g := transitions[i].guard; g != 0 {
						meaning, ok := rfcGuards[guardNames[g]]
						if !ok {
							t.Fatalf("guard %s has no RFC meaning in this test", guardNames[g])
						}
						var possible bool
						if rp, possible = meaning(gp, true); !possible {
							gp, _ = meaning(gp, false)
							continue
						}
						gp, _ = meaning(gp, false)
					}
					next := transitions[i].next
					if next == StateConnected && s != StateConnected {
						if !rp.done {
							t.Errorf("%s: the table reaches CONNECTED before the RFC's Finished", seqString(history))
						}
						connectedOrders[seqString(withoutCCS(history))] = true
					}
					if rp.closed != (next == StateClosed) && rfcOK {
						t.Errorf("%s: table state %v, RFC closed=%v", seqString(history), next, rp.closed)
					}
					ccs, err := checkCompatCCS(p, i, ccs)
					if err != nil {
						t.Errorf("%s: %v", seqString(history), err)
					}
					walk(next, rp, ccs, depth+1)
				}
			}
			history = history[:len(history)-1]
		}
	}
	walk(initialState, rfcPhase{}, false, 0)
	for s, ok := range reached {
		if !ok {
			t.Errorf("state %v is never reached", HandshakeState(s))
		}
	}
	// Every complete RFC handshake, and nothing else, reaches CONNECTED.
	for _, full := range rfcHandshakes {
		if !connectedOrders[seqString(full)] {
			t.Errorf("RFC order %s does not reach CONNECTED", seqString(full))
		}
	}
	if len(connectedOrders) != len(rfcHandshakes) {
		t.Errorf("%d orders reach CONNECTED, the RFC has %d", len(connectedOrders), len(rfcHandshakes))
	}
	t.Logf("depth %d: %d paths walked to the end, %d fatal events checked", exploreDepth, paths, dead)
}

// TestStateMachineUnexpected runs the real dispatch for every (state,
// event) pair the table leaves empty: each must be a fatal
// unexpected_message (§6.2) and leave the state alone, and no pair with a
// transition may return unexpected_message on its own.
func TestStateMachineUnexpected(t *testing.T) {
	for s := HandshakeState(0); s < numStates; s++ {
		for ev := HandshakeEvent(0); ev < numEvents; ev++ {
			if accepts(s, ev) {
				continue
			}
			e := &engine{config: &Config{}, state: s}
			err := e.dispatch(ev)
			var ae *AlertError
			if !errors.As(err, &ae) || ae.Alert != AlertUnexpectedMessage || ae.Received {
				t.Errorf("%v in %v: got %v, want unexpected_message", ev, s, err)
			}
			if e.state != s {
				t.Errorf("%v in %v: state moved to %v", ev, s, e.state)
			}
		}
	}
}

// TestStateMachineNoDeadEnds: from every state but CLOSED there is a way
// to CLOSED, and every final state is CLOSED.
func TestStateMachineNoDeadEnds(t *testing.T) {
	for s := HandshakeState(0); s < numStates; s++ {
		if stateFinal[s] != (s == StateClosed) {
			t.Errorf("state %v: final=%v", s, stateFinal[s])
		}
		seen := map[HandshakeState]bool{s: true}
		queue := []HandshakeState{s}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			for ev := 0; ev < numEvents; ev++ {
				first, end := transitionsOf(cur, HandshakeEvent(ev))
				for i := first; i < end; i++ {
					if n := transitions[i].next; !seen[n] {
						seen[n] = true
						queue = append(queue, n)
					}
				}
			}
		}
		if !seen[StateClosed] {
			t.Errorf("no way from %v to CLOSED", s)
		}
	}
}

// withoutCCS drops the events that leave the handshake where it is:
// change_cipher_spec and user_canceled.
func withoutCCS(seq []HandshakeEvent) []HandshakeEvent {
	var out []HandshakeEvent
	for _, ev := range seq {
		if ev != EventChangeCipherSpec && ev != EventUserCanceled {
			out = append(out, ev)
		}
	}
	return out
}

func seqString(seq []HandshakeEvent) string {
	var b strings.Builder
	for i, ev := range seq {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ev.String())
	}
	return b.String()
}
