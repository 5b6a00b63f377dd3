//go:build !libfuzzer

// Not in OSS-Fuzz builds (go-118-fuzz-build sets the libfuzzer tag): this
// file needs the real package testing (for internal/testpeer), and
// OSS-Fuzz does not need the seed corpus builder.

package fuzz

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	cryptotls "crypto/tls"
	"encoding/binary"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/tabletls/tabletls/internal/rfc8448"
	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

var (
	update         = flag.Bool("update", false, "rebuild the seed corpus in testdata/fuzz from RFC 8448 and real handshakes with crypto/tls and openssl (needs openssl)")
	libFuzzerSeeds = flag.String("libfuzzer-seeds", "", "also write the seeds to `dir`/<Target>/ as libFuzzer inputs of the OSS-Fuzz build (fuzz/oss-fuzz/build.sh)")
)

const (
	corpusDir         = "testdata/fuzz"
	maxSeedsPerTarget = 48
	maxCorpusBytes    = 2 << 20
)

// targets is the property of every target whose seeds TestSeedCorpus
// builds: the generated codec targets and the hand-written ones of this
// package. Seeds of other targets (a file Go wrote for a crasher, the
// seeds of a target added later) are left alone and only parsed.
func targets() map[string]func(tb, []byte) {
	m := maps.Clone(codecTargets)
	m["FuzzRecordLayer"] = checkRecordLayer
	return m
}

// TestSeedCorpus checks the committed seed corpus: every file is in Go's
// corpus format, every target has seeds, its property holds on each, the
// FuzzRecordLayer seeds recorded from whole handshakes still take the
// client through the handshake (they stop doing so when the ClientHello
// changes: run -update), and the corpus is small; -libfuzzer-seeds also
// writes the seeds in the form OSS-Fuzz takes them. With -update, it first
// rebuilds the corpus: the RFC 8448 messages and records, and what our
// client sent and received in real handshakes with crypto/tls and openssl
// s_server, the ClientHellos of crypto/tls and openssl s_client, split
// into their parts with the generated types, plus made-up values for the
// few types no real handshake here carries.
func TestSeedCorpus(t *testing.T) {
	if *update {
		c := buildCorpus(t)
		if t.Failed() {
			return
		}
		c.write(t)
	}
	checkCorpus(t)
}

func checkCorpus(t *testing.T) {
	all := targets()
	dirs, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Fatalf("%v (run go test ./fuzz -run TestSeedCorpus -update)", err)
	}
	total, seeded, connected := 0, map[string]int{}, 0
	for _, d := range dirs {
		target := d.Name()
		check := all[target]
		files, err := os.ReadDir(filepath.Join(corpusDir, target))
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range files {
			path := filepath.Join(corpusDir, target, fi.Name())
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			total += len(raw)
			vals, err := parseCorpusFile(raw)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			if check == nil {
				continue
			}
			if len(vals) != 1 || vals[0] == nil {
				t.Errorf("%s: want one []byte value", path)
				continue
			}
			seeded[target]++
			data, name := vals[0], fi.Name()
			if *libFuzzerSeeds != "" {
				writeLibFuzzerSeed(t, filepath.Join(*libFuzzerSeeds, target, name), data)
			}
			t.Run(target+"/"+name, func(t *testing.T) {
				check(t, data)
				if target == "FuzzRecordLayer" && strings.HasSuffix(name, "-connected") {
					connected++
					if st := recordLayer(t, data); st != tls.StateConnected && st != tls.StatePeerClosed {
						t.Errorf("replaying the records of a whole handshake leaves the client in %v: the seeds are stale "+
							"(the ClientHello or recordLayerConfig changed); run go test ./fuzz -run TestSeedCorpus -update", st)
					}
				}
			})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(all)) {
		if seeded[name] == 0 {
			t.Errorf("%s has no seeds in %s: run go test ./fuzz -run TestSeedCorpus -update", name, corpusDir)
		}
	}
	if connected == 0 {
		t.Errorf("FuzzRecordLayer has no seeds from whole handshakes (*-connected)")
	}
	if total > maxCorpusBytes {
		t.Errorf("the corpus takes %d octets, over %d", total, maxCorpusBytes)
	}
}

// writeLibFuzzerSeed writes data as an input of an OSS-Fuzz build of a
// func(*testing.T, []byte) target: the replacement of package testing
// there reads the []byte as a 4-octet big-endian length and the octets.
func writeLibFuzzerSeed(t *testing.T, path string, data []byte) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	in := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	if err := os.WriteFile(path, append(in, data...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// parseCorpusFile parses a file in Go's corpus format: the line
// "go test fuzz v1", then one Go expression per value. A []byte("...")
// value is returned; other values (of targets with other arguments) are
// nil.
func parseCorpusFile(raw []byte) ([][]byte, error) {
	lines := strings.Split(string(raw), "\n")
	if lines[0] != "go test fuzz v1" {
		return nil, fmt.Errorf("first line %q, want %q", lines[0], "go test fuzz v1")
	}
	var vals [][]byte
	for _, l := range lines[1:] {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		e, err := parser.ParseExpr(l)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", l, err)
		}
		var val []byte
		if call, ok := e.(*ast.CallExpr); ok && len(call.Args) == 1 {
			arr, isArr := call.Fun.(*ast.ArrayType)
			lit, isLit := call.Args[0].(*ast.BasicLit)
			if isArr && arr.Len == nil && isLit && lit.Kind == token.STRING {
				if id, ok := arr.Elt.(*ast.Ident); ok && (id.Name == "byte" || id.Name == "uint8") {
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						return nil, fmt.Errorf("%q: %v", l, err)
					}
					val = []byte(s)
				}
			}
		}
		vals = append(vals, val)
	}
	if len(vals) == 0 {
		return nil, fmt.Errorf("no values")
	}
	return vals, nil
}

// corpus is the seeds being built, by target, in the order found.
type corpus struct {
	t     *testing.T
	all   map[string]func(tb, []byte)
	seeds map[string][]seed
	have  map[string]map[string]bool // target -> contents and names
}

type seed struct {
	name string
	data []byte
}

// add adds data to the seeds of target, unless it is there already or
// the target has enough; its file name is label, made unique.
func (c *corpus) add(target, label string, data []byte) {
	if c.all[target] == nil {
		c.t.Fatalf("seed for unknown target %s", target)
	}
	if c.have[target] == nil {
		c.have[target] = map[string]bool{}
	}
	have := c.have[target]
	if have["data:"+string(data)] || len(c.seeds[target]) >= maxSeedsPerTarget {
		return
	}
	name := label
	for i := 2; have["name:"+name]; i++ {
		name = label + "-" + strconv.Itoa(i)
	}
	have["data:"+string(data)], have["name:"+name] = true, true
	c.seeds[target] = append(c.seeds[target], seed{name, bytes.Clone(data)})
}

// addSplit adds data and, through the generated splitSeed, its parts.
func (c *corpus) addSplit(target, label string, data []byte) {
	c.add(target, label, data)
	splitSeed(target, data, func(part string, b []byte) { c.add(part, label, b) })
}

var helloRetryRequestRandom = sha256.Sum256([]byte("HelloRetryRequest"))

var messageTargets = map[wire.HandshakeType]string{
	wire.HandshakeTypeClientHello:         "FuzzClientHello",
	wire.HandshakeTypeServerHello:         "FuzzServerHello",
	wire.HandshakeTypeNewSessionTicket:    "FuzzNewSessionTicket",
	wire.HandshakeTypeEndOfEarlyData:      "FuzzEndOfEarlyData",
	wire.HandshakeTypeEncryptedExtensions: "FuzzEncryptedExtensions",
	wire.HandshakeTypeCertificate:         "FuzzCertificate",
	wire.HandshakeTypeCertificateRequest:  "FuzzCertificateRequest",
	wire.HandshakeTypeCertificateVerify:   "FuzzCertificateVerify",
	wire.HandshakeTypeFinished:            "FuzzFinished",
	wire.HandshakeTypeKeyUpdate:           "FuzzKeyUpdate",
}

// addMessage adds a handshake message (with its header) and its body.
func (c *corpus) addMessage(label string, msg []byte) {
	if len(msg) < 4 || int(msg[1])<<16|int(msg[2])<<8|int(msg[3]) != len(msg)-4 {
		c.t.Fatalf("%s: %x is not a handshake message", label, msg)
	}
	typ, body := wire.HandshakeType(msg[0]), msg[4:]
	label += "-" + typ.String()
	target := messageTargets[typ]
	if typ == wire.HandshakeTypeServerHello && len(body) >= 34 && bytes.Equal(body[2:34], helloRetryRequestRandom[:]) {
		target, label = "FuzzHelloRetryRequest", strings.TrimSuffix(label, "server_hello")+"hello_retry_request"
	}
	if target == "" {
		c.t.Fatalf("%s: no target for %v", label, typ)
	}
	c.add("FuzzHandshake", label, msg)
	c.add("FuzzHandshakeHeader", label, msg[:4])
	c.addSplit(target, label, body)
	if typ == wire.HandshakeTypeServerHello {
		// What the client reads of it before decoding it as a
		// ServerHello or a HelloRetryRequest.
		var p wire.ServerHelloPrefix
		rest, err := p.UnmarshalPrefix(body)
		if err != nil {
			c.t.Fatalf("%s: %v", label, err)
		}
		c.add("FuzzServerHelloPrefix", label, body[:len(body)-len(rest)])
		c.addSplit("FuzzAnyExtensions", label, rest)
	}
}

// addSessionStates adds serialized sessions (tls.MarshalClientSessionState's
// format): one as crypto/tls's tickets are, one with 0-RTT and ALPN.
func (c *corpus) addSessionStates() {
	for _, st := range []wire.SessionState{
		{Version: 1, CipherSuite: 0x1301, ReceivedAt: 1700000000123, Lifetime: 604800, AgeAdd: 0x01020304,
			Psk: make([]byte, 32), Ticket: make([]byte, 186), Nonce: []byte{0}, ServerName: []byte("localhost")},
		{Version: 1, CipherSuite: 0x1302, ReceivedAt: 1700000000999, Lifetime: 7200, AgeAdd: 0xfffffff0, MaxEarlyDataSize: 16384,
			Psk: make([]byte, 48), Ticket: []byte("t"), Nonce: make([]byte, 8), ServerName: []byte("broker.example"), Alpn: []byte("mqtt")},
	} {
		b, err := st.Append(nil)
		if err != nil {
			c.t.Fatal(err)
		}
		c.add("FuzzSessionState", "suite-"+strconv.Itoa(int(st.CipherSuite)), b)
	}
}

// addHkdfLabels adds the HkdfLabel of each derivation of the key schedule
// (RFC 8446 §7.1, §7.3), with the contexts they have: none, a transcript
// hash of SHA-256 or SHA-384. The client encodes these and never decodes
// one, so no trace has them.
func (c *corpus) addHkdfLabels() {
	for _, label := range []string{"derived", "c hs traffic", "s hs traffic", "c ap traffic", "s ap traffic",
		"exp master", "res master", "finished", "key", "iv", "traffic upd", "resumption"} {
		for _, n := range []int{0, 32, 48} {
			hl := wire.HkdfLabel{Length: uint16(max(n, 12)), Label: []byte("tls13 " + label), Context: make([]byte, n)}
			b, err := hl.Append(nil)
			if err != nil {
				c.t.Fatal(err)
			}
			c.add("FuzzHkdfLabel", strings.ReplaceAll(label, " ", "-")+"-"+strconv.Itoa(n), b)
		}
	}
}

// addRecord adds a record as on the wire.
func (c *corpus) addRecord(label string, rec []byte) {
	if len(rec) < 5 || int(rec[3])<<8|int(rec[4]) != len(rec)-5 {
		c.t.Fatalf("%s: %x is not a record", label, rec)
	}
	c.add("FuzzRecordHeader", label, rec[:5])
	switch wire.ContentType(rec[0]) {
	case wire.ContentTypeApplicationData:
		c.add("FuzzTLSCiphertext", label, rec)
	case wire.ContentTypeAlert:
		c.add("FuzzAlert", label, rec[5:])
		fallthrough
	case wire.ContentTypeChangeCipherSpec:
		if wire.ContentType(rec[0]) == wire.ContentTypeChangeCipherSpec {
			c.add("FuzzChangeCipherSpec", label, rec[5:])
		}
		fallthrough
	default:
		c.add("FuzzTLSPlaintext", label, rec)
	}
}

// capture is what our client sent and received in one connection.
type capture struct {
	msgsIn, msgsOut, recsIn, recsOut [][]byte
}

func (cp *capture) trace(ev tls.TraceEvent) {
	switch ev.Kind {
	case tls.TraceHandshakeIn:
		cp.msgsIn = append(cp.msgsIn, bytes.Clone(ev.Data))
	case tls.TraceHandshakeOut:
		cp.msgsOut = append(cp.msgsOut, bytes.Clone(ev.Data))
	case tls.TraceRecordIn:
		cp.recsIn = append(cp.recsIn, bytes.Clone(ev.Data))
	case tls.TraceRecordOut:
		cp.recsOut = append(cp.recsOut, bytes.Clone(ev.Data))
	}
}

// addCapture adds a connection's messages and records. If the client was
// recordLayerConfig's, the records it received are a FuzzRecordLayer
// seed that replays the whole handshake.
func (c *corpus) addCapture(label string, cp *capture, replayable bool) {
	for _, m := range cp.msgsIn {
		c.addMessage(label, m)
	}
	for _, m := range cp.msgsOut {
		c.addMessage(label+"-sent", m)
	}
	for _, r := range cp.recsIn {
		c.addRecord(label+"-in", r)
	}
	for _, r := range cp.recsOut {
		c.addRecord(label+"-out", r)
	}
	if replayable {
		c.add("FuzzRecordLayer", label+"-connected", bytes.Join(cp.recsIn, nil))
	}
}

func buildCorpus(t *testing.T) *corpus {
	c := &corpus{t: t, all: targets(), seeds: map[string][]seed{}, have: map[string]map[string]bool{}}
	c.addRFC8448()
	c.addGoServer()
	c.addOpenSSLServer()
	c.addForeignClientHellos()
	c.addRefusals()
	c.addMadeUp()
	c.addHkdfLabels()
	c.addSessionStates()
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(c.all)) {
		if len(c.seeds[name]) == 0 {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("no seeds found for %v", missing)
	}
	return c
}

// addRFC8448 adds the messages and records of RFC 8448 sections 3 to 7;
// the records the server sent are also a FuzzRecordLayer seed (which fails
// early: they answer another ClientHello).
func (c *corpus) addRFC8448() {
	names := []string{"client_hello", "hello_retry_request", "client_hello_2", "server_hello", "encrypted_extensions",
		"certificate_request", "server_certificate", "server_certificate_verify", "server_finished", "end_of_early_data",
		"client_certificate", "client_certificate_verify", "client_finished", "new_session_ticket"}
	for n := 3; n <= 7; n++ {
		sec := rfc8448.Get(n)
		label := "rfc8448-s" + strconv.Itoa(n)
		for _, name := range names {
			if sec.Has(name) {
				c.addMessage(label, sec.Value(name))
			}
		}
		var server []byte
		for _, rec := range sec.Records {
			dir := "-in"
			if rec.Sender == "client" {
				dir = "-out"
			} else {
				server = append(server, rec.Wire()...)
			}
			c.addRecord(label+dir, rec.Wire())
			if rec.InnerContentType == "alert" {
				c.add("FuzzAlert", label+dir, rec.Payload())
			}
		}
		c.add("FuzzRecordLayer", label+"-server", server)
	}
}

// runClient connects our client to addr and runs talk after the handshake.
func runClient(t *testing.T, addr string, cfg *tls.Config, talk func(*tls.Conn, *bufio.Reader) error) {
	t.Helper()
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	conn := tls.Client(raw, cfg)
	if err := conn.Handshake(); err != nil {
		t.Fatalf("handshake with %s: %v", addr, err)
	}
	if err := talk(conn, bufio.NewReader(conn)); err != nil {
		t.Fatalf("after the handshake with %s: %v", addr, err)
	}
	conn.Close()
}

// sendLine writes line and reads the answer line, which must be want.
func sendLine(conn *tls.Conn, r *bufio.Reader, line, want string) error {
	if _, err := io.WriteString(conn, line+"\n"); err != nil {
		return err
	}
	got, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if got != want+"\n" {
		return fmt.Errorf("read %q, want %q", got, want)
	}
	return nil
}

func echo(conn *tls.Conn, r *bufio.Reader) error { return sendLine(conn, r, "hello", "hello") }

func reversed(conn *tls.Conn, r *bufio.Reader) error { return sendLine(conn, r, "hello", "olleh") }

// clientCert is a client certificate for the servers that ask for one.
func clientCert() []tls.Certificate {
	cert := testpeer.DefaultCA().Issue(testpeer.ECDSAP256)
	return []tls.Certificate{{Certificate: cert.Chain, PrivateKey: cert.Key}}
}

// addGoServer records handshakes with crypto/tls.
func (c *corpus) addGoServer() {
	t := c.t
	ca := testpeer.DefaultCA()
	for _, fl := range []struct {
		label  string
		opts   testpeer.GoServerOptions
		config func(*tls.Config) // changes to recordLayerConfig; one that changes the ClientHello is not replayable
		replay bool
	}{
		{"go-default", testpeer.GoServerOptions{NextProtos: []string{"h2"}}, nil, true},
		{"go-hrr", testpeer.GoServerOptions{CurvePreferences: []cryptotls.CurveID{cryptotls.CurveP256}}, nil, true},
		{"go-request-cert", testpeer.GoServerOptions{ClientAuth: cryptotls.RequestClientCert}, nil, true},
		{"go-client-cert", testpeer.GoServerOptions{ClientAuth: cryptotls.RequireAndVerifyClientCert},
			func(cfg *tls.Config) { cfg.Certificates = clientCert() }, true},
		{"go-rsa", testpeer.GoServerOptions{Cert: ca.Issue(testpeer.RSA2048)}, nil, true},
		{"go-ed25519", testpeer.GoServerOptions{Cert: ca.Issue(testpeer.Ed25519)}, nil, true},
		{"go-p384", testpeer.GoServerOptions{Cert: ca.Issue(testpeer.ECDSAP384)}, nil, true},
		{"go-mlkem", testpeer.GoServerOptions{}, func(cfg *tls.Config) {
			cfg.CurvePreferences = []tls.CurveID{tls.X25519MLKEM768, tls.X25519}
			cfg.KeyShares = []tls.CurveID{tls.X25519MLKEM768}
		}, false},
		{"go-chacha", testpeer.GoServerOptions{}, func(cfg *tls.Config) {
			cfg.CipherSuites = []uint16{tls.TLS_CHACHA20_POLY1305_SHA256}
		}, false},
	} {
		srv := testpeer.StartGoServer(t, fl.opts)
		cp := new(capture)
		cfg := recordLayerConfig(cp.trace)
		if fl.config != nil {
			fl.config(cfg)
		}
		runClient(t, srv.Addr, cfg, echo)
		c.addCapture(fl.label, cp, fl.replay)
		srv.Close()
	}
}

// addOpenSSLServer records handshakes with openssl s_server.
func (c *corpus) addOpenSSLServer() {
	t := c.t
	for _, fl := range []struct {
		label  string
		opts   testpeer.OpenSSLOptions
		config func(*tls.Config)
		talk   func(*testpeer.OpenSSLServer, *tls.Conn, *bufio.Reader) error
	}{
		// Two tickets that allow early data, the middlebox compatibility
		// change_cipher_spec, server_name acknowledged.
		{"openssl-default", testpeer.OpenSSLOptions{Mode: testpeer.ModeStdio, ALPN: []string{"h2"}, ExtraArgs: []string{"-early_data"}}, nil,
			func(srv *testpeer.OpenSSLServer, conn *tls.Conn, r *bufio.Reader) error {
				return stdioRoundTrip(srv, conn, r, "hello")
			}},
		{"openssl-hrr", testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, Groups: []cryptotls.CurveID{cryptotls.CurveP256}}, nil, nil},
		// certificate_authorities in the CertificateRequest.
		{"openssl-client-ca", testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, ClientCA: testpeer.DefaultCA()},
			func(cfg *tls.Config) { cfg.Certificates = clientCert() }, nil},
		// Handshake messages split over records.
		{"openssl-frag512", testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, MaxSendFrag: 512}, nil, nil},
		{"openssl-keyupdate", testpeer.OpenSSLOptions{Mode: testpeer.ModeStdio}, nil,
			func(srv *testpeer.OpenSSLServer, conn *tls.Conn, r *bufio.Reader) error {
				if err := stdioRoundTrip(srv, conn, r, "before"); err != nil {
					return err
				}
				if err := srv.KeyUpdate(true); err != nil {
					return err
				}
				return stdioRoundTrip(srv, conn, r, "after K")
			}},
	} {
		srv := testpeer.StartOpenSSL(t, fl.opts)
		cp := new(capture)
		cfg := recordLayerConfig(cp.trace)
		if fl.config != nil {
			fl.config(cfg)
		}
		runClient(t, srv.Addr, cfg, func(conn *tls.Conn, r *bufio.Reader) error {
			if fl.talk != nil {
				return fl.talk(srv, conn, r)
			}
			return reversed(conn, r)
		})
		c.addCapture(fl.label, cp, true)
		srv.Close()
	}
}

// stdioRoundTrip has s_server (ModeStdio) send a line to the client and
// the client one back.
func stdioRoundTrip(srv *testpeer.OpenSSLServer, conn *tls.Conn, r *bufio.Reader, step string) error {
	if err := srv.Send("from server " + step + "\n"); err != nil {
		return err
	}
	if line, err := r.ReadString('\n'); err != nil || line != "from server "+step+"\n" {
		return fmt.Errorf("read %q, %v", line, err)
	}
	if _, err := io.WriteString(conn, "from client "+step+"\n"); err != nil {
		return err
	}
	return srv.WaitForOutput("from client "+step, 10*time.Second)
}

// addRefusals records handshakes that a server refuses with an alert:
// crypto/tls when no ALPN protocol is common, openssl when no group is.
func (c *corpus) addRefusals() {
	t := c.t
	refused := func(label, addr string, cfg *tls.Config, cp *capture) {
		raw, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		raw.SetDeadline(time.Now().Add(20 * time.Second))
		err = tls.Client(raw, cfg).Handshake()
		if ae, ok := err.(*tls.AlertError); !ok || !ae.Received {
			t.Fatalf("%s: handshake error %v, want an alert from the server", label, err)
		}
		c.addCapture(label, cp, false)
		c.add("FuzzRecordLayer", label, bytes.Join(cp.recsIn, nil))
	}
	gosrv := testpeer.StartGoServer(t, testpeer.GoServerOptions{NextProtos: []string{"h3"}})
	cp := new(capture)
	refused("go-no-alpn", gosrv.Addr, recordLayerConfig(cp.trace), cp)
	gosrv.Close()

	ossl := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, Groups: []cryptotls.CurveID{cryptotls.CurveP384}})
	cp = new(capture)
	cfg := recordLayerConfig(cp.trace)
	cfg.CurvePreferences = []tls.CurveID{tls.X25519}
	refused("openssl-no-group", ossl.Addr, cfg, cp)
	ossl.Close()
}

// addForeignClientHellos adds the ClientHellos of crypto/tls and openssl
// s_client, which carry extensions ours does not (status_request,
// post_handshake_auth, unknown ones).
func (c *corpus) addForeignClientHellos() {
	t := c.t
	first := func(label string, dial func(addr string)) {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go dial(ln.Addr().String())
		ln.(*net.TCPListener).SetDeadline(time.Now().Add(20 * time.Second))
		conn, err := ln.Accept()
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		rec := make([]byte, 5)
		if _, err := io.ReadFull(conn, rec); err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		rec = append(rec, make([]byte, int(rec[3])<<8|int(rec[4]))...)
		if _, err := io.ReadFull(conn, rec[5:]); err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		c.addRecord(label, rec)
		c.addMessage(label, rec[5:])
	}
	first("go-client", func(addr string) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		cryptotls.Client(conn, &cryptotls.Config{ServerName: "example.com", NextProtos: []string{"h2", "http/1.1"}, InsecureSkipVerify: true}).Handshake()
	})
	bin := testpeer.RequireOpenSSL(t)
	first("openssl-client", func(addr string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "s_client", "-connect", addr, "-tls1_3", "-servername", "example.com",
			"-alpn", "h2,http/1.1", "-status", "-enable_pha", "-groups", "X25519:P-256:P-384")
		cmd.Stdin = strings.NewReader("")
		cmd.Run()
	})
}

// addMadeUp adds values of the types that no handshake here carries: an
// OCSP response stapled to a certificate (status_request in a
// CertificateEntry, RFC 8446 §4.4.2.1; our client does not ask for one)
// and oid_filters in a CertificateRequest (§4.2.5).
func (c *corpus) addMadeUp() {
	t := c.t
	ca := testpeer.DefaultCA()
	leaf := ca.Issue(testpeer.ECDSAP256)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	resp, err := ocsp.CreateResponse(ca.Cert, ca.Cert, ocsp.Response{
		Status: ocsp.Good, SerialNumber: leaf.Leaf.SerialNumber, ThisUpdate: now, NextUpdate: now.Add(7 * 24 * time.Hour),
	}, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	var entry wire.CertificateEntry
	entry.CertData = leaf.Chain[0]
	entry.Extensions.StatusRequest = wire.CertificateStatus{StatusType: wire.CertificateStatusTypeOcsp, OCSPResponse: resp}
	entry.Extensions.Add(wire.ExtensionTypeStatusRequest)
	e, err := entry.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	var cert wire.Certificate
	if err := cert.CertificateList.SetBytes(e); err != nil {
		t.Fatal(err)
	}
	c.addMessage("made-up-ocsp", message(t, wire.HandshakeTypeCertificate, &cert))

	// §4.2.5: extKeyUsage must include serverAuth; keyUsage
	// digitalSignature; an OID with no values.
	var filters []byte
	for _, f := range []wire.OIDFilter{
		{CertificateExtensionOID: []byte{0x06, 0x03, 0x55, 0x1d, 0x25}, CertificateExtensionValues: []byte{0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01}},
		{CertificateExtensionOID: []byte{0x06, 0x03, 0x55, 0x1d, 0x0f}, CertificateExtensionValues: []byte{0x03, 0x02, 0x07, 0x80}},
		{CertificateExtensionOID: []byte{0x06, 0x03, 0x55, 0x1d, 0x20}},
	} {
		if filters, err = f.Append(filters); err != nil {
			t.Fatal(err)
		}
	}
	var cr wire.CertificateRequest
	x := &cr.Extensions
	schemes := []byte{0x04, 0x03, 0x08, 0x04, 0x08, 0x07}
	if err := x.SignatureAlgorithms.SupportedSignatureAlgorithms.SetBytes(schemes); err != nil {
		t.Fatal(err)
	}
	if err := x.OidFilters.Filters.SetBytes(filters); err != nil {
		t.Fatal(err)
	}
	x.Add(wire.ExtensionTypeSignatureAlgorithms)
	x.Add(wire.ExtensionTypeOidFilters)
	c.addMessage("made-up-oid-filters", message(t, wire.HandshakeTypeCertificateRequest, &cr))
}

// message encodes a handshake message with its header.
func message(t *testing.T, typ wire.HandshakeType, m codec) []byte {
	t.Helper()
	body, err := m.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := wire.Handshake{MsgType: typ, Body: body}
	b, err := h.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goCrasher is how Go names the inputs it writes to testdata/fuzz: a hash.
var goCrasher = regexp.MustCompile(`^[0-9a-f]{16,64}$`)

// write replaces the seeds of each target, keeping the inputs Go wrote for
// crashers (regression tests).
func (c *corpus) write(t *testing.T) {
	for target, seeds := range c.seeds {
		dir := filepath.Join(corpusDir, target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		old, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range old {
			if !goCrasher.MatchString(fi.Name()) {
				if err := os.Remove(filepath.Join(dir, fi.Name())); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, s := range seeds {
			data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s.data)
			if err := os.WriteFile(filepath.Join(dir, s.name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestFuzzRawInStateSeeds checks that the seeds are in
// testdata/fuzz/FuzzRawInState (with -cfseeds, it writes them), and that
// each takes the client to its state.
func TestFuzzRawInStateSeeds(t *testing.T) {
	for _, s := range risSeeds() {
		checkSeedFile(t, "testdata/fuzz/FuzzRawInState", s.name, s.data)
	}
}
