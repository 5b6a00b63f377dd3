package tls

import "sync"

// Client's buffers are the library's: an idle connection should hold as
// little as crypto/tls's, which sizes its input buffer to what it reads
// and takes an output buffer from a pool for each write. So the Read and
// Write buffers of an Engine made by Client come from pools when a record
// is to be read or written and go back as soon as nothing is left in them
// (no partial record, no unread application data, no unsent output, no
// RecvBuffer lent to the caller). HandshakeIn and HandshakeOut live for
// the handshake; after it HandshakeOut is a few octets in the engine (a
// KeyUpdate is all the client still sends) and HandshakeIn is allocated
// only for a post-handshake message split over records. The HMACs kept
// for the next traffic secrets go too: a key change of Client keys them
// again (3 allocations more per direction than with caller-owned
// buffers, where allocations count more than idle memory).
//
// Caller-owned buffers (ClientWithBuffers, NewEngine and Engine.Init with
// the caller's Buffers) stay fixed: none of this runs for them.

// PooledBuffers returns Client's buffers for one Engine: handshake buffers
// let go after it, Read and Write pooled, held only while a record is in them.
func PooledBuffers() Buffers {
	b := newHandshakeBuffers()
	b.pools = defaultPools
	return b
}

// bufferPools is where the Read and Write buffers of PooledBuffers come
// from and go back to. An interface, so that only programs that call
// PooledBuffers (or Client) link sync.Pool and these methods.
type bufferPools interface {
	getRead() *[MinReadBuffer]byte
	getWrite() *[defaultWriteBuffer]byte
	giveBack(*engine)
}

type syncPools struct{ read, write sync.Pool }

var defaultPools bufferPools = &syncPools{
	read:  sync.Pool{New: func() any { return new([MinReadBuffer]byte) }},
	write: sync.Pool{New: func() any { return new([defaultWriteBuffer]byte) }},
}

func (p *syncPools) getRead() *[MinReadBuffer]byte { return p.read.Get().(*[MinReadBuffer]byte) }
func (p *syncPools) getWrite() *[defaultWriteBuffer]byte {
	return p.write.Get().(*[defaultWriteBuffer]byte)
}

// idleReadSize is the room RecvBuffer gives while the Read buffer is back
// in its pool: a transport read of an idle connection (a goroutine blocked
// in Read, say) lands here, and the octets move into a pooled buffer when
// they come.
const idleReadSize = 64

// postHandshakeOut fits the only message the client sends after the
// handshake, a KeyUpdate (4-octet header, 1-octet body), which is flushed
// at once.
const postHandshakeOut = 16

// ownedBuffers is the state of library-owned buffers in an engine.
type ownedBuffers struct {
	pools    bufferPools // nil: the buffers are the caller's
	read     *[MinReadBuffer]byte
	write    *[defaultWriteBuffer]byte
	inLent   bool // RecvBuffer lent in[inLen:] to the caller, until RecvAck
	idleLent bool // RecvBuffer lent idle
	idle     [idleReadSize]byte
	hsOut    [postHandshakeOut]byte
}

// takeIn makes sure the Read buffer is there.
func (e *engine) takeIn() {
	if e.own.pools != nil && e.in == nil {
		e.own.read = e.own.pools.getRead()
		e.in = e.own.read[:]
	}
}

// takeOut makes sure the Write buffer is there, before a record is
// written (through outRoom).
func (e *engine) takeOut() {
	if e.own.pools != nil && e.out == nil {
		e.own.write = e.own.pools.getWrite()
		e.out = e.own.write[:]
	}
}

// takeHandshakeIn makes sure HandshakeIn is there, before a message split
// over records is kept in it. It lasts for that message (handleHandshakeRecord
// puts hsInOwn, nil after the handshake, back), as a grown one does.
func (e *engine) takeHandshakeIn() {
	if e.own.pools != nil && e.hsIn == nil {
		e.hsIn = make([]byte, defaultHandshakeIn)
	}
}

// giveBack returns what is idle, at the end of every Engine call that
// changes the buffers.
func (e *engine) giveBack() {
	if e.own.pools != nil {
		e.own.pools.giveBack(e)
	}
}

// giveBack is engine.giveBack, a method of the pools so that programs
// without them do not link it.
func (p *syncPools) giveBack(e *engine) {
	if e.in != nil && !e.own.inLent && e.inLen == 0 && len(e.appData) == 0 {
		// It held plaintext (records are decrypted in place).
		clear(e.own.read[:])
		p.read.Put(e.own.read)
		e.in, e.inPos, e.own.read = nil, 0, nil
		e.appData, e.pendingAppData, e.recvRoom = nil, nil, 0
	}
	if e.out != nil && e.outLen == 0 {
		e.out = nil
		p.write.Put(e.own.write)
		e.own.write = nil
	}
	if e.handshakeComplete() {
		// The HMACs of the traffic secrets too (448 octets and 256 of
		// hash states with SHA-256): a key change keys them again.
		e.readCipher.x.mac, e.writeCipher.x.mac = nil, nil
		e.hmacs = hmacHashes{}
		if e.hsInLen == 0 {
			// The handshake's HandshakeIn, or a message's own buffer
			// (Buffers.MaxHandshakeIn). After this, hsInOwn stays nil:
			// a message split over records gets a buffer for itself
			// (takeHandshakeIn, or checkMessageSize if it is larger).
			e.hsIn, e.hsInOwn = nil, nil
		}
		if e.hsOutLen == 0 && len(e.hsOut) > postHandshakeOut {
			e.hsOut, e.scratch = e.own.hsOut[:], nil
		}
	}
}
