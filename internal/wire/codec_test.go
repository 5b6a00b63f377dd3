package wire

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"sort"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// Tests of the generated codecs (zz_generated_codecs.go) and their
// runtime (codec.go), built from Go values. codec_rfc8448_test.go runs
// them on the RFC 8448 traces; codec_bench_test.go checks allocations.

// codecSample is one value of a generated type, built from Go values.
type codecSample struct {
	name  string          // the Go type
	value codecMsg        // the value
	fresh func() codecMsg // a new zero value to decode into
}

func sample[T any, PT interface {
	*T
	codecMsg
}](v *T) codecSample {
	return codecSample{
		name:  reflect.TypeOf(v).Elem().Name(),
		value: PT(v),
		fresh: func() codecMsg { return PT(new(T)) },
	}
}

// Wire-building helpers.

func codecU8(b []byte) []byte  { return append([]byte{byte(len(b))}, b...) }
func codecU16(b []byte) []byte { return append([]byte{byte(len(b) >> 8), byte(len(b))}, b...) }
func codecU24(b []byte) []byte {
	return append([]byte{byte(len(b) >> 16), byte(len(b) >> 8), byte(len(b))}, b...)
}

func codecCat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// codecUint16s encodes a list of 16-bit code points, without its length.
func codecUint16s[T ~uint16](vs ...T) []byte {
	var out []byte
	for _, v := range vs {
		out = append(out, byte(v>>8), byte(v))
	}
	return out
}

// codecElems encodes values one after the other.
func codecElems[T any, PT interface {
	*T
	codecMsg
}](t testing.TB, vs ...T) []byte {
	t.Helper()
	var out []byte
	for i := range vs {
		var err error
		if out, err = PT(&vs[i]).Append(out); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// codecSet is x.SetBytes(raw) that must work.
func codecSet(t testing.TB, set func([]byte) error, raw []byte) {
	t.Helper()
	if err := set(raw); err != nil {
		t.Fatalf("SetBytes(%x): %v", raw, err)
	}
}

func codecAdd(t testing.TB, add func(ExtensionType) bool, typs ...ExtensionType) {
	t.Helper()
	for _, typ := range typs {
		if !add(typ) {
			t.Fatalf("Add(%v) = false", typ)
		}
	}
}

func codecFill(n int, c byte) []byte { return bytes.Repeat([]byte{c}, n) }

// codecSamples returns one value of every generated struct and extension
// set, each filled in as much as its type allows.
func codecSamples(t testing.TB) []codecSample {
	t.Helper()
	var out []codecSample

	// Extension bodies.
	sni := &ServerNameList{}
	codecSet(t, sni.ServerNameList.SetBytes, codecElems(t, ServerName{NameType: NameTypeHostName, HostName: []byte("example.com")}))
	status := &CertificateStatusRequest{StatusType: CertificateStatusTypeOcsp, RequestExtensions: []byte{0, 1, 2}}
	codecSet(t, status.ResponderIDList.SetBytes, codecCat(codecU16([]byte("responder-1")), codecU16([]byte("r2"))))
	groups := &NamedGroupList{}
	codecSet(t, groups.NamedGroupList.SetBytes, codecUint16s(X25519MLKEM768, NamedGroupX25519, NamedGroupSecp256r1))
	sigs := &SignatureSchemeList{}
	codecSet(t, sigs.SupportedSignatureAlgorithms.SetBytes, codecUint16s(SignatureSchemeEcdsaSecp256r1Sha256, SignatureSchemeRsaPssRsaeSha256, SignatureSchemeEd25519))
	sigsCert := &SignatureSchemeList{}
	codecSet(t, sigsCert.SupportedSignatureAlgorithms.SetBytes, codecUint16s(SignatureSchemeEcdsaSecp384r1Sha384))
	alpn := &ProtocolNameList{}
	codecSet(t, alpn.ProtocolNameList.SetBytes, codecCat(codecU8([]byte("h2")), codecU8([]byte("http/1.1"))))
	share := KeyShareEntry{Group: NamedGroupX25519, KeyExchange: codecFill(32, 0xaa)}
	shares := &KeyShareClientHello{}
	codecSet(t, shares.ClientShares.SetBytes, codecElems(t, share, KeyShareEntry{Group: NamedGroupSecp256r1, KeyExchange: codecFill(65, 0x04)}))
	psks := &OfferedPsks{}
	codecSet(t, psks.Identities.SetBytes, codecElems(t, PskIdentity{Identity: []byte("ticket"), ObfuscatedTicketAge: 0x01020304}))
	codecSet(t, psks.Binders.SetBytes, codecU8(codecFill(32, 0xbb)))
	versions := &SupportedVersionsClientHello{}
	codecSet(t, versions.Versions.SetBytes, codecUint16s[ProtocolVersion](0x0304, 0x0303))
	modes := &PskKeyExchangeModes{}
	codecSet(t, modes.KeModes.SetBytes, []byte{byte(PskKeyExchangeModePskDheKe), byte(PskKeyExchangeModePskKe)})
	cas := &CertificateAuthoritiesExtension{}
	codecSet(t, cas.Authorities.SetBytes, codecCat(codecU16([]byte("CN=Root CA")), codecU16([]byte{0x30, 0x00})))
	filters := &OIDFilterExtension{}
	codecSet(t, filters.Filters.SetBytes, codecElems(t,
		OIDFilter{CertificateExtensionOID: []byte{0x55, 0x1d, 0x0f}, CertificateExtensionValues: []byte{0x03, 0x02, 0x05, 0xa0}},
		OIDFilter{CertificateExtensionOID: []byte{0x55, 0x1d, 0x25}, CertificateExtensionValues: []byte{}}))
	cookie := &Cookie{Cookie: []byte("a cookie")}
	anyExts := &AnyExtensions{}
	codecSet(t, anyExts.Extensions.SetBytes, codecElems(t, AnyExtension{ExtensionType: ExtensionType(0xff01), ExtensionData: []byte{0}},
		AnyExtension{ExtensionType: 0x000b, ExtensionData: []byte{1, 0}}))
	ocsp := &CertificateStatus{StatusType: CertificateStatusTypeOcsp, OCSPResponse: []byte("ocsp response")}

	out = append(out,
		sample(&Empty{}),
		sample(&ServerName{NameType: NameTypeHostName, HostName: []byte("example.com")}),
		sample(sni),
		sample(status),
		sample(ocsp),
		sample(groups),
		sample(sigs),
		sample(alpn),
		sample(&share),
		sample(shares),
		sample(&KeyShareHelloRetryRequest{SelectedGroup: NamedGroupSecp384r1}),
		sample(&KeyShareServerHello{ServerShare: share}),
		sample(&PskIdentity{Identity: []byte("id"), ObfuscatedTicketAge: 7}),
		sample(psks),
		sample(&PreSharedKeyExtensionServerHello{SelectedIdentity: 3}),
		sample(&EarlyDataIndicationNewSessionTicket{MaxEarlyDataSize: 16384}),
		sample(versions),
		sample(&SupportedVersionsServerHello{SelectedVersion: 0x0304}),
		sample(cookie),
		sample(modes),
		sample(cas),
		sample(&OIDFilter{CertificateExtensionOID: []byte{0x55, 0x1d, 0x0f}, CertificateExtensionValues: []byte{1}}),
		sample(filters),
		sample(&PostHandshakeAuth{}),
	)

	// Extension sets: every entry of every table, and unknown ones where
	// the table keeps them. pre_shared_key goes last in a ClientHello.
	ch := &ClientHelloExtensions{}
	ch.ServerName = *sni
	ch.MaxFragmentLength = 4
	ch.StatusRequest = *status
	ch.SupportedGroups = *groups
	ch.SignatureAlgorithms = *sigs
	ch.ApplicationLayerProtocolNegotiation = *alpn
	ch.RecordSizeLimit = 0x4001
	ch.KeyShare = *shares
	ch.PreSharedKey = *psks
	ch.PskKeyExchangeModes = *modes
	ch.Cookie = *cookie
	ch.SupportedVersions = *versions
	ch.CertificateAuthorities = *cas
	ch.SignatureAlgorithmsCert = *sigsCert
	codecAdd(t, ch.Add, ExtensionTypeServerName, ExtensionTypeMaxFragmentLength, ExtensionTypeStatusRequest,
		ExtensionTypeSupportedGroups, ExtensionTypeSignatureAlgorithms, ExtensionTypeApplicationLayerProtocolNegotiation,
		ExtensionTypeRecordSizeLimit, ExtensionTypeKeyShare, ExtensionTypePskKeyExchangeModes, ExtensionTypeEarlyData,
		ExtensionTypeCookie, ExtensionTypeSupportedVersions, ExtensionTypeCertificateAuthorities,
		ExtensionTypePostHandshakeAuth, ExtensionTypeSignatureAlgorithmsCert)
	if !ch.AddUnknown(0xff01, []byte{0}) || !ch.AddUnknown(0x0015, codecFill(10, 0)) {
		t.Fatal("ClientHelloExtensions.AddUnknown failed")
	}
	codecAdd(t, ch.Add, ExtensionTypePreSharedKey)

	sh := &ServerHelloExtensions{}
	sh.KeyShare = KeyShareServerHello{ServerShare: share}
	sh.PreSharedKey.SelectedIdentity = 0
	sh.SupportedVersions.SelectedVersion = 0x0304
	codecAdd(t, sh.Add, ExtensionTypeSupportedVersions, ExtensionTypeKeyShare, ExtensionTypePreSharedKey)

	hrr := &HelloRetryRequestExtensions{}
	hrr.KeyShare.SelectedGroup = NamedGroupSecp256r1
	hrr.Cookie = *cookie
	hrr.SupportedVersions.SelectedVersion = 0x0304
	codecAdd(t, hrr.Add, ExtensionTypeSupportedVersions, ExtensionTypeKeyShare, ExtensionTypeCookie)

	ee := &EncryptedExtensionsExtensions{}
	ee.MaxFragmentLength = 2
	ee.SupportedGroups = *groups
	ee.ApplicationLayerProtocolNegotiation = ProtocolNameList{}
	codecSet(t, ee.ApplicationLayerProtocolNegotiation.ProtocolNameList.SetBytes, codecU8([]byte("h2")))
	ee.RecordSizeLimit = 1024
	codecAdd(t, ee.Add, ExtensionTypeServerName, ExtensionTypeMaxFragmentLength, ExtensionTypeSupportedGroups,
		ExtensionTypeApplicationLayerProtocolNegotiation, ExtensionTypeRecordSizeLimit, ExtensionTypeEarlyData)

	ce := &CertificateEntryExtensions{}
	ce.StatusRequest = *ocsp
	codecAdd(t, ce.Add, ExtensionTypeStatusRequest)

	cr := &CertificateRequestExtensions{}
	cr.SignatureAlgorithms = *sigs
	cr.CertificateAuthorities = *cas
	cr.OidFilters = *filters
	cr.SignatureAlgorithmsCert = *sigsCert
	codecAdd(t, cr.Add, ExtensionTypeSignatureAlgorithms, ExtensionTypeStatusRequest, ExtensionTypeCertificateAuthorities,
		ExtensionTypeOidFilters, ExtensionTypeSignatureAlgorithmsCert)
	if !cr.AddUnknown(0x1234, []byte("x")) {
		t.Fatal("CertificateRequestExtensions.AddUnknown failed")
	}

	nst := &NewSessionTicketExtensions{}
	nst.EarlyData.MaxEarlyDataSize = 0x400
	codecAdd(t, nst.Add, ExtensionTypeEarlyData)
	if !nst.AddUnknown(0x4a4a, nil) {
		t.Fatal("NewSessionTicketExtensions.AddUnknown failed")
	}
	out = append(out, sample(ch), sample(sh), sample(hrr), sample(ee), sample(ce), sample(cr), sample(nst))

	// Messages.
	random := codecFill(32, 0x11)
	chm := &ClientHello{LegacyVersion: 0x0303, Random: random, LegacySessionID: codecFill(32, 0x22), LegacyCompressionMethods: []byte{0}, Extensions: *ch}
	codecSet(t, chm.CipherSuites.SetBytes, codecUint16s(TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256))
	shm := &ServerHello{LegacyVersion: 0x0303, Random: random, LegacySessionIDEcho: []byte{}, CipherSuite: TLS_AES_256_GCM_SHA384, Extensions: *sh}
	hrrm := &HelloRetryRequest{LegacyVersion: 0x0303, Random: random, LegacySessionIDEcho: codecFill(32, 0x22), CipherSuite: TLS_AES_128_GCM_SHA256, Extensions: *hrr}
	eem := &EncryptedExtensions{Extensions: *ee}
	crm := &CertificateRequest{CertificateRequestContext: []byte{1, 2}, Extensions: *cr}
	entry := CertificateEntry{CertData: codecFill(300, 0x30), Extensions: *ce}
	cert := &Certificate{CertificateRequestContext: []byte{}}
	codecSet(t, cert.CertificateList.SetBytes, codecElems(t, entry, CertificateEntry{CertData: []byte{0x30, 0x03, 1, 2, 3}}))
	nstm := &NewSessionTicket{TicketLifetime: 7200, TicketAgeAdd: 0xdeadbeef, TicketNonce: []byte{0, 1}, Ticket: codecFill(100, 0x77), Extensions: *nst}
	out = append(out,
		sample(chm), sample(shm), sample(hrrm),
		sample(&Extension{ExtensionType: ExtensionTypeCookie, ExtensionData: []byte{0, 1, 9}}),
		sample(eem), sample(crm), sample(&entry), sample(cert),
		sample(&CertificateVerify{Algorithm: SignatureSchemeEcdsaSecp256r1Sha256, Signature: codecFill(71, 0x30)}),
		sample(&Finished{VerifyData: codecFill(32, 0x99)}),
		sample(&EndOfEarlyData{}),
		sample(nstm),
		sample(&KeyUpdate{RequestUpdate: KeyUpdateRequestUpdateRequested}),
		sample(&RecordHeader{Type: ContentTypeHandshake, LegacyRecordVersion: 0x0301, Length: 512}),
		sample(&TLSPlaintext{Type: ContentTypeHandshake, LegacyRecordVersion: 0x0303, Length: 4, Fragment: []byte{20, 0, 0, 0}}),
		sample(&TLSCiphertext{OpaqueType: ContentTypeApplicationData, LegacyRecordVersion: 0x0303, Length: 17, EncryptedRecord: codecFill(17, 0xee)}),
		sample(&Alert{Level: AlertLevelFatal, Description: AlertDescriptionDecodeError}),
		sample(&Handshake{MsgType: HandshakeTypeFinished, Body: codecFill(32, 0x99)}),
		sample(&ChangeCipherSpec{Type: 1}),
		sample(&HandshakeHeader{MsgType: HandshakeTypeCertificate, Length: 0x012345}),
		sample(&HkdfLabel{Length: 32, Label: []byte("tls13 c hs traffic"), Context: codecFill(32, 0x5a)}),
		sample(&SessionState{Version: 1, CipherSuite: 0x1301, ReceivedAt: 1700000000123, Lifetime: 7200, AgeAdd: 9,
			Psk: codecFill(32, 0x11), Ticket: codecFill(40, 0x22), Nonce: []byte{0}, ServerName: []byte("localhost"), Alpn: []byte("h2")}),
		sample(&ServerHelloPrefix{LegacyVersion: 0x0303, Random: random, LegacySessionIDEcho: []byte{1, 2}, CipherSuite: TLS_AES_128_GCM_SHA256}),
		sample(&AnyExtension{ExtensionType: ExtensionType(0xff01), ExtensionData: []byte{0}}),
		sample(anyExts),
	)
	return out
}

// TestCodecSamplesCoverEveryType checks that codecSamples has a value of
// every type with an Unmarshal method in zz_generated_codecs.go, so that
// a type added to the spec is round-tripped and allocation-checked too.
func TestCodecSamplesCoverEveryType(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "zz_generated_codecs.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	generated := map[string]bool{}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Recv == nil || fn.Name.Name != "Unmarshal" {
			continue
		}
		recv := fn.Recv.List[0].Type.(*ast.StarExpr).X.(*ast.Ident).Name
		generated[recv] = true
	}
	have := map[string]bool{}
	for _, s := range codecSamples(t) {
		have[s.name] = true
	}
	var missing []string
	for name := range generated {
		if !have[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("codecSamples has no value of: %s", strings.Join(missing, ", "))
	}
	if len(generated) < 40 {
		t.Errorf("found only %d generated types; did the generated file change shape?", len(generated))
	}
}

// TestCodecRoundTrip encodes every sample, decodes it into a new value
// and encodes that again: the bytes must not change.
func TestCodecRoundTrip(t *testing.T) {
	for _, s := range codecSamples(t) {
		t.Run(s.name, func(t *testing.T) {
			wire := codecEncode(t, s.value)
			got := s.fresh()
			if err := got.Unmarshal(wire); err != nil {
				t.Fatalf("Unmarshal(%x): %v", wire, err)
			}
			again := codecEncode(t, got)
			if !bytes.Equal(wire, again) {
				t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, wire)
			}
			// Appending after existing bytes leaves them alone.
			prefix := []byte("prefix")
			more, err := got.Append(append([]byte(nil), prefix...))
			if err != nil || !bytes.Equal(more, append(prefix, wire...)) {
				t.Fatalf("Append after a prefix: %x, %v", more, err)
			}
		})
	}
}

// TestCodecRoundTripFields checks decoded values, not just bytes, for the
// messages whose fields the engine reads.
func TestCodecRoundTripFields(t *testing.T) {
	byName := map[string]codecSample{}
	for _, s := range codecSamples(t) {
		byName[s.name] = s
	}
	decode := func(name string) codecMsg {
		s := byName[name]
		m := s.fresh()
		if err := m.Unmarshal(codecEncode(t, s.value)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}

	ch := decode("ClientHello").(*ClientHello)
	x := &ch.Extensions
	wantOrder := []ExtensionType{ExtensionTypeServerName, ExtensionTypeMaxFragmentLength, ExtensionTypeStatusRequest,
		ExtensionTypeSupportedGroups, ExtensionTypeSignatureAlgorithms, ExtensionTypeApplicationLayerProtocolNegotiation,
		ExtensionTypeRecordSizeLimit, ExtensionTypeKeyShare, ExtensionTypePskKeyExchangeModes, ExtensionTypeEarlyData,
		ExtensionTypeCookie, ExtensionTypeSupportedVersions, ExtensionTypeCertificateAuthorities,
		ExtensionTypePostHandshakeAuth, ExtensionTypeSignatureAlgorithmsCert, 0xff01, 0x0015, ExtensionTypePreSharedKey}
	if x.Len() != len(wantOrder) {
		t.Fatalf("ClientHello: %d extensions, want %d", x.Len(), len(wantOrder))
	}
	for i, typ := range wantOrder {
		if x.Type(i) != typ || !x.Has(typ) {
			t.Errorf("extension %d is %v, want %v", i, x.Type(i), typ)
		}
	}
	if x.Has(ExtensionTypeOidFilters) {
		t.Error("Has(oid_filters) in a ClientHello")
	}
	if d, ok := x.Unknown(0x0015); !ok || len(d) != 10 {
		t.Errorf("Unknown(padding) = %x, %v", d, ok)
	}
	if _, ok := x.Unknown(0x7777); ok {
		t.Error("Unknown(0x7777) found")
	}
	var sn ServerName
	it := x.ServerName.ServerNameList.Iter()
	if !it.Next(&sn) || string(sn.HostName) != "example.com" || sn.NameType != NameTypeHostName || it.Next(&sn) {
		t.Errorf("server_name: %+v", sn)
	}
	if x.MaxFragmentLength != 4 || x.RecordSizeLimit != 0x4001 {
		t.Errorf("max_fragment_length %d, record_size_limit %#x", x.MaxFragmentLength, x.RecordSizeLimit)
	}
	if g := x.SupportedGroups.NamedGroupList; g.Len() != 3 || g.At(0) != X25519MLKEM768 || g.At(2) != NamedGroupSecp256r1 {
		t.Errorf("supported_groups %x", g.Bytes())
	}
	var groups []NamedGroup
	var g NamedGroup
	for it := x.SupportedGroups.NamedGroupList.Iter(); it.Next(&g); {
		groups = append(groups, g)
	}
	if !reflect.DeepEqual(groups, []NamedGroup{X25519MLKEM768, NamedGroupX25519, NamedGroupSecp256r1}) {
		t.Errorf("supported_groups by Iter: %v", groups)
	}
	var ks KeyShareEntry
	kit := x.KeyShare.ClientShares.Iter()
	if !kit.Next(&ks) || ks.Group != NamedGroupX25519 || len(ks.KeyExchange) != 32 ||
		!kit.Next(&ks) || ks.Group != NamedGroupSecp256r1 || len(ks.KeyExchange) != 65 || kit.Next(&ks) {
		t.Errorf("key_share entries wrong")
	}
	var id PskIdentity
	if it := x.PreSharedKey.Identities.Iter(); !it.Next(&id) || string(id.Identity) != "ticket" || id.ObfuscatedTicketAge != 0x01020304 {
		t.Errorf("psk identity %+v", id)
	}
	var binder []byte
	if it := x.PreSharedKey.Binders.Iter(); !it.Next(&binder) || len(binder) != 32 {
		t.Errorf("psk binder %x", binder)
	}
	if v := x.SupportedVersions.Versions; v.Len() != 2 || v.At(0) != 0x0304 {
		t.Errorf("supported_versions %x", v.Bytes())
	}
	if m := x.PskKeyExchangeModes.KeModes; m.Len() != 2 || m.At(0) != PskKeyExchangeModePskDheKe {
		t.Errorf("psk_key_exchange_modes %x", m.Bytes())
	}
	var proto []byte
	if it := x.ApplicationLayerProtocolNegotiation.ProtocolNameList.Iter(); !it.Next(&proto) || string(proto) != "h2" || !it.Next(&proto) || string(proto) != "http/1.1" || it.Next(&proto) {
		t.Errorf("alpn %q", proto)
	}
	var dn []byte
	if it := x.CertificateAuthorities.Authorities.Iter(); !it.Next(&dn) || string(dn) != "CN=Root CA" {
		t.Errorf("certificate_authorities %q", dn)
	}
	var rid []byte
	if it := x.StatusRequest.ResponderIDList.Iter(); !it.Next(&rid) || string(rid) != "responder-1" {
		t.Errorf("status_request responder %q", rid)
	}
	if cs := ch.CipherSuites; cs.Len() != 2 || cs.At(1) != TLS_CHACHA20_POLY1305_SHA256 {
		t.Errorf("cipher_suites %x", cs.Bytes())
	}

	cr := decode("CertificateRequest").(*CertificateRequest)
	var f OIDFilter
	if it := cr.Extensions.OidFilters.Filters.Iter(); !it.Next(&f) || !bytes.Equal(f.CertificateExtensionOID, []byte{0x55, 0x1d, 0x0f}) || !it.Next(&f) || len(f.CertificateExtensionValues) != 0 || it.Next(&f) {
		t.Errorf("oid_filters %+v", f)
	}
	if d, ok := cr.Extensions.Unknown(0x1234); !ok || string(d) != "x" {
		t.Errorf("unknown extension in CertificateRequest: %q %v", d, ok)
	}

	cert := decode("Certificate").(*Certificate)
	var e CertificateEntry
	it2 := cert.CertificateList.Iter()
	if !it2.Next(&e) || len(e.CertData) != 300 || !e.Extensions.Has(ExtensionTypeStatusRequest) || string(e.Extensions.StatusRequest.OCSPResponse) != "ocsp response" {
		t.Errorf("first certificate entry: %+v", e)
	}
	if !it2.Next(&e) || len(e.CertData) != 5 || e.Extensions.Len() != 0 || it2.Next(&e) {
		t.Errorf("second certificate entry: %+v", e)
	}
}

// codecWantAlert checks that err is an *Error with the alert and,
// if exact is given, that it is that very error value (so that a case
// fails for the reason it is about).
func codecWantAlert(t *testing.T, what string, err error, want AlertDescription, exact ...Error) {
	t.Helper()
	if len(exact) > 0 && err != error(exact[0]) {
		t.Errorf("%s: got %v, want %v", what, err, exact[0])
	}
	var ae Error
	if !errors.As(err, &ae) {
		t.Errorf("%s: got %v, want an Error %v", what, err, want)
		return
	}
	if ae.Alert() != want {
		t.Errorf("%s: got alert %v (%v), want %v", what, ae.Alert(), ae, want)
	}
	if !strings.HasPrefix(ae.Error(), "tls: ") {
		t.Errorf("%s: message %q does not start with tls: ", what, ae.Error())
	}
}

// codecExt is one extension on the wire.
func codecExt(typ ExtensionType, data []byte) []byte {
	return codecCat([]byte{byte(typ >> 8), byte(typ)}, codecU16(data))
}

// codecServerHello builds a ServerHello body around an extension list.
func codecServerHello(exts ...[]byte) []byte {
	return codecCat([]byte{3, 3}, codecFill(32, 1), []byte{0}, []byte{0x13, 0x01, 0}, codecU16(codecCat(exts...)))
}

// TestCodecRejects checks what the decoders must refuse, and with which
// alert.
func TestCodecRejects(t *testing.T) {
	sv := codecExt(ExtensionTypeSupportedVersions, []byte{3, 4})
	ks := codecExt(ExtensionTypeKeyShare, codecCat([]byte{0, 0x1d}, codecU16(codecFill(32, 9))))
	if err := new(ServerHello).Unmarshal(codecServerHello(sv, ks)); err != nil {
		t.Fatalf("valid ServerHello: %v", err)
	}

	var sh ServerHello
	codecWantAlert(t, "duplicate extension", sh.Unmarshal(codecServerHello(sv, ks, sv)), AlertDescriptionIllegalParameter, errDuplicateServerHelloExtensions)
	codecWantAlert(t, "unknown extension in ServerHello", sh.Unmarshal(codecServerHello(sv, codecExt(0x1234, nil))), AlertDescriptionUnsupportedExtension, errUnsupportedServerHelloExtensions)
	codecWantAlert(t, "cookie in ServerHello", sh.Unmarshal(codecServerHello(sv, codecExt(ExtensionTypeCookie, codecU16([]byte{1})))), AlertDescriptionIllegalParameter, errNotAllowedServerHelloExtensions)
	codecWantAlert(t, "trailing byte", sh.Unmarshal(append(codecServerHello(sv, ks), 0)), AlertDescriptionDecodeError, errDecodeServerHelloTrailing)
	codecWantAlert(t, "extensions under their minimum", sh.Unmarshal(codecServerHello(codecExt(0x002b, nil))), AlertDescriptionDecodeError, errDecodeServerHelloExtensions)
	codecWantAlert(t, "extension body too long", sh.Unmarshal(codecServerHello(codecExt(ExtensionTypeSupportedVersions, []byte{3, 4, 0}))), AlertDescriptionDecodeError, errDecodeSupportedVersionsServerHelloTrailing)

	var ee EncryptedExtensions
	codecWantAlert(t, "key_share in EncryptedExtensions", ee.Unmarshal(codecU16(ks)), AlertDescriptionIllegalParameter, errNotAllowedEncryptedExtensionsExtensions)
	codecWantAlert(t, "unknown extension in EncryptedExtensions", ee.Unmarshal(codecU16(codecExt(0xfe0d, []byte{1}))), AlertDescriptionUnsupportedExtension, errUnsupportedEncryptedExtensionsExtensions)
	codecWantAlert(t, "non-empty server_name in EncryptedExtensions", ee.Unmarshal(codecU16(codecExt(ExtensionTypeServerName, []byte{0}))), AlertDescriptionDecodeError, errDecodeEmptyTrailing)
	codecWantAlert(t, "extension list cut short", ee.Unmarshal(codecU16([]byte{0, 0x0a, 0})), AlertDescriptionDecodeError, errDecodeEncryptedExtensionsExtensions)

	// CertificateRequest skips unknown extensions (§4.3.2), keeps them for
	// re-encoding, and caps how many.
	sigs := codecExt(ExtensionTypeSignatureAlgorithms, codecU16(codecUint16s(SignatureSchemeEd25519)))
	var cr CertificateRequest
	in := codecCat([]byte{0}, codecU16(codecCat(codecExt(0x7a7a, []byte("grease")), sigs)))
	if err := cr.Unmarshal(in); err != nil {
		t.Fatalf("unknown extension in CertificateRequest: %v", err)
	}
	if d, ok := cr.Extensions.Unknown(0x7a7a); !ok || string(d) != "grease" || !cr.Extensions.Has(ExtensionTypeSignatureAlgorithms) {
		t.Errorf("CertificateRequest lost an extension")
	}
	if out := codecEncode(t, &cr); !bytes.Equal(out, in) {
		t.Errorf("CertificateRequest re-encodes as %x, want %x", out, in)
	}
	var many [][]byte
	for i := 0; i < 33; i++ {
		many = append(many, codecExt(ExtensionType(0x7000+i), nil))
	}
	codecWantAlert(t, "33 unknown extensions in CertificateRequest", cr.Unmarshal(codecCat([]byte{0}, codecU16(codecCat(many...)))), AlertDescriptionDecodeError, errTooManyCertificateRequestExtensions)
	if err := cr.Unmarshal(codecCat([]byte{0}, codecU16(codecCat(many[:32]...)))); err != nil {
		t.Errorf("32 unknown extensions in CertificateRequest: %v", err)
	}
	codecWantAlert(t, "duplicate unknown extension", cr.Unmarshal(codecCat([]byte{0}, codecU16(codecCat(many[0], many[0])))), AlertDescriptionIllegalParameter, errDuplicateCertificateRequestExtensions)
	codecWantAlert(t, "key_share in CertificateRequest", cr.Unmarshal(codecCat([]byte{0}, codecU16(ks))), AlertDescriptionIllegalParameter, errNotAllowedCertificateRequestExtensions)

	// ClientHello: pre_shared_key must come last (§4.2.11).
	psk := codecExt(ExtensionTypePreSharedKey, codecCat(
		codecU16(codecElems(t, PskIdentity{Identity: []byte("ticket"), ObfuscatedTicketAge: 1})),
		codecU16(codecU8(codecFill(32, 7)))))
	chBody := func(suites []byte, exts ...[]byte) []byte {
		return codecCat([]byte{3, 3}, codecFill(32, 1), []byte{0}, codecU16(suites), []byte{1, 0}, codecU16(codecCat(exts...)))
	}
	svCH := codecExt(ExtensionTypeSupportedVersions, codecU8([]byte{3, 4}))
	suites := codecUint16s(TLS_AES_128_GCM_SHA256)
	var ch ClientHello
	if err := ch.Unmarshal(chBody(suites, svCH, psk)); err != nil {
		t.Fatalf("ClientHello with pre_shared_key last: %v", err)
	}
	codecWantAlert(t, "pre_shared_key not last", ch.Unmarshal(chBody(suites, psk, svCH)), AlertDescriptionIllegalParameter, errNotLastClientHelloExtensions)
	codecWantAlert(t, "pre_shared_key before an unknown one", ch.Unmarshal(chBody(suites, psk, codecExt(0x0015, nil))), AlertDescriptionIllegalParameter, errNotLastClientHelloExtensions)
	codecWantAlert(t, "no cipher suites", ch.Unmarshal(chBody(nil, svCH, psk)), AlertDescriptionDecodeError, errDecodeClientHelloCipherSuites)
	codecWantAlert(t, "odd cipher suites", ch.Unmarshal(chBody([]byte{0x13, 0x01, 0x13}, svCH, psk)), AlertDescriptionDecodeError, errDecodeCipherSuiteVector)
	codecWantAlert(t, "supported_versions too short", ch.Unmarshal(chBody(suites, codecExt(ExtensionTypeSupportedVersions, []byte{0}), psk)), AlertDescriptionDecodeError, errDecodeSupportedVersionsClientHelloVersions)
	codecWantAlert(t, "pre_shared_key binder too short", ch.Unmarshal(chBody(suites, svCH, codecExt(ExtensionTypePreSharedKey, codecCat(
		codecU16(codecElems(t, PskIdentity{Identity: []byte("ticket"), ObfuscatedTicketAge: 1})),
		codecU16(codecU8(codecFill(31, 7))))))), AlertDescriptionDecodeError, errDecodeOfferedPsksBinders)
	longSession := codecCat([]byte{3, 3}, codecFill(32, 1), codecU8(codecFill(33, 0)), codecU16(suites), []byte{1, 0}, codecU16(svCH))
	codecWantAlert(t, "legacy_session_id over 32", ch.Unmarshal(longSession), AlertDescriptionDecodeError, errDecodeClientHelloLegacySessionID)
	var unknowns [][]byte
	for i := 0; i < 17; i++ {
		unknowns = append(unknowns, codecExt(ExtensionType(0x7000+i), nil))
	}
	codecWantAlert(t, "17 unknown extensions in ClientHello", ch.Unmarshal(chBody(suites, unknowns...)), AlertDescriptionDecodeError, errTooManyClientHelloExtensions)

	// Vectors and lengths.
	var cs CipherSuiteVector
	codecWantAlert(t, "odd CipherSuiteVector", cs.SetBytes([]byte{1, 2, 3}), AlertDescriptionDecodeError, errDecodeCipherSuiteVector)
	var pn ProtocolNameVector
	codecWantAlert(t, "empty protocol name", pn.SetBytes([]byte{0}), AlertDescriptionDecodeError, errDecodeProtocolNameVector)
	var cert Certificate
	codecWantAlert(t, "empty cert_data", cert.Unmarshal(codecCat([]byte{0}, codecU24(codecCat(codecU24(nil), []byte{0, 0})))), AlertDescriptionDecodeError, errDecodeCertificateEntryCertData)
	var nst NewSessionTicket
	codecWantAlert(t, "empty ticket", nst.Unmarshal(codecCat(codecFill(8, 0), []byte{0}, []byte{0, 0}, []byte{0, 0})), AlertDescriptionDecodeError, errDecodeNewSessionTicketTicket)
	var hs Handshake
	codecWantAlert(t, "handshake length past the end", hs.Unmarshal([]byte{20, 0, 0, 33, 1}), AlertDescriptionDecodeError, errDecodeHandshakeBody)
	codecWantAlert(t, "handshake trailing data", hs.Unmarshal([]byte{20, 0, 0, 1, 1, 2}), AlertDescriptionDecodeError, errDecodeHandshakeTrailing)
	var eoed EndOfEarlyData
	codecWantAlert(t, "EndOfEarlyData with a body", eoed.Unmarshal([]byte{0}), AlertDescriptionDecodeError, errDecodeEndOfEarlyDataTrailing)
	var ku KeyUpdate
	codecWantAlert(t, "KeyUpdate too long", ku.Unmarshal([]byte{1, 0}), AlertDescriptionDecodeError, errDecodeKeyUpdateTrailing)
	var al Alert
	codecWantAlert(t, "Alert too short", al.Unmarshal([]byte{2}), AlertDescriptionDecodeError, errDecodeAlertDescription)

	// A record whose length field disagrees with its fragment.
	var pt TLSPlaintext
	codecWantAlert(t, "TLSPlaintext shorter than its length", pt.Unmarshal([]byte{22, 3, 3, 0, 5, 1, 2, 3, 4}), AlertDescriptionDecodeError, errDecodeTLSPlaintextFragment)
	codecWantAlert(t, "TLSPlaintext longer than its length", pt.Unmarshal([]byte{22, 3, 3, 0, 3, 1, 2, 3, 4}), AlertDescriptionDecodeError, errDecodeTLSPlaintextTrailing)
	var ct TLSCiphertext
	codecWantAlert(t, "TLSCiphertext longer than its length", ct.Unmarshal([]byte{23, 3, 3, 0, 1, 1, 2}), AlertDescriptionDecodeError, errDecodeTLSCiphertextTrailing)
	var rh RecordHeader
	codecWantAlert(t, "RecordHeader short", rh.Unmarshal([]byte{23, 3, 3, 0}), AlertDescriptionDecodeError, errDecodeRecordHeaderLength)
}

// TestCodecEncodeRejects checks that Append refuses values out of the
// spec's range, with internal_error, instead of writing a bad message.
func TestCodecEncodeRejects(t *testing.T) {
	for _, c := range []struct {
		what string
		m    codecMsg
		want Error
	}{
		{"short random", &ServerHello{Random: codecFill(31, 0)}, errEncodeServerHelloRandom},
		{"long session id", &ClientHello{Random: codecFill(32, 0), LegacySessionID: codecFill(33, 0)}, errEncodeClientHelloLegacySessionID},
		{"no cipher suites", &ClientHello{Random: codecFill(32, 0)}, errEncodeClientHelloCipherSuites},
		{"no compression methods", func() codecMsg {
			m := &ClientHello{Random: codecFill(32, 0)}
			_ = m.CipherSuites.SetBytes([]byte{0x13, 1})
			return m
		}(), errEncodeClientHelloLegacyCompressionMethods},
		{"ClientHello with too few extensions", func() codecMsg {
			m := &ClientHello{Random: codecFill(32, 0), LegacyCompressionMethods: []byte{0}}
			_ = m.CipherSuites.SetBytes([]byte{0x13, 1})
			return m
		}(), errEncodeClientHelloExtensions},
		{"empty key_exchange", &KeyShareEntry{Group: NamedGroupX25519}, errEncodeKeyShareEntryKeyExchange},
		{"empty cookie", &Cookie{}, errEncodeCookieCookie},
		{"empty ticket", &NewSessionTicket{}, errEncodeNewSessionTicketTicket},
		{"long ticket nonce", &NewSessionTicket{TicketNonce: codecFill(256, 0), Ticket: []byte{1}}, errEncodeNewSessionTicketTicketNonce},
		{"signature too long", &CertificateVerify{Signature: codecFill(65536, 0)}, errEncodeCertificateVerifySignature},
		{"TLSPlaintext length mismatch", &TLSPlaintext{Length: 3, Fragment: []byte{1}}, errEncodeTLSPlaintextFragment},
		{"TLSCiphertext length mismatch", &TLSCiphertext{Length: 0, EncryptedRecord: []byte{1}}, errEncodeTLSCiphertextEncryptedRecord},
		{"handshake body over 2^24-1", &Handshake{Body: make([]byte, 1<<24)}, errEncodeHandshakeBody},
		{"pre_shared_key not last", func() codecMsg {
			x := &ClientHelloExtensions{}
			x.Add(ExtensionTypePreSharedKey)
			x.Add(ExtensionTypeCookie)
			return x
		}(), errEncodeClientHelloExtensions},
		{"extension set with an unknown type it does not hold", func() codecMsg {
			x := &ServerHelloExtensions{}
			x.order[0], x.n = 0x1234, 1
			return x
		}(), errEncodeServerHelloExtensions},
	} {
		_, err := c.m.Append(nil)
		codecWantAlert(t, c.what, err, AlertDescriptionInternalError, c.want)
	}

	// The sets refuse what their table does not allow.
	var ee EncryptedExtensionsExtensions
	if ee.Add(ExtensionTypeKeyShare) || !ee.Add(ExtensionTypeRecordSizeLimit) || ee.Add(ExtensionTypeRecordSizeLimit) {
		t.Error("EncryptedExtensionsExtensions.Add: wrong answers")
	}
	var ch ClientHelloExtensions
	if ch.AddUnknown(ExtensionTypeKeyShare, nil) || !ch.AddUnknown(0x1a1a, nil) || ch.AddUnknown(0x1a1a, nil) {
		t.Error("ClientHelloExtensions.AddUnknown: wrong answers")
	}
	for i := 0; i < 15; i++ {
		if !ch.AddUnknown(ExtensionType(0x2a2a+i), nil) {
			t.Fatalf("AddUnknown #%d failed", i+2)
		}
	}
	if ch.AddUnknown(0x3a3a, nil) {
		t.Error("AddUnknown past the cap succeeded")
	}
	ch.Reset()
	if ch.Len() != 0 || ch.Has(0x1a1a) {
		t.Error("Reset left extensions")
	}
}

// TestCodecRuntime covers codec.go directly.
func TestCodecRuntime(t *testing.T) {
	for _, c := range []struct {
		n    int
		v    uint64
		want []byte
	}{
		{1, 0xab, []byte{0xab}},
		{2, 0x0102, []byte{1, 2}},
		{3, 0x010203, []byte{1, 2, 3}},
		{4, 0x01020304, []byte{1, 2, 3, 4}},
		{8, 0x0102030405060708, []byte{1, 2, 3, 4, 5, 6, 7, 8}},
	} {
		got := appendUintN([]byte{9}, c.n, c.v)
		if !bytes.Equal(got, append([]byte{9}, c.want...)) {
			t.Errorf("appendUintN(%d, %#x) = %x", c.n, c.v, got)
		}
		if uintN(c.want) != c.v {
			t.Errorf("uintN(%x) = %#x", c.want, uintN(c.want))
		}
		buf := make([]byte, c.n+1)
		putUintN(buf, c.n, c.v)
		if !bytes.Equal(buf[:c.n], c.want) || buf[c.n] != 0 {
			t.Errorf("putUintN(%d, %#x) = %x", c.n, c.v, buf)
		}
	}
	for _, c := range []struct {
		in   []byte
		n    int
		ok   bool
		body string
		rest int
	}{
		{[]byte{2, 'h', 'i', 'x'}, 1, true, "hi", 1},
		{[]byte{0, 0, 0}, 3, true, "", 0},
		{[]byte{0, 3, 'a', 'b'}, 2, false, "", 0},
		{[]byte{0}, 2, false, "", 0},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0}, 4, false, "", 0},
	} {
		s := cryptobyte.String(c.in)
		var out cryptobyte.String
		ok := readLengthPrefixed(&s, c.n, &out)
		if ok != c.ok || ok && (string(out) != c.body || len(s) != c.rest) {
			t.Errorf("readLengthPrefixed(%x, %d) = %v %q rest %d", c.in, c.n, ok, out, len(s))
		}
	}
	if got := UnknownName("NamedGroup", 0x1234, 4); got != "NamedGroup(0x1234)" {
		t.Errorf("unknownName = %q", got)
	}
	if got := NamedGroup(0xabcd).String(); got != "NamedGroup(0xabcd)" {
		t.Errorf("String of an unknown group = %q", got)
	}
	if got := ExtensionTypeKeyShare.String(); got != "key_share" {
		t.Errorf("ExtensionTypeKeyShare.String() = %q", got)
	}
	if !TLS_AES_128_GCM_SHA256.IsKnown() || CipherSuite(0x00ff).IsKnown() {
		t.Error("CipherSuite.IsKnown wrong")
	}
}
