package tls

// Engine is the client without I/O, as BearSSL's engine and rustls's
// unbuffered API: octets go in, records come out, the caller moves them,
// and Status says what it needs next. Conn is built on it, and so can a
// firmware event loop be:
//
//	e, _ := tls.NewEngine(config, buffers)
//	e.Start()
//	for {
//		st := e.Status()
//		switch {
//		case st&tls.StatusSend != 0:
//			n, err := transport.Write(e.Output())
//			e.OutputAck(n) // then stop on err
//		case st&tls.StatusData != 0:
//			use(e.ApplicationData())
//			e.ApplicationDataAck(len(e.ApplicationData()))
//		case st&tls.StatusClosed != 0, st&tls.StatusEOF != 0:
//			return e.Err() // nil after a clean close
//		case st&tls.StatusRecv != 0:
//			n, err := transport.Read(e.RecvBuffer())
//			e.RecvAck(n) // then stop on err
//		}
//		if st&tls.StatusWrite != 0 && len(pending) > 0 {
//			n, _ := e.WriteApplicationData(pending)
//			pending = pending[n:]
//		}
//	}
//
// Misuse (an Ack out of range, Start twice, writing too early or late)
// returns an error and changes nothing. An Engine is not safe for
// concurrent use, but Output stays unchanged until OutputAck, and only
// the caller writes RecvBuffer until RecvAck, locked or not.
type Engine struct {
	e engine
}

// NewEngine returns an Engine working in the given buffers (see Buffers),
// with exactly the cryptography of config.Crypto, which must be set.
func NewEngine(config *Config, buffers Buffers) (*Engine, error) {
	x := new(Engine)
	if err := x.Init(config, buffers); err != nil {
		return nil, err
	}
	return x, nil
}

// Init makes x a new Engine working in the given buffers, as NewEngine
// does, for an Engine that firmware places statically (or inside its own
// structure) instead of on the heap.
// (PooledBuffers gives the buffers Client has.)
func (x *Engine) Init(config *Config, buffers Buffers) error {
	return x.e.init(config, configCrypto(config), buffers)
}

// SetEarlyData, before Start, gives p to send as 0-RTT early data (RFC
// 8446 §2.3) if the resumed session's MaxEarlyDataSize allows. It can be
// replayed (§8): send only what is safe to receive twice.
func (x *Engine) SetEarlyData(p []byte) error { return x.e.setEarlyData(p) }

// Start begins the handshake: the ClientHello is then in Output. A second
// call returns an error and changes nothing.
func (x *Engine) Start() error {
	err := x.e.start()
	x.e.giveBack()
	return err
}

// Status is what the Engine needs next, as a set of bits; several can
// hold at once.
type Status uint8

const (
	// StatusStart: Start has not been called.
	StatusStart Status = 1 << iota
	// StatusSend: Output holds records to send.
	StatusSend
	// StatusRecv: the Engine reads from the peer; RecvBuffer is where the
	// octets go. Not while application data waits to be read.
	StatusRecv
	// StatusData: ApplicationData holds received data.
	StatusData
	// StatusWrite: the handshake is complete and we have not closed:
	// WriteApplicationData and KeyUpdate are accepted.
	StatusWrite
	// StatusEOF: the server sent close_notify; no more data will come.
	StatusEOF
	// StatusClosed: the connection is over (Err says why, if it failed);
	// Output may still hold its last records.
	StatusClosed
)

// Status says what the Engine needs next.
func (x *Engine) Status() Status {
	e := &x.e
	var st Status
	if accepts(e.state, EventStart) && e.err == nil {
		st |= StatusStart
	}
	if e.outLen > 0 {
		st |= StatusSend
	}
	if len(e.appData) > 0 {
		st |= StatusData
	} else if e.err == nil && e.receiving() && !accepts(e.state, EventStart) {
		st |= StatusRecv
	}
	if e.err == nil && accepts(e.state, EventWrite) {
		st |= StatusWrite
	}
	if e.peerClosed() {
		st |= StatusEOF
	}
	if e.err != nil || stateFinal[e.state] {
		st |= StatusClosed
	}
	return st
}

// RecvBuffer is where the next received octets go: all the free room of
// the Read buffer, so one transport read can bring many records. After
// writing n octets there, call RecvAck(n). It is empty while application
// data waits to be read, and after a fatal error.
func (x *Engine) RecvBuffer() []byte { return x.e.recvBuffer() }

// RecvAck processes n octets written into the last RecvBuffer: every
// record they complete, until application data is waiting to be read.
func (x *Engine) RecvAck(n int) error {
	err := x.e.recvAck(n)
	x.e.giveBack()
	return err
}

// Input copies received octets in and processes them; it returns how many
// it took, fewer than len(p) when application data must be read first.
func (x *Engine) Input(p []byte) (int, error) {
	n, err := x.e.input(p)
	x.e.giveBack()
	return n, err
}

// Output is the octets to send; after sending n, call OutputAck(n).
func (x *Engine) Output() []byte { return x.e.output() }

// OutputAck drops the first n octets of Output, once sent.
func (x *Engine) OutputAck(n int) error {
	err := x.e.outputAck(n)
	x.e.giveBack()
	return err
}

// ApplicationData is the received data not yet consumed.
func (x *Engine) ApplicationData() []byte { return x.e.appData }

// ApplicationDataAck consumes n octets of ApplicationData; once it is all
// consumed, the records received after it are processed. The error is a
// misuse, or a fatal error in those records.
func (x *Engine) ApplicationDataAck(n int) error {
	err := x.e.applicationDataAck(n)
	x.e.giveBack()
	return err
}

// WriteApplicationData protects as much of p as the Write buffer takes,
// in records, into Output, and returns how much of p it took. With no
// room it returns ErrWriteBufferFull: send Output first.
func (x *Engine) WriteApplicationData(p []byte) (int, error) {
	n, err := x.e.writeApplicationData(p)
	x.e.giveBack()
	return n, err
}

// KeyUpdate updates the write key and asks the server to update its own
// (RFC 8446 §4.6.3).
func (x *Engine) KeyUpdate() error {
	err := x.e.local(EventSendKeyUpdate)
	x.e.giveBack()
	return err
}

// Close sends close_notify (or, during the handshake, user_canceled and
// close_notify). Closing again does nothing.
func (x *Engine) Close() error {
	err := x.e.local(EventClose)
	x.e.giveBack()
	return err
}

// State is the state machine's current state.
func (x *Engine) State() HandshakeState { return x.e.state }

// HandshakeComplete reports whether the handshake has finished.
func (x *Engine) HandshakeComplete() bool { return x.e.handshakeComplete() }

// PeerClosed reports whether the server sent close_notify.
func (x *Engine) PeerClosed() bool { return x.e.peerClosed() }

// Err is the fatal error that ended the connection, if any.
func (x *Engine) Err() error { return x.e.err }

// ConnectionState describes the connection.
func (x *Engine) ConnectionState() ConnectionState { return x.e.connectionState() }

// peerClosed: the server's close_notify was processed. The table's
// states say so: PEER_CLOSED, or CLOSED after a clean close of both sides
// (a close of our own during the handshake ends it before any of theirs).
func (e *engine) peerClosed() bool {
	return e.state == StatePeerClosed || (e.state == StateClosed && e.err == nil && e.handshakeComplete())
}

// ConnectionState is what the handshake settled on, with crypto/tls's
// field names where the meaning is the same.
type ConnectionState struct {
	Version                   uint16            // VersionTLS13 once the handshake is complete, else 0
	HandshakeComplete         bool              // the client's Finished is sealed
	CipherSuite               uint16            // the suite the server chose (see CipherSuiteName)
	CurveID                   CurveID           // the key exchange group; 0 under psk_ke
	NegotiatedProtocol        string            // the ALPN protocol the server chose, or ""
	ServerName                string            // Config.ServerName
	DidHelloRetryRequest      bool              // the server sent a HelloRetryRequest
	DidResume                 bool              // the server accepted a cached session
	DidExternalPSK            bool              // the server accepted Config.ExternalPSK
	PSKMode                   PSKMode           // with DidResume or DidExternalPSK: psk_ke or psk_dhe_ke
	PeerSignatureScheme       SignatureScheme   // the scheme of the server's CertificateVerify
	ClientAuthRequested       bool              // the server sent a CertificateRequest
	ClientCertificateSent     bool              // the client answered it with a certificate
	SignatureSchemesRequested []SignatureScheme // the CertificateRequest's signature_algorithms, or nil

	// EarlyDataAccepted is true if the server took the early data; if
	// false, none of it reached the server: Write it again if need be.
	EarlyDataAccepted bool
	// PeerCertificateChain is the server's certificate chain, DER, leaf
	// first (empty after a PSK). x509verify.ParseChain parses it.
	PeerCertificateChain [][]byte

	// exporter is exporter_master_secret (RFC 8446 §7.1), of the hash
	// exporterHash; nil before the handshake is complete.
	exporter     [maxHashSize]byte
	exporterHash *hashAlg
}

func (e *engine) connectionState() ConnectionState {
	hs := &e.hs
	cs := ConnectionState{
		HandshakeComplete:     e.handshakeComplete(),
		CurveID:               hs.group,
		NegotiatedProtocol:    hs.alpn,
		ServerName:            e.config.ServerName,
		DidHelloRetryRequest:  hs.hrr,
		PeerCertificateChain:  hs.peerCerts,
		PeerSignatureScheme:   hs.peerScheme,
		ClientAuthRequested:   hs.certRequested,
		ClientCertificateSent: hs.sentCert,

		SignatureSchemesRequested: hs.requestedSchemes,
	}
	if hs.psk.accepted {
		cs.DidResume, cs.DidExternalPSK = hs.psk.resumption, !hs.psk.resumption
		cs.PSKMode = hs.psk.mode
		cs.EarlyDataAccepted = hs.early.accepted
	}
	if hs.suite != nil {
		cs.CipherSuite = hs.suite.id
	}
	if cs.HandshakeComplete {
		cs.Version = VersionTLS13
		cs.exporter, cs.exporterHash = hs.exporter, hs.suite.hash
	}
	return cs
}
