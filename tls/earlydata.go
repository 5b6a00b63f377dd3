package tls

import (
	"errors"

	"github.com/tabletls/tabletls/internal/wire"
)

// 0-RTT early data (RFC 8446 §2.3, §4.2.10): application data sent with
// the ClientHello under client_early_traffic_secret, before the server
// has answered, when a resumed session allows it.
//
// Early data can be replayed: an attacker who records the first flight
// can send it to the server again, and nothing in TLS stops a server
// that keeps no anti-replay state from acting on it twice (§8). Send only
// what is safe to repeat: a sensor reading with its own sequence number,
// not a command. The client uses each ticket for 0-RTT once (it removes
// the session from the ClientSessionCache when it sends early data) but
// cannot stop the network from replaying.

// earlyDataState is the 0-RTT of one handshake.
type earlyDataState struct {
	data     []byte // given by SetEarlyData; sealed by sendEarlyData, then dropped
	offered  bool   // early_data in ClientHello1, and the data sent after it
	accepted bool   // the server's EncryptedExtensions had early_data
	suite    *Suite // the session's suite, which the early key uses
	secret   [maxHashSize]byte
}

var (
	errEarlyDataAfterStart = errors.New("tls: early data must be set before the handshake starts")
)

// setEarlyData keeps p for the first flight.
func (e *engine) setEarlyData(p []byte) error {
	if !accepts(e.state, EventStart) {
		return errEarlyDataAfterStart
	}
	e.hs.early.data = p
	return nil
}

// earlyDataEligible: the PSK is a session whose ticket allows at least
// len(data) octets of early data (§4.2.10: max_early_data_size), whose
// ALPN protocol the Config still offers, and the records fit the Write
// buffer with the ClientHello. Otherwise no early data is sent, and
// ConnectionState.EarlyDataAccepted says so.
func (e *engine) earlyDataEligible(helloLen int) bool {
	hs := &e.hs
	p := &hs.psk
	if len(hs.early.data) == 0 || !p.offered || !p.resumption || uint64(len(hs.early.data)) > uint64(p.maxEarly) {
		return false
	}
	if p.alpn != "" && !containsString(e.config.NextProtos, p.alpn) {
		return false
	}
	suite := e.prof.crypto.suite(p.suite)
	records := (len(hs.early.data) + maxPlaintext - 1) / maxPlaintext
	need := helloLen + 512 + compatCCSLen + len(hs.early.data) + records*(recordHeaderLen+1+16)
	if suite == nil || need > e.outRoom() {
		return false
	}
	hs.early.suite = suite
	return true
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// deriveEarlySecret computes client_early_traffic_secret over
// ClientHello1 (§7.1); th is its transcript hash.
func (e *engine) deriveEarlySecret(th []byte) {
	hs := &e.hs
	hs.ks.clientEarlyTrafficSecret(hs.early.secret[:0], th)
	e.keyLog(keyLogLabelClientEarlyTraffic, hs.early.secret[:hs.psk.hash.Size()])
}

// sendEarlyData seals the early data after ClientHello1, behind the
// compatibility CCS of Appendix D.4, under the early key, and forgets the
// session in the cache: a ticket carries 0-RTT once.
func (e *engine) sendEarlyData() error {
	hs := &e.hs
	data := hs.early.data
	hs.early.data = nil
	if !hs.early.offered {
		return nil
	}
	if err := e.sendCompatCCS(); err != nil {
		return err
	}
	if err := e.writeCipher.setKey(hs.early.suite, hs.early.secret[:hs.psk.hash.Size()]); err != nil {
		return err
	}
	e.writeKeys = keysEarly
	for len(data) > 0 {
		n := min(len(data), maxPlaintext)
		if err := e.writeRecord(wire.ContentTypeApplicationData, data[:n], 0x0303); err != nil {
			return err
		}
		data = data[n:]
	}
	if c := e.config.ClientSessionCache; c != nil {
		c.Put(e.config.ServerName, nil)
	}
	return nil
}

// earlyDataAccepted guards the Finished row that sends EndOfEarlyData.
func (e *engine) earlyDataAccepted() bool { return e.hs.early.accepted }

// checkEarlyDataAnswer reads early_data in EncryptedExtensions (§4.2.10):
// accepted, with the session's suite and ALPN protocol; or, if absent,
// rejected, and the client's writing moves to the handshake key.
func (e *engine) checkEarlyDataAnswer(present bool) error {
	hs := &e.hs
	if present && !hs.early.offered {
		return newAlert(AlertUnsupportedExtension, "tls: server accepted early data we did not send")
	}
	if !hs.early.offered {
		return nil
	}
	if !present {
		return e.installHandshakeWriteKey()
	}
	if hs.suite.id != hs.psk.suite {
		return newAlert(AlertIllegalParameter, "tls: server accepted early data with another cipher suite than the session's")
	}
	if hs.alpn != hs.psk.alpn {
		return newAlert(AlertIllegalParameter, "tls: server accepted early data with another ALPN protocol than the session's")
	}
	hs.early.accepted = true
	return nil
}

// sendEndOfEarlyData ends the early data, under the early key (§4.5),
// and moves the client's writing to the handshake key.
func (e *engine) sendEndOfEarlyData() error {
	msg, err := e.finishMessage(e.startMessage(wire.HandshakeTypeEndOfEarlyData), nil)
	if err != nil {
		return err
	}
	e.hs.transcript.add(msg)
	if err := e.flushHandshake(); err != nil {
		return err
	}
	return e.installHandshakeWriteKey()
}
