package tls

import (
	"hash"

	"github.com/tabletls/tabletls/internal/wire"
)

// transcript is the running Transcript-Hash of RFC 8446, Section 4.4.1: the
// hash of the concatenated handshake messages (each with its 4-byte
// handshake header, without record headers), in the order sent and received.
//
// The hash function is the one of the negotiated cipher suite, which the
// client only learns from the ServerHello (or HelloRetryRequest). Rather than
// hashing the ClientHello with every candidate hash, the client keeps the
// marshaled ClientHello (it needs it anyway to resend a modified copy after a
// HelloRetryRequest) and starts the transcript once the suite is known:
//
//	t.init(suite.hash)
//	t.add(clientHello)
//	t.add(serverHello)
//
// After a HelloRetryRequest the sequence is
//
//	t.init(suite.hash)
//	t.add(clientHello1)
//	t.replaceWithMessageHash()
//	t.add(helloRetryRequest)
//	t.add(clientHello2)
//	t.add(serverHello)
//
// NewSessionTicket and KeyUpdate are post-handshake messages and are never
// added.
//
// A transcript is meant to be embedded in a longer-lived struct: it carries
// its own scratch space so that replaceWithMessageHash doesn't allocate.
type transcript struct {
	hash    *hashAlg
	h       hash.Hash
	scratch [4 + maxHashSize]byte
}

// init (re)starts an empty transcript using h. It allocates the hash state.
func (t *transcript) init(h *hashAlg) {
	t.hash = h
	t.h = h.new()
}

// add appends one complete handshake message, including its header.
func (t *transcript) add(msg []byte) {
	t.h.Write(msg)
}

// sum appends the current Transcript-Hash to dst and returns the result. The
// running hash is not disturbed, so more messages can be added afterwards.
func (t *transcript) sum(dst []byte) []byte {
	return t.h.Sum(dst)
}

// size is Hash.length of the transcript hash.
func (t *transcript) size() int { return t.hash.Size() }

// replaceWithMessageHash applies the HelloRetryRequest rule of RFC 8446,
// Section 4.4.1. The transcript must contain exactly ClientHello1; it is
// replaced by the synthetic message
//
//	message_hash(254) || 00 00 Hash.length || Hash(ClientHello1)
//
// so that a stateless server can rebuild the transcript from a cookie.
func (t *transcript) replaceWithMessageHash() {
	h := wire.HandshakeHeader{MsgType: wire.HandshakeTypeMessageHash, Length: uint32(t.size())}
	msg, _ := h.Append(t.scratch[:0]) // fixed size: cannot fail
	msg = t.h.Sum(msg)
	t.h.Reset()
	t.h.Write(msg)
}
