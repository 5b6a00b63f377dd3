// Package provision is the small wire format with which a host provisions
// the firmware example (firmware/device) over its byte link before the TLS
// connection starts: what a factory or a modem's setup step would store in
// the device's flash. The device reads it with the standard library only,
// so it links no encoding package.
//
// The format is the magic "TTLS", then fields of one tag octet, a 16-bit
// big-endian length and the value, ending with TagEnd. Repeated tags (CA,
// Cert, ALPN) append to a list.
package provision

import (
	"encoding/binary"
	"errors"
	"io"
)

// Magic starts a provisioning block.
const Magic = "TTLS"

// Field tags.
const (
	TagEnd        = 0
	TagServerName = 1  // string
	TagPin        = 2  // "sha256/BASE64"
	TagCA         = 3  // DER root certificate (repeated); needs the x509 build
	TagCert       = 4  // DER client certificate, leaf first (repeated)
	TagKey        = 5  // ECDSA P-256 private scalar, 32 octets
	TagALPN       = 6  // protocol name (repeated)
	TagRequest    = 7  // octets written after the handshake
	TagSeed       = 8  // 32 octets seeding the device's Config.Rand
	TagTime       = 9  // 8 octets, Unix seconds, for certificate validity
	TagSuite      = 10 // 2 octets, a cipher suite to offer (repeated)
	TagGroup      = 11 // 2 octets, a group to offer (repeated)
)

// Block is a decoded provisioning block.
type Block struct {
	ServerName string
	Pin        string
	CAs        [][]byte
	Certs      [][]byte
	Key        []byte
	ALPN       []string
	Request    []byte
	Seed       []byte
	Time       uint64
	Suites     []uint16
	Groups     []uint16
}

// Maximum size of one field and of a whole block: the device reads it into
// RAM before anything else.
const (
	maxField = 8192
	maxBlock = 32768
)

// Read decodes one block from r.
func Read(r io.Reader) (*Block, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if string(hdr[:]) != Magic {
		return nil, errors.New("provision: bad magic")
	}
	b := new(Block)
	total := 0
	for {
		var th [3]byte
		if _, err := io.ReadFull(r, th[:]); err != nil {
			return nil, err
		}
		tag, n := th[0], int(binary.BigEndian.Uint16(th[1:]))
		if tag == TagEnd {
			if n != 0 {
				return nil, errors.New("provision: bad end field")
			}
			return b, nil
		}
		total += n
		if n > maxField || total > maxBlock {
			return nil, errors.New("provision: block too large")
		}
		v := make([]byte, n)
		if _, err := io.ReadFull(r, v); err != nil {
			return nil, err
		}
		switch tag {
		case TagServerName:
			b.ServerName = string(v)
		case TagPin:
			b.Pin = string(v)
		case TagCA:
			b.CAs = append(b.CAs, v)
		case TagCert:
			b.Certs = append(b.Certs, v)
		case TagKey:
			b.Key = v
		case TagALPN:
			b.ALPN = append(b.ALPN, string(v))
		case TagRequest:
			b.Request = v
		case TagSeed:
			b.Seed = v
		case TagTime, TagSuite, TagGroup:
			if (tag == TagTime && n != 8) || (tag != TagTime && n != 2) {
				return nil, errors.New("provision: bad field length")
			}
			switch tag {
			case TagTime:
				b.Time = binary.BigEndian.Uint64(v)
			case TagSuite:
				b.Suites = append(b.Suites, binary.BigEndian.Uint16(v))
			case TagGroup:
				b.Groups = append(b.Groups, binary.BigEndian.Uint16(v))
			}
		default:
			return nil, errors.New("provision: unknown tag")
		}
	}
}

// Append encodes b after dst.
func (b *Block) Append(dst []byte) []byte {
	dst = append(dst, Magic...)
	field := func(tag byte, v []byte) {
		dst = append(dst, tag)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(v)))
		dst = append(dst, v...)
	}
	if b.ServerName != "" {
		field(TagServerName, []byte(b.ServerName))
	}
	if b.Pin != "" {
		field(TagPin, []byte(b.Pin))
	}
	for _, c := range b.CAs {
		field(TagCA, c)
	}
	for _, c := range b.Certs {
		field(TagCert, c)
	}
	if b.Key != nil {
		field(TagKey, b.Key)
	}
	for _, p := range b.ALPN {
		field(TagALPN, []byte(p))
	}
	if b.Request != nil {
		field(TagRequest, b.Request)
	}
	if b.Seed != nil {
		field(TagSeed, b.Seed)
	}
	if b.Time != 0 {
		field(TagTime, binary.BigEndian.AppendUint64(nil, b.Time))
	}
	for _, s := range b.Suites {
		field(TagSuite, binary.BigEndian.AppendUint16(nil, s))
	}
	for _, g := range b.Groups {
		field(TagGroup, binary.BigEndian.AppendUint16(nil, g))
	}
	return append(dst, TagEnd, 0, 0)
}
