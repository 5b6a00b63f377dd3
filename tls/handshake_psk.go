package tls

import (
	"slices"

	"github.com/tabletls/tabletls/internal/wire"
)

// The PSK the ClientHello offers (RFC 8446 §4.2.11): an external PSK from
// Config.ExternalPSK, or a session from Config.ClientSessionCache. One
// at most: the server can only select identity 0.

// pskOffer is the PSK of this handshake.
type pskOffer struct {
	identity   []byte
	key        []byte
	hash       *hashAlg
	resumption bool // a ticket ("res binder"), else external ("ext binder")
	// From the session (not a *ClientSessionState: the engine's type
	// would keep that type's methods, serialization included, in every
	// firmware image).
	ageAdd     uint32
	receivedNs int64 // Unix nanoseconds (a time.Time here links its methods into firmware)
	maxEarly   uint32
	suite      uint16
	alpn       string
	peerCerts  [][]byte // the chain of the handshake that issued the ticket
	modes      []PSKMode
	offered    bool // in the ClientHello just sent
	accepted   bool // the ServerHello selected it
	mode       PSKMode
	bindersLen int // what the truncated ClientHello leaves out (§4.2.11.2)
}

func (p *pskOffer) allows(m PSKMode) bool { return slices.Contains(p.modes, m) }

// choosePSK picks the PSK for the first ClientHello.
func (e *engine) choosePSK() {
	hs, cfg := &e.hs, e.config
	if x := cfg.ExternalPSK; x != nil {
		hs.psk = pskOffer{identity: x.Identity, key: x.Key, hash: e.prof.externalHash(x), modes: x.Modes, offered: true}
	} else if cfg.ClientSessionCache != nil {
		s, ok := cfg.ClientSessionCache.Get(cfg.ServerName)
		if !ok || s == nil || s.Expired(cfg.now()) || !slices.Contains(e.prof.suites, s.CipherSuite) || len(s.Ticket) == 0 {
			return
		}
		suite := e.prof.crypto.suite(s.CipherSuite)
		if suite == nil || len(s.PSK) != suite.hash.Size() {
			return
		}
		hs.psk = pskOffer{identity: s.Ticket, key: s.PSK, hash: suite.hash, resumption: true,
			ageAdd: s.AgeAdd, receivedNs: s.ReceivedAt.UnixNano(), maxEarly: s.MaxEarlyDataSize, suite: s.CipherSuite, alpn: s.NegotiatedProtocol,
			peerCerts: s.PeerCertificateChain, modes: cfg.ResumptionModes, offered: true}
	} else {
		return
	}
	if hs.psk.modes == nil {
		hs.psk.modes = defaultPSKModes
	}
	// §7.1: the Early Secret from the PSK, kept if the server accepts it.
	hs.ks.initEarly(hs.psk.hash, hs.psk.key)
}

// offersPSKModes: the ClientHello carries psk_key_exchange_modes, with
// which the server may resume or send tickets (§4.2.9).
func (e *engine) offersPSKModes() bool {
	c := e.config
	return c.OnNewSessionTicket != nil || c.ClientSessionCache != nil || c.ExternalPSK != nil
}

// pskModes are the modes to send in psk_key_exchange_modes.
func (e *engine) pskModes() []PSKMode {
	switch {
	case e.hs.psk.modes != nil:
		return e.hs.psk.modes
	case e.config.ExternalPSK != nil && e.config.ExternalPSK.Modes != nil:
		return e.config.ExternalPSK.Modes
	case e.config.ResumptionModes != nil:
		return e.config.ResumptionModes
	}
	return defaultPSKModes
}

// needsKeyShare: without a PSK, or with psk_dhe_ke allowed, the
// ClientHello carries key shares; with psk_ke alone it carries none
// (§4.2.8: client_shares may be empty), which saves the key generation.
func (e *engine) needsKeyShare() bool {
	return !e.hs.psk.offered || e.hs.psk.allows(PSKModeDHE)
}

// offeredPSKs builds the body of the pre_shared_key extension in s
// (§4.2.11): our one identity and a binder of zeros, which writeBinder
// overwrites once the message is encoded. n is the extension's size on
// the wire, measured by encoding it past the end of s once.
func (e *engine) offeredPSKs(s []byte) (o wire.OfferedPsks, n int, _ []byte, err error) {
	p := &e.hs.psk
	age := uint32(0) // §4.2.11: 0 for an external PSK
	if p.resumption {
		age = obfuscatedAge(p.receivedNs, p.ageAdd, e.config.now().UnixNano())
	}
	ids := wire.BuildPskIdentityVector(s)
	ids.Add(&wire.PskIdentity{Identity: p.identity, ObfuscatedTicketAge: age})
	if o.Identities, s, err = ids.Vector(); err != nil {
		return o, 0, s, err
	}
	binders := wire.BuildPskBinderEntryVector(s)
	binders.Add(zeroKey[:p.hash.Size()])
	if o.Binders, s, err = binders.Vector(); err != nil {
		return o, 0, s, err
	}
	// §4.2.11.2: the truncated ClientHello leaves out the binders list,
	// its elements and its 2-octet length (binders<33..2^16-1>).
	p.bindersLen = 2 + len(o.Binders.Bytes())
	body, err := o.Append(s)
	if err != nil {
		return o, 0, s, err
	}
	ext := wire.Extension{ExtensionType: wire.ExtensionTypePreSharedKey, ExtensionData: body[len(s):]}
	enc, err := ext.Append(body)
	if err != nil {
		return o, 0, s, err
	}
	if len(enc) > len(e.scratch) {
		return o, 0, s, newAlert(AlertInternalError, "tls: ClientHello does not fit the scratch buffer")
	}
	return o, len(enc) - len(body), s, nil
}

// writeBinder computes the binder over the truncated ClientHello msg
// (§4.2.11.2) and writes it into msg; t is the transcript so far of the
// PSK's hash (empty before ClientHello1; message_hash and the
// HelloRetryRequest before ClientHello2). The truncated message is added
// to t; the caller adds the rest, msg[len(msg)-bindersLen:].
func (e *engine) writeBinder(t *transcript, msg []byte) {
	hs := &e.hs
	n := hs.psk.hash.Size()
	cut := len(msg) - hs.psk.bindersLen
	t.add(msg[:cut])
	var bk, th [maxHashSize]byte
	hs.ks.binderKey(bk[:0], hs.psk.resumption)
	var x expander
	x.init(hs.psk.hash, bk[:n])
	x.finishedVerifyData(msg[len(msg)-n:len(msg)-n], hs.psk.hash, t.sum(th[:0]))
	clear(bk[:])
}

// checkServerPSK does §4.2.11's checks of a ServerHello that selected
// identity: the one we offered, with a suite of its hash.
func (e *engine) checkServerPSK(identity uint16) error {
	hs := &e.hs
	if !hs.psk.offered {
		return newAlert(AlertUnsupportedExtension, "tls: server accepted a PSK we did not offer")
	}
	if identity != 0 {
		return newAlert(AlertIllegalParameter, "tls: server selected a PSK identity we did not offer")
	}
	if hs.suite.hash != hs.psk.hash {
		return newAlert(AlertIllegalParameter, "tls: server selected a cipher suite whose hash is not the PSK's")
	}
	hs.psk.accepted = true
	if hs.psk.resumption {
		// As crypto/tls: the resumed connection reports the chain
		// that authenticated the server in the first handshake.
		hs.peerCerts = hs.psk.peerCerts
	}
	return nil
}
