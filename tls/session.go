package tls

import (
	"container/list"
	"crypto"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// ClientSessionState is a session the client can resume: a NewSessionTicket
// received after a handshake (RFC 8446 §4.6.1) with the PSK it stands for.
// It holds a secret (PSK): keep it, and its MarshalClientSessionState
// form, as you would keep a key.
type ClientSessionState struct {
	Ticket           []byte        // the ticket, opaque to the client: the PSK identity it sends
	Lifetime         time.Duration // ticket_lifetime: the session expires this long after ReceivedAt
	AgeAdd           uint32        // ticket_age_add, which obfuscates the ticket age (§4.2.11.1)
	Nonce            []byte        // ticket_nonce, from which PSK was derived
	MaxEarlyDataSize uint32        // from the ticket's early_data extension; 0 if the server allows no 0-RTT
	PSK              []byte        // HKDF-Expand-Label(resumption_master_secret, "resumption", nonce, Hash.length)
	CipherSuite      uint16        // the connection's suite, such as TLS_AES_128_GCM_SHA256
	ServerName       string        // Config.ServerName of the connection, the cache key
	// NegotiatedProtocol is the ALPN protocol of the connection that got
	// the ticket: 0-RTT is offered only if Config.NextProtos has it (§4.2.10).
	NegotiatedProtocol string
	ReceivedAt         time.Time // Config.Time when the ticket arrived
}

// Expired reports whether the ticket's lifetime is over at now (§4.6.1:
// "Clients MUST NOT cache tickets for longer than 7 days, regardless of
// the ticket_lifetime").
func (s *ClientSessionState) Expired(now time.Time) bool {
	// In Unix milliseconds: time.Time's Add and Before link 10 KB of
	// package time into firmware.
	lifetime := min(s.Lifetime, maxTicketLifetime*time.Second).Milliseconds()
	return now.UnixMilli()-s.ReceivedAt.UnixMilli() >= lifetime
}

// obfuscatedAge is obfuscated_ticket_age (§4.2.11.1): the ticket's age in
// milliseconds plus ticket_age_add, modulo 2^32.
func obfuscatedAge(receivedMs int64, ageAdd uint32, nowMs int64) uint32 {
	age := nowMs - receivedMs
	if age < 0 {
		age = 0
	}
	return uint32(age) + ageAdd
}

// sessionStateVersion is the first octet of MarshalClientSessionState's encoding.
const sessionStateVersion = 1

// ErrSessionState is returned by ParseClientSessionState for an encoding it does
// not read: another version, or damaged bytes.
var ErrSessionState = errors.New("tls: invalid or unsupported serialized ClientSessionState")

// MarshalClientSessionState encodes s in a versioned form that firmware
// can keep in flash and ParseClientSessionState reads back. The encoding
// holds the PSK. (Functions, not methods: a method of ClientSessionState
// is linked into every program that has a ClientSessionCache field, used
// or not.)
func MarshalClientSessionState(s *ClientSessionState) ([]byte, error) {
	// Appended by hand: cryptobyte.Builder would link fmt into firmware.
	if len(s.PSK) > 0xff || len(s.Ticket) > 0xffff || len(s.Nonce) > 0xff || len(s.ServerName) > 0xff || len(s.NegotiatedProtocol) > 0xff {
		return nil, errors.New("tls: ClientSessionState too large to serialize")
	}
	b := make([]byte, 0, 1+2+8+4+4+4+5+len(s.PSK)+len(s.Ticket)+len(s.Nonce)+len(s.ServerName)+len(s.NegotiatedProtocol))
	// Our own storage format, not a TLS structure: fixed fields, then
	// the variable ones, each after its length.
	be := binary.BigEndian
	b = append(b, sessionStateVersion)
	b = be.AppendUint16(b, s.CipherSuite)
	b = be.AppendUint64(b, uint64(s.ReceivedAt.UnixMilli()))
	b = be.AppendUint32(b, uint32(s.Lifetime/time.Second))
	b = be.AppendUint32(b, s.AgeAdd)
	b = be.AppendUint32(b, s.MaxEarlyDataSize)
	b = append(append(b, byte(len(s.PSK))), s.PSK...)
	b = append(be.AppendUint16(b, uint16(len(s.Ticket))), s.Ticket...)
	b = append(append(b, byte(len(s.Nonce))), s.Nonce...)
	b = append(append(b, byte(len(s.ServerName))), s.ServerName...)
	b = append(append(b, byte(len(s.NegotiatedProtocol))), s.NegotiatedProtocol...)
	return b, nil
}

// ParseClientSessionState reads the output of MarshalClientSessionState.
// An encoding of another version, or damaged, is ErrSessionState.
func ParseClientSessionState(data []byte) (*ClientSessionState, error) {
	in := cryptobyte.String(data)
	var version uint8
	var suite uint16
	var at uint64
	var lifetime uint32
	var psk, ticket, nonce, name, alpn cryptobyte.String
	var st ClientSessionState
	if !in.ReadUint8(&version) || version != sessionStateVersion ||
		!in.ReadUint16(&suite) || !in.ReadUint64(&at) || !in.ReadUint32(&lifetime) ||
		!in.ReadUint32(&st.AgeAdd) || !in.ReadUint32(&st.MaxEarlyDataSize) ||
		!in.ReadUint8LengthPrefixed(&psk) || !in.ReadUint16LengthPrefixed(&ticket) ||
		!in.ReadUint8LengthPrefixed(&nonce) || !in.ReadUint8LengthPrefixed(&name) ||
		!in.ReadUint8LengthPrefixed(&alpn) || !in.Empty() ||
		len(psk) == 0 || len(ticket) == 0 || lifetime > maxTicketLifetime {
		return nil, ErrSessionState
	}
	st.CipherSuite = suite
	st.ReceivedAt = time.UnixMilli(int64(at))
	st.Lifetime = time.Duration(lifetime) * time.Second
	st.PSK = append([]byte(nil), psk...)
	st.Ticket = append([]byte(nil), ticket...)
	st.Nonce = append([]byte(nil), nonce...)
	st.ServerName = string(name)
	st.NegotiatedProtocol = string(alpn)
	return &st, nil
}

// ClientSessionCache is a cache of sessions the client may resume, keyed
// by Config.ServerName, as in crypto/tls. The client Gets a session
// before its ClientHello and Puts every ticket the server sends (the
// newest replaces the one before: tickets rotate). Put with a nil session
// deletes the key: the client does so when it uses a session for 0-RTT,
// so that early data under one ticket is sent once (RFC 8446 §8).
// Firmware with one ticket in flash implements it with a single slot and
// MarshalClientSessionState.
type ClientSessionCache interface {
	// Get returns the session stored for sessionKey, if any.
	Get(sessionKey string) (session *ClientSessionState, ok bool)
	// Put stores cs for sessionKey; a nil cs deletes it.
	Put(sessionKey string, cs *ClientSessionState)
}

// NewLRUClientSessionCache returns a ClientSessionCache holding up to
// capacity sessions (64 if capacity < 1), dropping the least recently
// used. It is safe for concurrent use.
func NewLRUClientSessionCache(capacity int) ClientSessionCache {
	if capacity < 1 {
		capacity = 64
	}
	return &lruSessionCache{m: make(map[string]*list.Element), q: list.New(), capacity: capacity}
}

type lruSessionCache struct {
	mu       sync.Mutex
	m        map[string]*list.Element
	q        *list.List // front: most recently used
	capacity int
}

type lruEntry struct {
	key   string
	state *ClientSessionState
}

func (c *lruSessionCache) Put(key string, cs *ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		if cs == nil {
			c.q.Remove(el)
			delete(c.m, key)
			return
		}
		el.Value.(*lruEntry).state = cs
		c.q.MoveToFront(el)
		return
	}
	if cs == nil {
		return
	}
	if c.q.Len() >= c.capacity {
		old := c.q.Back()
		c.q.Remove(old)
		delete(c.m, old.Value.(*lruEntry).key)
	}
	c.m[key] = c.q.PushFront(&lruEntry{key, cs})
}

func (c *lruSessionCache) Get(key string) (*ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[key]; ok {
		c.q.MoveToFront(el)
		return el.Value.(*lruEntry).state, true
	}
	return nil, false
}

// PSKMode is a PSK key exchange mode (RFC 8446 §4.2.9).
type PSKMode uint8

const (
	// PSKModeKE is psk_ke: the PSK alone, no (EC)DHE. The cheapest
	// handshake, without forward secrecy: whoever learns the PSK later
	// reads the connection.
	PSKModeKE PSKMode = 0
	// PSKModeDHE is psk_dhe_ke: the PSK with an (EC)DHE exchange, which
	// keeps forward secrecy.
	PSKModeDHE PSKMode = 1
)

// String returns the mode's name in RFC 8446, "psk_ke" or "psk_dhe_ke".
func (m PSKMode) String() string {
	switch m {
	case PSKModeKE:
		return "psk_ke"
	case PSKModeDHE:
		return "psk_dhe_ke"
	}
	return "PSKMode(" + itoa(int(m)) + ")"
}

// ExternalPSK is a pre-shared key provisioned out of band (RFC 8446 §2.2,
// §4.2.11), for example at the factory. When the server accepts it, the
// handshake has no certificate: the PSK authenticates both sides.
type ExternalPSK struct {
	// Identity is the PSK identity the server looks the key up by, 1 to
	// 65535 octets.
	Identity []byte
	// Key is the PSK.
	Key []byte
	// Hash is the hash the PSK goes with: crypto.SHA256 (the default, if
	// zero) or crypto.SHA384. Config.CipherSuites must include a suite
	// with this hash; the server must choose one (§4.2.11).
	Hash crypto.Hash
	// Modes are the key exchange modes allowed with the PSK, in
	// psk_key_exchange_modes; nil means PSKModeDHE only. With PSKModeKE
	// alone the ClientHello carries no key share: a server that declines
	// the PSK must then ask for one with a HelloRetryRequest.
	Modes []PSKMode
}

// defaultPSKModes: psk_dhe_ke, which keeps forward secrecy (§4.2.9).
var defaultPSKModes = []PSKMode{PSKModeDHE}
