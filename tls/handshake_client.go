package tls

import (
	"bytes"
	"crypto"
	"crypto/subtle"

	"github.com/tabletls/tabletls/internal/wire"
	"io"
	"slices"
	"strings"
	"time"
)

// The actions and guards that spec/client.sm names, in the order of
// RFC 8446 §4: the generated dispatch calls them. Each reads the message
// in e.msg, checks it as the RFC says, and returns an *AlertError with the
// RFC's alert when it is wrong.

// handshakeState is what the handshake keeps between messages, and what
// the connection keeps of it afterwards.
type handshakeState struct {
	*handshakeWork // until the handshake ends

	group CurveID // the group of the key exchange
	suite *Suite

	hrr      bool
	hrrGroup CurveID
	cookie   []byte
	sentCCS  bool
	sentSNI  bool

	peerRecordLimit wire.RecordSizeLimit // from EncryptedExtensions, 0 if none
	fragmentLimit   int                  // negotiated max_fragment_length, 0 if none
	keyUpdateOwed   bool                 // the server asked us to update our key

	peerCerts  [][]byte
	peerScheme SignatureScheme
	alpn       string

	psk   pskOffer       // the PSK offered, if any (handshake_psk.go)
	early earlyDataState // 0-RTT (earlydata.go)

	certRequested    bool
	requestedSchemes []SignatureScheme // the CertificateRequest's signature_algorithms
	clientCert       *Certificate
	clientScheme     SignatureScheme
	sentCert         bool

	clientAP, serverAP, resumption [maxHashSize]byte
	exporter                       [maxHashSize]byte // exporter_master_secret, for ExportKeyingMaterial
}

// handshakeWork is the part of the handshake state that only the
// handshake needs (1.4 KB): Start allocates it, and the end of the
// handshake lets it go, so that a connection does not carry it after.
type handshakeWork struct {
	random   [32]byte
	session  [32]byte
	nSession int

	shares      [maxKeyShares]keyShare
	shareGroups [maxKeyShares]CurveID
	nShares     int

	// Before the server picks a suite the hash is unknown, so ClientHello1
	// goes into a transcript per hash the offered suites use.
	candidates [2]transcript // one per hash of the offered suites
	transcript transcript
	ks         keySchedule

	peerKey crypto.PublicKey
	chain   [maxChain][]byte

	clientHS, serverHS [maxHashSize]byte
	transcriptHash     [maxHashSize]byte
	verifyData         [maxHashSize]byte // Finished, ours or the server's
	sigWork            signatureWork
}

// maxChain bounds the server's certificate chain.
const maxChain = 10

func (h *handshakeState) wipe() {
	w := h.handshakeWork
	if w == nil { // the handshake is over: nothing is left
		return
	}
	clear(w.clientHS[:])
	clear(w.serverHS[:])
	w.ks.zero()
	for i := range w.shares {
		w.shares[i] = nil
	}
}

func (e *engine) hashSize() int { return e.hs.suite.hash.Size() }

// sum returns the current transcript hash (in a field, so it does not
// escape to the heap).
func (e *engine) sum() []byte { return e.hs.transcript.sum(e.hs.transcriptHash[:0]) }

func (e *engine) readRandom(b []byte) error {
	if _, err := io.ReadFull(e.rand, b); err != nil {
		return newAlert(AlertInternalError, "tls: reading randomness: "+err.Error())
	}
	return nil
}

// --- ClientHello (§4.1.2) ---

func (e *engine) sendClientHello() error {
	hs := &e.hs
	cfg := e.config
	if !hs.hrr {
		if err := e.readRandom(hs.random[:]); err != nil {
			return err
		}
		if !cfg.DisableMiddleboxCompat {
			// Appendix D.4: a non-empty legacy_session_id.
			hs.nSession = 32
			if err := e.readRandom(hs.session[:]); err != nil {
				return err
			}
		}
		e.choosePSK()
		for _, g := range e.prof.shares {
			if !e.needsKeyShare() {
				break
			}
			ks := hs.hybridX25519Share(g, e.prof.hybridX25519)
			if ks == nil {
				var err error
				if ks, err = e.prof.crypto.keyExchange(g).generate(e.rand); err != nil {
					return err
				}
			}
			hs.shares[hs.nShares] = ks
			hs.shareGroups[hs.nShares] = g
			hs.nShares++
		}
	} else {
		// §4.1.4: "the client SHOULD NOT offer any pre-shared keys
		// associated with a hash other than that of the selected cipher
		// suite".
		if hs.psk.offered && hs.psk.hash != hs.suite.hash {
			hs.psk.offered = false
			hs.ks.initEarly(hs.suite.hash, nil)
		}
		if hs.hrrGroup != 0 {
			// §4.1.4: one share, for the group the server asked for.
			ks, err := e.prof.crypto.keyExchange(hs.hrrGroup).generate(e.rand)
			if err != nil {
				return err
			}
			hs.shares = [maxKeyShares]keyShare{ks}
			hs.shareGroups = [maxKeyShares]CurveID{hs.hrrGroup}
			hs.nShares = 1
		}
	}

	var ch wire.ClientHello
	ch.LegacyVersion = 0x0303
	ch.Random = hs.random[:]
	ch.LegacySessionID = hs.session[:hs.nSession]
	ch.LegacyCompressionMethods = nullCompression
	// The lists are built in scratch, where the message's fields view
	// them until Append copies them into HandshakeOut.
	s := e.scratch[:0]
	var err error

	suites := wire.BuildCipherSuiteVector(s)
	for _, cs := range e.prof.suites {
		suites.Add(wire.CipherSuite(cs))
	}
	if ch.CipherSuites, s, err = suites.Vector(); err != nil {
		return err
	}
	x := &ch.Extensions
	if name := sniName(cfg.ServerName); name != "" {
		x.Add(wire.ExtensionTypeServerName)
		hs.sentSNI = true
		s = append(s, name...)
		sn := wire.ServerName{NameType: wire.NameTypeHostName, HostName: s[len(s)-len(name):]}
		names := wire.BuildServerNameVector(s)
		names.Add(&sn)
		if x.ServerName.ServerNameList, s, err = names.Vector(); err != nil {
			return err
		}
	}
	x.Add(wire.ExtensionTypeSupportedGroups)
	groups := wire.BuildNamedGroupVector(s)
	for _, g := range e.prof.groups {
		groups.Add(wire.NamedGroup(g))
	}
	if x.SupportedGroups.NamedGroupList, s, err = groups.Vector(); err != nil {
		return err
	}
	x.Add(wire.ExtensionTypeSignatureAlgorithms)
	schemes := wire.BuildSignatureSchemeVector(s)
	if cfg.SignatureSchemes != nil {
		// The configured CertificateVerify schemes, then those for
		// certificate chains only (signature.go).
		for _, sc := range cfg.SignatureSchemes {
			schemes.Add(wire.SignatureScheme(sc))
		}
		for _, sc := range supportedSignatureSchemes {
			if _, _, cv := certificateVerifyParams(sc); !cv && e.prof.crypto.offersScheme(sc) {
				schemes.Add(wire.SignatureScheme(sc))
			}
		}
	} else {
		for _, sc := range supportedSignatureSchemes {
			if e.prof.crypto.offersScheme(sc) {
				schemes.Add(wire.SignatureScheme(sc))
			}
		}
	}
	if x.SignatureAlgorithms.SupportedSignatureAlgorithms, s, err = schemes.Vector(); err != nil {
		return err
	}
	if len(cfg.NextProtos) > 0 {
		x.Add(wire.ExtensionTypeApplicationLayerProtocolNegotiation)
		protos := wire.BuildProtocolNameVector(s)
		for _, p := range cfg.NextProtos {
			protos.AddString(p)
		}
		if x.ApplicationLayerProtocolNegotiation.ProtocolNameList, s, err = protos.Vector(); err != nil {
			return err
		}
	}
	x.Add(wire.ExtensionTypeSupportedVersions)
	versions := wire.BuildProtocolVersionVector(s)
	versions.Add(VersionTLS13) // TLS 1.3 only (§4.2.1)
	if x.SupportedVersions.Versions, s, err = versions.Vector(); err != nil {
		return err
	}
	if cfg.RecordSizeLimit != 0 {
		x.Add(wire.ExtensionTypeRecordSizeLimit)
		x.RecordSizeLimit = wire.RecordSizeLimit(cfg.RecordSizeLimit)
		if code, _ := cfg.maxFragmentLength(); code != 0 {
			x.Add(wire.ExtensionTypeMaxFragmentLength)
			x.MaxFragmentLength = code
		}
	}
	if hs.cookie != nil {
		x.Add(wire.ExtensionTypeCookie)
		x.Cookie.Cookie = hs.cookie
	}
	if e.offersPSKModes() {
		x.Add(wire.ExtensionTypePskKeyExchangeModes)
		modes := wire.BuildPskKeyExchangeModeVector(s)
		for _, m := range e.pskModes() {
			modes.Add(wire.PskKeyExchangeMode(m))
		}
		if x.PskKeyExchangeModes.KeModes, s, err = modes.Vector(); err != nil {
			return err
		}
	}
	x.Add(wire.ExtensionTypeKeyShare)
	shares := wire.BuildKeyShareEntryVector(s)
	for i, ks := range hs.shares[:hs.nShares] {
		entry := wire.KeyShareEntry{Group: wire.NamedGroup(hs.shareGroups[i]), KeyExchange: ks.Public()}
		shares.Add(&entry)
	}
	if x.KeyShare.ClientShares, s, err = shares.Vector(); err != nil {
		return err
	}
	if len(s) > len(e.scratch) {
		return newAlert(AlertInternalError, "tls: ClientHello does not fit the scratch buffer")
	}

	// §4.2.11: pre_shared_key comes last, after early_data and padding,
	// with a binder of zeros that writeBinder fills in once the message is
	// encoded. pskLen is its size on the wire, which the padding counts.
	var psk wire.OfferedPsks
	pskLen := 0
	if hs.psk.offered {
		if psk, pskLen, s, err = e.offeredPSKs(s); err != nil {
			return err
		}
	}
	b, err := ch.Append(e.startMessage(wire.HandshakeTypeClientHello))
	if !hs.hrr && err == nil && e.earlyDataEligible(len(b)+pskLen) {
		// §4.2.10: early_data, only in ClientHello1.
		x.Add(wire.ExtensionTypeEarlyData)
		hs.early.offered = true
		b, err = ch.Append(e.startMessage(wire.HandshakeTypeClientHello))
	}
	if n := len(b) + pskLen; err == nil && n > 0xff && n < 0x200 {
		// RFC 7685: some middleboxes hang on a ClientHello of 256 to 511
		// octets; like BoringSSL and crypto/tls, pad it to 512, with at
		// least one octet of padding (a last extension that is empty
		// upsets some servers).
		pad := max(0x200-n-4, 1)
		if len(s)+pad > len(e.scratch) {
			return newAlert(AlertInternalError, "tls: ClientHello does not fit the scratch buffer")
		}
		s = append(s, make([]byte, pad)...)
		x.AddUnknown(extensionTypePadding, s[len(s)-pad:])
		b, err = ch.Append(e.startMessage(wire.HandshakeTypeClientHello))
	}
	if hs.psk.offered && err == nil {
		x.Add(wire.ExtensionTypePreSharedKey)
		x.PreSharedKey = psk
		b, err = ch.Append(e.startMessage(wire.HandshakeTypeClientHello))
	}
	msg, err := e.finishMessage(b, err)
	if err != nil {
		return err
	}
	if e.testHookClientHello != nil {
		n := 1
		if hs.hrr {
			n = 2
		}
		e.hsOutLen -= len(msg)
		if msg, err = e.finishMessage(append(e.hsOut[e.hsOutLen:e.hsOutLen], e.testHookClientHello(n)...), nil); err != nil {
			return err
		}
	}
	if !hs.hrr {
		// One transcript per hash of the offered suites (§4.4.1). The
		// binder goes in first, over the truncated ClientHello in the
		// transcript of the PSK's hash.
		n := 0
		for _, cs := range e.prof.suites {
			h := e.prof.crypto.suite(cs).hash
			if n < len(hs.candidates) && hs.candidates[0].hash != h && hs.candidates[1].hash != h {
				hs.candidates[n].init(h)
				n++
			}
		}
		for i := range hs.candidates[:n] {
			if c := &hs.candidates[i]; hs.psk.offered && c.hash == hs.psk.hash {
				e.writeBinder(c, msg)
				c.add(msg[len(msg)-hs.psk.bindersLen:])
				if hs.early.offered {
					var th [maxHashSize]byte
					e.deriveEarlySecret(c.sum(th[:0]))
				}
			}
		}
		for i := range hs.candidates[:n] {
			if c := &hs.candidates[i]; !hs.psk.offered || c.hash != hs.psk.hash {
				c.add(msg)
			}
		}
		// §5.1: the first ClientHello's record may say TLS 1.0, for old middleboxes.
		return e.flushHandshakeVersion(0x0301)
	}
	if hs.psk.offered {
		e.writeBinder(&hs.transcript, msg)
		msg = msg[len(msg)-hs.psk.bindersLen:]
	}
	hs.transcript.add(msg)
	return e.flushHandshake()
}

// hybridX25519Share is the x25519 share made from the X25519 key of a
// hybrid share already made, if reuse is on (the default KeyShares beside
// X25519MLKEM768, see Config.KeyShares) and g is x25519; otherwise, or if
// the hybrid implementation offers no X25519Share, nil: a fresh share.
func (hs *handshakeState) hybridX25519Share(g CurveID, reuse bool) keyShare {
	if !reuse || g != X25519 {
		return nil
	}
	for _, ks := range hs.shares[:hs.nShares] {
		if h, ok := ks.(X25519Sharer); ok {
			return h.X25519Share()
		}
	}
	return nil
}

var nullCompression = []byte{0}

// extensionTypePadding is RFC 7685's padding extension.
const extensionTypePadding wire.ExtensionType = 21

// sniName is the host name to send in server_name: none for an IP
// address (RFC 6066 §3), without a trailing dot.
func sniName(name string) string {
	if name == "" {
		return ""
	}
	if isIPLiteral(name) {
		return ""
	}
	return strings.TrimSuffix(name, ".")
}

// isIPLiteral reports whether name is an IPv6 literal (host names have no
// colon) or an IPv4 dotted quad. It stands in for netip.ParseAddr, which
// brings strconv and unique into firmware for this one check.
func isIPLiteral(name string) bool {
	if strings.IndexByte(name, ':') >= 0 {
		return true
	}
	labels, digits, value := 1, 0, 0
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '.':
			if digits == 0 {
				return false
			}
			labels, digits, value = labels+1, 0, 0
		case c >= '0' && c <= '9':
			digits++
			value = value*10 + int(c-'0')
			if digits > 3 || value > 255 {
				return false
			}
		default:
			return false
		}
	}
	return labels == 4 && digits > 0
}

// chooseSuite checks the server's cipher suite against what we offered
// and picks the transcript for its hash.
func (e *engine) chooseSuite(id uint16) error {
	hs := &e.hs
	if hs.suite != nil { // after a HelloRetryRequest (§4.1.4)
		if id != hs.suite.id {
			return newAlert(AlertIllegalParameter, "tls: server changed cipher suite after HelloRetryRequest")
		}
		return nil
	}
	suite := e.prof.crypto.suite(id)
	if !slices.Contains(e.prof.suites, id) || suite == nil {
		return newAlert(AlertIllegalParameter, "tls: server chose a cipher suite we did not offer")
	}
	hs.suite = suite
	if hs.candidates[0].hash == suite.hash {
		hs.transcript = hs.candidates[0]
	} else {
		hs.transcript = hs.candidates[1]
	}
	hs.candidates = [2]transcript{}
	return nil
}

// checkServerHelloCommon does the checks §4.1.3 and §4.1.4 share, in the
// order §4.1.4 gives: "the client MUST check the legacy_version,
// legacy_session_id_echo, cipher_suite, and legacy_compression_method as
// specified in Section 4.1.3 and then process the extensions, starting
// with determining the version using supported_versions". A ServerHello
// without supported_versions has been turned away before this, by
// checkTLS13ServerHello.
func (e *engine) checkServerHelloCommon(legacyVersion wire.ProtocolVersion, sessionID []byte, compression uint8, versions bool, selected wire.ProtocolVersion, suite uint16) error {
	if legacyVersion != 0x0303 {
		return newAlert(AlertIllegalParameter, "tls: server sent a legacy_version other than 0x0303")
	}
	if !bytes.Equal(sessionID, e.hs.session[:e.hs.nSession]) {
		return newAlert(AlertIllegalParameter, "tls: server did not echo the legacy session ID")
	}
	if err := e.chooseSuite(suite); err != nil {
		return err
	}
	// §4.1.3 names no alert for this one; the message decodes, and a
	// field has a value it must not have, like the two above whose
	// alert §4.1.3 names: illegal_parameter (§6.2: "A field in the
	// handshake was incorrect"), not decode_error.
	if compression != 0 {
		return newAlert(AlertIllegalParameter, "tls: server selected a compression method")
	}
	// §4.1.4: "The server's extensions MUST contain supported_versions";
	// a HelloRetryRequest exists only in TLS 1.3, so one without it lacks
	// a mandatory extension (§6.2 missing_extension), as crypto/tls says.
	if !versions {
		return newAlert(AlertMissingExtension, "tls: HelloRetryRequest without supported_versions")
	}
	// §4.2.1: a version we did not offer, or one before TLS 1.3.
	if selected != 0x0304 {
		return newAlert(AlertIllegalParameter, "tls: server selected a version other than TLS 1.3")
	}
	return nil
}

// --- HelloRetryRequest (§4.1.4) ---

func (e *engine) processHelloRetryRequest() error {
	hs := &e.hs
	var hrr wire.HelloRetryRequest
	if err := hrr.Unmarshal(e.msgBody); err != nil {
		return err
	}
	x := &hrr.Extensions
	if err := e.checkServerHelloCommon(hrr.LegacyVersion, hrr.LegacySessionIDEcho, hrr.LegacyCompressionMethod,
		x.Has(wire.ExtensionTypeSupportedVersions), x.SupportedVersions.SelectedVersion, uint16(hrr.CipherSuite)); err != nil {
		return err
	}
	if x.Has(wire.ExtensionTypeKeyShare) {
		g := CurveID(x.KeyShare.SelectedGroup)
		if !slices.Contains(e.prof.groups, g) {
			return newAlert(AlertIllegalParameter, "tls: HelloRetryRequest asked for a group we did not offer")
		}
		for _, sg := range hs.shareGroups[:hs.nShares] {
			if sg == g {
				return newAlert(AlertIllegalParameter, "tls: HelloRetryRequest asked for a group we sent a share for")
			}
		}
		hs.hrrGroup = g
	}
	if x.Has(wire.ExtensionTypeCookie) {
		hs.cookie = bytes.Clone(x.Cookie.Cookie)
	}
	if hs.hrrGroup == 0 && hs.cookie == nil {
		return newAlert(AlertIllegalParameter, "tls: HelloRetryRequest would not change the ClientHello")
	}
	// §4.2.10: a HelloRetryRequest rejects early data; ClientHello2 goes
	// in the clear, without early_data.
	if hs.early.offered {
		hs.early.offered = false
		e.writeKeys = keysNone
	}
	// §4.4.1: ClientHello1 becomes message_hash, then the HRR follows.
	hs.transcript.replaceWithMessageHash()
	hs.transcript.add(e.msg)
	hs.hrr = true
	return nil
}

// --- ServerHello (§4.1.3) ---

var (
	downgradeTLS12 = []byte("DOWNGRD\x01")
	downgradeTLS11 = []byte("DOWNGRD\x00")
)

// checkTLS13ServerHello turns a ServerHello for TLS 1.2 or older (one
// without supported_versions, §4.2.1) into the right alert before the
// TLS 1.3 syntax rejects it for something else: illegal_parameter if its
// random carries a downgrade sentinel (§4.1.3), else protocol_version.
// Anything it cannot read is left to the decoder.
func checkTLS13ServerHello(body []byte) error {
	var p wire.ServerHelloPrefix
	rest, err := p.UnmarshalPrefix(body)
	if err != nil {
		return nil
	}
	if len(rest) > 0 {
		var x wire.AnyExtensions
		if x.Unmarshal(rest) != nil {
			return nil
		}
		var ext wire.AnyExtension
		for it := x.Extensions.Iter(); it.Next(&ext); {
			if ext.ExtensionType == wire.ExtensionTypeSupportedVersions {
				return nil
			}
		}
	}
	random := p.Random
	if bytes.Equal(random[24:], downgradeTLS12) || bytes.Equal(random[24:], downgradeTLS11) {
		return newAlert(AlertIllegalParameter, "tls: downgrade sentinel in a TLS 1.2 ServerHello")
	}
	return newAlert(AlertProtocolVersion, "tls: server does not support TLS 1.3")
}

func (e *engine) processServerHello() error {
	hs := &e.hs
	if err := checkTLS13ServerHello(e.msgBody); err != nil {
		return err
	}
	var sh wire.ServerHello
	if err := sh.Unmarshal(e.msgBody); err != nil {
		return err
	}
	x := &sh.Extensions
	if err := e.checkServerHelloCommon(sh.LegacyVersion, sh.LegacySessionIDEcho, sh.LegacyCompressionMethod,
		x.Has(wire.ExtensionTypeSupportedVersions), x.SupportedVersions.SelectedVersion, uint16(sh.CipherSuite)); err != nil {
		return err
	}
	if x.Has(wire.ExtensionTypePreSharedKey) {
		if err := e.checkServerPSK(x.PreSharedKey.SelectedIdentity); err != nil {
			return err
		}
	}
	var secret []byte
	switch {
	case x.Has(wire.ExtensionTypeKeyShare):
		// §4.2.9: with a PSK, a key share is psk_dhe_ke.
		if hs.psk.accepted && !hs.psk.allows(PSKModeDHE) {
			return newAlert(AlertIllegalParameter, "tls: server chose psk_dhe_ke, which we did not offer")
		}
		var err error
		if secret, err = e.serverShare(&x.KeyShare.ServerShare); err != nil {
			return err
		}
		hs.psk.mode = PSKModeDHE
	case !hs.psk.accepted:
		return newAlert(AlertMissingExtension, "tls: server sent no key_share")
	case !hs.psk.allows(PSKModeKE):
		return newAlert(AlertMissingExtension, "tls: server chose psk_ke, which we did not offer, and sent no key_share")
	default:
		hs.psk.mode = PSKModeKE // §7.1: the (EC)DHE input is zeros
		secret = zeroKey[:hs.suite.hash.Size()]
	}
	hs.transcript.add(e.msg)

	// §7.1: Early Secret (from the PSK, if one was accepted; it was
	// extracted for the binder), Handshake Secret, handshake traffic
	// secrets.
	if !hs.psk.accepted {
		hs.ks.initEarly(hs.suite.hash, nil)
	}
	hs.ks.advanceToHandshake(secret)
	if hs.psk.mode == PSKModeDHE {
		clear(secret)
	}
	th := e.sum()
	hs.ks.clientHandshakeTrafficSecret(hs.clientHS[:0], th)
	hs.ks.serverHandshakeTrafficSecret(hs.serverHS[:0], th)
	for i := range hs.shares {
		hs.shares[i] = nil
	}
	return nil
}

// serverShare computes the (EC)DHE shared secret with the server's share.
func (e *engine) serverShare(share *wire.KeyShareEntry) ([]byte, error) {
	hs := &e.hs
	var mine keyShare
	for i, ks := range hs.shares[:hs.nShares] {
		if hs.shareGroups[i] == CurveID(share.Group) {
			mine = ks
		}
	}
	if mine == nil {
		return nil, newAlert(AlertIllegalParameter, "tls: server key share is for a group we did not send")
	}
	secret, err := mine.SharedSecret(share.KeyExchange)
	if err != nil {
		return nil, err
	}
	hs.group = CurveID(share.Group)
	return secret, nil
}

// installHandshakeKeys: K_recv = K_send = handshake (Appendix A).
func (e *engine) installHandshakeKeys() error {
	hs := &e.hs
	n := e.hashSize()
	if err := e.readCipher.setKey(hs.suite, hs.serverHS[:n]); err != nil {
		return err
	}
	e.readEncrypted = true
	e.keyLog(keyLogLabelClientHandshake, hs.clientHS[:n])
	e.keyLog(keyLogLabelServerHandshake, hs.serverHS[:n])
	if hs.early.offered {
		// The early key stays until the server says whether it takes
		// early data (processEncryptedExtensions).
		return nil
	}
	return e.installHandshakeWriteKey()
}

// installHandshakeWriteKey: K_send = handshake.
func (e *engine) installHandshakeWriteKey() error {
	hs := &e.hs
	if err := e.writeCipher.setKey(hs.suite, hs.clientHS[:e.hashSize()]); err != nil {
		return err
	}
	e.writeKeys = keysHandshake
	return nil
}

// --- EncryptedExtensions (§4.3.1) ---

func (e *engine) processEncryptedExtensions() error {
	var ee wire.EncryptedExtensions
	if err := ee.Unmarshal(e.msgBody); err != nil {
		return err
	}
	x := &ee.Extensions
	// §4.2: a response to an extension we did not send is unsupported_extension.
	mflCode, mflSize := e.config.maxFragmentLength()
	if x.Has(wire.ExtensionTypeServerName) && !e.hs.sentSNI ||
		x.Has(wire.ExtensionTypeMaxFragmentLength) && mflCode == 0 ||
		x.Has(wire.ExtensionTypeRecordSizeLimit) && e.config.RecordSizeLimit == 0 {
		return newAlert(AlertUnsupportedExtension, "tls: server sent an extension we did not offer")
	}
	if x.Has(wire.ExtensionTypeMaxFragmentLength) {
		// RFC 6066 §4: an answer other than the request is illegal_parameter.
		if x.MaxFragmentLength != mflCode {
			return newAlert(AlertIllegalParameter, "tls: server answered max_fragment_length with another length")
		}
		e.hs.fragmentLimit = mflSize
	}
	// Small buffers rely on the server keeping to our limit: one that
	// acknowledged neither extension will send records that do not fit.
	if e.smallRecords && !x.Has(wire.ExtensionTypeRecordSizeLimit) && !x.Has(wire.ExtensionTypeMaxFragmentLength) {
		return newAlert(AlertHandshakeFailure, "tls: server acknowledged neither record_size_limit (RFC 8449) nor max_fragment_length (RFC 6066), and the Buffers are sized for Config.RecordSizeLimit: it would send records that do not fit")
	}
	if x.Has(wire.ExtensionTypeRecordSizeLimit) {
		// RFC 8449 §4: under 64 is illegal_parameter; over 2^14+1 means 2^14+1.
		if x.RecordSizeLimit < 64 {
			return newAlert(AlertIllegalParameter, "tls: record_size_limit under 64")
		}
		e.hs.peerRecordLimit = min(x.RecordSizeLimit, maxInnerPlaintext)
	}
	if x.Has(wire.ExtensionTypeApplicationLayerProtocolNegotiation) {
		if len(e.config.NextProtos) == 0 {
			return newAlert(AlertUnsupportedExtension, "tls: server sent ALPN we did not offer")
		}
		it := x.ApplicationLayerProtocolNegotiation.ProtocolNameList.Iter()
		var proto []byte
		it.Next(&proto)
		// RFC 7301 §3.1: exactly one protocol, one we offered.
		if it.Next(new([]byte)) {
			return newAlert(AlertIllegalParameter, "tls: server selected more than one ALPN protocol")
		}
		found := false
		for _, p := range e.config.NextProtos {
			if p == string(proto) {
				e.hs.alpn = p
				found = true
			}
		}
		if !found {
			return newAlert(AlertIllegalParameter, "tls: server selected an ALPN protocol we did not offer")
		}
	}
	if err := e.checkEarlyDataAnswer(x.Has(wire.ExtensionTypeEarlyData)); err != nil {
		return err
	}
	e.hs.transcript.add(e.msg)
	return nil
}

// pskAccepted is true when the server accepted a PSK (§2.2): then it
// authenticates with Finished alone.
func (e *engine) pskAccepted() bool { return e.hs.psk.accepted }

// --- CertificateRequest (§4.3.2) ---

func (e *engine) processCertificateRequest() error {
	hs := &e.hs
	var cr wire.CertificateRequest
	if err := cr.Unmarshal(e.msgBody); err != nil {
		return err
	}
	if len(cr.CertificateRequestContext) != 0 {
		return newAlert(AlertIllegalParameter, "tls: non-empty certificate_request_context in the handshake")
	}
	if !cr.Extensions.Has(wire.ExtensionTypeSignatureAlgorithms) {
		return newAlert(AlertMissingExtension, "tls: CertificateRequest without signature_algorithms")
	}
	accepted := cr.Extensions.SignatureAlgorithms.SupportedSignatureAlgorithms
	each := func(yield func(SignatureScheme) bool) {
		it := accepted.Iter()
		var s wire.SignatureScheme
		for it.Next(&s) && yield(SignatureScheme(s)) {
		}
	}
	hs.certRequested = true
	// Kept for ConnectionState and GetClientCertificate: a copy, as the
	// message goes when the record does.
	hs.requestedSchemes = slices.AppendSeq(make([]SignatureScheme, 0, accepted.Len()), each)
	if get := e.config.GetClientCertificate; get != nil {
		info := &CertificateRequestInfo{SignatureSchemes: hs.requestedSchemes, Version: VersionTLS13, crypto: e.prof.crypto}
		if cr.Extensions.Has(wire.ExtensionTypeCertificateAuthorities) {
			it := cr.Extensions.CertificateAuthorities.Authorities.Iter()
			var dn []byte
			for it.Next(&dn) {
				info.AcceptableCAs = append(info.AcceptableCAs, bytes.Clone(dn))
			}
		}
		c, err := get(info)
		if err != nil {
			return &AlertError{Alert: AlertInternalError, Msg: "tls: GetClientCertificate: " + err.Error(), Err: err}
		}
		if c != nil && len(c.Certificate) > 0 {
			if err := c.check("certificate from GetClientCertificate"); err != nil {
				return &AlertError{Alert: AlertInternalError, Msg: err.Error(), Err: err}
			}
			scheme, ok := e.prof.crypto.selectClientScheme(c, each)
			if !ok {
				return newAlert(AlertInternalError, "tls: the certificate from GetClientCertificate cannot sign with any scheme the server accepts")
			}
			hs.clientCert, hs.clientScheme = c, scheme
		}
	} else {
		for i := range e.config.Certificates {
			c := &e.config.Certificates[i]
			if scheme, ok := e.prof.crypto.selectClientScheme(c, each); ok {
				hs.clientCert, hs.clientScheme = c, scheme
				break
			}
		}
	}
	hs.transcript.add(e.msg)
	return nil
}

func (e *engine) clientAuthRequested() bool { return e.hs.certRequested }

// --- Certificate (§4.4.2) ---

func (e *engine) processCertificate() error {
	hs := &e.hs
	var c wire.Certificate
	if err := c.Unmarshal(e.msgBody); err != nil {
		return err
	}
	if len(c.CertificateRequestContext) != 0 {
		return newAlert(AlertIllegalParameter, "tls: server Certificate with a certificate_request_context")
	}
	it := c.CertificateList.Iter()
	var entry wire.CertificateEntry
	n, total := 0, 0
	for it.Next(&entry) {
		if entry.Extensions.Len() > 0 { // we request no OCSP or SCT (§4.4.2.1)
			return newAlert(AlertUnsupportedExtension, "tls: certificate entry extension we did not request")
		}
		if n == maxChain {
			return newAlert(AlertBadCertificate, "tls: server certificate chain too long")
		}
		hs.chain[n] = entry.CertData
		total += len(entry.CertData)
		n++
	}
	if n == 0 { // §4.4.2.4
		return newAlert(AlertDecodeError, "tls: server sent an empty certificate chain")
	}
	var v Verifier = insecureVerifier{}
	if e.config.Verifier != nil {
		v = e.config.Verifier
	} else if !e.config.InsecureSkipVerify {
		// Config.ExternalPSK without a Verifier: the server declined the PSK.
		return newAlert(AlertHandshakeFailure, "tls: server declined the external PSK and sent a certificate, and Config has no Verifier")
	}
	pub, err := v.Verify(e.config.ServerName, hs.chain[:n])
	if err != nil {
		// The Verifier's error is the cause: errors.As finds what it
		// said (an x509 error, a *PinMismatchError) through ours.
		if ae, ok := err.(*AlertError); ok {
			return &AlertError{Alert: ae.Alert, Msg: ae.Msg, Err: ae.Err}
		}
		return &AlertError{Alert: AlertBadCertificate, Msg: "tls: " + strings.TrimPrefix(err.Error(), "tls: "), Err: err}
	}
	if spki, ok := pub.(SubjectPublicKeyInfo); ok {
		if pub, err = e.prof.crypto.parseSPKI(spki); err != nil {
			return err
		}
	}
	hs.peerKey = pub
	// Keep the chain for ConnectionState: one copy, in one allocation,
	// and its list (hs.chain goes with the handshake).
	buf := make([]byte, 0, total)
	hs.peerCerts = make([][]byte, n)
	for i, der := range hs.chain[:n] {
		buf = append(buf, der...)
		hs.peerCerts[i] = buf[len(buf)-len(der):]
	}
	hs.transcript.add(e.msg)
	return nil
}

// --- CertificateVerify (§4.4.3) ---

func (e *engine) processCertificateVerify() error {
	hs := &e.hs
	var cv wire.CertificateVerify
	if err := cv.Unmarshal(e.msgBody); err != nil {
		return err
	}
	scheme := SignatureScheme(cv.Algorithm)
	if !e.prof.crypto.offersScheme(scheme) || e.config.SignatureSchemes != nil && !slices.Contains(e.config.SignatureSchemes, scheme) {
		return newAlert(AlertIllegalParameter, "tls: server signed with a scheme we did not offer")
	}
	if err := e.prof.crypto.verifyCertificateVerify(hs.peerKey, scheme, true, e.sum(), cv.Signature, &hs.sigWork); err != nil {
		return err
	}
	hs.peerScheme = scheme
	hs.transcript.add(e.msg)
	return nil
}

// --- Finished (§4.4.4) ---

func (e *engine) processFinished() error {
	hs := &e.hs
	var f wire.Finished
	if err := f.Unmarshal(e.msgBody); err != nil {
		return err
	}
	n := e.hashSize()
	if len(f.VerifyData) != n {
		return newAlert(AlertDecodeError, "tls: server Finished has the wrong length")
	}
	// The read key is the server's handshake key, its HMAC keyed with
	// server_handshake_traffic_secret.
	want := e.readCipher.finishedVerifyData(hs.verifyData[:0], hs.suite, e.sum())
	if subtle.ConstantTimeCompare(want, f.VerifyData) != 1 {
		return newAlert(AlertDecryptError, "tls: invalid server Finished")
	}
	hs.transcript.add(e.msg)

	// §7.1: Master Secret and the application traffic secrets, over
	// ClientHello...server Finished.
	th := e.sum()
	hs.ks.advanceToMaster()
	hs.ks.clientApplicationTrafficSecret(hs.clientAP[:0], th)
	hs.ks.serverApplicationTrafficSecret(hs.serverAP[:0], th)
	hs.ks.exporterMasterSecret(hs.exporter[:0], th)
	e.keyLog(keyLogLabelExporter, hs.exporter[:n])
	e.keyLog(keyLogLabelClientTraffic, hs.clientAP[:n])
	e.keyLog(keyLogLabelServerTraffic, hs.serverAP[:n])
	return nil
}

// installServerTrafficKey: K_recv = application (Appendix A).
func (e *engine) installServerTrafficKey() error {
	return e.readCipher.setKey(e.hs.suite, e.hs.serverAP[:e.hashSize()])
}

// sendCompatCCS sends the dummy change_cipher_spec of Appendix D.4 once,
// unless compatibility mode is off. The table puts it where it must go:
// before the second ClientHello, or else before the first protected
// record, the second flight or an alert.
//
// hs.sentCCS is what was sent, not a state: the states after ServerHello
// are the same whether an HRR came or not, and an error row may run after
// the finished row already sent the CCS (a flight that fails to fit). One
// bit here saves five copies of those states.
func (e *engine) sendCompatCCS() error {
	if e.config.DisableMiddleboxCompat || e.hs.sentCCS {
		return nil
	}
	e.hs.sentCCS = true
	// writeRecord never protects it (§5), even once the write key is set.
	var buf [1]byte
	ccs := wire.ChangeCipherSpec{Type: changeCipherSpec}
	b, _ := ccs.Append(buf[:0]) // fixed size: cannot fail
	return e.writeRecord(wire.ContentTypeChangeCipherSpec, b, 0x0303)
}

// sendClientCertificate answers a CertificateRequest (§4.4.2, §4.4.3):
// our chain and a CertificateVerify, or an empty Certificate if no
// configured certificate fits the server's signature_algorithms.
func (e *engine) sendClientCertificate() error {
	hs := &e.hs
	var c wire.Certificate
	// The chain is built where the message will hold it, after the
	// fields in front of it (which the encoding of an empty Certificate
	// measures), so HandshakeOut alone bounds it and Append copies
	// nothing.
	head, err := c.Append(e.startMessage(wire.HandshakeTypeCertificate))
	if err != nil {
		return err
	}
	if len(head) > len(e.hsOut)-e.hsOutLen {
		return newAlert(AlertInternalError, "tls: handshake message does not fit the HandshakeOut buffer")
	}
	room := e.hsOut[e.hsOutLen+len(head) : e.hsOutLen+len(head)]
	list := wire.BuildCertificateEntryVector(room)
	if hs.clientCert != nil {
		size := 0
		for _, der := range hs.clientCert.Certificate {
			size += 3 + len(der) + 2 // cert_data, empty extensions (§4.4.2)
		}
		if size > cap(room) {
			return newAlert(AlertInternalError, "tls: client certificate chain of "+itoa(size)+" octets does not fit the HandshakeOut buffer, which has room for "+itoa(cap(room))+" (Buffers.HandshakeOut needs at least "+itoa(len(e.hsOut)+len(e.scratch)+size-cap(room))+")")
		}
		for _, der := range hs.clientCert.Certificate {
			list.Add(&wire.CertificateEntry{CertData: der})
		}
	}
	var built []byte
	if c.CertificateList, built, err = list.Vector(); err != nil {
		return err
	}
	if len(built) > cap(room) {
		// append had to grow it: it no longer lives in HandshakeOut.
		return newAlert(AlertInternalError, "tls: client certificate chain does not fit the HandshakeOut buffer")
	}
	msg, err := e.finishMessage(c.Append(e.startMessage(wire.HandshakeTypeCertificate)))
	if err != nil {
		return err
	}
	hs.transcript.add(msg)
	if hs.clientCert == nil {
		return nil
	}
	sig, err := e.prof.crypto.signCertificateVerify(hs.clientCert.signer(), hs.clientScheme, e.rand, e.sum(), &hs.sigWork)
	if err != nil {
		return err
	}
	cv := wire.CertificateVerify{Algorithm: wire.SignatureScheme(hs.clientScheme), Signature: sig}
	if msg, err = e.finishMessage(cv.Append(e.startMessage(wire.HandshakeTypeCertificateVerify))); err != nil {
		return err
	}
	hs.transcript.add(msg)
	hs.sentCert = true
	return nil
}

// sendFinished sends the client Finished under the handshake key, then
// switches to the application key (§4.4.4, §7.2).
func (e *engine) sendFinished() error {
	hs := &e.hs
	// The write key is still the handshake key, its HMAC keyed with
	// client_handshake_traffic_secret.
	f := wire.Finished{VerifyData: e.writeCipher.finishedVerifyData(hs.verifyData[:0], hs.suite, e.sum())}
	msg, err := e.finishMessage(f.Append(e.startMessage(wire.HandshakeTypeFinished)))
	if err != nil {
		return err
	}
	hs.transcript.add(msg)
	if e.wantsTickets() {
		hs.ks.resumptionMasterSecret(hs.resumption[:0], e.sum())
	}
	return e.flushHandshake() // under the handshake key
}

// installClientTrafficKey: K_send = application (Appendix A), which ends
// the client's handshake.
func (e *engine) installClientTrafficKey() error {
	hs := &e.hs
	if err := e.writeCipher.setKey(hs.suite, hs.clientAP[:e.hashSize()]); err != nil {
		return err
	}
	e.writeKeys = keysApplication
	hs.wipe()
	hs.handshakeWork = nil
	return nil
}

// --- After the handshake (§4.6) ---

func (e *engine) dropChangeCipherSpec() error { return nil }

func (e *engine) deliverApplicationData() error {
	e.appData = e.pendingAppData
	return nil
}

// wantsTickets: the application keeps tickets, so the client derives
// resumption_master_secret and turns NewSessionTickets into sessions.
func (e *engine) wantsTickets() bool {
	return e.config.OnNewSessionTicket != nil || e.config.ClientSessionCache != nil
}

// maxTicketLifetime is 7 days (§4.6.1).
const maxTicketLifetime = 604800

func (e *engine) processNewSessionTicket() error {
	hs := &e.hs
	if err := e.countPostHandshake(); err != nil {
		return err
	}
	var t wire.NewSessionTicket
	if err := t.Unmarshal(e.msgBody); err != nil {
		return err
	}
	if t.TicketLifetime > maxTicketLifetime {
		return newAlert(AlertIllegalParameter, "tls: ticket lifetime over 7 days")
	}
	if !e.wantsTickets() {
		return nil
	}
	n := e.hashSize()
	st := &ClientSessionState{
		Ticket:             bytes.Clone(t.Ticket),
		Lifetime:           time.Duration(t.TicketLifetime) * time.Second,
		AgeAdd:             t.TicketAgeAdd,
		Nonce:              bytes.Clone(t.TicketNonce),
		PSK:                resumptionPSK(nil, hs.suite.hash, hs.resumption[:n], t.TicketNonce),
		CipherSuite:        hs.suite.id,
		ServerName:         e.config.ServerName,
		NegotiatedProtocol: hs.alpn,
		ReceivedAt:         e.config.now(),
		// Shared, not copied: neither the session nor ConnectionState
		// changes it.
		PeerCertificateChain: hs.peerCerts,
	}
	if t.Extensions.Has(wire.ExtensionTypeEarlyData) {
		st.MaxEarlyDataSize = t.Extensions.EarlyData.MaxEarlyDataSize
	}
	if cb := e.config.OnNewSessionTicket; cb != nil {
		cb(st)
	}
	if c := e.config.ClientSessionCache; c != nil {
		c.Put(e.config.ServerName, st)
	}
	return nil
}

func (e *engine) processKeyUpdate() error {
	hs := &e.hs
	if err := e.countPostHandshake(); err != nil {
		return err
	}
	var ku wire.KeyUpdate
	if err := ku.Unmarshal(e.msgBody); err != nil {
		return err
	}
	if ku.RequestUpdate != wire.KeyUpdateRequestUpdateNotRequested && ku.RequestUpdate != wire.KeyUpdateRequestUpdateRequested {
		return newAlert(AlertIllegalParameter, "tls: invalid KeyUpdate request_update")
	}
	n := e.hashSize()
	if err := e.readCipher.nextKey(hs.suite, hs.serverAP[:n]); err != nil {
		return err
	}
	// §4.6.3: answer with one KeyUpdate of our own before our next
	// application data. It goes out at the end of the batch of records
	// (process), so many requests read together get one answer and a
	// flood of them cannot fill the Write buffer. After our close_notify
	// (the table takes no write then) we send nothing more.
	if ku.RequestUpdate == wire.KeyUpdateRequestUpdateRequested && accepts(e.state, EventWrite) {
		hs.keyUpdateOwed = true
	}
	return nil
}

// payKeyUpdate sends the KeyUpdate a server asked for, if one is owed and
// the Write buffer has room; otherwise it goes when room is made
// (outputAck) or before the next application data.
func (e *engine) payKeyUpdate() error {
	if !e.hs.keyUpdateOwed || !accepts(e.state, EventWrite) || !e.hasRoom() {
		return nil
	}
	e.hs.keyUpdateOwed = false
	if err := e.updateWriteKey(wire.KeyUpdateRequestUpdateNotRequested); err != nil {
		return e.fail(err)
	}
	return nil
}

// sendKeyUpdate updates our write key and asks the server to update its
// own (§4.6.3).
func (e *engine) sendKeyUpdate() error {
	return e.updateWriteKey(wire.KeyUpdateRequestUpdateRequested)
}

func (e *engine) updateWriteKey(req wire.KeyUpdateRequest) error {
	hs := &e.hs
	ku := wire.KeyUpdate{RequestUpdate: req}
	if _, err := e.finishMessage(ku.Append(e.startMessage(wire.HandshakeTypeKeyUpdate))); err != nil {
		return err
	}
	if err := e.flushHandshake(); err != nil {
		return err
	}
	n := e.hashSize()
	return e.writeCipher.nextKey(hs.suite, hs.clientAP[:n])
}

// --- Closure and alerts (§6) ---

// processCloseNotify: the server's writing is over (§6.1); the table's
// next state says what is left.
func (e *engine) processCloseNotify() error { return nil }

func (e *engine) sendCloseNotify() error {
	return e.sendAlert(wire.AlertLevelWarning, AlertCloseNotify)
}

// sendUserCanceled ends a handshake the application gave up on (§6.1);
// close_notify follows.
func (e *engine) sendUserCanceled() error {
	if err := e.sendAlert(wire.AlertLevelWarning, AlertUserCanceled); err != nil {
		return err
	}
	e.hs.wipe()
	return nil
}

// processCloseNotifyInHandshake and processAlert end the connection on
// the server's word: the transition to CLOSED is taken, and the error is
// what the engine returns from then on.
func (e *engine) processCloseNotifyInHandshake() error {
	e.err = &AlertError{Alert: AlertCloseNotify, Received: true, Msg: "tls: server closed the connection during the handshake"}
	if e.peerCanceled {
		e.err = &AlertError{Alert: AlertUserCanceled, Received: true, Msg: "tls: server canceled the handshake (user_canceled, then close_notify)"}
	}
	e.hs.wipe()
	return nil
}

// processUserCanceled takes user_canceled, a closure alert (§6.1): not an
// error; the close_notify that should follow ends the connection.
func (e *engine) processUserCanceled() error {
	e.peerCanceled = true
	return nil
}

func (e *engine) closeBeforeStart() error { return nil }

func (e *engine) processAlert() error {
	e.err = &AlertError{Alert: e.peerAlert, Received: true}
	e.hs.wipe()
	return nil
}
