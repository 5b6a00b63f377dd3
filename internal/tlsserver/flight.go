package tlsserver

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tabletls/tabletls/internal/wire"
)

// Epoch names the keys a record is protected under.
type Epoch int

const (
	// EpochAuto is the server's current write epoch when the item is sent:
	// plaintext until the ServerHello, handshake keys until the server's
	// Finished, then the application keys.
	EpochAuto Epoch = iota
	// EpochPlaintext is an unprotected record (§5.1).
	EpochPlaintext
	// EpochHandshake is server_handshake_traffic_secret (§7.1).
	EpochHandshake
	// EpochApplication is server_application_traffic_secret_0; after n
	// KeyUpdates the server writes under EpochApplication+n.
	EpochApplication
)

func (e Epoch) String() string {
	switch {
	case e == EpochAuto:
		return "auto"
	case e == EpochPlaintext:
		return "plaintext"
	case e == EpochHandshake:
		return "handshake"
	case e == EpochApplication:
		return "application"
	case e > EpochApplication:
		return fmt.Sprintf("application+%d", int(e-EpochApplication))
	}
	return fmt.Sprintf("Epoch(%d)", int(e))
}

// Compute says which handshake message body the server computes when the
// message is sent, over the transcript of what it actually sent before it.
type Compute uint8

const (
	ComputeNone              Compute = iota // Body is sent as is
	ComputeCertificateVerify                // Body is replaced by a CertificateVerify (§4.4.3)
	ComputeFinished                         // Body is replaced by a Finished (§4.4.4)
)

// Message is one handshake message of a flight, before it is put in
// records. The server adds it to the transcript as it is sent (the 4-octet
// header and the body after Compute and Edit, or Raw), so a mutation that
// keeps the message well-formed still gets a valid CertificateVerify and
// Finished after it.
type Message struct {
	Type wire.HandshakeType
	Body []byte // without the 4-octet header
	// Compute makes the server fill Body in when the message is sent.
	Compute Compute
	// Edit, if set, changes the body after Compute: to corrupt a signature
	// or a MAC, or to change a computed message's fields.
	Edit func(body []byte) []byte
	// Raw, if non-nil, is sent instead of the encoded message (header
	// included), e.g. with a length that does not match its body.
	Raw []byte
	// Epoch is the keys the message is sent under.
	Epoch Epoch
	// EndRecord ends the record after this message: the next message
	// starts a new one.
	EndRecord bool
}

// Record is one record: a non-handshake record of a flight, or a record
// built from the flight's handshake messages.
type Record struct {
	// Type is the content type: the inner type of a protected record.
	Type wire.ContentType
	// Payload is the content, before protection.
	Payload []byte
	// Epoch is the keys the record is protected under; EpochPlaintext
	// sends it unprotected. Records are protected after the whole flight
	// is encoded, so they may use keys derived by messages after them;
	// keys the flight never derives are an error.
	Epoch Epoch
	// Version is legacy_record_version; 0 means 0x0303.
	Version uint16
	// OuterType is the outer type of a protected record; 0 means
	// application_data.
	OuterType wire.ContentType
	// Padding is the number of zero octets after the inner type (§5.4).
	Padding int
	// Corrupt, if set, edits the record as it goes on the wire (header
	// included), after protection: a flipped bit makes a bad MAC.
	Corrupt func(wire []byte) []byte
	// Raw, if non-nil, is sent as is instead of all of the above.
	Raw []byte
}

// Item is one element of a flight: a handshake message or a record of its own.
type Item struct {
	Msg *Message
	Rec *Record
}

// MsgItem is a handshake message with the given body.
func MsgItem(typ wire.HandshakeType, body []byte) Item {
	return Item{Msg: &Message{Type: typ, Body: body}}
}

// EncodeItem is a handshake message encoded from a generated message type.
func EncodeItem(typ wire.HandshakeType, m interface{ Append([]byte) ([]byte, error) }) Item {
	body, err := m.Append(nil)
	if err != nil {
		panic("tlsserver: encoding " + typ.String() + ": " + err.Error())
	}
	return MsgItem(typ, body)
}

// RecItem is a record of its own, under the current write epoch.
func RecItem(typ wire.ContentType, payload []byte) Item {
	return Item{Rec: &Record{Type: typ, Payload: payload}}
}

// AppDataItem is an application_data record.
func AppDataItem(p []byte) Item { return RecItem(wire.ContentTypeApplicationData, p) }

// AlertItem is an alert record.
func AlertItem(level wire.AlertLevel, desc wire.AlertDescription) Item {
	return RecItem(wire.ContentTypeAlert, []byte{byte(level), byte(desc)})
}

// CCSItem is the unprotected change_cipher_spec record of Appendix D.4.
func CCSItem() Item {
	return Item{Rec: &Record{Type: wire.ContentTypeChangeCipherSpec, Payload: []byte{1}, Epoch: EpochPlaintext}}
}

// KeyUpdateItem is a KeyUpdate message; the server's write epoch advances
// after it.
func KeyUpdateItem(req wire.KeyUpdateRequest) Item {
	return EncodeItem(wire.HandshakeTypeKeyUpdate, &wire.KeyUpdate{RequestUpdate: req})
}

// TicketItem is a NewSessionTicket with fixed contents, numbered n (its
// nonce is the single octet n).
func TicketItem(n byte) Item {
	t := wire.NewSessionTicket{
		TicketLifetime: 3600,
		TicketAgeAdd:   0x01020304 + uint32(n),
		TicketNonce:    []byte{n},
		Ticket:         []byte(fmt.Sprintf("tlsserver ticket %d", n)),
	}
	return EncodeItem(wire.HandshakeTypeNewSessionTicket, &t)
}

// FlightKind says why the server sends a flight.
type FlightKind uint8

const (
	FlightHelloRetryRequest FlightKind = iota + 1 // answer to ClientHello1: HelloRetryRequest
	FlightServerHello                             // ServerHello ... Finished
	FlightPostHandshake                           // after the client's Finished: Options' tickets, KeyUpdates, data
	FlightKeyUpdateReply                          // answer to the client's KeyUpdate(update_requested)
	FlightEcho                                    // Options.Echo: the client's data back
	FlightSend                                    // Server.Send
)

func (k FlightKind) String() string {
	switch k {
	case FlightHelloRetryRequest:
		return "HelloRetryRequest"
	case FlightServerHello:
		return "ServerHello"
	case FlightPostHandshake:
		return "PostHandshake"
	case FlightKeyUpdateReply:
		return "KeyUpdateReply"
	case FlightEcho:
		return "Echo"
	case FlightSend:
		return "Send"
	}
	return fmt.Sprintf("FlightKind(%d)", int(k))
}

// Flight is what the server sends in one go, before encoding.
type Flight struct {
	Kind  FlightKind
	Items []Item
	// MaxFragment is the largest payload of a record built from handshake
	// messages; 0 means Options.MaxFragment, or 2^14.
	MaxFragment int
}

// Index returns the index of the n-th (from 0) handshake message of type
// typ, or -1.
func (f *Flight) Index(typ wire.HandshakeType, n int) int {
	for i, it := range f.Items {
		if it.Msg != nil && it.Msg.Type == typ {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return -1
}

// Message returns the first handshake message of type typ, or nil.
func (f *Flight) Message(typ wire.HandshakeType) *Message {
	if i := f.Index(typ, 0); i >= 0 {
		return f.Items[i].Msg
	}
	return nil
}

// Insert inserts items before index i (len(f.Items) appends).
func (f *Flight) Insert(i int, items ...Item) {
	f.Items = append(f.Items[:i], append(append([]Item(nil), items...), f.Items[i:]...)...)
}

// Remove removes the item at index i and returns it.
func (f *Flight) Remove(i int) Item {
	it := f.Items[i]
	f.Items = append(f.Items[:i], f.Items[i+1:]...)
	return it
}

// RemoveMessage removes the first message of type typ and returns it (nil
// if there is none).
func (f *Flight) RemoveMessage(typ wire.HandshakeType) *Message {
	i := f.Index(typ, 0)
	if i < 0 {
		return nil
	}
	return f.Remove(i).Msg
}

// Move moves the item at index from so that it ends up at index to.
func (f *Flight) Move(from, to int) {
	it := f.Remove(from)
	f.Insert(to, it)
}

// Clone returns a copy of the message that can be changed independently.
func (m *Message) Clone() *Message {
	c := *m
	c.Body = append([]byte(nil), m.Body...)
	if m.Raw != nil {
		c.Raw = append([]byte(nil), m.Raw...)
	}
	return &c
}

// Mutator changes what the server sends: the flight, then its records,
// then the protected records. Any may be nil. They see every flight, Kind
// says which.
type Mutator struct {
	// Flight edits a flight before it is encoded.
	Flight func(s *Server, f *Flight)
	// Records edits the records built from the flight, before they are
	// protected (in the order returned, which sets their sequence
	// numbers); it returns the records to send.
	Records func(s *Server, f *Flight, recs []*Record) []*Record
	// Wire edits the records as they go on the wire, one per element,
	// after protection: to reorder, drop or replay protected records.
	Wire func(s *Server, f *Flight, wire [][]byte) [][]byte
}

// codec is what the generated message types implement.
type codec interface {
	Unmarshal([]byte) error
	Append([]byte) ([]byte, error)
}

// Edit decodes m's body as a T (a generated message type such as
// tls.ServerHello), lets fn change it and encodes it back:
//
//	tlsserver.Edit(m, func(sh *tls.ServerHello) { sh.CipherSuite = ... })
func Edit[T any, P interface {
	*T
	codec
}](m *Message, fn func(P)) error {
	var v T
	p := P(&v)
	if err := p.Unmarshal(append([]byte(nil), m.Body...)); err != nil {
		return err
	}
	fn(p)
	b, err := p.Append(nil)
	if err != nil {
		return err
	}
	m.Body = b
	return nil
}

// MustEdit is Edit that panics on error, for tests.
func MustEdit[T any, P interface {
	*T
	codec
}](m *Message, fn func(P)) {
	if err := Edit[T, P](m, fn); err != nil {
		panic("tlsserver: " + err.Error())
	}
}

var errNoExtensions = errors.New("tlsserver: message has no extension block")

// extensionsAt returns the offset of the 2-octet length that starts the
// extension block of a handshake message body. For a Certificate it is
// the block of the first entry.
func extensionsAt(typ wire.HandshakeType, body []byte) (int, error) {
	skip := func(off, lenBytes int) (int, error) {
		if off+lenBytes > len(body) {
			return 0, errNoExtensions
		}
		n := 0
		for _, b := range body[off : off+lenBytes] {
			n = n<<8 | int(b)
		}
		off += lenBytes + n
		if off > len(body) {
			return 0, errNoExtensions
		}
		return off, nil
	}
	var off int
	var err error
	switch typ {
	case wire.HandshakeTypeServerHello: // and HelloRetryRequest
		if off, err = skip(2+32, 1); err != nil {
			return 0, err
		}
		off += 3
	case wire.HandshakeTypeClientHello:
		if off, err = skip(2+32, 1); err != nil {
			return 0, err
		}
		if off, err = skip(off, 2); err != nil {
			return 0, err
		}
		if off, err = skip(off, 1); err != nil {
			return 0, err
		}
	case wire.HandshakeTypeEncryptedExtensions:
		off = 0
	case wire.HandshakeTypeCertificateRequest:
		if off, err = skip(0, 1); err != nil {
			return 0, err
		}
	case wire.HandshakeTypeNewSessionTicket:
		if off, err = skip(8, 1); err != nil {
			return 0, err
		}
		if off, err = skip(off, 2); err != nil {
			return 0, err
		}
	case wire.HandshakeTypeCertificate:
		if off, err = skip(0, 1); err != nil {
			return 0, err
		}
		if off, err = skip(off+3, 3); err != nil { // cert_data of the first entry
			return 0, err
		}
	default:
		return 0, errNoExtensions
	}
	if off+2 > len(body) {
		return 0, errNoExtensions
	}
	return off, nil
}

// Extensions returns the extensions of m, for ClientHello, ServerHello (and
// HelloRetryRequest), EncryptedExtensions, CertificateRequest,
// NewSessionTicket, and the first entry of a Certificate. Unlike the
// generated extension sets it keeps duplicates and unknown ones.
func (m *Message) Extensions() ([]wire.Extension, error) {
	off, err := extensionsAt(m.Type, m.Body)
	if err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(m.Body[off:]))
	b := m.Body[off+2:]
	if n > len(b) {
		return nil, errNoExtensions
	}
	b = b[:n]
	var exts []wire.Extension
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errNoExtensions
		}
		typ := wire.ExtensionType(binary.BigEndian.Uint16(b))
		l := int(binary.BigEndian.Uint16(b[2:]))
		if 4+l > len(b) {
			return nil, errNoExtensions
		}
		exts = append(exts, wire.Extension{ExtensionType: typ, ExtensionData: append([]byte(nil), b[4:4+l]...)})
		b = b[4+l:]
	}
	return exts, nil
}

// SetExtensions replaces the extension block of m with exts, in order,
// duplicates included. The lengths around it are fixed up.
func (m *Message) SetExtensions(exts []wire.Extension) error {
	off, err := extensionsAt(m.Type, m.Body)
	if err != nil {
		return err
	}
	old := int(binary.BigEndian.Uint16(m.Body[off:]))
	if off+2+old > len(m.Body) {
		return errNoExtensions
	}
	var block []byte
	for _, e := range exts {
		block = binary.BigEndian.AppendUint16(block, uint16(e.ExtensionType))
		block = binary.BigEndian.AppendUint16(block, uint16(len(e.ExtensionData)))
		block = append(block, e.ExtensionData...)
	}
	body := append([]byte(nil), m.Body[:off]...)
	body = binary.BigEndian.AppendUint16(body, uint16(len(block)))
	body = append(body, block...)
	body = append(body, m.Body[off+2+old:]...)
	if m.Type == wire.HandshakeTypeCertificate {
		// Fix the certificate_list length.
		ctx := int(body[0])
		l := len(body) - (1 + ctx + 3)
		body[1+ctx], body[2+ctx], body[3+ctx] = byte(l>>16), byte(l>>8), byte(l)
	}
	m.Body = body
	return nil
}

// AddExtension appends an extension with raw data to m.
func (m *Message) AddExtension(typ wire.ExtensionType, data []byte) error {
	exts, err := m.Extensions()
	if err != nil {
		return err
	}
	return m.SetExtensions(append(exts, wire.Extension{ExtensionType: typ, ExtensionData: data}))
}

// RemoveExtension removes every extension of type typ from m.
func (m *Message) RemoveExtension(typ wire.ExtensionType) error {
	exts, err := m.Extensions()
	if err != nil {
		return err
	}
	kept := exts[:0]
	for _, e := range exts {
		if e.ExtensionType != typ {
			kept = append(kept, e)
		}
	}
	return m.SetExtensions(kept)
}

// Extension returns the data of the first extension of type typ in m.
func (m *Message) Extension(typ wire.ExtensionType) ([]byte, bool) {
	exts, err := m.Extensions()
	if err != nil {
		return nil, false
	}
	for _, e := range exts {
		if e.ExtensionType == typ {
			return e.ExtensionData, true
		}
	}
	return nil, false
}

// SplitRecords splits every record of recs whose payload is longer than n
// into records of at most n octets (n >= 1). Raw records are kept whole.
func SplitRecords(recs []*Record, n int) []*Record {
	var out []*Record
	for _, r := range recs {
		if r.Raw != nil || len(r.Payload) <= n {
			out = append(out, r)
			continue
		}
		for p := r.Payload; len(p) > 0; {
			k := min(n, len(p))
			c := *r
			c.Payload = p[:k]
			out = append(out, &c)
			p = p[k:]
		}
	}
	return out
}

// CoalesceRecords merges runs of adjacent records of the same type, epoch
// and version into one record each (payloads concatenated).
func CoalesceRecords(recs []*Record) []*Record {
	var out []*Record
	for _, r := range recs {
		if n := len(out); n > 0 && r.Raw == nil && out[n-1].Raw == nil && out[n-1].Type == r.Type &&
			out[n-1].Epoch == r.Epoch && out[n-1].Version == r.Version && out[n-1].Corrupt == nil && r.Corrupt == nil &&
			out[n-1].OuterType == r.OuterType && out[n-1].Padding == 0 {
			c := *out[n-1]
			c.Payload = append(append([]byte(nil), c.Payload...), r.Payload...)
			out[n-1] = &c
			continue
		}
		out = append(out, r)
	}
	return out
}

// OnFlight returns a Mutator that calls fn for every flight of the given
// kind.
func OnFlight(kind FlightKind, fn func(s *Server, f *Flight)) *Mutator {
	return &Mutator{Flight: func(s *Server, f *Flight) {
		if f.Kind == kind {
			fn(s, f)
		}
	}}
}

// OnRecords returns a Mutator that calls fn for the records of every
// flight of the given kind.
func OnRecords(kind FlightKind, fn func(s *Server, recs []*Record) []*Record) *Mutator {
	return &Mutator{Records: func(s *Server, f *Flight, recs []*Record) []*Record {
		if f.Kind == kind {
			return fn(s, recs)
		}
		return recs
	}}
}

// OnWire returns a Mutator that calls fn for the protected records of
// every flight of the given kind.
func OnWire(kind FlightKind, fn func(s *Server, raw [][]byte) [][]byte) *Mutator {
	return &Mutator{Wire: func(s *Server, f *Flight, raw [][]byte) [][]byte {
		if f.Kind == kind {
			return fn(s, raw)
		}
		return raw
	}}
}

// Chain returns a Mutator that applies ms in order.
func Chain(ms ...*Mutator) *Mutator {
	return &Mutator{
		Flight: func(s *Server, f *Flight) {
			for _, m := range ms {
				if m != nil && m.Flight != nil {
					m.Flight(s, f)
				}
			}
		},
		Records: func(s *Server, f *Flight, recs []*Record) []*Record {
			for _, m := range ms {
				if m != nil && m.Records != nil {
					recs = m.Records(s, f, recs)
				}
			}
			return recs
		},
		Wire: func(s *Server, f *Flight, raw [][]byte) [][]byte {
			for _, m := range ms {
				if m != nil && m.Wire != nil {
					raw = m.Wire(s, f, raw)
				}
			}
			return raw
		},
	}
}
