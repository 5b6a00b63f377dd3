package tlsserver_test

import (
	"testing"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// §5: the record layer.
func TestHostileRecordLayer(t *testing.T) {
	const maxPlain = 1 << 14
	rec := func(r tlsserver.Record) tlsserver.Item { return tlsserver.Item{Rec: &r} }
	// The main flight's records are [ServerHello] [EE..Finished].
	const protectedRec = 1
	postItems := func(items ...tlsserver.Item) tlsserver.Options {
		return tlsserver.Options{Mutator: onPost(func(s *tlsserver.Server, f *tlsserver.Flight) { f.Items = append(f.Items, items...) })}
	}
	// splitWith splits the main flight's records into n-octet ones and
	// puts item's record after the first fragment of record i.
	splitWith := func(n, i int, item tlsserver.Item) *tlsserver.Mutator {
		return tlsserver.OnRecords(tlsserver.FlightServerHello, func(s *tlsserver.Server, recs []*tlsserver.Record) []*tlsserver.Record {
			var out []*tlsserver.Record
			for j, r := range recs {
				parts := tlsserver.SplitRecords([]*tlsserver.Record{r}, n)
				out = append(out, parts[0])
				if j == i {
					x := *item.Rec
					if x.Epoch == tlsserver.EpochAuto {
						x.Epoch = r.Epoch
					}
					out = append(out, &x)
				}
				out = append(out, parts[1:]...)
			}
			return out
		})
	}
	many := func(n int, it func() tlsserver.Item) []tlsserver.Item {
		var items []tlsserver.Item
		for range n {
			items = append(items, it())
		}
		return items
	}
	ku := tlsserver.KeyUpdateItem(wire.KeyUpdateRequestUpdateNotRequested)
	ticketOld := tlsserver.TicketItem(0)
	ticketOld.Msg.Epoch = tlsserver.EpochApplication

	runHostile(t, []hostileCase{
		// §5.1, §5.2: record_overflow.
		{name: "ciphertext_over_2^14+256", opts: tlsserver.Options{Mutator: insertAfter(ht_SH, rawRecord(wire.ContentTypeApplicationData, maxPlain+257, make([]byte, maxPlain+257)))}, want: recordOverflow},
		{name: "ciphertext_over_2^14+256_header_only", opts: tlsserver.Options{Mutator: insertAfter(ht_SH, rawRecord(wire.ContentTypeApplicationData, 0xffff, nil))}, want: recordOverflow},
		{name: "plaintext_handshake_over_2^14", opts: tlsserver.Options{Mutator: insertBefore(ht_SH, rawRecord(wire.ContentTypeHandshake, maxPlain+1, make([]byte, maxPlain+1)))}, want: recordOverflow},
		{name: "plaintext_alert_over_2^14", opts: tlsserver.Options{Mutator: insertBefore(ht_SH, rawRecord(wire.ContentTypeAlert, maxPlain+1, nil))}, want: recordOverflow},
		{name: "inner_plaintext_over_2^14", opts: tlsserver.Options{Mutator: insertAfter(ht_SH, tlsserver.RecItem(wire.ContentTypeHandshake, make([]byte, maxPlain+1)))}, want: recordOverflow},
		{name: "inner_plaintext_padding_over_2^14", opts: tlsserver.Options{Mutator: insertAfter(ht_SH, rec(tlsserver.Record{Type: wire.ContentTypeHandshake, Payload: []byte{8}, Padding: maxPlain}))}, want: recordOverflow},
		{name: "application_data_over_2^14", opts: postItems(tlsserver.AppDataItem(make([]byte, maxPlain+1))), want: recordOverflow},
		// §5.2: AEAD failures are bad_record_mac.
		{name: "bad_mac_last_octet", opts: tlsserver.Options{Mutator: corruptRecord(tlsserver.FlightServerHello, protectedRec, 1)}, want: badRecordMAC},
		{name: "bad_mac_first_ciphertext_octet", opts: tlsserver.Options{Mutator: tlsserver.OnRecords(tlsserver.FlightServerHello, func(s *tlsserver.Server, recs []*tlsserver.Record) []*tlsserver.Record {
			recs[protectedRec].Corrupt = func(w []byte) []byte { w[5] ^= 1; return w }
			return recs
		})}, want: badRecordMAC},
		{name: "bad_mac_header_version", opts: tlsserver.Options{Mutator: tlsserver.OnRecords(tlsserver.FlightServerHello, func(s *tlsserver.Server, recs []*tlsserver.Record) []*tlsserver.Record {
			recs[protectedRec].Corrupt = func(w []byte) []byte { w[2] = 1; return w }
			return recs
		})}, want: badRecordMAC},
		{name: "bad_mac_ciphertext_shorter_than_tag", opts: tlsserver.Options{Mutator: insertAfter(ht_SH, rawRecord(wire.ContentTypeApplicationData, 5, make([]byte, 5)))}, want: badRecordMAC},
		{name: "bad_mac_empty_ciphertext", opts: tlsserver.Options{Mutator: insertAfter(ht_SH, rawRecord(wire.ContentTypeApplicationData, 0, nil))}, want: badRecordMAC},
		{name: "bad_mac_after_handshake", opts: tlsserver.Options{AppData: []byte("data"), Mutator: corruptRecord(tlsserver.FlightPostHandshake, 0, 1)}, want: badRecordMAC},
		{name: "old_key_after_key_update", opts: postItems(ku, rec(tlsserver.Record{Type: wire.ContentTypeApplicationData, Payload: []byte("old key"), Epoch: tlsserver.EpochApplication})), want: badRecordMAC},
		// §5.3: the sequence number is implicit; reordered, replayed or
		// dropped records fail authentication.
		{name: "protected_records_swapped", opts: tlsserver.Options{MaxFragment: 100, Mutator: tlsserver.OnWire(tlsserver.FlightServerHello, func(s *tlsserver.Server, w [][]byte) [][]byte {
			w[3], w[4] = w[4], w[3]
			return w
		})}, want: badRecordMAC},
		{name: "protected_record_replayed", opts: tlsserver.Options{MaxFragment: 100, Mutator: tlsserver.OnWire(tlsserver.FlightServerHello, func(s *tlsserver.Server, w [][]byte) [][]byte {
			return append(w[:4:4], append([][]byte{w[3]}, w[4:]...)...)
		})}, want: badRecordMAC},
		{name: "protected_record_dropped", opts: tlsserver.Options{MaxFragment: 100, Mutator: tlsserver.OnWire(tlsserver.FlightServerHello, func(s *tlsserver.Server, w [][]byte) [][]byte {
			return append(w[:3:3], w[4:]...)
		})}, want: badRecordMAC},
		// §5: change_cipher_spec.
		{name: "protected_change_cipher_spec", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, tlsserver.RecItem(wire.ContentTypeChangeCipherSpec, []byte{1}))}, want: unexpectedMessage},
		{name: "change_cipher_spec_value_2", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, rawRecord(wire.ContentTypeChangeCipherSpec, 1, []byte{2}))}, want: unexpectedMessage},
		{name: "change_cipher_spec_two_octets", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, rawRecord(wire.ContentTypeChangeCipherSpec, 2, []byte{1, 1}))}, want: unexpectedMessage},
		{name: "change_cipher_spec_empty", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, rawRecord(wire.ContentTypeChangeCipherSpec, 0, nil))}, want: unexpectedMessage},
		{name: "change_cipher_spec_after_handshake", opts: postItems(tlsserver.CCSItem()), want: unexpectedMessage},
		{name: "change_cipher_spec_inside_a_message", opts: tlsserver.Options{Mutator: splitWith(20, protectedRec, tlsserver.CCSItem())}, want: unexpectedMessage},
		{name: "too_many_change_cipher_specs", opts: tlsserver.Options{Mutator: insertAfter(ht_SH, many(100, tlsserver.CCSItem)...)}, want: unexpectedMessage},
		// §5.1: handshake messages are not interleaved with other records,
		// and a key change ends the record.
		{name: "application_data_inside_a_message", opts: tlsserver.Options{Mutator: splitWith(20, protectedRec, tlsserver.AppDataItem([]byte("x")))}, want: unexpectedMessage},
		{name: "server_hello_and_encrypted_extensions_in_one_record", opts: tlsserver.Options{Mutator: editMain(ht_EE, func(m *tlsserver.Message) {
			m.Epoch = tlsserver.EpochPlaintext
		})}, want: unexpectedMessage},
		{name: "server_hello_split_over_the_key_change", opts: tlsserver.Options{Mutator: tlsserver.OnRecords(tlsserver.FlightServerHello, func(s *tlsserver.Server, recs []*tlsserver.Record) []*tlsserver.Record {
			sh := recs[0].Payload
			recs[0].Payload = sh[:len(sh)-1]
			recs[1].Payload = append([]byte{sh[len(sh)-1]}, recs[1].Payload...)
			return recs
		})}, want: unexpectedMessage},
		{name: "finished_and_ticket_in_one_record", opts: tlsserver.Options{Mutator: onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
			t := tlsserver.TicketItem(0)
			t.Msg.Epoch = tlsserver.EpochHandshake
			f.Items = append(f.Items, t)
		})}, want: unexpectedMessage},
		{name: "key_update_and_ticket_in_one_record", opts: postItems(ku, ticketOld), want: unexpectedMessage},
		{name: "plaintext_encrypted_extensions", opts: tlsserver.Options{Mutator: onMain(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Message(ht_SH).EndRecord = true
			f.Message(ht_EE).Epoch = tlsserver.EpochPlaintext
		})}, want: unexpectedMessage},
		{name: "plaintext_application_data_before_server_hello", opts: tlsserver.Options{Mutator: insertBefore(ht_SH, tlsserver.AppDataItem([]byte("x")))}, want: unexpectedMessage},
		// §5.1: zero-length handshake (and alert) fragments are not allowed.
		{name: "zero_length_handshake_record_plaintext", opts: tlsserver.Options{Mutator: insertBefore(ht_SH, rawRecord(wire.ContentTypeHandshake, 0, nil))}, want: unexpectedMessage},
		{name: "zero_length_handshake_record_protected", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, tlsserver.RecItem(wire.ContentTypeHandshake, nil))}, want: unexpectedMessage},
		{name: "zero_length_handshake_record_after_handshake", opts: postItems(tlsserver.RecItem(wire.ContentTypeHandshake, nil)), want: unexpectedMessage},
		// §5: unknown record types are unexpected_message.
		{name: "unknown_record_type_plaintext", opts: tlsserver.Options{Mutator: insertBefore(ht_SH, rawRecord(0x42, 3, []byte("abc")))}, want: unexpectedMessage},
		{name: "unknown_record_type_protected", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, tlsserver.RecItem(0x42, []byte("abc")))}, want: unexpectedMessage},
		{name: "unknown_record_type_after_handshake", opts: postItems(tlsserver.RecItem(0x42, []byte("abc"))), want: unexpectedMessage},
		{name: "inner_type_zero", opts: postItems(tlsserver.RecItem(0, nil)), want: unexpectedMessage},
		{name: "too_many_empty_records", opts: postItems(many(100, func() tlsserver.Item { return tlsserver.AppDataItem(nil) })...), want: unexpectedMessage},
		// §6: alerts.
		{name: "alert_one_octet", opts: tlsserver.Options{Mutator: insertBefore(ht_SH, rawRecord(wire.ContentTypeAlert, 1, []byte{2}))}, want: decodeError},
		{name: "alert_three_octets", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, tlsserver.RecItem(wire.ContentTypeAlert, []byte{2, 40, 0}))}, want: decodeError},
		{name: "alert_empty_protected", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, tlsserver.RecItem(wire.ContentTypeAlert, nil))}, want: decodeError},
	})
}

// §6: the server's alerts end the connection: the client reports them
// (Received) and sends nothing back.
func TestHostileServerAlerts(t *testing.T) {
	alert := func(l wire.AlertLevel, d tls.AlertDescription) tlsserver.Item {
		return tlsserver.AlertItem(l, wire.AlertDescription(d))
	}
	replaceMain := func(items ...tlsserver.Item) *tlsserver.Mutator {
		return onMain(func(s *tlsserver.Server, f *tlsserver.Flight) { f.Items = items })
	}
	fatal, warning := wire.AlertLevelFatal, wire.AlertLevelWarning
	runHostile(t, []hostileCase{
		{name: "handshake_failure_instead_of_server_hello", opts: tlsserver.Options{Mutator: replaceMain(alert(fatal, tls.AlertHandshakeFailure))},
			want: tls.AlertHandshakeFailure, received: true},
		{name: "protocol_version_instead_of_server_hello", opts: tlsserver.Options{Mutator: replaceMain(alert(fatal, tls.AlertProtocolVersion))},
			want: tls.AlertProtocolVersion, received: true},
		{name: "alert_instead_of_hello_retry_request", opts: tlsserver.Options{HelloRetryRequest: true, Mutator: onHRR(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Items = []tlsserver.Item{alert(fatal, tls.AlertIllegalParameter)}
		})}, want: illegalParameter, received: true},
		{name: "alert_after_hello_retry_request", opts: tlsserver.Options{HelloRetryRequest: true, Mutator: replaceMain(alert(fatal, tls.AlertIllegalParameter))},
			want: illegalParameter, received: true},
		{name: "protected_alert_during_handshake", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, alert(fatal, tls.AlertInternalError))},
			want: tls.AlertInternalError, received: true},
		{name: "protected_alert_before_finished", opts: tlsserver.Options{Mutator: insertBefore(ht_FIN, alert(fatal, tls.AlertDecryptError))},
			want: decryptError, received: true},
		{name: "alert_after_handshake", opts: tlsserver.Options{Mutator: onPost(func(s *tlsserver.Server, f *tlsserver.Flight) {
			f.Items = append(f.Items, alert(fatal, tls.AlertCertificateRequired))
		})}, want: tls.AlertCertificateRequired, received: true},
		// §6: "All alerts listed in Section 6.2 MUST be sent with
		// AlertLevel=fatal and MUST be treated as error alerts when received
		// regardless of the AlertLevel in the message. Unknown Alert types
		// MUST be treated as error alerts."
		{name: "warning_level_error_alert", opts: tlsserver.Options{Mutator: replaceMain(alert(warning, tls.AlertUnrecognizedName))},
			want: tls.AlertUnrecognizedName, received: true},
		{name: "unknown_alert_description", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, alert(fatal, 0xfe))},
			want: 0xfe, received: true},
		// §6.1: user_canceled is a closure alert: the close_notify after it
		// ends the handshake, and the error says the server canceled.
		// (Alone, it ends nothing: TestUserCanceled.)
		{name: "user_canceled_then_close_notify_during_handshake", opts: tlsserver.Options{Mutator: insertAfter(ht_EE,
			alert(warning, tls.AlertUserCanceled), alert(warning, tls.AlertCloseNotify))},
			want: tls.AlertUserCanceled, received: true},
		// §6.1: close_notify during the handshake ends it.
		{name: "close_notify_during_handshake", opts: tlsserver.Options{Mutator: insertAfter(ht_EE, alert(warning, tls.AlertCloseNotify))},
			want: tls.AlertCloseNotify, received: true},
	})
}
