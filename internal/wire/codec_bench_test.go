package wire

import (
	"testing"

	"github.com/tabletls/tabletls/internal/rfc8448"
)

// The codecs promise not to allocate: decoders return sub-slices of their
// input and Error codes, and encoders append to the caller's buffer.
// These tests hold them to it; the benchmarks measure them.

// codecAllocs fails the test if f allocates.
func codecAllocs(t *testing.T, what string, f func()) {
	t.Helper()
	if n := testing.AllocsPerRun(100, f); n != 0 {
		t.Errorf("%s: %v allocations per run, want 0", what, n)
	}
}

// TestCodecZeroAllocs covers every generated type's Unmarshal (extension
// sets included) and Append, on the samples built from Go values and on
// the RFC 8448 messages, plus failing decodes.
func TestCodecZeroAllocs(t *testing.T) {
	buf := make([]byte, 0, 1<<16)
	for _, s := range codecSamples(t) {
		wire := codecEncode(t, s.value)
		m := s.fresh()
		codecAllocs(t, s.name+".Unmarshal", func() {
			if err := m.Unmarshal(wire); err != nil {
				t.Fatal(err)
			}
		})
		codecAllocs(t, s.name+".Append", func() {
			if _, err := m.Append(buf[:0]); err != nil {
				t.Fatal(err)
			}
		})
		if len(wire) > 0 {
			codecAllocs(t, s.name+".Unmarshal of a truncated input", func() {
				_ = m.Unmarshal(wire[:len(wire)-1])
			})
		}
	}
	for _, n := range codecRFCSections {
		sec := rfc8448.Get(n)
		for _, msg := range codecRFCMessages {
			if !sec.Has(msg.value) {
				continue
			}
			raw := sec.Value(msg.value)
			m := msg.fresh()
			var h Handshake
			codecAllocs(t, sec.Title+" "+msg.value, func() {
				if err := h.Unmarshal(raw); err != nil {
					t.Fatal(err)
				}
				if err := m.Unmarshal(h.Body); err != nil {
					t.Fatal(err)
				}
				if _, err := m.Append(buf[:0]); err != nil {
					t.Fatal(err)
				}
			})
		}
		for i, r := range sec.Records {
			wire := r.Wire()
			var rh RecordHeader
			var ct TLSCiphertext
			var pt TLSPlaintext
			codecAllocs(t, sec.Title+" record", func() {
				if err := rh.Unmarshal(wire[:5]); err != nil {
					t.Fatal(err)
				}
				if sec.Records[i].Protection == "none" {
					_ = pt.Unmarshal(wire)
				} else {
					_ = ct.Unmarshal(wire)
				}
			})
		}
	}
}

// TestCodecZeroAllocsVectors covers SetBytes, Iter/Next, Len and At of
// every vector type, and the extension sets' accessors.
func TestCodecZeroAllocsVectors(t *testing.T) {
	var chm, crm, certm codecMsg
	for _, s := range codecSamples(t) {
		m := s.fresh()
		if err := m.Unmarshal(codecEncode(t, s.value)); err != nil {
			t.Fatal(err)
		}
		switch s.name {
		case "ClientHello":
			chm = m
		case "CertificateRequest":
			crm = m
		case "Certificate":
			certm = m
		}
	}
	ch := chm.(*ClientHello)
	cr := crm.(*CertificateRequest)
	cert := certm.(*Certificate)
	x := &ch.Extensions
	codecAllocs(t, "vectors", func() {
		var cs CipherSuiteVector
		if cs.SetBytes(ch.CipherSuites.Bytes()) != nil {
			t.Fatal("CipherSuiteVector")
		}
		var c CipherSuite
		for it := cs.Iter(); it.Next(&c); {
		}
		for i := 0; i < cs.Len(); i++ {
			c = cs.At(i)
		}
		var g NamedGroup
		for it := x.SupportedGroups.NamedGroupList.Iter(); it.Next(&g); {
		}
		_ = x.SupportedGroups.NamedGroupList.At(x.SupportedGroups.NamedGroupList.Len() - 1)
		var s SignatureScheme
		for it := x.SignatureAlgorithms.SupportedSignatureAlgorithms.Iter(); it.Next(&s); {
		}
		_ = x.SignatureAlgorithms.SupportedSignatureAlgorithms.At(0)
		var v ProtocolVersion
		for it := x.SupportedVersions.Versions.Iter(); it.Next(&v); {
		}
		_ = x.SupportedVersions.Versions.At(0)
		var mode PskKeyExchangeMode
		for it := x.PskKeyExchangeModes.KeModes.Iter(); it.Next(&mode); {
		}
		_ = x.PskKeyExchangeModes.KeModes.At(0)
		var ks KeyShareEntry
		for it := x.KeyShare.ClientShares.Iter(); it.Next(&ks); {
		}
		var id PskIdentity
		for it := x.PreSharedKey.Identities.Iter(); it.Next(&id); {
		}
		var b []byte
		for it := x.PreSharedKey.Binders.Iter(); it.Next(&b); {
		}
		for it := x.ApplicationLayerProtocolNegotiation.ProtocolNameList.Iter(); it.Next(&b); {
		}
		for it := x.CertificateAuthorities.Authorities.Iter(); it.Next(&b); {
		}
		for it := x.StatusRequest.ResponderIDList.Iter(); it.Next(&b); {
		}
		var sn ServerName
		for it := x.ServerName.ServerNameList.Iter(); it.Next(&sn); {
		}
		var f OIDFilter
		for it := cr.Extensions.OidFilters.Filters.Iter(); it.Next(&f); {
		}
		var e CertificateEntry
		for it := cert.CertificateList.Iter(); it.Next(&e); {
		}
		// Extension set accessors.
		for i := 0; i < x.Len(); i++ {
			_ = x.Has(x.Type(i))
		}
		if _, ok := x.Unknown(0x0015); !ok {
			t.Fatal("Unknown")
		}
		var set CertificateRequestExtensions
		set.Add(ExtensionTypeSignatureAlgorithms)
		set.AddUnknown(0x1234, b)
		set.Reset()
	})
}

// Benchmarks on the RFC 8448 section 3 messages.

func codecBenchBody(b *testing.B, name string) []byte {
	var h Handshake
	if err := h.Unmarshal(rfc8448.Get(3).Value(name)); err != nil {
		b.Fatal(err)
	}
	return h.Body
}

func codecBenchDecode(b *testing.B, in []byte, m codecMsg) {
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := m.Unmarshal(in); err != nil {
			b.Fatal(err)
		}
	}
}

func codecBenchEncode(b *testing.B, in []byte, m codecMsg) {
	if err := m.Unmarshal(in); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, len(in))
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		var err error
		if buf, err = m.Append(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeClientHello(b *testing.B) {
	codecBenchDecode(b, codecBenchBody(b, "client_hello"), new(ClientHello))
}

func BenchmarkDecodeServerHello(b *testing.B) {
	codecBenchDecode(b, codecBenchBody(b, "server_hello"), new(ServerHello))
}

// BenchmarkDecodeCertificate decodes the server's Certificate message,
// which checks each CertificateEntry and its extensions, then walks the
// entries as the engine does.
func BenchmarkDecodeCertificate(b *testing.B) {
	in := codecBenchBody(b, "server_certificate")
	var m Certificate
	var e CertificateEntry
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := m.Unmarshal(in); err != nil {
			b.Fatal(err)
		}
		for it := m.CertificateList.Iter(); it.Next(&e); {
		}
	}
}

// BenchmarkDecodeTLSCiphertextHeader decodes the 5-octet header of a
// protected record (RecordHeader), as the record layer does per record.
func BenchmarkDecodeTLSCiphertextHeader(b *testing.B) {
	codecBenchDecode(b, rfc8448.Get(3).Records[2].Wire()[:5], new(RecordHeader))
}

func BenchmarkEncodeClientHello(b *testing.B) {
	codecBenchEncode(b, codecBenchBody(b, "client_hello"), new(ClientHello))
}

func BenchmarkEncodeServerHello(b *testing.B) {
	codecBenchEncode(b, codecBenchBody(b, "server_hello"), new(ServerHello))
}

func BenchmarkEncodeCertificate(b *testing.B) {
	codecBenchEncode(b, codecBenchBody(b, "server_certificate"), new(Certificate))
}

func BenchmarkEncodeTLSCiphertextHeader(b *testing.B) {
	codecBenchEncode(b, rfc8448.Get(3).Records[2].Wire()[:5], new(RecordHeader))
}

// BenchmarkDecodeMalformedServerHello decodes a ServerHello that fails at
// its last extension (an unknown one, unsupported_extension): a failing
// decode, error included, allocates nothing either.
func BenchmarkDecodeMalformedServerHello(b *testing.B) {
	in := codecServerHello(
		codecExt(ExtensionTypeSupportedVersions, []byte{3, 4}),
		codecExt(ExtensionTypeKeyShare, codecCat([]byte{0, 0x1d}, codecU16(codecFill(32, 9)))),
		codecExt(0x1234, nil))
	var m ServerHello
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if err := m.Unmarshal(in); err != errUnsupportedServerHelloExtensions {
			b.Fatalf("got %v, want %v", err, errUnsupportedServerHelloExtensions)
		}
	}
}
