package tls

import (
	"container/list"
	"crypto"
	"errors"
	"sync"
	"time"

	"github.com/tabletls/tabletls/internal/wire"
)

// ClientSessionState is a resumable session: a NewSessionTicket (RFC 8446
// §4.6.1) and its PSK, a secret to keep as a key.
type ClientSessionState struct {
	Ticket               []byte        // the ticket, opaque to the client: the PSK identity it sends
	Lifetime             time.Duration // ticket_lifetime: the session expires this long after ReceivedAt
	AgeAdd               uint32        // ticket_age_add, which obfuscates the ticket age (§4.2.11.1)
	Nonce                []byte        // ticket_nonce, from which PSK was derived
	MaxEarlyDataSize     uint32        // from the ticket's early_data extension; 0 if the server allows no 0-RTT
	PSK                  []byte        // HKDF-Expand-Label(resumption_master_secret, "resumption", nonce, Hash.length)
	CipherSuite          uint16        // the connection's suite, such as TLS_AES_128_GCM_SHA256
	ServerName           string        // Config.ServerName of the connection, the cache key
	NegotiatedProtocol   string        // ALPN; 0-RTT needs it in Config.NextProtos (§4.2.10)
	ReceivedAt           time.Time     // Config.Time when the ticket arrived
	PeerCertificateChain [][]byte      // the server's chain (DER, leaf first) that the resumed connection reports
}

// Expired reports whether the ticket's lifetime, at most 7 days
// (§4.6.1), is over at now.
func (s *ClientSessionState) Expired(now time.Time) bool {
	// In Unix milliseconds: time.Time's Add and Before link 10 KB of
	// package time into firmware.
	lifetime := min(s.Lifetime, maxTicketLifetime*time.Second).Milliseconds()
	return now.UnixMilli()-s.ReceivedAt.UnixMilli() >= lifetime
}

// obfuscatedAge is obfuscated_ticket_age (§4.2.11.1): the ticket's age in
// whole milliseconds plus ticket_age_add, modulo 2^32. The age is the
// floor of the nanosecond difference, not the difference of two floored
// milliseconds, which can be 1 ms more than the time elapsed: the
// server's view of the age, which started before ours, must not be less
// (gnutls rejects such early data as a replay).
func obfuscatedAge(receivedNs int64, ageAdd uint32, nowNs int64) uint32 {
	age := (nowNs - receivedNs) / 1e6
	if age < 0 {
		age = 0
	}
	return uint32(age) + ageAdd
}

// sessionStateVersion is the first octet of MarshalClientSessionState's encoding.
const sessionStateVersion = 1

// ErrSessionState is ParseClientSessionState's error for bytes it cannot read.
var ErrSessionState = errors.New("tls: invalid or unsupported serialized ClientSessionState")

// errSessionTooLarge is MarshalClientSessionState's error for a session
// with no PSK or ticket, or one with a field over its size in
// spec/session.tls, or a lifetime over 7 days.
var errSessionTooLarge = errors.New("tls: ClientSessionState cannot be serialized: a field is empty or too long, or the lifetime exceeds 7 days")

// MarshalClientSessionState encodes s, PSK included, for
// ParseClientSessionState (to keep a session in flash, say).
func MarshalClientSessionState(s *ClientSessionState) ([]byte, error) {
	// Functions, not methods: a method of ClientSessionState would be
	// linked into every program with a ClientSessionCache field.
	certs := wire.BuildSessionCertificateVector(nil)
	for _, der := range s.PeerCertificateChain {
		certs.Add(der)
	}
	chain, _, err := certs.Vector()
	if err != nil {
		return nil, errSessionTooLarge
	}
	st := wire.SessionState{
		Version:     sessionStateVersion,
		CipherSuite: s.CipherSuite,
		// ReceivedAt in milliseconds, rounded up: an age computed
		// from it is never more than the real one.
		ReceivedAt:       uint64((s.ReceivedAt.UnixNano() + 999_999) / 1e6),
		Lifetime:         uint32(s.Lifetime / time.Second),
		AgeAdd:           s.AgeAdd,
		MaxEarlyDataSize: s.MaxEarlyDataSize,
		Psk:              s.PSK,
		Ticket:           s.Ticket,
		Nonce:            s.Nonce,
		ServerName:       []byte(s.ServerName),
		Alpn:             []byte(s.NegotiatedProtocol),
		PeerCertificates: chain,
	}
	b, err := st.Append(nil)
	if err != nil || s.Lifetime > maxTicketLifetime*time.Second {
		// What ParseClientSessionState would refuse is not written.
		return nil, errSessionTooLarge
	}
	return b, nil
}

// ParseClientSessionState reads MarshalClientSessionState's encoding.
func ParseClientSessionState(data []byte) (*ClientSessionState, error) {
	var in wire.SessionState
	if in.Unmarshal(data) != nil || in.Version != sessionStateVersion || in.Lifetime > maxTicketLifetime {
		return nil, ErrSessionState
	}
	var chain [][]byte
	for it, der := in.PeerCertificates.Iter(), []byte(nil); it.Next(&der); {
		chain = append(chain, append([]byte(nil), der...))
	}
	return &ClientSessionState{
		PeerCertificateChain: chain,
		CipherSuite:          in.CipherSuite,
		ReceivedAt:           time.UnixMilli(int64(in.ReceivedAt)),
		Lifetime:             time.Duration(in.Lifetime) * time.Second,
		AgeAdd:               in.AgeAdd,
		MaxEarlyDataSize:     in.MaxEarlyDataSize,
		PSK:                  append([]byte(nil), in.Psk...),
		Ticket:               append([]byte(nil), in.Ticket...),
		Nonce:                append([]byte(nil), in.Nonce...),
		ServerName:           string(in.ServerName),
		NegotiatedProtocol:   string(in.Alpn),
	}, nil
}

// ClientSessionCache holds sessions by Config.ServerName, as in crypto/tls;
// a session used for 0-RTT is Put nil: one early flight per ticket (§8).
type ClientSessionCache interface {
	// Get returns the session stored for sessionKey, if any.
	Get(sessionKey string) (session *ClientSessionState, ok bool)
	// Put stores cs for sessionKey; a nil cs deletes it.
	Put(sessionKey string, cs *ClientSessionState)
}

// NewLRUClientSessionCache returns a concurrency-safe LRU ClientSessionCache
// of capacity sessions (64 if capacity < 1).
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

// PSKModeKE (psk_ke) has no (EC)DHE, hence no forward secrecy; PSKModeDHE
// (psk_dhe_ke) keeps it.
const (
	PSKModeKE  PSKMode = 0 // psk_ke
	PSKModeDHE PSKMode = 1 // psk_dhe_ke
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

// ExternalPSK is a pre-shared key provisioned out of band (RFC 8446 §2.2),
// at the factory say. Accepted, it authenticates the server: no certificate.
type ExternalPSK struct {
	Identity []byte // what the server looks the key up by, 1 to 65535 octets
	Key      []byte // the PSK
	// Hash is crypto.SHA256 (if zero) or crypto.SHA384; a suite in
	// Config.CipherSuites must have it (§4.2.11).
	Hash crypto.Hash
	// Modes allowed; nil means PSKModeDHE. PSKModeKE alone sends no key
	// share: a server declining the PSK must send a HelloRetryRequest.
	Modes []PSKMode
}

// defaultPSKModes: psk_dhe_ke, which keeps forward secrecy (§4.2.9).
var defaultPSKModes = []PSKMode{PSKModeDHE}
