package tls

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/tabletls/tabletls/internal/rfc8448"
)

func ksMustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ksTraceSecrets runs our key schedule, transcript and key share code over one
// RFC 8448 trace, using only the private keys (or PSK) and the handshake
// messages as input, and returns every value it derived under the name the
// vectors use.
func ksTraceSecrets(t *testing.T, sec *rfc8448.Section) map[string][]byte {
	t.Helper()
	got := make(map[string][]byte)
	put := func(name string, v []byte) { got[name] = bytes.Clone(v) }
	suite := suiteByID(TLS_AES_128_GCM_SHA256)
	h := suite.hash

	// (EC)DHE from the client's private key and the server's share.
	group, priv, srvPub := X25519, "client_x25519_private", "server_x25519_public"
	if sec.Has("client_p256_private") { // section 5: the HRR asks for P-256
		group, priv, srvPub = CurveP256, "client_p256_private", "server_p256_public"
	}
	share, err := generateKeyShare(group, bytes.NewReader(sec.Value(priv)))
	if err != nil {
		t.Fatal(err)
	}
	shared, err := share.SharedSecret(sec.Value(srvPub))
	if err != nil {
		t.Fatal(err)
	}
	put("ecdhe_shared_secret", shared)

	// Transcript hashes: before[m] is the hash of everything before message
	// m, after[m] includes m.
	before := make(map[string][]byte)
	after := make(map[string][]byte)
	var tr transcript
	tr.init(h)
	for _, name := range sec.TranscriptOrder {
		if name == "message_hash(client_hello)" {
			tr.add(sec.Value("client_hello"))
			tr.replaceWithMessageHash()
		} else {
			before[name] = tr.sum(nil)
			tr.add(sec.Value(name))
		}
		after[name] = tr.sum(nil)
	}

	var ks keySchedule
	var psk []byte
	if sec.Has("early_secret_ikm_psk") {
		psk = sec.Value("early_secret_ikm_psk")
	}
	ks.initEarly(h, psk)
	put("early_secret", ks.current())

	var buf [maxHashSize]byte
	if psk != nil { // section 4: binder and 0-RTT secrets
		var bt transcript
		bt.init(h)
		bt.add(sec.Value("client_hello_prefix_for_binder"))
		bth := bt.sum(nil)
		put("binder_transcript_hash", bth)
		binderKey := ks.binderKey(nil, true)
		put("binder_key", binderKey)
		put("binder_finished_key", finishedKey(nil, h, binderKey))
		put("psk_binder", finishedVerifyData(nil, h, binderKey, bth))

		put("transcript_hash_for_client_early_traffic_secret", after["client_hello"])
		put("transcript_hash_for_early_exporter_master_secret", after["client_hello"])
		put("client_early_traffic_secret", ks.clientEarlyTrafficSecret(buf[:0], after["client_hello"]))
		put("early_exporter_master_secret", ks.earlyExporterMasterSecret(buf[:0], after["client_hello"]))
	}

	ks.advanceToHandshake(shared)
	put("handshake_secret", ks.current())
	thSH := after["server_hello"]
	put("transcript_hash_for_client_handshake_traffic_secret", thSH)
	put("transcript_hash_for_server_handshake_traffic_secret", thSH)
	put("client_handshake_traffic_secret", ks.clientHandshakeTrafficSecret(buf[:0], thSH))
	put("server_handshake_traffic_secret", ks.serverHandshakeTrafficSecret(buf[:0], thSH))

	ks.advanceToMaster()
	put("master_secret", ks.current())
	thSF := after["server_finished"]
	for _, name := range []string{"client_application_traffic_secret_0", "server_application_traffic_secret_0", "exporter_master_secret"} {
		put("transcript_hash_for_"+name, thSF)
	}
	put("client_application_traffic_secret_0", ks.clientApplicationTrafficSecret(buf[:0], thSF))
	put("server_application_traffic_secret_0", ks.serverApplicationTrafficSecret(buf[:0], thSF))
	put("exporter_master_secret", ks.exporterMasterSecret(buf[:0], thSF))
	thCF := after["client_finished"]
	put("transcript_hash_for_resumption_master_secret", thCF)
	put("resumption_master_secret", ks.resumptionMasterSecret(buf[:0], thCF))

	// The intermediate "derived" salts are not exposed by keySchedule;
	// recompute them the way extractNext does.
	empty := emptyHash(h)
	put("derived_secret_for_handshake", deriveSecret(nil, h, got["early_secret"], labelDerived, empty[:h.Size()]))
	put("derived_secret_for_master", deriveSecret(nil, h, got["handshake_secret"], labelDerived, empty[:h.Size()]))

	// Finished (Section 4.4.4): the base key is the sender's handshake
	// traffic secret, the transcript runs up to the message before Finished.
	for _, side := range []string{"server", "client"} {
		base := got[side+"_handshake_traffic_secret"]
		th := before[side+"_finished"]
		put(side+"_finished_key", finishedKey(nil, h, base))
		vd := finishedVerifyData(nil, h, base, th)
		put(side+"_finished_verify_data", vd)
		if !verifyFinished(h, base, th, vd) {
			t.Errorf("verifyFinished rejects the correct %s verify_data", side)
		}
		// The Finished message is handshake type 20, 3-byte length, verify_data.
		put(side+"_finished", append([]byte{20, 0, 0, byte(len(vd))}, vd...))
	}

	// Traffic keys (Section 7.3).
	for _, p := range [][2]string{
		{"client_early", "client_early_traffic_secret"},
		{"client_handshake", "client_handshake_traffic_secret"},
		{"server_handshake", "server_handshake_traffic_secret"},
		{"client_application", "client_application_traffic_secret_0"},
		{"server_application", "server_application_traffic_secret_0"},
	} {
		secret, ok := got[p[1]]
		if !ok {
			continue
		}
		key, iv := suite.trafficKey(nil, nil, secret)
		put(p[0]+"_write_key", key)
		put(p[0]+"_write_iv", iv)
	}

	if sec.Has("ticket_nonce") {
		put("resumption_psk", resumptionPSK(nil, h, got["resumption_master_secret"], sec.Value("ticket_nonce")))
	}
	return got
}

// TestKeyScheduleRFC8448 checks every secret, transcript hash, Finished
// value and write key/IV of RFC 8448 sections 3 to 7 against our code.
func TestKeyScheduleRFC8448(t *testing.T) {
	// Values every section must have produced and compared.
	required := []string{
		"ecdhe_shared_secret", "early_secret", "derived_secret_for_handshake",
		"handshake_secret", "client_handshake_traffic_secret", "server_handshake_traffic_secret",
		"derived_secret_for_master", "master_secret",
		"client_application_traffic_secret_0", "server_application_traffic_secret_0",
		"exporter_master_secret", "resumption_master_secret",
		"transcript_hash_for_client_handshake_traffic_secret",
		"transcript_hash_for_server_handshake_traffic_secret",
		"transcript_hash_for_client_application_traffic_secret_0",
		"transcript_hash_for_server_application_traffic_secret_0",
		"transcript_hash_for_exporter_master_secret",
		"transcript_hash_for_resumption_master_secret",
		"server_finished_key", "server_finished_verify_data", "server_finished",
		"client_finished_key", "client_finished_verify_data", "client_finished",
		"client_handshake_write_key", "client_handshake_write_iv",
		"server_handshake_write_key", "server_handshake_write_iv",
		"client_application_write_key", "client_application_write_iv",
		"server_application_write_key", "server_application_write_iv",
	}
	extra := map[int][]string{
		3: {"resumption_psk"},
		4: {"binder_transcript_hash", "binder_key", "binder_finished_key", "psk_binder",
			"client_early_traffic_secret", "early_exporter_master_secret",
			"transcript_hash_for_client_early_traffic_secret",
			"transcript_hash_for_early_exporter_master_secret",
			"client_early_write_key", "client_early_write_iv"},
	}
	for n := 3; n <= 7; n++ {
		sec := rfc8448.Get(n)
		t.Run("section"+strconv.Itoa(n), func(t *testing.T) {
			got := ksTraceSecrets(t, sec)
			for _, name := range append(required, extra[n]...) {
				v, ok := got[name]
				if !ok {
					t.Errorf("%s: not derived", name)
					continue
				}
				if want := sec.Value(name); !bytes.Equal(v, want) {
					t.Errorf("%s:\n got %x\nwant %x", name, v, want)
				}
			}
			// Nothing derived may disagree with a value of the section.
			for name, v := range got {
				if sec.Has(name) && !bytes.Equal(v, sec.Value(name)) {
					t.Errorf("%s: got %x, want %x", name, v, sec.Value(name))
				}
			}
		})
	}
}

func TestResumptionPSKMatchesSection4(t *testing.T) {
	// Section 4 resumes with the ticket of section 3.
	s3, s4 := rfc8448.Get(3), rfc8448.Get(4)
	psk := resumptionPSK(nil, hashSHA256, s3.Value("resumption_master_secret"), s3.Value("ticket_nonce"))
	if want := s4.Value("early_secret_ikm_psk"); !bytes.Equal(psk, want) {
		t.Errorf("resumption PSK = %x, want section 4 PSK %x", psk, want)
	}
}

func TestVerifyFinishedRejects(t *testing.T) {
	sec := rfc8448.Get(3)
	h := hashSHA256
	base := sec.Value("server_handshake_traffic_secret")
	var tr transcript
	tr.init(h)
	for _, m := range []string{"client_hello", "server_hello", "encrypted_extensions", "server_certificate", "server_certificate_verify"} {
		tr.add(sec.Value(m))
	}
	th := tr.sum(nil)
	vd := sec.Value("server_finished_verify_data")
	if !verifyFinished(h, base, th, vd) {
		t.Fatal("correct verify_data rejected")
	}
	bad := bytes.Clone(vd)
	bad[len(bad)-1] ^= 1
	for name, v := range map[string][]byte{
		"flipped bit": bad,
		"truncated":   vd[:len(vd)-1],
		"extended":    append(bytes.Clone(vd), 0),
		"empty":       nil,
	} {
		if verifyFinished(h, base, th, v) {
			t.Errorf("%s verify_data accepted", name)
		}
	}
	// The client's key must not verify the server's Finished.
	if verifyFinished(h, sec.Value("client_handshake_traffic_secret"), th, vd) {
		t.Error("verify_data accepted under the wrong base key")
	}
}

// TestNextTrafficSecret checks KeyUpdate's "traffic upd" derivation (RFC
// 8446, Section 7.2). RFC 8448 has no KeyUpdate, so the expected value was
// computed independently with Python's cryptography package (HKDFExpand
// over a hand-built HkdfLabel).
func TestNextTrafficSecret(t *testing.T) {
	sec := rfc8448.Get(3)
	got := nextTrafficSecret(nil, hashSHA256, sec.Value("client_application_traffic_secret_0"))
	want := ksMustHex(t, "fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207")
	if !bytes.Equal(got, want) {
		t.Errorf("application_traffic_secret_1 = %x, want %x", got, want)
	}
}

// TestKeyScheduleSHA384 runs the schedule with SHA-384
// (TLS_AES_256_GCM_SHA384) over the section 3 inputs. The expected values
// were computed independently with Python (hmac/hashlib for HKDF-Extract,
// cryptography's HKDFExpand for HKDF-Expand-Label). The early secret is the
// well-known HKDF-Extract(0, 0) for SHA-384.
func TestKeyScheduleSHA384(t *testing.T) {
	sec := rfc8448.Get(3)
	suite := suiteByID(TLS_AES_256_GCM_SHA384)
	h := suite.hash
	var ks keySchedule
	ks.initEarly(h, nil)
	check := func(name string, got []byte, wantHex string) {
		t.Helper()
		if want := ksMustHex(t, wantHex); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x\nwant %x", name, got, want)
		}
	}
	check("early secret", ks.current(), "7ee8206f5570023e6dc7519eb1073bc4e791ad37b5c382aa10ba18e2357e716971f9362f2c2fe2a76bfd78dfec4ea9b5")
	ks.advanceToHandshake(sec.Value("ecdhe_shared_secret"))
	check("handshake secret", ks.current(), "984e65f4ea6ac0dece14762ac3752b71867a045c60d3fe7808b31949d2ce27d3142e6da6d92a68437f77c26509ce0b2b")
	var tr transcript
	tr.init(h)
	tr.add(sec.Value("client_hello"))
	tr.add(sec.Value("server_hello"))
	var thBuf, secBuf [maxHashSize]byte
	chts := ks.clientHandshakeTrafficSecret(secBuf[:0], tr.sum(thBuf[:0]))
	check("c hs traffic", chts, "29577dc122959b0e087c1eedb7a81bf2bf2cafb97c8bccc06536230567a8d85e734a0fb1da5926e4d83a58989fdab7c6")
	key, iv := suite.trafficKey(nil, nil, chts)
	check("key", key, "d6b595d94f5960d3d789825ea1abc87155138e9a2ecd552a0948f18df1677b45")
	check("iv", iv, "227f2214e905f07b709a17b3")
	ks.advanceToMaster()
	check("master secret", ks.current(), "2915f95014de3957dad1c2764430fa490ffbe027a09be69e4da30a27969b40081308dbd17cb65a35332215cfc8cf4a2f")
}

func TestKeyScheduleOutOfOrderPanics(t *testing.T) {
	steps := map[string]func(ks *keySchedule){
		"handshake secret before handshake stage": func(ks *keySchedule) { ks.clientHandshakeTrafficSecret(nil, make([]byte, 32)) },
		"application secret before master":        func(ks *keySchedule) { ks.serverApplicationTrafficSecret(nil, make([]byte, 32)) },
		"master before handshake":                 func(ks *keySchedule) { ks.advanceToMaster() },
	}
	for name, f := range steps {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			var ks keySchedule
			ks.initEarly(hashSHA256, nil)
			f(&ks)
		})
	}
}

// TestKeyScheduleWritesIntoCallerBuffer checks the append convention: a
// derived secret lands in the caller's array and nothing is reallocated.
func TestKeyScheduleWritesIntoCallerBuffer(t *testing.T) {
	var ks keySchedule
	ks.initEarly(hashSHA256, nil)
	ks.advanceToHandshake(make([]byte, 32))
	var buf [maxHashSize]byte
	out := ks.clientHandshakeTrafficSecret(buf[:0], make([]byte, 32))
	if len(out) != 32 || &out[0] != &buf[0] {
		t.Fatal("secret was not written into the caller's buffer")
	}
	prefix := []byte("prefix")
	out = hkdfExpandLabel(prefix, hashSHA256, buf[:32], "key", nil, 16)
	if len(out) != len(prefix)+16 || string(out[:len(prefix)]) != "prefix" {
		t.Fatalf("hkdfExpandLabel did not append: %q", out)
	}
}

func TestTranscriptHashes(t *testing.T) {
	// Section 5 exercises the HelloRetryRequest rule; also check the
	// synthetic message by hand.
	sec := rfc8448.Get(5)
	var tr transcript
	tr.init(hashSHA256)
	tr.add(sec.Value("client_hello"))
	tr.replaceWithMessageHash()

	var want transcript
	want.init(hashSHA256)
	var ch transcript
	ch.init(hashSHA256)
	ch.add(sec.Value("client_hello"))
	want.add(append([]byte{254, 0, 0, 32}, ch.sum(nil)...))
	if got, w := tr.sum(nil), want.sum(nil); !bytes.Equal(got, w) {
		t.Fatalf("message_hash transcript = %x, want %x", got, w)
	}

	for _, m := range []string{"hello_retry_request", "client_hello_2", "server_hello"} {
		tr.add(sec.Value(m))
	}
	// sum must not disturb the running hash: calling it twice and then
	// continuing must give the same results.
	first := tr.sum(nil)
	if second := tr.sum(nil); !bytes.Equal(first, second) {
		t.Fatal("sum changed the running hash")
	}
	if want := sec.Value("transcript_hash_for_client_handshake_traffic_secret"); !bytes.Equal(first, want) {
		t.Errorf("CH1..SH hash = %x, want %x", first, want)
	}
	for _, m := range []string{"encrypted_extensions", "server_certificate", "server_certificate_verify", "server_finished"} {
		tr.add(sec.Value(m))
	}
	if got, want := tr.sum(nil), sec.Value("transcript_hash_for_server_application_traffic_secret_0"); !bytes.Equal(got, want) {
		t.Errorf("CH1..SF hash = %x, want %x", got, want)
	}
	tr.add(sec.Value("client_finished"))
	if got, want := tr.sum(nil), sec.Value("transcript_hash_for_resumption_master_secret"); !bytes.Equal(got, want) {
		t.Errorf("CH1..CF hash = %x, want %x", got, want)
	}
}

func TestTranscriptNoAllocs(t *testing.T) {
	tr := new(transcript)
	tr.init(hashSHA256)
	msg := rfc8448.Get(3).Value("client_hello")
	var buf [maxHashSize]byte
	n := testing.AllocsPerRun(100, func() {
		tr.add(msg)
		tr.sum(buf[:0])
		tr.replaceWithMessageHash()
	})
	if n != 0 {
		t.Errorf("transcript allocates %v times per add/sum/replaceWithMessageHash", n)
	}
}

// TestKeyScheduleAllocs bounds the allocations of a full client key
// schedule: crypto/hmac.New allocates 3 times per key (the HMAC and its
// pads; it cannot be re-keyed): the schedule keys 4 (two extracts, the
// handshake and master secrets), 12 allocations; the package-level
// Finished check, with no connection to share hash states with, allocates
// its own too (in a connection, only the 3 of each key count).
func TestKeyScheduleAllocs(t *testing.T) {
	sec := rfc8448.Get(3)
	shared := sec.Value("ecdhe_shared_secret")
	th := sec.Value("transcript_hash_for_client_handshake_traffic_secret")
	ks := new(keySchedule)
	var s [6][maxHashSize]byte
	n := testing.AllocsPerRun(20, func() {
		ks.initEarly(hashSHA256, nil)
		ks.advanceToHandshake(shared)
		ks.clientHandshakeTrafficSecret(s[0][:0], th)
		ks.serverHandshakeTrafficSecret(s[1][:0], th)
		ks.advanceToMaster()
		ks.clientApplicationTrafficSecret(s[2][:0], th)
		ks.serverApplicationTrafficSecret(s[3][:0], th)
		ks.exporterMasterSecret(s[4][:0], th)
		ks.resumptionMasterSecret(s[5][:0], th)
		verifyFinished(hashSHA256, s[1][:32], th, s[0][:32])
	})
	t.Logf("full key schedule (3 extracts, 8 derive-secrets, 1 Finished check): %v allocs", n)
	if n > 27 {
		t.Errorf("key schedule allocates %v times, want at most 27", n)
	}
}
