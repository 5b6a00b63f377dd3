package tlsserver_test

import (
	"bytes"
	"testing"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

func fullOptions() tlsserver.Options {
	return tlsserver.Options{HelloRetryRequest: true, HRRCookie: []byte("c"), MiddleboxCCS: true, RequestClientCert: true,
		ALPN: "h2", Tickets: 2, KeyUpdates: []wire.KeyUpdateRequest{wire.KeyUpdateRequestUpdateRequested}, AppData: []byte("data"), Echo: true}
}

func fullConfig(seed string) *tls.Config {
	cfg := tlsserver.ClientConfig(seed)
	cfg.NextProtos = []string{"h2"}
	cfg.Certificates = []tls.Certificate{tlsserver.ClientCertificate().TLSCertificate()}
	cfg.OnNewSessionTicket = func(*tls.SessionTicket) {}
	return cfg
}

// The same seeds give the same conversation, octet for octet: what a
// fuzzer needs to reproduce a failure.
func TestDeterministic(t *testing.T) {
	a := tlsserver.Run(fullConfig("seed"), fullOptions())
	b := tlsserver.Run(fullConfig("seed"), fullOptions())
	checkOK(t, a)
	if !bytes.Equal(a.ClientWire, b.ClientWire) || !bytes.Equal(a.ServerWire, b.ServerWire) {
		t.Errorf("two runs with the same seeds differ")
	}
	c := tlsserver.Run(fullConfig("other seed"), fullOptions())
	if bytes.Equal(a.ClientWire, c.ClientWire) {
		t.Errorf("two client seeds gave the same client octets")
	}
	opts := fullOptions()
	opts.Seed = "server seed"
	d := tlsserver.Run(fullConfig("seed"), opts)
	checkOK(t, d)
	if bytes.Equal(a.ServerWire, d.ServerWire) {
		t.Errorf("two server seeds gave the same server octets")
	}
}

func TestCertificates(t *testing.T) {
	s, c := tlsserver.ServerCertificate(), tlsserver.ClientCertificate()
	if s.Pin() == c.Pin() {
		t.Fatal("server and client certificates share a key")
	}
	if !bytes.Equal(s.Chain[0], tlsserver.ServerCertificate().Chain[0]) {
		t.Fatal("ServerCertificate changed")
	}
}

func TestMessageExtensions(t *testing.T) {
	for _, c := range []struct {
		typ  wire.HandshakeType
		body func() []byte
	}{
		{wire.HandshakeTypeEncryptedExtensions, func() []byte { return []byte{0, 0} }},
		{wire.HandshakeTypeCertificate, func() []byte {
			b, _ := tlsserver.CertificateMessage([][]byte{{1, 2, 3}, {4}}).Append(nil)
			return b
		}},
		{wire.HandshakeTypeNewSessionTicket, func() []byte { return tlsserver.TicketItem(3).Msg.Body }},
		{wire.HandshakeTypeKeyUpdate, func() []byte { return []byte{0} }},
	} {
		t.Run(c.typ.String(), func(t *testing.T) {
			m := &tlsserver.Message{Type: c.typ, Body: c.body()}
			err := m.AddExtension(0xfafa, []byte("x"))
			if c.typ == wire.HandshakeTypeKeyUpdate {
				if err == nil {
					t.Fatal("KeyUpdate has no extensions, but AddExtension succeeded")
				}
				return
			}
			must(err)
			must(m.AddExtension(0xfafa, nil))
			must(m.AddExtension(wire.ExtensionTypeEarlyData, []byte{0, 0, 0, 1}))
			exts, err := m.Extensions()
			must(err)
			if len(exts) != 3 || exts[0].ExtensionType != 0xfafa || string(exts[0].ExtensionData) != "x" || exts[2].ExtensionType != wire.ExtensionTypeEarlyData {
				t.Fatalf("extensions %+v", exts)
			}
			must(m.RemoveExtension(0xfafa))
			must(m.RemoveExtension(wire.ExtensionTypeEarlyData))
			if !bytes.Equal(m.Body, c.body()) {
				t.Fatalf("add then remove: %x, want %x", m.Body, c.body())
			}
		})
	}
	// The generated decoders accept what the helpers build.
	m := &tlsserver.Message{Type: wire.HandshakeTypeCertificate}
	m.Body, _ = tlsserver.CertificateMessage([][]byte{{1, 2, 3}}).Append(nil)
	must(m.AddExtension(wire.ExtensionTypeStatusRequest, []byte{1, 0, 0, 1, 0x30}))
	var cert wire.Certificate
	if err := cert.Unmarshal(m.Body); err != nil {
		t.Fatal(err)
	}
	it := cert.CertificateList.Iter()
	var e wire.CertificateEntry
	if !it.Next(&e) || !e.Extensions.Has(wire.ExtensionTypeStatusRequest) || !bytes.Equal(e.CertData, []byte{1, 2, 3}) {
		t.Fatalf("entry %+v", e)
	}
}

func TestSplitAndCoalesceRecords(t *testing.T) {
	recs := []*tlsserver.Record{
		{Type: wire.ContentTypeHandshake, Payload: []byte("abcdefg"), Epoch: tlsserver.EpochHandshake},
		{Type: wire.ContentTypeHandshake, Payload: []byte("hi"), Epoch: tlsserver.EpochHandshake},
		{Type: wire.ContentTypeApplicationData, Payload: []byte("j"), Epoch: tlsserver.EpochHandshake},
	}
	split := tlsserver.SplitRecords(recs, 3)
	if len(split) != 5 || string(split[2].Payload) != "g" {
		t.Fatalf("split into %d records", len(split))
	}
	merged := tlsserver.CoalesceRecords(split)
	if len(merged) != 2 || string(merged[0].Payload) != "abcdefghi" || string(merged[1].Payload) != "j" {
		t.Fatalf("coalesced into %d records", len(merged))
	}
	if string(recs[0].Payload) != "abcdefg" {
		t.Fatal("CoalesceRecords changed its input")
	}
}

// The server itself notices a broken ClientHello.
func TestServerChecksClientHello(t *testing.T) {
	cfg := tlsserver.ClientConfig("ch")
	p, err := tlsserver.NewPipe(cfg, tlsserver.New(tlsserver.Options{}))
	must(err)
	must(p.Client.Start())
	rec := bytes.Clone(p.Client.Output())
	// Rewrite the ClientHello: a second key share for x25519.
	m := &tlsserver.Message{Type: wire.HandshakeTypeClientHello, Body: rec[9:]}
	ks, ok := m.Extension(wire.ExtensionTypeKeyShare)
	if !ok {
		t.Fatal("no key_share")
	}
	entry := ks[2:]
	must(m.RemoveExtension(wire.ExtensionTypeKeyShare))
	must(m.AddExtension(wire.ExtensionTypeKeyShare, cat(u16(uint16(2*len(entry))), entry, entry)))
	hs := cat([]byte{1, 0, byte(len(m.Body) >> 8), byte(len(m.Body))}, m.Body)
	srv := tlsserver.New(tlsserver.Options{})
	if _, err := srv.Input(cat([]byte{22, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs)); err != nil {
		t.Fatal(err)
	}
	if v := srv.Violations(); len(v) != 1 {
		t.Fatalf("violations %q, want the duplicate key share", v)
	}
}

// A mutator that makes the server fail is reported, not hidden.
func TestServerErrorReported(t *testing.T) {
	r := converse("err", tlsserver.Options{Mutator: insertBefore(ht_SH, tlsserver.Item{Rec: &tlsserver.Record{
		Type: wire.ContentTypeApplicationData, Epoch: tlsserver.EpochApplication + 5}})}, nil, nil)
	if r.ServerErr == nil {
		t.Fatal("no server error for a record under keys that do not exist")
	}
}

// Records are protected once the whole flight is encoded, so a record may
// use keys that messages after it derive.
func TestRecordUnderLaterKeys(t *testing.T) {
	r := converse("later", tlsserver.Options{Mutator: insertBefore(ht_SH, tlsserver.Item{Rec: &tlsserver.Record{
		Type: wire.ContentTypeApplicationData, Epoch: tlsserver.EpochApplication}})}, nil, nil)
	checkAlert(t, r, unexpectedMessage, false) // protected data before the ServerHello
}
