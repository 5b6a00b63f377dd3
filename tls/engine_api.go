package tls

// Engine is the client without I/O, in the manner of BearSSL's engine and
// rustls's unbuffered API: received octets go in, records to send come
// out, and the caller moves them. Status says what it needs next. It is
// what Conn is built on (through these methods only), what the fuzzers
// drive, and what a firmware event loop can use directly:
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
// Misuse (an Ack count out of range, Start twice, writing before the
// handshake or after Close) returns an error and changes nothing. An
// Engine is not safe for concurrent use, but its buffers stay put for a
// caller that moves data without holding its lock: the octets of Output
// stay unchanged until OutputAck (other calls only append after them), and
// RecvBuffer is written by nothing but the caller until RecvAck.
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
	// Version is VersionTLS13 once the handshake is complete, else 0.
	Version uint16
	// HandshakeComplete is true once the client's Finished is sealed.
	HandshakeComplete bool
	// CipherSuite is the suite the server chose (see CipherSuiteName).
	CipherSuite uint16
	// CurveID is the key exchange group of the handshake.
	CurveID CurveID
	// NegotiatedProtocol is the ALPN protocol the server chose, or "".
	NegotiatedProtocol string
	// ServerName is Config.ServerName.
	ServerName string
	// DidHelloRetryRequest is true if the server sent a HelloRetryRequest.
	DidHelloRetryRequest bool
	// DidResume is true if the handshake resumed a session with a PSK.
	DidResume bool
	// PeerCertificateChain is the server's certificate chain, DER, leaf
	// first. Package tls parses no X.509: x509verify.ParseChain does.
	PeerCertificateChain [][]byte
	// PeerSignatureScheme is the scheme of the server's CertificateVerify.
	PeerSignatureScheme SignatureScheme
	// ClientAuthRequested is true if the server sent a CertificateRequest.
	ClientAuthRequested bool
	// ClientCertificateSent is true if the client answered it with a
	// certificate (and a CertificateVerify).
	ClientCertificateSent bool
	// SignatureSchemesRequested are the signature_algorithms of the
	// server's CertificateRequest, its preference first (or nil).
	SignatureSchemesRequested []SignatureScheme

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
	if hs.suite != nil {
		cs.CipherSuite = hs.suite.id
	}
	if cs.HandshakeComplete {
		cs.Version = VersionTLS13
		cs.exporter, cs.exporterHash = hs.exporter, hs.suite.hash
	}
	return cs
}
