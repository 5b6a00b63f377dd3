package tlsserver_test

import (
	"bytes"
	"testing"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// Handshake messages the client must reject, with the alert RFC 8446 asks
// for. Each case is a server that is correct except for one thing.

const (
	ht_SH  = wire.HandshakeTypeServerHello
	ht_EE  = wire.HandshakeTypeEncryptedExtensions
	ht_CR  = wire.HandshakeTypeCertificateRequest
	ht_CT  = wire.HandshakeTypeCertificate
	ht_CV  = wire.HandshakeTypeCertificateVerify
	ht_FIN = wire.HandshakeTypeFinished
	ht_NST = wire.HandshakeTypeNewSessionTicket
	ht_KU  = wire.HandshakeTypeKeyUpdate
)

const (
	unexpectedMessage    = tls.AlertUnexpectedMessage
	illegalParameter     = tls.AlertIllegalParameter
	decodeError          = tls.AlertDecodeError
	decryptError         = tls.AlertDecryptError
	unsupportedExtension = tls.AlertUnsupportedExtension
	missingExtension     = tls.AlertMissingExtension
	protocolVersion      = tls.AlertProtocolVersion
	badCertificate       = tls.AlertBadCertificate
	recordOverflow       = tls.AlertRecordOverflow
	badRecordMAC         = tls.AlertBadRecordMAC
)

// §6.2, §4: a message the state does not expect is unexpected_message.
func TestHostileUnexpectedMessage(t *testing.T) {
	var hrr *tlsserver.Message
	secondHRR := &tlsserver.Mutator{Flight: func(s *tlsserver.Server, f *tlsserver.Flight) {
		switch f.Kind {
		case tlsserver.FlightHelloRetryRequest:
			hrr = f.Message(ht_SH).Clone()
		case tlsserver.FlightServerHello:
			f.Insert(0, tlsserver.Item{Msg: hrr.Clone()})
		}
	}}
	move := func(typ, before wire.HandshakeType) *tlsserver.Mutator {
		return onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Move(f.Index(typ, 0), f.Index(before, 0))
		})
	}
	drop := func(types ...wire.HandshakeType) *tlsserver.Mutator {
		return onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
			for _, typ := range types {
				f.RemoveMessage(typ)
			}
		})
	}
	dup := func(typ wire.HandshakeType) *tlsserver.Mutator {
		return onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
			i := f.Index(typ, 0)
			f.Insert(i+1, tlsserver.Item{Msg: f.Items[i].Msg.Clone()})
		})
	}
	clientHello := onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
		f.Insert(f.Index(ht_EE, 0)+1, tlsserver.EncodeItem(wire.HandshakeTypeClientHello, s.ClientHello()))
	})
	clientHelloFirst := onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
		f.Insert(0, tlsserver.EncodeItem(wire.HandshakeTypeClientHello, s.ClientHello()))
	})
	post := func(items ...tlsserver.Item) *tlsserver.Mutator {
		return onPost(func(s *tlsserver.Server, f *tlsserver.Flight) { f.Items = append(f.Items, items...) })
	}
	cr := &wire.CertificateRequest{}
	cr.Extensions.Add(wire.ExtensionTypeSignatureAlgorithms)
	must(cr.Extensions.SignatureAlgorithms.SupportedSignatureAlgorithms.SetBytes(u16(uint16(tls.ECDSAWithP256AndSHA256))))
	crItem := func() tlsserver.Item { return tlsserver.EncodeItem(ht_CR, cr) }
	garbage := []byte{1, 2, 3, 4}

	runHostile(t, []hostileCase{
		// In WAIT_SH.
		{name: "finished_before_server_hello", opts: tlsserver.Options{Mutator: onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Move(f.Index(ht_FIN, 0), 0)
		})}, want: unexpectedMessage},
		{name: "encrypted_extensions_before_server_hello", opts: tlsserver.Options{Mutator: move(ht_EE, ht_SH)}, want: unexpectedMessage},
		{name: "ticket_before_server_hello", opts: tlsserver.Options{Mutator: insertBefore(ht_SH, tlsserver.TicketItem(0))}, want: unexpectedMessage},
		{name: "client_hello_instead_of_server_hello", opts: tlsserver.Options{Mutator: clientHelloFirst}, want: unexpectedMessage},
		{name: "unknown_handshake_type_before_server_hello", opts: tlsserver.Options{Mutator: insertBefore(ht_SH, tlsserver.MsgItem(0x63, garbage))}, want: unexpectedMessage},
		{name: "key_update_before_server_hello", opts: tlsserver.Options{Mutator: insertBefore(ht_SH, tlsserver.KeyUpdateItem(wire.KeyUpdateRequestUpdateNotRequested))}, want: unexpectedMessage},
		// After a HelloRetryRequest (§4.1.4: a second one is unexpected_message).
		{name: "second_hello_retry_request", opts: tlsserver.Options{HelloRetryRequest: true, Mutator: secondHRR}, want: unexpectedMessage},
		// In WAIT_EE.
		{name: "certificate_before_encrypted_extensions", opts: tlsserver.Options{Mutator: move(ht_CT, ht_EE)}, want: unexpectedMessage},
		{name: "no_encrypted_extensions", opts: tlsserver.Options{Mutator: drop(ht_EE)}, want: unexpectedMessage},
		{name: "second_server_hello", opts: tlsserver.Options{Mutator: dup(ht_SH)}, want: unexpectedMessage},
		{name: "certificate_request_before_encrypted_extensions", opts: tlsserver.Options{RequestClientCert: true, Mutator: move(ht_CR, ht_EE)}, want: unexpectedMessage},
		{name: "finished_after_server_hello", opts: tlsserver.Options{Mutator: drop(ht_EE, ht_CT, ht_CV)}, want: unexpectedMessage},
		// In WAIT_CERT_CR.
		{name: "encrypted_extensions_twice", opts: tlsserver.Options{Mutator: dup(ht_EE)}, want: unexpectedMessage},
		{name: "certificate_verify_before_certificate", opts: tlsserver.Options{Mutator: move(ht_CV, ht_CT)}, want: unexpectedMessage},
		{name: "finished_before_certificate", opts: tlsserver.Options{Mutator: drop(ht_CT, ht_CV)}, want: unexpectedMessage},
		{name: "ticket_during_handshake", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, tlsserver.TicketItem(0))}, want: unexpectedMessage},
		{name: "key_update_during_handshake", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, tlsserver.KeyUpdateItem(wire.KeyUpdateRequestUpdateNotRequested))}, want: unexpectedMessage},
		{name: "client_hello_from_server", opts: tlsserver.Options{Mutator: clientHello}, want: unexpectedMessage},
		{name: "unknown_handshake_type", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, tlsserver.MsgItem(0x63, garbage))}, want: unexpectedMessage},
		{name: "end_of_early_data", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, tlsserver.MsgItem(wire.HandshakeTypeEndOfEarlyData, nil))}, want: unexpectedMessage},
		{name: "message_hash", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, tlsserver.MsgItem(wire.HandshakeTypeMessageHash, make([]byte, 32)))}, want: unexpectedMessage},
		{name: "hello_retry_request_after_server_hello", opts: tlsserver.Options{Mutator: insertAfter(ht_EE,
			tlsserver.MsgItem(ht_SH, cat([]byte{3, 3}, tlsserver.HelloRetryRequestRandom, []byte{0, 0x13, 0x01, 0, 0, 6, 0, 0x2b, 0, 2, 3, 4})))}, want: unexpectedMessage},
		// In WAIT_CERT (after CertificateRequest).
		{name: "certificate_request_twice", opts: tlsserver.Options{RequestClientCert: true, Mutator: dup(ht_CR)}, want: unexpectedMessage},
		{name: "certificate_verify_after_certificate_request", opts: tlsserver.Options{RequestClientCert: true, Mutator: drop(ht_CT)}, want: unexpectedMessage},
		// In WAIT_CV.
		{name: "finished_before_certificate_verify", opts: tlsserver.Options{Mutator: drop(ht_CV)}, want: unexpectedMessage},
		{name: "certificate_twice", opts: tlsserver.Options{Mutator: dup(ht_CT)}, want: unexpectedMessage},
		{name: "certificate_request_after_certificate", opts: tlsserver.Options{Mutator: insertAfter(ht_CT, crItem())}, want: unexpectedMessage},
		{name: "application_data_before_certificate_verify", opts: tlsserver.Options{Mutator: insertBefore(ht_CV, tlsserver.AppDataItem([]byte("early")))}, want: unexpectedMessage},
		// In WAIT_FINISHED.
		{name: "application_data_before_finished", opts: tlsserver.Options{Mutator: insertBefore(ht_FIN, tlsserver.AppDataItem([]byte("early")))}, want: unexpectedMessage},
		{name: "empty_application_data_before_finished", opts: tlsserver.Options{Mutator: insertBefore(ht_FIN, tlsserver.AppDataItem(nil))}, want: unexpectedMessage},
		{name: "certificate_verify_twice", opts: tlsserver.Options{Mutator: dup(ht_CV)}, want: unexpectedMessage},
		{name: "ticket_before_finished", opts: tlsserver.Options{Mutator: insertBefore(ht_FIN, tlsserver.TicketItem(0))}, want: unexpectedMessage},
		// After the handshake (§4.6: only NewSessionTicket, KeyUpdate and
		// CertificateRequest with post_handshake_auth, which the client
		// does not offer, §4.6.2).
		{name: "server_hello_after_handshake", opts: tlsserver.Options{Mutator: post(tlsserver.MsgItem(ht_SH, garbage))}, want: unexpectedMessage},
		{name: "encrypted_extensions_after_handshake", opts: tlsserver.Options{Mutator: post(tlsserver.MsgItem(ht_EE, []byte{0, 0}))}, want: unexpectedMessage},
		{name: "certificate_after_handshake", opts: tlsserver.Options{Mutator: post(tlsserver.EncodeItem(ht_CT, tlsserver.CertificateMessage(tlsserver.ServerCertificate().Chain)))}, want: unexpectedMessage},
		{name: "certificate_request_after_handshake", opts: tlsserver.Options{Mutator: post(crItem())}, want: unexpectedMessage},
		{name: "finished_after_handshake", opts: tlsserver.Options{Mutator: post(tlsserver.MsgItem(ht_FIN, make([]byte, 32)))}, want: unexpectedMessage},
		{name: "client_hello_after_handshake", opts: tlsserver.Options{Mutator: post(tlsserver.MsgItem(wire.HandshakeTypeClientHello, garbage))}, want: unexpectedMessage},
		{name: "unknown_handshake_type_after_handshake", opts: tlsserver.Options{Mutator: post(tlsserver.MsgItem(0x63, garbage))}, want: unexpectedMessage},
	})
}

// §4.1.3, §4.1.4, §4.2.1, §4.2.8: what the ServerHello and the
// HelloRetryRequest select.
func TestHostileServerHelloParameters(t *testing.T) {
	onlyAES128 := func(c *tls.Config) { c.CipherSuites = []uint16{tls.TLS_AES_128_GCM_SHA256} }
	share := func(g tls.CurveID, kx []byte) *tlsserver.Mutator {
		return editSH(func(sh *wire.ServerHello) {
			sh.Extensions.KeyShare.ServerShare = wire.KeyShareEntry{Group: wire.NamedGroup(g), KeyExchange: kx}
		})
	}
	p256Point := cat([]byte{4}, repeat(1, 64)) // not on the curve
	hrr := func(m *tlsserver.Mutator) tlsserver.Options {
		return tlsserver.Options{HelloRetryRequest: true, Mutator: m}
	}
	// tls12 makes the ServerHello a TLS 1.2 one (a TLS 1.2 suite, the
	// given extensions) whose random ends with sentinel.
	tls12 := func(sentinel []byte, exts []wire.Extension) *tlsserver.Mutator {
		return editMain(ht_SH, func(m *tlsserver.Message) {
			tlsserver.MustEdit(m, func(sh *wire.ServerHello) {
				sh.CipherSuite = 0xc02b // TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
				sh.Random = bytes.Clone(sh.Random)
				copy(sh.Random[24:], sentinel)
			})
			must(m.SetExtensions(exts))
		})
	}
	tls12Exts := []wire.Extension{
		{ExtensionType: 0xff01, ExtensionData: []byte{0}},    // renegotiation_info
		{ExtensionType: 0x0017},                              // extended_master_secret
		{ExtensionType: 0x000b, ExtensionData: []byte{1, 0}}, // ec_point_formats
	}
	hrrRemoveExt := func(ext wire.ExtensionType) *tlsserver.Mutator {
		return onHRR(func(s *tlsserver.Server, f *tlsserver.Flight) { must(f.Message(ht_SH).RemoveExtension(ext)) })
	}
	hrrAddExt := func(ext wire.ExtensionType, data []byte) *tlsserver.Mutator {
		return onHRR(func(s *tlsserver.Server, f *tlsserver.Flight) { must(f.Message(ht_SH).AddExtension(ext, data)) })
	}

	runHostile(t, []hostileCase{
		// §4.2.1: no supported_versions means TLS 1.2 or older.
		{name: "no_supported_versions", opts: tlsserver.Options{Mutator: removeExt(ht_SH, wire.ExtensionTypeSupportedVersions)}, want: protocolVersion},
		{name: "selected_version_tls12", opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.Extensions.SupportedVersions.SelectedVersion = 0x0303 })}, want: illegalParameter},
		{name: "selected_version_unknown", opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.Extensions.SupportedVersions.SelectedVersion = 0x0305 })}, want: illegalParameter},
		// A TLS 1.2 server's ServerHello: protocol_version (RFC 5246 E.1,
		// RFC 8446 §4.2.1, D.1), whatever TLS 1.2 extensions it carries.
		{name: "tls12_server_hello_no_extensions", opts: tlsserver.Options{Mutator: tls12(nil, nil)}, want: protocolVersion},
		{name: "tls12_server_hello_typical_extensions", opts: tlsserver.Options{Mutator: tls12(nil, tls12Exts)}, want: protocolVersion},
		// §4.1.3: "TLS 1.3 clients receiving a ServerHello indicating TLS 1.2
		// or below MUST check that the last 8 bytes are not equal to either
		// of these values. [...] If a match is found, the client MUST abort
		// the handshake with an illegal_parameter alert."
		{name: "tls12_server_hello_with_downgrade_sentinel", opts: tlsserver.Options{Mutator: tls12([]byte("DOWNGRD\x01"), tls12Exts)}, want: illegalParameter},
		{name: "tls11_server_hello_with_downgrade_sentinel", opts: tlsserver.Options{Mutator: tls12([]byte("DOWNGRD\x00"), tls12Exts)}, want: illegalParameter},
		{name: "tls12_server_hello_key_share_only_with_downgrade_sentinel", opts: tlsserver.Options{Mutator: editMain(ht_SH, func(m *tlsserver.Message) {
			tlsserver.MustEdit(m, func(sh *wire.ServerHello) {
				sh.Random = bytes.Clone(sh.Random)
				copy(sh.Random[24:], "DOWNGRD\x01")
			})
			must(m.RemoveExtension(wire.ExtensionTypeSupportedVersions))
		})}, want: illegalParameter},
		{name: "legacy_version_0x0304", opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.LegacyVersion = 0x0304 })}, want: illegalParameter},
		// §4.1.4: "The server's extensions MUST contain supported_versions";
		// an HRR is TLS 1.3 only, so it lacks a mandatory extension.
		{name: "hrr_no_supported_versions", opts: hrr(hrrRemoveExt(wire.ExtensionTypeSupportedVersions)), want: missingExtension},
		// §4.1.4: legacy_version, legacy_session_id_echo, cipher_suite and
		// legacy_compression_method are checked before the extensions.
		{name: "hrr_legacy_version_0x0301", opts: hrr(editHRR(func(h *wire.HelloRetryRequest) { h.LegacyVersion = 0x0301 })), want: illegalParameter},
		{name: "hrr_compression_method_1_no_supported_versions", opts: hrr(editHRR(func(h *wire.HelloRetryRequest) {
			h.LegacyCompressionMethod = 1
			h.Extensions.Reset()
			h.Extensions.Add(wire.ExtensionTypeKeyShare)
			h.Extensions.KeyShare.SelectedGroup = wire.NamedGroup(tls.CurveP256)
		})), want: illegalParameter},
		{name: "hrr_session_id_not_echoed_no_supported_versions", opts: hrr(editHRR(func(h *wire.HelloRetryRequest) {
			h.LegacySessionIDEcho = repeat(0x42, 32)
			h.Extensions.Reset()
			h.Extensions.Add(wire.ExtensionTypeKeyShare)
			h.Extensions.KeyShare.SelectedGroup = wire.NamedGroup(tls.CurveP256)
		})), want: illegalParameter},
		{name: "hrr_compression_method_1_selected_version_tls12", opts: hrr(editHRR(func(h *wire.HelloRetryRequest) {
			h.LegacyCompressionMethod = 1
			h.Extensions.SupportedVersions.SelectedVersion = 0x0303
		})), want: illegalParameter},
		{name: "hrr_selected_version_tls12", opts: hrr(editHRR(func(h *wire.HelloRetryRequest) { h.Extensions.SupportedVersions.SelectedVersion = 0x0303 })), want: illegalParameter},
		// §4.1.3: cipher_suite must be one offered.
		{name: "cipher_suite_not_offered", cfg: onlyAES128, opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.CipherSuite = wire.CipherSuite(tls.TLS_AES_256_GCM_SHA384) })}, want: illegalParameter},
		{name: "cipher_suite_unknown", opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.CipherSuite = 0x1399 })}, want: illegalParameter},
		{name: "cipher_suite_tls12", opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.CipherSuite = 0xc02f })}, want: illegalParameter},
		{name: "cipher_suite_ccm_not_offered", opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.CipherSuite = wire.TLS_AES_128_CCM_SHA256 })}, want: illegalParameter},
		{name: "hrr_cipher_suite_not_offered", cfg: onlyAES128, opts: hrr(editHRR(func(h *wire.HelloRetryRequest) { h.CipherSuite = wire.CipherSuite(tls.TLS_CHACHA20_POLY1305_SHA256) })), want: illegalParameter},
		// §4.1.4: the ServerHello must keep the HelloRetryRequest's suite.
		{name: "cipher_suite_changed_after_hrr", opts: hrr(editSH(func(sh *wire.ServerHello) { sh.CipherSuite = wire.CipherSuite(tls.TLS_CHACHA20_POLY1305_SHA256) })), want: illegalParameter},
		// §4.1.3: legacy_session_id_echo and legacy_compression_method.
		{name: "session_id_not_echoed", opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.LegacySessionIDEcho = repeat(0x42, 32) })}, want: illegalParameter},
		{name: "session_id_empty", opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.LegacySessionIDEcho = nil })}, want: illegalParameter},
		{name: "session_id_when_none_sent", cfg: func(c *tls.Config) { c.DisableMiddleboxCompat = true },
			opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.LegacySessionIDEcho = repeat(0x42, 32) })}, want: illegalParameter},
		{name: "hrr_session_id_not_echoed", opts: hrr(editHRR(func(h *wire.HelloRetryRequest) { h.LegacySessionIDEcho = repeat(0x42, 32) })), want: illegalParameter},
		{name: "compression_method_1", opts: tlsserver.Options{Mutator: editSH(func(sh *wire.ServerHello) { sh.LegacyCompressionMethod = 1 })}, want: illegalParameter},
		{name: "hrr_compression_method_1", opts: hrr(editHRR(func(h *wire.HelloRetryRequest) { h.LegacyCompressionMethod = 1 })), want: illegalParameter},
		// §4.2.8: the server's share must be for a group the client sent a share for.
		{name: "missing_key_share", opts: tlsserver.Options{Mutator: removeExt(ht_SH, wire.ExtensionTypeKeyShare)}, want: missingExtension},
		{name: "key_share_group_without_client_share", opts: tlsserver.Options{Mutator: share(tls.CurveP256, p256Point)}, want: illegalParameter},
		{name: "key_share_group_not_offered", opts: tlsserver.Options{Mutator: share(tls.CurveID(wire.NamedGroupX448), repeat(9, 56))}, want: illegalParameter},
		{name: "key_share_wrong_length", opts: tlsserver.Options{Mutator: share(tls.X25519, repeat(9, 31))}, want: illegalParameter},
		{name: "key_share_x25519_low_order", opts: tlsserver.Options{Mutator: share(tls.X25519, make([]byte, 32))}, want: illegalParameter},
		{name: "key_share_p256_off_curve", opts: hrr(share(tls.CurveP256, p256Point)), want: illegalParameter},
		{name: "key_share_group_differs_from_hrr", opts: hrr(share(tls.X25519, repeat(9, 32))), want: illegalParameter},
		// §4.1.4: the HelloRetryRequest must change the ClientHello.
		{name: "hrr_group_already_sent", opts: tlsserver.Options{HelloRetryRequest: true, HRRGroup: wire.NamedGroup(tls.X25519)}, want: illegalParameter},
		{name: "hrr_group_not_offered", opts: tlsserver.Options{HelloRetryRequest: true, HRRGroup: wire.NamedGroupX448}, want: illegalParameter},
		{name: "hrr_changes_nothing", opts: hrr(hrrRemoveExt(wire.ExtensionTypeKeyShare)), want: illegalParameter},
		{name: "hrr_empty_cookie", opts: hrr(hrrAddExt(wire.ExtensionTypeCookie, []byte{0, 0})), want: decodeError},
		// §4.2: a PSK the client did not offer.
		{name: "pre_shared_key_not_offered", opts: tlsserver.Options{Mutator: addExt(ht_SH, wire.ExtensionTypePreSharedKey, u16(0))}, want: unsupportedExtension},
	})
}

// §4.2: "If an implementation receives an extension which it recognizes
// and which is not specified for the message in which it appears, it MUST
// abort the handshake with an illegal_parameter alert"; a response to an
// extension that was not sent is unsupported_extension; §4.2: "There MUST
// NOT be more than one extension of the same type in a given extension
// block" (illegal_parameter in practice; the RFC names no alert).
func TestHostileExtensions(t *testing.T) {
	x25519Entry := cat(u16(uint16(tls.X25519)), u16(32), repeat(9, 32))
	groups := cat(u16(4), u16(uint16(tls.X25519)), u16(uint16(tls.CurveP256)))
	sigalgs := cat(u16(2), u16(uint16(tls.ECDSAWithP256AndSHA256)))
	alpn := func(names ...string) []byte {
		var l []byte
		for _, n := range names {
			l = append(l, byte(len(n)))
			l = append(l, n...)
		}
		return cat(u16(uint16(len(l))), l)
	}
	h2 := func(c *tls.Config) { c.NextProtos = []string{"h2"} }
	hrr := func(ext wire.ExtensionType, data []byte) tlsserver.Options {
		return tlsserver.Options{HelloRetryRequest: true, Mutator: onHRR(func(s *tlsserver.Server, f *tlsserver.Flight) {
			must(f.Message(ht_SH).AddExtension(ext, data))
		})}
	}
	cr := func(m *tlsserver.Mutator) tlsserver.Options {
		return tlsserver.Options{RequestClientCert: true, Mutator: m}
	}
	entryExt := func(ext wire.ExtensionType, data []byte) tlsserver.Options {
		return tlsserver.Options{Mutator: addExt(ht_CT, ext, data)}
	}
	postTicket := func(fn func(m *tlsserver.Message)) tlsserver.Options {
		return tlsserver.Options{Tickets: 1, Mutator: onPost(func(s *tlsserver.Server, f *tlsserver.Flight) { fn(f.Message(ht_NST)) })}
	}

	runHostile(t, []hostileCase{
		// ServerHello.
		{name: "sh_unknown_extension", opts: tlsserver.Options{Mutator: addExt(ht_SH, 0xfafa, nil)}, want: unsupportedExtension},
		{name: "sh_cookie", opts: tlsserver.Options{Mutator: addExt(ht_SH, wire.ExtensionTypeCookie, cat(u16(1), []byte{1}))}, want: illegalParameter},
		{name: "sh_server_name", opts: tlsserver.Options{Mutator: addExt(ht_SH, wire.ExtensionTypeServerName, nil)}, want: illegalParameter},
		{name: "sh_early_data", opts: tlsserver.Options{Mutator: addExt(ht_SH, wire.ExtensionTypeEarlyData, nil)}, want: illegalParameter},
		{name: "sh_alpn", cfg: h2, opts: tlsserver.Options{Mutator: addExt(ht_SH, wire.ExtensionTypeApplicationLayerProtocolNegotiation, alpn("h2"))}, want: illegalParameter},
		{name: "sh_supported_groups", opts: tlsserver.Options{Mutator: addExt(ht_SH, wire.ExtensionTypeSupportedGroups, groups)}, want: illegalParameter},
		{name: "sh_duplicate_supported_versions", opts: tlsserver.Options{Mutator: addExt(ht_SH, wire.ExtensionTypeSupportedVersions, u16(0x0304))}, want: illegalParameter},
		{name: "sh_duplicate_key_share", opts: tlsserver.Options{Mutator: addExt(ht_SH, wire.ExtensionTypeKeyShare, x25519Entry)}, want: illegalParameter},
		{name: "sh_duplicate_unknown_extension", opts: tlsserver.Options{Mutator: editMain(ht_SH, func(m *tlsserver.Message) {
			must(m.AddExtension(0xfafa, nil))
			must(m.AddExtension(0xfafa, nil))
		})}, want: unsupportedExtension},
		// HelloRetryRequest.
		{name: "hrr_unknown_extension", opts: hrr(0xfafa, nil), want: unsupportedExtension},
		{name: "hrr_server_name", opts: hrr(wire.ExtensionTypeServerName, nil), want: illegalParameter},
		{name: "hrr_pre_shared_key", opts: hrr(wire.ExtensionTypePreSharedKey, u16(0)), want: illegalParameter},
		{name: "hrr_duplicate_key_share", opts: hrr(wire.ExtensionTypeKeyShare, u16(uint16(tls.CurveP256))), want: illegalParameter},
		// EncryptedExtensions.
		{name: "ee_key_share", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeKeyShare, x25519Entry)}, want: illegalParameter},
		{name: "ee_supported_versions", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeSupportedVersions, u16(0x0304))}, want: illegalParameter},
		{name: "ee_pre_shared_key", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypePreSharedKey, u16(0))}, want: illegalParameter},
		{name: "ee_cookie", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeCookie, cat(u16(1), []byte{1}))}, want: illegalParameter},
		{name: "ee_signature_algorithms", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeSignatureAlgorithms, sigalgs)}, want: illegalParameter},
		{name: "ee_status_request", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeStatusRequest, nil)}, want: illegalParameter},
		{name: "ee_psk_key_exchange_modes", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypePskKeyExchangeModes, []byte{1, 1})}, want: illegalParameter},
		{name: "ee_duplicate_alpn", cfg: h2, opts: tlsserver.Options{ALPN: "h2", Mutator: addExt(ht_EE, wire.ExtensionTypeApplicationLayerProtocolNegotiation, alpn("h2"))}, want: illegalParameter},
		{name: "ee_duplicate_supported_groups", opts: tlsserver.Options{Mutator: editMain(ht_EE, func(m *tlsserver.Message) {
			must(m.AddExtension(wire.ExtensionTypeSupportedGroups, groups))
			must(m.AddExtension(wire.ExtensionTypeSupportedGroups, groups))
		})}, want: illegalParameter},
		{name: "ee_alpn_not_offered", opts: tlsserver.Options{ALPN: "h2"}, want: unsupportedExtension},
		{name: "ee_early_data", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeEarlyData, nil)}, want: unsupportedExtension},
		{name: "ee_unknown_extension", opts: tlsserver.Options{Mutator: addExt(ht_EE, 0xfafa, nil)}, want: unsupportedExtension},
		{name: "ee_server_name_not_sent", cfg: func(c *tls.Config) { c.ServerName = "" }, opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeServerName, nil)}, want: unsupportedExtension},
		{name: "ee_server_name_not_empty", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeServerName, []byte{0})}, want: decodeError},
		{name: "ee_max_fragment_length", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeMaxFragmentLength, []byte{1})}, want: unsupportedExtension},
		{name: "ee_record_size_limit", opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeRecordSizeLimit, u16(1<<14))}, want: unsupportedExtension},
		// RFC 7301 §3.1: exactly one protocol, one the client offered.
		{name: "ee_alpn_not_in_list", cfg: h2, opts: tlsserver.Options{ALPN: "http/1.1"}, want: illegalParameter},
		{name: "ee_alpn_two_protocols", cfg: func(c *tls.Config) { c.NextProtos = []string{"h2", "http/1.1"} },
			opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeApplicationLayerProtocolNegotiation, alpn("h2", "http/1.1"))}, want: illegalParameter},
		{name: "ee_alpn_empty_name", cfg: h2, opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeApplicationLayerProtocolNegotiation, cat(u16(1), []byte{0}))}, want: decodeError},
		{name: "ee_alpn_empty_list", cfg: h2, opts: tlsserver.Options{Mutator: addExt(ht_EE, wire.ExtensionTypeApplicationLayerProtocolNegotiation, u16(0))}, want: decodeError},
		// CertificateRequest (§4.3.2).
		{name: "cr_no_signature_algorithms", opts: cr(editMain(ht_CR, func(m *tlsserver.Message) {
			must(m.RemoveExtension(wire.ExtensionTypeSignatureAlgorithms))
			must(m.AddExtension(0xfafa, nil)) // extensions<2..2^16-1>
		})), want: missingExtension},
		{name: "cr_nonempty_context", opts: cr(editMain(ht_CR, func(m *tlsserver.Message) {
			tlsserver.MustEdit(m, func(c *wire.CertificateRequest) { c.CertificateRequestContext = []byte{1} })
		})), want: illegalParameter},
		{name: "cr_key_share", opts: cr(addExt(ht_CR, wire.ExtensionTypeKeyShare, x25519Entry)), want: illegalParameter},
		{name: "cr_duplicate_signature_algorithms", opts: cr(addExt(ht_CR, wire.ExtensionTypeSignatureAlgorithms, sigalgs)), want: illegalParameter},
		// CertificateEntry (§4.4.2.1: only what the client requested).
		{name: "cert_entry_unknown_extension", opts: entryExt(0xfafa, nil), want: unsupportedExtension},
		{name: "cert_entry_unsolicited_status_request", opts: entryExt(wire.ExtensionTypeStatusRequest, []byte{1, 0, 0, 1, 0x30}), want: unsupportedExtension},
		{name: "cert_entry_key_share", opts: entryExt(wire.ExtensionTypeKeyShare, x25519Entry), want: illegalParameter},
		// NewSessionTicket (§4.6.1).
		{name: "nst_duplicate_early_data", opts: postTicket(func(m *tlsserver.Message) {
			must(m.AddExtension(wire.ExtensionTypeEarlyData, []byte{0, 0, 0, 1}))
			must(m.AddExtension(wire.ExtensionTypeEarlyData, []byte{0, 0, 0, 1}))
		}), want: illegalParameter},
		{name: "nst_key_share", opts: postTicket(func(m *tlsserver.Message) { must(m.AddExtension(wire.ExtensionTypeKeyShare, x25519Entry)) }), want: illegalParameter},
	})
}

// §4.4.2, §4.4.3, §4.4.4: the server's authentication.
func TestHostileAuthentication(t *testing.T) {
	cvScheme := func(s tls.SignatureScheme) *tlsserver.Mutator {
		return setBody(ht_CV, func(b []byte) []byte { b[0], b[1] = byte(s>>8), byte(s); return b })
	}
	certBody := func(chain ...[]byte) *tlsserver.Mutator {
		return editMain(ht_CT, func(m *tlsserver.Message) {
			m.Body, _ = tlsserver.CertificateMessage(chain).Append(nil)
		})
	}
	leaf := tlsserver.ServerCertificate().Chain[0]
	var long [][]byte
	for range 11 {
		long = append(long, leaf)
	}
	otherPin := func(c *tls.Config) {
		v, err := tls.NewPinVerifier(tlsserver.ClientCertificate().Pin())
		must(err)
		c.Verifier = v
	}
	insecure := func(c *tls.Config) { c.Verifier, c.InsecureSkipVerify = nil, true }

	runHostile(t, []hostileCase{
		{name: "bad_certificate_verify_signature", opts: tlsserver.Options{Mutator: setBody(ht_CV, func(b []byte) []byte { b[len(b)-1] ^= 1; return b })}, want: decryptError},
		{name: "certificate_verify_no_signature_field", opts: tlsserver.Options{Mutator: setBody(ht_CV, func(b []byte) []byte { return b[:2] })}, want: decodeError},
		{name: "certificate_verify_zero_length_signature", opts: tlsserver.Options{Mutator: setBody(ht_CV, func(b []byte) []byte { return append(b[:2:2], 0, 0) })}, want: decryptError},
		{name: "certificate_verify_by_another_key", cfg: insecure, opts: tlsserver.Options{Mutator: certBody(tlsserver.ClientCertificate().Chain[0])}, want: decryptError},
		// §4.4.3: RSASSA-PKCS1-v1_5 is never allowed in CertificateVerify,
		// and the scheme must be one offered and match the key.
		{name: "certificate_verify_rsa_pkcs1_sha256", opts: tlsserver.Options{Mutator: cvScheme(tls.PKCS1WithSHA256)}, want: illegalParameter},
		{name: "certificate_verify_ecdsa_sha1", opts: tlsserver.Options{Mutator: cvScheme(tls.SignatureScheme(wire.SignatureSchemeEcdsaSha1))}, want: illegalParameter},
		{name: "certificate_verify_unknown_scheme", opts: tlsserver.Options{Mutator: cvScheme(0xfefe)}, want: illegalParameter},
		{name: "certificate_verify_ed25519_with_ecdsa_key", opts: tlsserver.Options{Mutator: cvScheme(tls.Ed25519)}, want: illegalParameter},
		{name: "certificate_verify_p384_scheme_with_p256_key", opts: tlsserver.Options{Mutator: cvScheme(tls.ECDSAWithP384AndSHA384)}, want: illegalParameter},
		{name: "certificate_verify_rsa_pss_with_ecdsa_key", opts: tlsserver.Options{Mutator: cvScheme(tls.PSSWithSHA256)}, want: illegalParameter},
		{name: "certificate_verify_with_client_context", opts: tlsserver.Options{Mutator: onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Message(ht_CV).Edit = func([]byte) []byte {
				sig, err := s.Sign(tlsserver.SignatureContent(false, s.TranscriptHash()))
				must(err)
				b, err := (&wire.CertificateVerify{Algorithm: wire.SignatureScheme(tls.ECDSAWithP256AndSHA256), Signature: sig}).Append(nil)
				must(err)
				return b
			}
		})}, want: decryptError},
		// §4.4.4.
		{name: "server_finished_with_client_key", opts: tlsserver.Options{Mutator: onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Message(ht_FIN).Edit = func([]byte) []byte { return s.FinishedVerifyData(true) }
		})}, want: decryptError},
		{name: "bad_server_finished", opts: tlsserver.Options{Mutator: setBody(ht_FIN, func(b []byte) []byte { b[0] ^= 1; return b })}, want: decryptError},
		{name: "server_finished_short", opts: tlsserver.Options{Mutator: setBody(ht_FIN, func(b []byte) []byte { return b[:31] })}, want: decodeError},
		{name: "server_finished_long", opts: tlsserver.Options{Mutator: setBody(ht_FIN, func(b []byte) []byte { return append(b, 0) })}, want: decodeError},
		{name: "server_finished_empty", opts: tlsserver.Options{Mutator: setBody(ht_FIN, func(b []byte) []byte { return nil })}, want: decodeError},
		// §4.4.2.4: an empty server Certificate is decode_error.
		{name: "empty_certificate_list", opts: tlsserver.Options{Mutator: certBody()}, want: decodeError},
		{name: "certificate_not_der", opts: tlsserver.Options{Mutator: certBody([]byte("not a certificate"))}, want: badCertificate},
		{name: "pin_mismatch", cfg: otherPin, want: badCertificate},
		{name: "certificate_context_nonempty", opts: tlsserver.Options{Mutator: editMain(ht_CT, func(m *tlsserver.Message) {
			tlsserver.MustEdit(m, func(c *wire.Certificate) { c.CertificateRequestContext = []byte{1} })
		})}, want: illegalParameter},
		{name: "certificate_chain_too_long", opts: tlsserver.Options{Mutator: certBody(long...)}, want: badCertificate},
	})
}

// TestHostileMalformedMessage: a codec's error (a wire.Error code) reaches
// the caller as an AlertError with the codec's alert and message.
func TestHostileMalformedMessage(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"trailing byte", func(b []byte) []byte { return append(b, 0) }, "tls: malformed ServerHello: trailing data"},
		{"session id 33", func(b []byte) []byte { b[34] = 33; return b }, "tls: malformed ServerHello.legacy_session_id_echo"},
	} {
		r := converse("malformed message "+c.name, tlsserver.Options{Mutator: setBody(ht_SH, c.edit)}, nil, nil)
		checkAlert(t, r, decodeError, false)
		if r.Alert != nil && r.Alert.Msg != c.want {
			t.Errorf("%s: client error %q, want %q", c.name, r.Alert.Msg, c.want)
		}
	}
}

// §4, §6.2: malformed messages are decode_error.
func TestHostileMalformed(t *testing.T) {
	truncate := func(typ wire.HandshakeType) *tlsserver.Mutator {
		return setBody(typ, func(b []byte) []byte { return b[:len(b)-1] })
	}
	trailing := func(typ wire.HandshakeType) *tlsserver.Mutator {
		return setBody(typ, func(b []byte) []byte { return append(b, 0) })
	}
	// extLen is the offset of the ServerHello's extensions length.
	extLen := func(b []byte) int { return 2 + 32 + 1 + int(b[34]) + 3 }
	postMsg := func(opts tlsserver.Options, typ wire.HandshakeType, fn func([]byte) []byte) tlsserver.Options {
		opts.Mutator = onPost(func(s *tlsserver.Server, f *tlsserver.Flight) { f.Message(typ).Edit = fn })
		return opts
	}
	ticket := tlsserver.Options{Tickets: 1}
	ku := tlsserver.Options{KeyUpdates: []wire.KeyUpdateRequest{wire.KeyUpdateRequestUpdateNotRequested}}
	hrr := func(fn func([]byte) []byte) tlsserver.Options {
		return tlsserver.Options{HelloRetryRequest: true, Mutator: onHRR(func(s *tlsserver.Server, f *tlsserver.Flight) { f.Message(ht_SH).Edit = fn })}
	}

	runHostile(t, []hostileCase{
		{name: "server_hello_truncated", opts: tlsserver.Options{Mutator: truncate(ht_SH)}, want: decodeError},
		{name: "server_hello_trailing_byte", opts: tlsserver.Options{Mutator: trailing(ht_SH)}, want: decodeError},
		{name: "server_hello_empty", opts: tlsserver.Options{Mutator: setBody(ht_SH, func([]byte) []byte { return nil })}, want: decodeError},
		{name: "server_hello_only_version", opts: tlsserver.Options{Mutator: setBody(ht_SH, func(b []byte) []byte { return b[:2] })}, want: decodeError},
		{name: "server_hello_session_id_33", opts: tlsserver.Options{Mutator: setBody(ht_SH, func(b []byte) []byte { b[34] = 33; return b })}, want: decodeError},
		{name: "server_hello_session_id_overrun", opts: tlsserver.Options{Mutator: setBody(ht_SH, func(b []byte) []byte { b[34] = 0xff; return b })}, want: decodeError},
		{name: "server_hello_extensions_overrun", opts: tlsserver.Options{Mutator: setBody(ht_SH, func(b []byte) []byte { b[extLen(b)+1]++; return b })}, want: decodeError},
		{name: "server_hello_extensions_short", opts: tlsserver.Options{Mutator: setBody(ht_SH, func(b []byte) []byte { b[extLen(b)+1]--; return b })}, want: decodeError},
		{name: "server_hello_extension_data_overrun", opts: tlsserver.Options{Mutator: setBody(ht_SH, func(b []byte) []byte { b[extLen(b)+5]++; return b })}, want: decodeError},
		{name: "server_hello_key_share_truncated", opts: tlsserver.Options{Mutator: editMain(ht_SH, func(m *tlsserver.Message) {
			ks, _ := m.Extension(wire.ExtensionTypeKeyShare)
			must(m.RemoveExtension(wire.ExtensionTypeKeyShare))
			must(m.AddExtension(wire.ExtensionTypeKeyShare, ks[:len(ks)-1]))
		})}, want: decodeError},
		{name: "server_hello_supported_versions_trailing", opts: tlsserver.Options{Mutator: editMain(ht_SH, func(m *tlsserver.Message) {
			must(m.RemoveExtension(wire.ExtensionTypeSupportedVersions))
			must(m.AddExtension(wire.ExtensionTypeSupportedVersions, []byte{3, 4, 0}))
		})}, want: decodeError},
		{name: "hello_retry_request_truncated", opts: hrr(func(b []byte) []byte { return b[:len(b)-1] }), want: decodeError},
		{name: "hello_retry_request_trailing_byte", opts: hrr(func(b []byte) []byte { return append(b, 0) }), want: decodeError},
		{name: "encrypted_extensions_truncated", opts: tlsserver.Options{Mutator: truncate(ht_EE)}, want: decodeError},
		{name: "encrypted_extensions_trailing_byte", opts: tlsserver.Options{Mutator: trailing(ht_EE)}, want: decodeError},
		{name: "encrypted_extensions_header_too_short", opts: tlsserver.Options{Mutator: editMain(ht_EE, func(m *tlsserver.Message) {
			m.Raw = []byte{byte(ht_EE), 0, 0, 1, 0, 0}
		})}, want: decodeError},
		{name: "certificate_truncated", opts: tlsserver.Options{Mutator: truncate(ht_CT)}, want: decodeError},
		{name: "certificate_trailing_byte", opts: tlsserver.Options{Mutator: trailing(ht_CT)}, want: decodeError},
		{name: "certificate_entry_overrun", opts: tlsserver.Options{Mutator: setBody(ht_CT, func(b []byte) []byte { b[6]++; return b })}, want: decodeError},
		{name: "certificate_empty_cert_data", opts: tlsserver.Options{Mutator: setBody(ht_CT, func([]byte) []byte { return []byte{0, 0, 0, 5, 0, 0, 0, 0, 0} })}, want: decodeError},
		{name: "certificate_verify_truncated", opts: tlsserver.Options{Mutator: truncate(ht_CV)}, want: decodeError},
		{name: "certificate_verify_trailing_byte", opts: tlsserver.Options{Mutator: trailing(ht_CV)}, want: decodeError},
		{name: "certificate_request_truncated", opts: tlsserver.Options{RequestClientCert: true, Mutator: truncate(ht_CR)}, want: decodeError},
		{name: "certificate_request_trailing_byte", opts: tlsserver.Options{RequestClientCert: true, Mutator: trailing(ht_CR)}, want: decodeError},
		// RAM is bounded: spec/extensions.tls keeps (and checks for
		// duplicates) up to 32 unrecognized extensions in a ticket; with
		// more the ticket is treated as malformed.
		{name: "new_session_ticket_33_unknown_extensions", opts: tlsserver.Options{Tickets: 1, Mutator: onPost(func(s *tlsserver.Server, f *tlsserver.Flight) {
			for i := range 33 {
				must(f.Message(ht_NST).AddExtension(wire.ExtensionType(0xfa00+i), nil))
			}
		})}, want: decodeError},
		{name: "new_session_ticket_truncated", opts: postMsg(ticket, ht_NST, func(b []byte) []byte { return b[:len(b)-1] }), want: decodeError},
		{name: "new_session_ticket_trailing_byte", opts: postMsg(ticket, ht_NST, func(b []byte) []byte { return append(b, 0) }), want: decodeError},
		{name: "new_session_ticket_empty_ticket", opts: postMsg(ticket, ht_NST, func(b []byte) []byte {
			return cat(b[:8], []byte{1, 0}, u16(0), u16(0))
		}), want: decodeError},
		{name: "new_session_ticket_lifetime_over_7_days", opts: postMsg(ticket, ht_NST, func(b []byte) []byte {
			b[0], b[1], b[2], b[3] = 0, 0x09, 0x3a, 0x81 // 604801
			return b
		}), want: illegalParameter},
		{name: "key_update_empty", opts: postMsg(ku, ht_KU, func([]byte) []byte { return nil }), want: decodeError},
		{name: "key_update_trailing_byte", opts: postMsg(ku, ht_KU, func(b []byte) []byte { return append(b, 0) }), want: decodeError},
		{name: "key_update_request_2", opts: postMsg(ku, ht_KU, func([]byte) []byte { return []byte{2} }), want: illegalParameter},
	})
}

// A sanity check of the helpers: each mutation above changes only what it
// says, which the unmutated run proves by succeeding.
func TestHostileBaseline(t *testing.T) {
	r := converse("baseline", tlsserver.Options{}, nil, nil)
	checkOK(t, r)
	if !bytes.Equal(r.ServerAppData, tlsserver.Probe) {
		t.Errorf("server received %q, want %q", r.ServerAppData, tlsserver.Probe)
	}
}
