package tls

import (
	"bytes"
	"crypto/rand"
	"github.com/tabletls/tabletls/internal/wire"
	"io"
)

// engine is the client with no I/O, in the manner of BearSSL: the caller
// puts received bytes into its record buffer and takes the records it
// produces from its output buffer. All memory is the four buffers given at
// creation; nothing grows. The generated dispatch
// (zz_generated_statemachine.go) decides what each message means in each
// state; the actions it names are in handshake_client.go.
type engine struct {
	config *Config
	prof   profile // config's preferences, checked against its Crypto
	rand   io.Reader
	state  HandshakeState
	err    error // first fatal error; sticky

	// in holds received octets: in[inPos:inLen] are not processed yet
	// (records after the one whose application data is being read, or
	// the start of a record still arriving).
	in           []byte
	inPos, inLen int
	recvRoom     int // the length of the last RecvBuffer, which bounds RecvAck
	// out holds records waiting to be sent: out[:outLen].
	out    []byte
	outLen int
	// hsIn reassembles a handshake message that spans records: the
	// caller's Buffers.HandshakeIn (hsInOwn), or a larger one made for one
	// message, up to maxHSIn (Buffers.MaxHandshakeIn).
	hsIn    []byte
	hsInLen int
	hsInOwn []byte
	maxHSIn int
	// hsOut collects this flight's handshake messages until they are put
	// in records; scratch is where extension bodies are built.
	hsOut    []byte
	hsOutLen int
	scratch  []byte

	readCipher, writeCipher recordCipher
	hmacs                   hmacHashes // under every HMAC of the connection
	own                     ownedBuffers
	readEncrypted           bool     // K_recv is set: records are protected
	writeKeys               keyPhase // K_send (Appendix A)
	smallRecords            bool     // Read holds only records under Config.RecordSizeLimit

	// The handshake message or record being processed. They alias in or
	// hsIn, so anything kept longer is copied.
	msg            []byte // with its 4-octet header
	msgBody        []byte
	pendingAppData []byte
	pendingWrite   []byte // the application data the write event seals
	peerAlert      AlertDescription
	// Bounds on what a peer may send without progress (see the limits).
	emptyRecords   int  // consecutive records that carried nothing
	ccsRecords     int  // change_cipher_spec records in the handshake
	postHandshake  int  // KeyUpdates and NewSessionTickets since application data
	peerCanceled   bool // the server sent user_canceled (§6.1)
	receivedRecord bool // a record header of a known type was received

	appData []byte // decrypted application data not yet read

	hs handshakeState

	// testHookClientHello, if set, replaces the encoded ClientHello
	// (1 for the first, 2 after a HelloRetryRequest): RFC 8448 tests use it
	// to send the trace's exact bytes.
	testHookClientHello func(n int) []byte
}

// Buffers is the memory a connection works in. Firmware can place them
// statically and pass them to ClientWithBuffers or NewEngine.
//
// With Config.RecordSizeLimit set, the Min sizes do not apply: Read needs
// RecordBufferSize(RecordSizeLimit) octets, Write as much or
// MinWriteBuffer if that is less, HandshakeIn 512 and HandshakeOut 1,024
// (all of 2.5 KB for 512-octet records).
type Buffers struct {
	// Read holds one incoming record: at least MinReadBuffer octets.
	Read []byte
	// Write holds the records of one flight or one Write call: at least
	// MinWriteBuffer octets. Larger ones make larger records.
	Write []byte
	// HandshakeIn reassembles a message split over records, and bounds its
	// size (a Certificate: 500 octets self-signed P-256, 1.5 to 3 KB WebPKI);
	// a longer one is illegal_parameter, the sizes in the error.
	HandshakeIn []byte
	// MaxHandshakeIn, if larger, lets a longer message get its own buffer
	// for a while, up to 256 KiB (Certificate) or 64 KiB; Client sets it.
	MaxHandshakeIn int
	// HandshakeOut builds one flight: less 4 KiB of scratch (half, under
	// 8 KiB), it bounds the client's certificate chain.
	HandshakeOut []byte

	pools bufferPools // PooledBuffers': where Read and Write come from
}

const (
	// MinReadBuffer fits the largest record RFC 8446 §5.2 allows.
	MinReadBuffer = recordHeaderLen + maxCiphertext
	// MinWriteBuffer fits a ClientHello with a hybrid key share.
	MinWriteBuffer = 4096
	// MinHandshakeIn is the smallest reassembly buffer.
	MinHandshakeIn = 4096
	// MinHandshakeOut is the smallest flight buffer.
	MinHandshakeOut = 8192

	scratchSize = 4096

	// With Config.RecordSizeLimit the handshake buffers may be this small;
	// HandshakeOut's second half is then the scratch space.
	minSmallHandshakeIn  = 512
	minSmallHandshakeOut = 1024

	defaultWriteBuffer  = MinReadBuffer + 1024
	defaultHandshakeIn  = 4 + maxPlaintext
	defaultHandshakeOut = 12288

	// The largest handshake messages a growing HandshakeIn takes, those of
	// crypto/tls (maxHandshakeCertificateMsg, maxHandshake).
	maxCertificateMessage = 256 << 10
	maxOtherMessage       = 64 << 10
)

// newHandshakeBuffers allocates the handshake buffers of Client, in one
// piece, which the connection lets go after the handshake.
func newHandshakeBuffers() Buffers {
	mem := make([]byte, defaultHandshakeIn+defaultHandshakeOut)
	return Buffers{HandshakeIn: mem[:defaultHandshakeIn:defaultHandshakeIn], HandshakeOut: mem[defaultHandshakeIn:],
		MaxHandshakeIn: maxCertificateMessage}
}

// newBuffers allocates the default buffers in one piece.
func newBuffers() Buffers {
	mem := make([]byte, MinReadBuffer+defaultWriteBuffer+defaultHandshakeIn+defaultHandshakeOut)
	var b Buffers
	b.Read, mem = mem[:MinReadBuffer:MinReadBuffer], mem[MinReadBuffer:]
	b.Write, mem = mem[:defaultWriteBuffer:defaultWriteBuffer], mem[defaultWriteBuffer:]
	b.HandshakeIn, mem = mem[:defaultHandshakeIn:defaultHandshakeIn], mem[defaultHandshakeIn:]
	b.HandshakeOut = mem[:defaultHandshakeOut:defaultHandshakeOut]
	b.MaxHandshakeIn = maxCertificateMessage
	return b
}

// init sets e up for config with the cryptography cr (config.Crypto, or
// DefaultCrypto for Client) and the buffers b (from PooledBuffers: only
// the handshake buffers, and the pools of the others).
func (e *engine) init(config *Config, cr *Crypto, b Buffers) error {
	owned := b.pools != nil
	*e = engine{config: config, state: initialState}
	e.readCipher.x.hashes, e.writeCipher.x.hashes = &e.hmacs, &e.hmacs
	if config == nil {
		return configError("Config", "nil")
	}
	if err := config.resolve(cr, &e.prof); err != nil {
		return err
	}
	// With a record size limit, records are small and so are the
	// buffers that hold them (see Config.RecordSizeLimit).
	minRead, minWrite, minHSIn, minHSOut := MinReadBuffer, MinWriteBuffer, MinHandshakeIn, MinHandshakeOut
	if config.RecordSizeLimit != 0 {
		minRead = RecordBufferSize(config.RecordSizeLimit)
		minWrite = min(minWrite, minRead)
		minHSIn, minHSOut = minSmallHandshakeIn, minSmallHandshakeOut
	}
	if owned {
		minRead, minWrite = 0, 0 // from the pools, of the right size
	}
	for _, c := range [...]struct {
		name      string
		have, min int
	}{{"Read", len(b.Read), minRead}, {"Write", len(b.Write), minWrite}, {"HandshakeIn", len(b.HandshakeIn), minHSIn}, {"HandshakeOut", len(b.HandshakeOut), minHSOut}} {
		if c.have < c.min {
			return configError("Buffers."+c.name, itoa(c.have)+" octets; it needs at least "+itoa(c.min))
		}
	}
	e.smallRecords = !owned && len(b.Read) < MinReadBuffer
	e.in, e.out, e.hsIn = b.Read, b.Write, b.HandshakeIn
	e.own.pools = b.pools
	e.hsInOwn, e.maxHSIn = b.HandshakeIn, b.MaxHandshakeIn
	if owned {
		// After the handshake HandshakeIn is made per message: at least
		// as large as takeHandshakeIn's.
		e.maxHSIn = max(e.maxHSIn, defaultHandshakeIn)
	}
	n := len(b.HandshakeOut) - min(scratchSize, len(b.HandshakeOut)/2)
	e.hsOut, e.scratch = b.HandshakeOut[:n:n], b.HandshakeOut[n:]
	e.rand = config.Rand
	if e.rand == nil {
		e.rand = rand.Reader
	}
	return nil
}

// --- Input ---

// keyPhase is which traffic key protects a direction (Appendix A's
// K_send and K_recv).
type keyPhase uint8

const (
	keysNone  keyPhase = iota
	keysEarly          // client_early_traffic_secret, 0-RTT (§2.3)
	keysHandshake
	keysApplication
)

// receiving reports whether input is framed and processed: the state
// takes something from the peer. In the others (after the peer's
// close_notify, or a clean close) it is discarded.
func (e *engine) receiving() bool { return stateReceives[e.state] }

// recvBuffer returns where the next received octets go: all the free room
// of the receive buffer, so that one transport read can bring many
// records. It is empty while application data is waiting to be read (it
// sits in the same buffer) or after a fatal error.
func (e *engine) recvBuffer() []byte {
	e.recvRoom = 0
	e.own.inLent, e.own.idleLent = false, false
	if len(e.appData) > 0 || e.err != nil {
		return nil
	}
	if e.own.pools != nil && e.in == nil { // the Read buffer is in its pool
		e.own.idleLent = true
		e.recvRoom = len(e.own.idle)
		return e.own.idle[:]
	}
	e.own.inLent = e.own.pools != nil
	if !e.receiving() {
		e.recvRoom = len(e.in)
		return e.in // a sink: recvAck discards it
	}
	if e.inPos > 0 {
		e.inLen = copy(e.in, e.in[e.inPos:e.inLen])
		e.inPos = 0
	}
	e.recvRoom = len(e.in) - e.inLen
	return e.in[e.inLen:]
}

var (
	errRecvAck = &wrapped{"tls: RecvAck count outside the last RecvBuffer", ErrMisuse}
	errDataAck = &wrapped{"tls: ApplicationDataAck count outside ApplicationData", ErrMisuse}
	errOutAck  = &wrapped{"tls: OutputAck count outside Output", ErrMisuse}
)

// recvAck takes n octets written into recvBuffer, and processes every
// record they complete. A fatal error sends its alert.
func (e *engine) recvAck(n int) error {
	if e.err != nil {
		return e.err
	}
	if n < 0 || n > e.recvRoom {
		return errRecvAck
	}
	e.recvRoom -= n
	idle := e.own.idleLent
	e.own.inLent, e.own.idleLent = false, false
	if n == 0 {
		return nil
	}
	// §6.1: "Any data received after a closure alert has been received
	// MUST be ignored", and once both sides closed nothing is read either:
	// not even framed, as a header may claim more than the buffer holds.
	if !e.receiving() {
		return nil
	}
	if idle { // into the Read buffer, which went back empty
		e.takeIn()
		copy(e.in, e.own.idle[:n])
		clear(e.own.idle[:n])
	}
	e.inLen += n
	return e.process()
}

// process handles the complete records in in[inPos:inLen], in order,
// until application data waits to be read, the state stops reading, or
// a record is still incomplete. Then it sends what they asked for: the
// next flight, or one KeyUpdate for all the requests in the batch.
func (e *engine) process() error {
	for len(e.appData) == 0 && e.err == nil {
		if !e.receiving() {
			e.inPos, e.inLen = 0, 0 // the rest is ignored (§6.1)
			break
		}
		buf := e.in[e.inPos:e.inLen]
		if len(buf) < recordHeaderLen {
			break
		}
		var h wire.RecordHeader
		if err := h.Unmarshal(buf[:recordHeaderLen]); err != nil {
			return e.fail(err)
		}
		if err := e.checkRecordHeader(h, buf[:recordHeaderLen]); err != nil {
			return e.fail(err)
		}
		if recordHeaderLen+int(h.Length) > len(e.in) {
			// Only with Buffers sized for Config.RecordSizeLimit: once
			// the server acknowledged the limit, a longer record breaks it.
			if e.readEncrypted && (e.hs.peerRecordLimit > 0 || e.hs.fragmentLimit > 0) {
				return e.fail(newAlert(AlertRecordOverflow, "tls: server sent a record over the negotiated record size limit"))
			}
			return e.fail(newAlert(AlertInternalError, "tls: record of "+itoa(int(h.Length))+" octets does not fit the Read buffer"))
		}
		if len(buf) < recordHeaderLen+int(h.Length) {
			break
		}
		rec := buf[:recordHeaderLen+int(h.Length)]
		e.inPos += len(rec)
		if err := e.handleRecord(h, rec); err != nil {
			return e.fail(err)
		}
	}
	if e.inPos == e.inLen {
		e.inPos, e.inLen = 0, 0
	}
	if e.err != nil {
		return e.err
	}
	if err := e.flushHandshake(); err != nil {
		return err
	}
	return e.payKeyUpdate()
}

// checkRecordHeader turns a record away on its header, before waiting
// for a body that may never fit or never come.
func (e *engine) checkRecordHeader(h wire.RecordHeader, header []byte) error {
	// §5: an unknown record type is unexpected_message. It is often a
	// server that does not speak TLS at all (an HTTP reply, an SSH
	// banner), so say so.
	if !knownContentType(h.Type) {
		return newAlert(AlertUnexpectedMessage, notTLSMessage(header, !e.receivedRecord))
	}
	e.receivedRecord = true
	// §5.1, §5.2: oversized records are record_overflow. Only a protected
	// record (outer type application_data once keys are set) may carry
	// the 256 octets of expansion; any other is a TLSPlaintext, at most
	// 2^14.
	limit := maxPlaintext
	if e.readEncrypted && h.Type == wire.ContentTypeApplicationData {
		limit = maxCiphertext
		// RFC 8449 §4: once the server has taken our record_size_limit
		// (in EncryptedExtensions), "A TLS endpoint that receives a record
		// larger than its advertised limit MUST generate a fatal
		// record_overflow alert". The limit counts the whole
		// TLSInnerPlaintext; the record adds the AEAD tag.
		if e.hs.peerRecordLimit > 0 {
			limit = int(e.config.RecordSizeLimit) + e.readCipher.aead.Overhead()
		}
	}
	if int(h.Length) > limit {
		if limit < maxPlaintext {
			return newAlert(AlertRecordOverflow, "tls: record of "+itoa(int(h.Length))+
				" octets over our record_size_limit of "+itoa(int(e.config.RecordSizeLimit))+" (RFC 8449)")
		}
		return newAlert(AlertRecordOverflow, "tls: oversized record received")
	}
	return nil
}

func knownContentType(t wire.ContentType) bool {
	switch t {
	case wire.ContentTypeChangeCipherSpec, wire.ContentTypeAlert, wire.ContentTypeHandshake, wire.ContentTypeApplicationData:
		return true
	}
	return false
}

// notTLSMessage describes a record header of an unknown type; the first
// one received, if it is printable text, is quoted.
func notTLSMessage(header []byte, first bool) string {
	if first && printable(header) {
		return "tls: the server answered in plain text, not TLS: \"" + string(header) + "...\""
	}
	return "tls: record of unknown type " + itoa(int(header[0]))
}

func printable(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\r' && c != '\n' && c != '\t' {
			return false
		}
	}
	return true
}

// input copies p into the receive buffer and processes what completes,
// for callers that do not read into recvBuffer directly. It stops early
// when application data is waiting to be read.
func (e *engine) input(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		buf := e.recvBuffer()
		if len(buf) == 0 {
			break
		}
		n := copy(buf, p)
		p = p[n:]
		total += n
		if err := e.recvAck(n); err != nil {
			return total, err
		}
	}
	return total, e.err
}

// applicationDataAck consumes n octets of appData; once it is all read,
// the records after it are processed.
func (e *engine) applicationDataAck(n int) error {
	if n < 0 || n > len(e.appData) {
		return errDataAck
	}
	if n == 0 {
		return nil
	}
	e.appData = e.appData[n:]
	if len(e.appData) > 0 || e.err != nil {
		return nil
	}
	return e.process()
}

var helloRetryRequestRandom = []byte{ // SHA-256("HelloRetryRequest"), §4.1.3
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
	0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
}

// Bounds on records and messages a server may send without progress, as
// BoringSSL has them. Each is legal on its own, and the RFC sets no
// number, but without a bound a server keeps the client busy forever:
//   - empty application_data records (§5.1: "Zero-length fragments of
//     Application Data MAY be sent") and user_canceled alerts, in a row;
//   - change_cipher_spec records (§5: dropped "at any time after the
//     first ClientHello ... and before the peer's Finished"; Appendix D.4
//     has the server send one), in the whole handshake;
//   - KeyUpdates and NewSessionTickets (§4.6) with no application data in
//     between.
//
// Going past one is fatal with unexpected_message: the message is of a
// kind the client takes, but not this many times, which §6.2 calls "An
// inappropriate message"; nothing in the message is malformed
// (decode_error) or has a bad value (illegal_parameter), and the fault is
// the peer's, not ours (internal_error). BoringSSL sends the same.
const (
	maxEmptyRecords          = 32
	maxCCSRecords            = 32
	maxPostHandshakeMessages = 32
)

func (e *engine) handleRecord(h wire.RecordHeader, rec []byte) error {
	protected := e.readEncrypted && h.Type == wire.ContentTypeApplicationData
	e.trace(TraceEvent{Kind: TraceRecordIn, ContentType: uint8(h.Type), Length: len(rec), Encrypted: protected, Data: rec})
	var pt wire.TLSPlaintext
	if err := pt.Unmarshal(rec); err != nil {
		return err // cannot happen: rec was cut at the length of its header
	}
	typ, body := pt.Type, pt.Fragment
	switch {
	case typ == wire.ContentTypeChangeCipherSpec:
		// §5: dropped if it is the one octet 0x01 and not protected;
		// anything else is unexpected_message.
		var ccs wire.ChangeCipherSpec
		if ccs.Unmarshal(body) != nil || ccs.Type != changeCipherSpec {
			return newAlert(AlertUnexpectedMessage, "tls: invalid change_cipher_spec record")
		}
		if e.hsInLen > 0 {
			return newAlert(AlertUnexpectedMessage, "tls: change_cipher_spec inside a handshake message")
		}
		if e.ccsRecords++; e.ccsRecords > maxCCSRecords {
			return newAlert(AlertUnexpectedMessage, "tls: more than 32 change_cipher_spec records")
		}
		return e.dispatch(EventChangeCipherSpec)
	case e.readEncrypted:
		var err error
		typ, body, err = e.readCipher.open(rec, pt.Fragment[:0])
		if err != nil {
			return err
		}
		if typ == wire.ContentTypeChangeCipherSpec {
			return newAlert(AlertUnexpectedMessage, "tls: protected change_cipher_spec record")
		}
	case typ != wire.ContentTypeHandshake && typ != wire.ContentTypeAlert:
		return newAlert(AlertUnexpectedMessage, "tls: unprotected "+typ.String()+" record")
	}
	// §5.1: handshake messages are not interleaved with other types.
	if typ != wire.ContentTypeHandshake && e.hsInLen > 0 {
		return newAlert(AlertUnexpectedMessage, "tls: record of another type inside a handshake message")
	}
	switch typ {
	case wire.ContentTypeHandshake:
		if len(body) == 0 {
			return newAlert(AlertUnexpectedMessage, "tls: empty handshake record")
		}
		return e.handleHandshakeRecord(body)
	case wire.ContentTypeAlert:
		var a wire.Alert
		if err := a.Unmarshal(body); err != nil {
			return err
		}
		e.peerAlert = AlertDescription(a.Description)
		switch e.peerAlert {
		case AlertCloseNotify:
			return e.dispatch(EventCloseNotify)
		case AlertUserCanceled:
			// §6.1: a closure alert, whatever its level; close_notify
			// should follow.
			if err := e.countEmpty(); err != nil {
				return err
			}
			return e.dispatch(EventUserCanceled)
		}
		return e.dispatch(EventAlert)
	case wire.ContentTypeApplicationData:
		if len(body) == 0 {
			if err := e.countEmpty(); err != nil {
				return err
			}
		} else {
			e.emptyRecords, e.postHandshake = 0, 0
		}
		e.pendingAppData = body
		err := e.dispatch(EventApplicationData)
		e.pendingAppData = nil
		return err
	}
	return newAlert(AlertUnexpectedMessage, "tls: unknown record type "+typ.String())
}

func (e *engine) countEmpty() error {
	e.emptyRecords++
	if e.emptyRecords > maxEmptyRecords {
		return newAlert(AlertUnexpectedMessage, "tls: more than 32 records in a row without content")
	}
	return nil
}

// countPostHandshake bounds KeyUpdates and NewSessionTickets between
// records of application data.
func (e *engine) countPostHandshake() error {
	e.postHandshake++
	if e.postHandshake > maxPostHandshakeMessages {
		return newAlert(AlertUnexpectedMessage, "tls: more than 32 KeyUpdate and NewSessionTicket messages without application data")
	}
	return nil
}

// handleHandshakeRecord processes every complete message in body, keeping
// a partial one in hsIn for the next record. Messages that fit in one
// record are processed where they are, without a copy.
func (e *engine) handleHandshakeRecord(body []byte) error {
	e.emptyRecords = 0
	data := body
	if e.hsInLen > 0 {
		// Complete the message started in an earlier record, then go on
		// with the rest of this one where it is.
		need := handshakeHeaderLen - e.hsInLen
		if e.hsInLen >= handshakeHeaderLen {
			need = messageLen(e.hsIn) - e.hsInLen
		} else if len(body) >= need {
			copy(e.hsIn[e.hsInLen:], body[:need])
			e.hsInLen += need
			body = body[need:]
			if err := e.checkMessageSize(e.hsIn); err != nil {
				return err
			}
			need = messageLen(e.hsIn) - e.hsInLen
		}
		n := min(need, len(body))
		copy(e.hsIn[e.hsInLen:], body[:n])
		e.hsInLen += n
		body = body[n:]
		if n < need {
			return nil // still partial
		}
		msg := e.hsIn[:e.hsInLen]
		e.hsInLen = 0
		err := e.handleMessageAt(msg, len(body) > 0)
		e.hsIn = e.hsInOwn // a grown buffer served its one message
		if err != nil {
			return err
		}
		data = body
	}
	for len(data) >= handshakeHeaderLen {
		n := messageLen(data)
		if n > len(data) {
			break
		}
		msg := data[:n]
		data = data[n:]
		if err := e.handleMessageAt(msg, len(data) > 0); err != nil {
			return err
		}
	}
	// The size first: a pooled engine without HandshakeIn (after the
	// handshake) then makes one of the message's size, and only a
	// partial header needs takeHandshakeIn's.
	if len(data) >= handshakeHeaderLen {
		if err := e.checkMessageSize(data); err != nil {
			return err
		}
	}
	if len(data) > 0 {
		e.takeHandshakeIn()
	}
	e.hsInLen = copy(e.hsIn, data)
	return nil
}

// changeCipherSpec is the one value of ChangeCipherSpec.type (RFC 5246
// §7.1), the only body of a change_cipher_spec record (§5).
const changeCipherSpec = 1

// handshakeHeaderLen is the size of a HandshakeHeader: msg_type and a
// uint24 length (§4).
const handshakeHeaderLen = 4

// messageHeader decodes the header at the start of b, which holds at
// least handshakeHeaderLen octets.
func messageHeader(b []byte) wire.HandshakeHeader {
	var h wire.HandshakeHeader
	_ = h.Unmarshal(b[:handshakeHeaderLen]) // fixed size: cannot fail
	return h
}

// messageLen is the size, header included, of the handshake message
// whose header starts b.
func messageLen(b []byte) int { return handshakeHeaderLen + int(messageHeader(b).Length) }

// handleMessageAt processes msg; more says the record goes on after it.
// §5.1: "Because the ServerHello, Finished, and KeyUpdate messages can
// immediately precede a key change, implementations MUST send these
// messages in alignment with a record boundary"; and nothing may follow
// a HelloRetryRequest, which ends the server's flight until our second
// ClientHello. This is checked before the message is acted on, so the
// client does not answer it (a second ClientHello, its Finished) first.
func (e *engine) handleMessageAt(msg []byte, more bool) error {
	if more {
		switch messageHeader(msg).MsgType {
		case wire.HandshakeTypeServerHello, wire.HandshakeTypeFinished, wire.HandshakeTypeKeyUpdate:
			return newAlert(AlertUnexpectedMessage, "tls: "+e.messageName(msg)+" not at the end of its record")
		}
	}
	return e.handleMessage(msg)
}

// checkMessageSize turns away, from its header, a handshake message
// larger than the HandshakeIn buffer. The message may be legal (up to
// 2^24-1 octets, §4) and only too big for us, but that is not
// internal_error, which §6.2 keeps for failures "unrelated to the peer":
// the server chose the size and can send less (a shorter chain). The
// length field has a value we cannot accept, so illegal_parameter, as
// OpenSSL and BoringSSL send for an excessive message size.
//
// With Buffers.MaxHandshakeIn a longer message gets a buffer of its own,
// bounded as in crypto/tls.
func (e *engine) checkMessageSize(header []byte) error {
	n := messageLen(header)
	if n <= len(e.hsIn) {
		return nil
	}
	typ := messageHeader(header).MsgType
	limit := maxOtherMessage
	if typ == wire.HandshakeTypeCertificate {
		limit = maxCertificateMessage
	}
	if n <= min(e.maxHSIn, limit) {
		grown := make([]byte, n)
		copy(grown, e.hsIn[:e.hsInLen])
		e.hsIn = grown
		return nil
	}
	if e.maxHSIn > len(e.hsInOwn) {
		return newAlert(AlertIllegalParameter, "tls: "+typ.String()+" message of "+
			itoa(n)+" octets is over the limit of "+itoa(min(e.maxHSIn, limit))+" octets")
	}
	return newAlert(AlertIllegalParameter, "tls: "+typ.String()+" message of "+
		itoa(n)+" octets does not fit the HandshakeIn buffer of "+itoa(len(e.hsIn))+" octets (Buffers.HandshakeIn needs at least "+itoa(n)+")")
}

// messageName names a handshake message, telling a HelloRetryRequest
// from a ServerHello.
func (e *engine) messageName(msg []byte) string {
	if isHelloRetryRequest(msg) {
		return "HelloRetryRequest"
	}
	return messageHeader(msg).MsgType.String()
}

// isHelloRetryRequest reports whether msg, a complete handshake message,
// is a ServerHello with the random of a HelloRetryRequest (§4.1.3).
func isHelloRetryRequest(msg []byte) bool {
	var m wire.Handshake
	var p wire.ServerHelloPrefix
	if m.Unmarshal(msg) != nil || m.MsgType != wire.HandshakeTypeServerHello {
		return false
	}
	_, err := p.UnmarshalPrefix(m.Body)
	return err == nil && bytes.Equal(p.Random, helloRetryRequestRandom)
}

func (e *engine) handleMessage(msg []byte) error {
	var m wire.Handshake
	if err := m.Unmarshal(msg); err != nil {
		return err // cannot happen: msg was cut at the length of its header
	}
	e.trace(TraceEvent{Kind: TraceHandshakeIn, HandshakeType: uint8(m.MsgType), Length: len(msg), Data: msg})
	ev := handshakeEvent(m.MsgType)
	// §4.1.3: a ServerHello with this random is a HelloRetryRequest.
	if isHelloRetryRequest(msg) {
		ev = EventHelloRetryRequest
	}
	e.msg, e.msgBody = msg, m.Body
	err := e.dispatch(ev)
	e.msg, e.msgBody = nil, nil
	return err
}

// --- Output ---

// output returns the records waiting to be sent.
func (e *engine) output() []byte { return e.out[:e.outLen] }

// outputAck drops the first n octets of output, once sent; a KeyUpdate
// the server asked for goes out as soon as there is room for it.
func (e *engine) outputAck(n int) error {
	if n < 0 || n > e.outLen {
		return errOutAck
	}
	copy(e.out, e.out[n:e.outLen])
	e.outLen -= n
	if n > 0 && e.err == nil {
		return e.payKeyUpdate()
	}
	return nil
}

// controlRoom fits one protected control record: an alert, a KeyUpdate.
const controlRoom = recordHeaderLen + 8 + 1 + 16

// hasRoom reports whether the Write buffer can take a control record.
func (e *engine) hasRoom() bool { return e.outRoom() >= controlRoom }

// outRoom is the free room of the Write buffer, which it makes sure is
// there (ownedbuffers.go).
func (e *engine) outRoom() int {
	e.takeOut()
	return len(e.out) - e.outLen
}

// writeRecord puts payload in a record of type typ: protected once the
// write key is set (§5.2), plain before (§5.1).
func (e *engine) writeRecord(typ wire.ContentType, payload []byte, version uint16) error {
	start := e.outLen
	// CCS: always plain (§5). Alerts during 0-RTT, before the server has
	// said whether it takes early data, go in the clear too: a server that
	// declined it would skip them as records it cannot decrypt (§4.2.10).
	protected := e.writeKeys != keysNone && typ != wire.ContentTypeChangeCipherSpec &&
		!(e.writeKeys == keysEarly && typ == wire.ContentTypeAlert)
	if protected {
		if e.writeCipher.sealedLen(len(payload), 0) > e.outRoom() {
			return newAlert(AlertInternalError, "tls: record does not fit the Write buffer")
		}
		b, err := e.writeCipher.seal(e.out[:e.outLen], typ, payload, 0)
		if err != nil {
			return err
		}
		e.outLen = len(b)
	} else {
		if recordHeaderLen+len(payload) > e.outRoom() {
			return newAlert(AlertInternalError, "tls: record does not fit the Write buffer")
		}
		pt := wire.TLSPlaintext{Type: typ, LegacyRecordVersion: wire.ProtocolVersion(version), Length: uint16(len(payload)), Fragment: payload}
		b, err := pt.Append(e.out[e.outLen:e.outLen])
		if err != nil {
			return err
		}
		e.outLen += len(b)
	}
	outer := typ
	if protected {
		outer = wire.ContentTypeApplicationData // §5.2: opaque_type
	}
	e.trace(TraceEvent{Kind: TraceRecordOut, ContentType: uint8(outer), Length: e.outLen - start, Encrypted: protected, Data: e.out[start:e.outLen]})
	return nil
}

// startMessage begins a handshake message of type typ in hsOut; the
// caller appends the body and calls finishMessage.
func (e *engine) startMessage(typ wire.HandshakeType) []byte {
	h := wire.HandshakeHeader{MsgType: typ} // the length is filled in by finishMessage
	b, _ := h.Append(e.hsOut[e.hsOutLen:e.hsOutLen])
	return b
}

// finishMessage fills in the length of a message from startMessage,
// queues it for the next flush, and returns it.
func (e *engine) finishMessage(b []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	if len(b) > len(e.hsOut)-e.hsOutLen {
		// append had to grow b: it no longer lives in hsOut.
		return nil, newAlert(AlertInternalError, "tls: handshake message does not fit the HandshakeOut buffer")
	}
	h := messageHeader(b)
	h.Length = uint32(len(b) - handshakeHeaderLen)
	if _, err := h.Append(b[:0]); err != nil { // over the header startMessage wrote
		return nil, err
	}
	e.hsOutLen += len(b)
	e.trace(TraceEvent{Kind: TraceHandshakeOut, HandshakeType: uint8(h.MsgType), Length: len(b), Data: b})
	return b, nil
}

// flushHandshake puts the queued handshake messages into records of at
// most 2^14 octets, under the current write key.
func (e *engine) flushHandshake() error {
	return e.flushHandshakeVersion(0x0303)
}

func (e *engine) flushHandshakeVersion(version uint16) error {
	data := e.hsOut[:e.hsOutLen]
	for len(data) > 0 {
		n := min(len(data), e.maxRecordPayload())
		if err := e.writeRecord(wire.ContentTypeHandshake, data[:n], version); err != nil {
			return e.fail(err)
		}
		data = data[n:]
	}
	e.hsOutLen = 0
	return nil
}

// maxRecordPayload is the most content one record we send may carry:
// 2^14 (§5.1), or less if the server set a record_size_limit, which in
// TLS 1.3 counts the inner content type too (RFC 8449 §4).
func (e *engine) maxRecordPayload() int {
	n := maxPlaintext
	if e.hs.peerRecordLimit > 0 && e.writeKeys != keysNone {
		n = int(e.hs.peerRecordLimit) - 1
	}
	if e.hs.fragmentLimit > 0 { // RFC 6066 §4 bounds both directions
		n = min(n, e.hs.fragmentLimit)
	}
	return n
}

// sendAlert writes an alert record; fatal ones end the connection (§6).
func (e *engine) sendAlert(level wire.AlertLevel, desc AlertDescription) error {
	a := wire.Alert{Level: level, Description: wire.AlertDescription(desc)}
	var buf [2]byte
	b, _ := a.Append(buf[:0])
	return e.writeRecord(wire.ContentTypeAlert, b, 0x0303)
}

// fail records the first fatal error and runs the table's error event:
// from most states that sends the error's alert and moves to CLOSED. It
// returns the error.
func (e *engine) fail(err error) error {
	if e.err != nil {
		return e.err
	}
	if we, ok := err.(wire.Error); ok { // a codec's, returned as is
		err = &AlertError{Alert: AlertDescription(we.Alert()), Msg: we.Error()}
	}
	e.err = err
	e.hsOutLen = 0
	if accepts(e.state, EventError) {
		_ = e.dispatch(EventError) // its actions cannot fail
	}
	return err
}

// compatCCSLen is the compatibility change_cipher_spec record (D.4).
const compatCCSLen = recordHeaderLen + 1

// alertFits guards the error rows that send an alert: the error is one
// the client found, with an alert to say it (§6.2; the peer's own alert
// is not echoed), and the Write buffer has room for that alert and the
// CCS that may go before it. Otherwise the connection ends without one.
func (e *engine) alertFits() bool {
	ae, ok := e.err.(*AlertError)
	return ok && !ae.Received && e.outRoom() >= compatCCSLen+controlRoom
}

// sendErrorAlert sends the alert of a local fatal error (§6.2); alertFits
// made room for it.
func (e *engine) sendErrorAlert() error {
	if ae, ok := e.err.(*AlertError); ok {
		_ = e.sendAlert(wire.AlertLevelFatal, ae.Alert)
	}
	e.hs.wipe()
	return nil
}

// abort ends the connection without an alert.
func (e *engine) abort() error {
	e.hs.wipe()
	return nil
}

// --- Application side ---

var (
	errNotConnected     = ErrNotConnected
	errAlreadyStarted   = &wrapped{"tls: handshake already started", ErrMisuse}
	errClosed           = ErrClosed
	errClosedBeforeDone = &wrapped{"tls: connection closed before the handshake completed", ErrClosed}
)

// notNow explains why the application's event ev is not allowed now.
func (e *engine) notNow() error {
	switch {
	case e.err != nil:
		return e.err
	case e.state == initialState:
		return errNotConnected
	case e.handshakeComplete():
		return errClosed
	case stateFinal[e.state]:
		return errClosedBeforeDone
	}
	return errNotConnected
}

func (e *engine) start() error {
	if !accepts(e.state, EventStart) {
		if e.err != nil {
			return e.err
		}
		return errAlreadyStarted
	}
	e.hs.handshakeWork = new(handshakeWork)
	e.hs.ks.x.hashes = &e.hmacs
	if err := e.dispatch(EventStart); err != nil {
		return e.fail(err)
	}
	return nil
}

// handshakeComplete: the client's application traffic key is set, the
// last step of its handshake (Appendix A: K_send = application).
func (e *engine) handshakeComplete() bool { return e.writeKeys == keysApplication }

// writeApplicationData seals as many records of p as the Write buffer
// takes and returns how much of p it took. The table says when writing
// is allowed: once the server is authenticated, until our close_notify.
func (e *engine) writeApplicationData(p []byte) (int, error) {
	if !accepts(e.state, EventWrite) {
		return 0, e.notNow()
	}
	if err := e.payKeyUpdate(); err != nil {
		return 0, err
	}
	total := 0
	for len(p) > 0 {
		room := e.outRoom() - recordHeaderLen - 1 - e.writeCipher.aead.Overhead()
		n := min(len(p), e.maxRecordPayload(), room)
		if n <= 0 {
			break
		}
		e.pendingWrite = p[:n]
		err := e.dispatch(EventWrite)
		e.pendingWrite = nil
		if err != nil {
			return total, e.fail(err)
		}
		total += n
		p = p[n:]
	}
	if total == 0 && len(p) > 0 {
		return 0, ErrWriteBufferFull
	}
	return total, nil
}

// sealApplicationData protects the application data of a write event
// (§5.2).
func (e *engine) sealApplicationData() error {
	return e.writeRecord(wire.ContentTypeApplicationData, e.pendingWrite, 0x0303)
}

// local runs an event from the application that sends one control record
// (KeyUpdate, close_notify). An event the state does not take is a usage
// error here, not something to tell the peer about; so is a full Write
// buffer.
func (e *engine) local(ev HandshakeEvent) error {
	if !accepts(e.state, ev) {
		if ev == EventClose && e.err == nil {
			return nil // closing twice is fine
		}
		return e.notNow()
	}
	if e.writeKeys != keysNone && !e.hasRoom() {
		return ErrWriteBufferFull
	}
	if ev == EventSendKeyUpdate {
		// Our own update also answers a request the server made.
		e.hs.keyUpdateOwed = false
	}
	if err := e.dispatch(ev); err != nil {
		return e.fail(err)
	}
	return e.flushHandshake()
}

// --- Tracing ---

func (e *engine) trace(ev TraceEvent) {
	if e.config.Trace != nil {
		e.config.Trace(ev)
	}
}

// traceTransition is called by the generated dispatch after every
// transition.
// On a transition that ends the connection on an error, e.err is that
// error: the peer's alert, or one the client found.
func (e *engine) traceTransition(from HandshakeState, ev HandshakeEvent, to HandshakeState) {
	if e.config.Trace != nil {
		e.config.Trace(TraceEvent{Kind: TraceTransition, From: from, Event: ev, To: to, Err: e.err})
	}
}

// keyLog writes one NSS key log line if a KeyLogWriter is set.
func (e *engine) keyLog(label string, secret []byte) {
	if e.config.KeyLogWriter != nil {
		_ = writeKeyLog(e.config.KeyLogWriter, label, e.hs.random[:], secret)
	}
}
