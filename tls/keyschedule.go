package tls

import (
	"crypto/fips140"
	"crypto/hmac"
	"crypto/subtle"
	"github.com/tabletls/tabletls/internal/wire"
	"hash"
)

// This file implements the TLS 1.3 key schedule, RFC 8446, Section 7.
//
// Every function that produces bytes appends them to a caller-supplied dst
// (like hash.Hash.Sum), so that callers can keep secrets in fixed arrays,
// e.g. ks.clientHandshakeTrafficSecret(buf[:0], th) with buf [maxHashSize]byte.
// HMAC (crypto/hmac) allocates its state when keyed (the HMAC and its two
// pads, 3 allocations; see hmacHashes for the hashes): an expander keeps one
// per secret and resets it between the derivations from that secret.

// HKDF labels, RFC 8446, Sections 4.4.4, 4.6.1, 7.1, 7.2 and 7.3. The
// "tls13 " prefix is added by hkdfExpandLabel.
const (
	labelExternalBinder           = "ext binder"
	labelResumptionBinder         = "res binder"
	labelClientEarlyTraffic       = "c e traffic"
	labelEarlyExporterMaster      = "e exp master"
	labelDerived                  = "derived"
	labelClientHandshakeTraffic   = "c hs traffic"
	labelServerHandshakeTraffic   = "s hs traffic"
	labelClientApplicationTraffic = "c ap traffic"
	labelServerApplicationTraffic = "s ap traffic"
	labelExporterMaster           = "exp master"
	labelResumptionMaster         = "res master"
	labelFinished                 = "finished"
	labelTrafficUpdate            = "traffic upd"
	labelKey                      = "key"
	labelIV                       = "iv"
	labelResumption               = "resumption"
)

// shortHkdfLabel fits the HkdfLabel of every derivation of the handshake:
// uint16 length, "tls13 " and a label of up to 12 octets, a context of up
// to a hash (RFC 8446, Section 7.1). Longer ones (a ticket nonce as
// context) get a buffer of their own.
const shortHkdfLabel = 2 + 1 + 6 + 12 + 1 + maxHashSize

// hmacHashes are the two hash states that every HMAC of a connection runs
// on. crypto/hmac.New calls its hash constructor for the inner and the
// outer hash of each key; handing it these two, reset, instead of new ones
// saves two allocations per key. It is safe because the HMACs of a
// connection are used one at a time (the engine is single-threaded) and
// every use starts with Reset, which re-initialises both hashes (see
// expander.expandLabel).
//
// They are also passed without their MarshalBinary methods (plainHash):
// crypto/hmac's first Reset of a marshalable hash saves both keyed states
// with MarshalBinary, two more allocations per key; a plain hash is reset
// and given the 64- or 128-octet pad again instead, one compression more
// per derivation. In FIPS 140 mode crypto/hmac wants its own SHA-2 types
// (fips140=only panics on another type), so there they are passed as they
// are and Reset allocates.
//
// The scratch space of the HMACs' input and output is here too, once per
// connection rather than once per expander: in the connection, so that
// passing it to an HMAC does not move it to the heap.
type hmacHashes struct {
	alg   *hashAlg
	raw   [2]hash.Hash
	plain [2]plainHash
	next  int

	label [len("tls13 ") + 12]byte // "tls13 " + Label, for the labels of shortHkdfLabel
	info  [shortHkdfLabel + 1]byte // an HkdfLabel and the counter
	sum   [maxHashSize]byte
	key   [maxKeyLen]byte // a traffic key, on its way to the AEAD
}

// plainHash is a hash.Hash with only hash.Hash's methods.
type plainHash struct{ hash.Hash }

// use makes the hashes h's, allocating them on the first use or on a
// change of hash.
func (p *hmacHashes) use(h *hashAlg) {
	if p.alg == h {
		return
	}
	p.alg = h
	for i := range p.raw {
		p.raw[i] = h.new()
		p.plain[i] = plainHash{p.raw[i]}
	}
}

// get is the constructor crypto/hmac.New calls: the two hashes in turn
// (it calls it twice, three times in FIPS 140-only mode, where the first
// is only checked; alternating keeps inner and outer distinct).
func (p *hmacHashes) get() hash.Hash {
	i := p.next
	p.next ^= 1
	p.raw[i].Reset()
	if fips140.Enabled() {
		return p.raw[i]
	}
	return &p.plain[i]
}

// expander computes HKDF-Expand-Label from one secret with one HMAC, Reset
// before each expansion. Every TLS 1.3 derivation is at most Hash.length
// octets, so HKDF-Expand (RFC 5869, Section 2.3) is the single block
// T(1) = HMAC(PRK, info || 0x01). x/crypto/hkdf would allocate an HMAC, a
// reader and the info for each derivation; an expander allocates the HMAC
// once per secret (3 allocations) on the connection's hmacHashes, and
// builds the info in their scratch space.
type expander struct {
	mac    hash.Hash
	hashes *hmacHashes // the connection's; one of its own if nil
}

// init keys x with secret (the PRK).
func (x *expander) init(h *hashAlg, secret []byte) {
	if x.hashes == nil {
		x.hashes = new(hmacHashes)
	}
	x.hashes.use(h)
	x.mac = hmac.New(x.hashes.get, secret)
}

// mac appends HMAC(key, data) to dst, with x re-keyed with key and then
// cleared.
func (x *expander) hmac(dst []byte, h *hashAlg, key, data []byte) []byte {
	x.init(h, key)
	x.mac.Reset()
	x.mac.Write(data)
	dst = x.mac.Sum(dst)
	x.mac = nil
	return dst
}

// expandLabel appends HKDF-Expand-Label(secret, label, context, length) to
// dst and returns the extended slice. RFC 8446, Section 7.1:
//
//	struct {
//	    uint16 length = Length;
//	    opaque label<7..255> = "tls13 " + Label;
//	    opaque context<0..255> = Context;
//	} HkdfLabel;
//
// The labels and lengths are our own constants, so an out-of-range value is
// a bug in this package and panics.
func (x *expander) expandLabel(dst []byte, label string, context []byte, length int) []byte {
	const prefix = "tls13 "
	if len(prefix)+len(label) > 255 || len(context) > 255 || length > x.mac.Size() || length < 0 {
		panic("tls: internal error: HKDF-Expand-Label argument out of range")
	}
	// "tls13 " + Label, then the HkdfLabel, each in the connection's
	// scratch space when it fits.
	w := x.hashes
	lbl := w.label[:0]
	if n := len(prefix) + len(label); n > len(w.label) {
		lbl = make([]byte, 0, n)
	}
	lbl = append(append(lbl, prefix...), label...)
	info := w.info[:0]
	if n := 2 + 1 + len(lbl) + 1 + len(context) + 1; n > len(w.info) {
		info = make([]byte, 0, n)
	}
	hl := wire.HkdfLabel{Length: uint16(length), Label: lbl, Context: context}
	info, err := hl.Append(info)
	if err != nil {
		panic("tls: internal error: HKDF-Expand-Label argument out of range")
	}
	info = append(info, 1) // the block counter of T(1)
	// Always Reset: the hashes are shared with the connection's other
	// HMACs (hmacHashes).
	x.mac.Reset()
	x.mac.Write(info)
	t1 := x.mac.Sum(w.sum[:0])
	ret, out := extendSlice(dst, length)
	copy(out, t1)
	clear(w.sum[:])
	return ret
}

// hkdfExpandLabel is expandLabel with an HMAC of its own, for one-off
// derivations.
func hkdfExpandLabel(dst []byte, h *hashAlg, secret []byte, label string, context []byte, length int) []byte {
	x := new(expander)
	x.init(h, secret)
	return x.expandLabel(dst, label, context, length)
}

// zeroKey is Hash.length zero octets: the salt of the Early Secret and the
// IKM of the Master Secret (RFC 8446, Section 7.1).
var zeroKey [maxHashSize]byte

// deriveSecret appends Derive-Secret(secret, label, Messages) to dst, RFC
// 8446, Section 7.1. transcriptHash is Transcript-Hash(Messages), which the
// caller computes with a transcript (so that we never need the messages).
func deriveSecret(dst []byte, h *hashAlg, secret []byte, label string, transcriptHash []byte) []byte {
	return hkdfExpandLabel(dst, h, secret, label, transcriptHash, h.Size())
}

// emptyHash returns Transcript-Hash("") = Hash(""), the context of the
// "derived" and binder secrets, without allocating.
func emptyHash(h *hashAlg) (sum [maxHashSize]byte) {
	copy(sum[:], h.empty)
	return sum
}

// keyStage is the secret a keySchedule currently holds.
type keyStage uint8

const (
	stageNone keyStage = iota
	stageEarly
	stageHandshake
	stageMaster
)

// keySchedule walks the three extracted secrets of RFC 8446, Section 7.1:
//
//	Early Secret -> Handshake Secret -> Master Secret
//
// It holds only the current one, in a fixed array, because once the next
// secret is extracted the previous one must never be used again (and should
// be forgotten, for forward secrecy). Traffic and other secrets are derived
// from the current secret on demand into caller buffers.
//
// The zero value is unusable; call initEarly first. Deriving a secret at the
// wrong stage is a bug in the handshake code and panics.
type keySchedule struct {
	hash   *hashAlg
	stage  keyStage
	secret [maxHashSize]byte
	salt   [maxHashSize]byte // scratch: a field, as the HMAC's key escapes
	x      expander          // keyed with secret
}

// current returns the secret of the current stage. It aliases ks.
func (ks *keySchedule) current() []byte { return ks.secret[:ks.hash.Size()] }

// initEarly computes Early Secret = HKDF-Extract(0, PSK), where a nil psk
// stands for Hash.length zero bytes as in a full handshake without PSK (RFC
// 8446, Section 7.1: "if PSK is not in use, IKM is a string of Hash.length
// bytes set to 0").
//
// Without a PSK the Early Secret is a constant of the hash, and so is the
// "derived" secret that salts the Handshake Secret: neither is computed.
func (ks *keySchedule) initEarly(h *hashAlg, psk []byte) {
	ks.hash = h
	ks.stage = stageEarly
	if psk == nil {
		copy(ks.secret[:], h.early)
		ks.x.mac = nil // keyed on first use
		return
	}
	ks.extract(psk, nil)
}

// advanceToHandshake computes Handshake Secret =
// HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE) and
// forgets the early secret.
func (ks *keySchedule) advanceToHandshake(sharedSecret []byte) {
	ks.mustBe(stageEarly)
	ks.extractNext(sharedSecret)
	ks.stage = stageHandshake
}

// advanceToMaster computes Master Secret =
// HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0) and
// forgets the handshake secret. Call it once both handshake traffic secrets
// have been derived.
func (ks *keySchedule) advanceToMaster() {
	ks.mustBe(stageHandshake)
	ks.extractNext(zeroKey[:ks.hash.Size()])
	ks.stage = stageMaster
}

// extractNext replaces the current secret by
// HKDF-Extract(Derive-Secret(current, "derived", ""), ikm).
func (ks *keySchedule) extractNext(ikm []byte) {
	n := ks.hash.Size()
	if ks.stage == stageEarly && ks.x.mac == nil { // the constant of a PSK-less Early Secret
		copy(ks.salt[:], ks.hash.derivedEarly)
	} else {
		empty := emptyHash(ks.hash)
		ks.derive(ks.salt[:0], ks.stage, labelDerived, empty[:n])
	}
	ks.extract(ikm, ks.salt[:n])
	clear(ks.salt[:])
}

// extract sets the current secret to HKDF-Extract(salt, ikm) and keys the
// expander with it. A nil salt is Hash.length zero bytes, as RFC 8446,
// Section 7.1 requires for the early secret.
func (ks *keySchedule) extract(ikm, salt []byte) {
	if salt == nil {
		salt = zeroKey[:ks.hash.Size()]
	}
	ks.x.hmac(ks.secret[:0], ks.hash, salt, ikm)
	ks.x.init(ks.hash, ks.current())
}

func (ks *keySchedule) mustBe(stage keyStage) {
	if ks.stage != stage {
		panic("tls: internal error: key schedule used out of order")
	}
}

// derive appends Derive-Secret(current, label, transcript) to dst after
// checking that the schedule is at the given stage.
func (ks *keySchedule) derive(dst []byte, stage keyStage, label string, transcriptHash []byte) []byte {
	ks.mustBe(stage)
	if ks.x.mac == nil {
		ks.x.init(ks.hash, ks.current())
	}
	return ks.x.expandLabel(dst, label, transcriptHash, ks.hash.Size())
}

// binderKey appends the PSK binder key (RFC 8446, Section 7.1): "res binder"
// for a resumption PSK from a NewSessionTicket, "ext binder" for an
// externally provisioned PSK. Its transcript is always empty.
func (ks *keySchedule) binderKey(dst []byte, resumption bool) []byte {
	label := labelExternalBinder
	if resumption {
		label = labelResumptionBinder
	}
	empty := emptyHash(ks.hash)
	return ks.derive(dst, stageEarly, label, empty[:ks.hash.Size()])
}

// clientEarlyTrafficSecret appends client_early_traffic_secret (0-RTT keys);
// transcriptHash covers the ClientHello.
func (ks *keySchedule) clientEarlyTrafficSecret(dst, transcriptHash []byte) []byte {
	return ks.derive(dst, stageEarly, labelClientEarlyTraffic, transcriptHash)
}

// earlyExporterMasterSecret appends early_exporter_master_secret;
// transcriptHash covers the ClientHello.
func (ks *keySchedule) earlyExporterMasterSecret(dst, transcriptHash []byte) []byte {
	return ks.derive(dst, stageEarly, labelEarlyExporterMaster, transcriptHash)
}

// clientHandshakeTrafficSecret appends client_handshake_traffic_secret;
// transcriptHash covers ClientHello...ServerHello.
func (ks *keySchedule) clientHandshakeTrafficSecret(dst, transcriptHash []byte) []byte {
	return ks.derive(dst, stageHandshake, labelClientHandshakeTraffic, transcriptHash)
}

// serverHandshakeTrafficSecret appends server_handshake_traffic_secret;
// transcriptHash covers ClientHello...ServerHello.
func (ks *keySchedule) serverHandshakeTrafficSecret(dst, transcriptHash []byte) []byte {
	return ks.derive(dst, stageHandshake, labelServerHandshakeTraffic, transcriptHash)
}

// clientApplicationTrafficSecret appends client_application_traffic_secret_0;
// transcriptHash covers ClientHello...server Finished.
func (ks *keySchedule) clientApplicationTrafficSecret(dst, transcriptHash []byte) []byte {
	return ks.derive(dst, stageMaster, labelClientApplicationTraffic, transcriptHash)
}

// serverApplicationTrafficSecret appends server_application_traffic_secret_0;
// transcriptHash covers ClientHello...server Finished.
func (ks *keySchedule) serverApplicationTrafficSecret(dst, transcriptHash []byte) []byte {
	return ks.derive(dst, stageMaster, labelServerApplicationTraffic, transcriptHash)
}

// exporterMasterSecret appends exporter_master_secret; transcriptHash covers
// ClientHello...server Finished.
func (ks *keySchedule) exporterMasterSecret(dst, transcriptHash []byte) []byte {
	return ks.derive(dst, stageMaster, labelExporterMaster, transcriptHash)
}

// resumptionMasterSecret appends resumption_master_secret; transcriptHash
// covers ClientHello...client Finished, so it is derived last.
func (ks *keySchedule) resumptionMasterSecret(dst, transcriptHash []byte) []byte {
	return ks.derive(dst, stageMaster, labelResumptionMaster, transcriptHash)
}

// zero erases the current secret. Call it when the connection no longer
// needs to derive anything (after resumption_master_secret).
func (ks *keySchedule) zero() {
	clear(ks.secret[:])
	ks.x = expander{hashes: ks.x.hashes}
	ks.stage = stageNone
}

// finishedKey appends finished_key = HKDF-Expand-Label(BaseKey, "finished",
// "", Hash.length), RFC 8446, Section 4.4.4. BaseKey is the sender's
// handshake traffic secret, or the binder key for a PSK binder (Section
// 4.2.11.2).
func finishedKey(dst []byte, h *hashAlg, baseKey []byte) []byte {
	return hkdfExpandLabel(dst, h, baseKey, labelFinished, nil, h.Size())
}

// finishedVerifyData appends verify_data = HMAC(finished_key,
// Transcript-Hash(...)) to dst, RFC 8446, Section 4.4.4. The same
// computation over the truncated ClientHello gives a PSK binder.
func finishedVerifyData(dst []byte, h *hashAlg, baseKey, transcriptHash []byte) []byte {
	x := new(expander)
	x.init(h, baseKey)
	return x.finishedVerifyData(dst, h, transcriptHash)
}

// finishedVerifyData is the package function for x keyed with the base
// key. finished_key is derived where the MAC will go, x is re-keyed with
// it, and x is left cleared.
func (x *expander) finishedVerifyData(dst []byte, h *hashAlg, transcriptHash []byte) []byte {
	key := x.expandLabel(dst, labelFinished, nil, h.Size())[len(dst):]
	x.init(h, key)
	clear(key)
	x.mac.Reset()
	x.mac.Write(transcriptHash)
	dst = x.mac.Sum(dst)
	x.mac = nil
	return dst
}

// verifyFinished reports whether verifyData is the correct Finished
// verify_data for baseKey and transcriptHash. The comparison is constant
// time: a timing leak would let an attacker forge the MAC byte by byte.
func verifyFinished(h *hashAlg, baseKey, transcriptHash, verifyData []byte) bool {
	var buf [maxHashSize]byte
	want := finishedVerifyData(buf[:0], h, baseKey, transcriptHash)
	// ConstantTimeCompare returns 0 at once on a length mismatch, which
	// leaks only the length, and that is public.
	return subtle.ConstantTimeCompare(want, verifyData) == 1
}

// nextTrafficSecret appends application_traffic_secret_N+1 =
// HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length), RFC 8446,
// Section 7.2, used on KeyUpdate.
func nextTrafficSecret(dst []byte, h *hashAlg, trafficSecret []byte) []byte {
	return hkdfExpandLabel(dst, h, trafficSecret, labelTrafficUpdate, nil, h.Size())
}

// trafficKey appends the write key to keyDst and the write IV to ivDst,
// RFC 8446, Section 7.3:
//
//	[sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length)
//	[sender]_write_iv  = HKDF-Expand-Label(Secret, "iv", "", iv_length)
func (s *Suite) trafficKey(keyDst, ivDst, trafficSecret []byte) (key, iv []byte) {
	x := new(expander)
	x.init(s.hash, trafficSecret)
	return s.trafficKeyWith(x, keyDst, ivDst)
}

// trafficKeyWith is trafficKey with x keyed with the traffic secret.
func (s *Suite) trafficKeyWith(x *expander, keyDst, ivDst []byte) (key, iv []byte) {
	key = x.expandLabel(keyDst, labelKey, nil, s.keyLen)
	iv = x.expandLabel(ivDst, labelIV, nil, aeadNonceLength)
	return key, iv
}

// resumptionPSK appends the PSK of a NewSessionTicket, RFC 8446, Section
// 4.6.1:
//
//	HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length)
func resumptionPSK(dst []byte, h *hashAlg, resumptionMasterSecret, ticketNonce []byte) []byte {
	return hkdfExpandLabel(dst, h, resumptionMasterSecret, labelResumption, ticketNonce, h.Size())
}

// extendSlice extends in by n bytes, reusing its capacity when possible,
// and returns the whole slice and the new tail.
func extendSlice(in []byte, n int) (head, tail []byte) {
	if total := len(in) + n; cap(in) >= total {
		head = in[:total]
	} else {
		head = make([]byte, total)
		copy(head, in)
	}
	return head, head[len(in):]
}
