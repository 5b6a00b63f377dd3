package tlsserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"

	"github.com/tabletls/tabletls/internal/wire"
)

// PSKs and early data (RFC 8446 §4.2.9 to §4.2.11, §2.3). A server with
// Options.PSK accepts the first identity of a ClientHello's
// pre_shared_key if its binder is right for that key (a wrong one is a
// violation, and the PSK is declined), and then sends no Certificate or
// CertificateVerify.

// EpochEarly is client_early_traffic_secret, under which the client
// sends 0-RTT data and EndOfEarlyData (§2.3).
const EpochEarly Epoch = -1

// errSkipEarly marks a client record the server skips: early data it
// declined (§4.2.10: records that fail to decrypt, up to the handshake
// keys, are skipped).
var errSkipEarly = errors.New("tlsserver: skipped rejected early data")

// PSKAccepted reports whether the server accepted the client's PSK.
func (s *Server) PSKAccepted() bool { return s.psk != nil }

// EarlyData is the 0-RTT data the server accepted and read.
func (s *Server) EarlyData() []byte { return s.earlyData }

// EarlyDataAccepted reports whether the server accepted 0-RTT.
func (s *Server) EarlyDataAccepted() bool { return s.earlyAccepted }

// checkPSK decides on the ClientHello's PSK before the ClientHello goes
// in the transcript.
func (s *Server) checkPSK(ch *wire.ClientHello, msg []byte) {
	x := &ch.Extensions
	s.psk, s.pskKE = nil, false
	if s.state == stateWaitCH && x.Has(wire.ExtensionTypeEarlyData) {
		s.earlyOffered = true
	}
	if s.state == stateWaitCH2 && x.Has(wire.ExtensionTypeEarlyData) {
		s.violate("second ClientHello with early_data (§4.2.10)")
	}
	if s.opts.PSK == nil || !x.Has(wire.ExtensionTypePreSharedKey) {
		return
	}
	binders := x.PreSharedKey.Binders.Bytes()
	if len(binders) < 1 || len(binders) < 1+int(binders[0]) {
		return
	}
	truncated := msg[:len(msg)-2-len(binders)]
	label := "res binder"
	if s.opts.ExternalPSK {
		label = "ext binder"
	}
	early := hkdfExtract(s.opts.PSK, make([]byte, hashLen))
	h := sha256.Sum256(append(bytes.Clone(s.transcript), truncated...))
	want := finishedMAC(deriveSecret(early, label, emptyHash()), h[:])
	if !hmac.Equal(want, binders[1:1+binders[0]]) {
		s.violate("ClientHello with a wrong PSK binder (§4.2.11.2)")
		return
	}
	modes := x.PskKeyExchangeModes.KeModes.Bytes()
	switch {
	case s.opts.PSKKE && bytes.IndexByte(modes, 0) >= 0:
		s.pskKE = true
	case bytes.IndexByte(modes, 1) >= 0:
	default:
		return
	}
	s.psk = s.opts.PSK
}

// startEarlyData, after ClientHello1 is in the transcript, sets up the
// early key if the server takes the client's 0-RTT.
func (s *Server) startEarlyData() error {
	s.skipEarly = s.earlyOffered
	if !s.earlyOffered || !s.opts.AcceptEarlyData || s.psk == nil || s.state != stateWaitCH {
		return nil
	}
	early := hkdfExtract(s.psk, make([]byte, hashLen))
	k, err := newTrafficKeys(s.suite, deriveSecret(early, "c e traffic", s.transcriptHash()))
	if err != nil {
		return err
	}
	s.readKeys[EpochEarly] = k
	s.readEpoch = EpochEarly
	s.earlyAccepted, s.skipEarly = true, false
	return nil
}
