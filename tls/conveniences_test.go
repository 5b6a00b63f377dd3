package tls_test

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	cryptotls "crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// dialConn is dialGo that returns the connection, handshaken.
func dialConn(t *testing.T, addr string, cfg *tls.Config, b *tls.Buffers) (*tls.Conn, error) {
	t.Helper()
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	var c *tls.Conn
	if b != nil {
		c = tls.ClientWithBuffers(raw, cfg, *b)
	} else {
		c = tls.Client(raw, cfg)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.Handshake()
}

// ekmCases are the exporter inputs both sides compute: a short and a
// long output (over the hash length), an empty and a nil context.
var ekmCases = []struct {
	label   string
	context []byte
	length  int
}{
	{"EXPERIMENTAL tabletls", []byte("context"), 32},
	{"EXPERIMENTAL tabletls", nil, 32},
	{"EXPERIMENTAL long", []byte{}, 200},
	{"EXTRACTOR-dtls_srtp", []byte("x"), 60},
}

// TestExportKeyingMaterial: the client's exporter (RFC 8446 §7.5) gives
// the octets crypto/tls's server derives, with each suite's hash.
func TestExportKeyingMaterial(t *testing.T) {
	for _, suite := range []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384} {
		t.Run(tls.CipherSuiteName(suite), func(t *testing.T) {
			srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Handler: func(c *cryptotls.Conn) {
				st := c.ConnectionState()
				for _, k := range ekmCases {
					m, err := st.ExportKeyingMaterial(k.label, k.context, k.length)
					if err != nil {
						panic(err)
					}
					c.Write(m)
				}
			}})
			c, err := dialConn(t, srv.Addr, &tls.Config{ServerName: "localhost", Verifier: pinOf(t, srv.Cert), CipherSuites: []uint16{suite}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			st := c.ConnectionState()
			for _, k := range ekmCases {
				want := make([]byte, k.length)
				if _, err := io.ReadFull(c, want); err != nil {
					t.Fatal(err)
				}
				got, err := st.ExportKeyingMaterial(k.label, k.context, k.length)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%q/%q/%d: %x, %v; crypto/tls %x", k.label, k.context, k.length, got, err, want)
				}
			}
		})
	}
	var before tls.ConnectionState
	if _, err := before.ExportKeyingMaterial("x", nil, 16); !errors.Is(err, tls.ErrNotConnected) {
		t.Fatalf("before the handshake: %v", err)
	}
}

// TestExportKeyingMaterialOpenSSL: the same against s_server
// -keymatexport, which prints its keying material.
func TestExportKeyingMaterialOpenSSL(t *testing.T) {
	testpeer.RequireOpenSSL(t)
	srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeStdio,
		ExtraArgs: []string{"-keymatexport", "EXPERIMENTAL-tabletls", "-keymatexportlen", "40"}})
	c := dialOpenSSL(t, srv, &tls.Config{})
	// s_server prints its keying material once the handshake is done.
	if err := srv.WaitForOutput("Keying material: ", 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, srv.Output())
	}
	m := regexp.MustCompile(`Keying material: ([0-9A-Fa-f]+)`).FindStringSubmatch(srv.Output())
	if m == nil {
		t.Fatalf("no keying material in\n%s", srv.Output())
	}
	want, _ := hex.DecodeString(m[1])
	st := c.ConnectionState()
	got, err := st.ExportKeyingMaterial("EXPERIMENTAL-tabletls", nil, 40)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%x, %v; openssl %x", got, err, want)
	}
}

// p521Cert is a leaf with a P-521 key.
func p521Cert(t *testing.T) *testpeer.Cert {
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testpeer.DefaultCA().IssueWithKey(key)
}

// TestP521: secp521r1 key exchange and ecdsa_secp521r1_sha512 against
// crypto/tls and openssl, with DefaultCrypto and with a Crypto that names
// only them.
func TestP521(t *testing.T) {
	cert := p521Cert(t)
	pinned := &tls.Crypto{
		CipherSuites: []*tls.Suite{tls.AES128GCMSHA256()},
		KeyExchanges: []*tls.KeyExchange{tls.P521KeyExchange()},
		Signatures:   []*tls.SignatureVerifier{tls.ECDSAP521SHA512Verifier()},
	}
	check := func(t *testing.T, c *tls.Conn) {
		st := c.ConnectionState()
		if st.CurveID != tls.CurveP521 || st.PeerSignatureScheme != tls.ECDSAWithP521AndSHA512 {
			t.Fatalf("negotiated %v and %v", st.CurveID, st.PeerSignatureScheme)
		}
	}
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: cert, CurvePreferences: []cryptotls.CurveID{cryptotls.CurveP521}})
	for _, cr := range []*tls.Crypto{nil, pinned} {
		// The default key share is x25519: crypto/tls asks for P-521 with
		// a HelloRetryRequest. With the pinned Crypto it is the first.
		c, err := dialConn(t, srv.Addr, &tls.Config{ServerName: "localhost", Crypto: cr,
			Verifier: x509verify.New(x509verify.Options{Roots: cert.CA.Pool})}, nil)
		if err != nil {
			t.Fatal(err)
		}
		check(t, c)
		if st := c.ConnectionState(); st.DidHelloRetryRequest != (cr == nil) {
			t.Errorf("HelloRetryRequest %v", st.DidHelloRetryRequest)
		}
		echo(t, c)
	}
	testpeer.RequireOpenSSL(t)
	osrv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, Cert: cert, Groups: []cryptotls.CurveID{cryptotls.CurveP521}})
	c := dialOpenSSL(t, osrv, &tls.Config{Crypto: pinned, Verifier: pinOf(t, cert)})
	check(t, c)
	reverseLine(t, c, bufio.NewReader(c), "P-521")
}

// echo checks one round trip through an echo server.
func echo(t *testing.T, c *tls.Conn) {
	t.Helper()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo: %q, %v", buf, err)
	}
}

// TestSignatureSchemesPreference: Config.SignatureSchemes is what the
// server may sign its CertificateVerify with, against crypto/tls with an
// RSA key (which can make every rsa_pss_rsae scheme).
func TestSignatureSchemesPreference(t *testing.T) {
	rsaCert := testpeer.DefaultCA().Issue(testpeer.RSA2048)
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: rsaCert})
	for _, s := range []tls.SignatureScheme{tls.PSSWithSHA384, tls.PSSWithSHA512, tls.PSSWithSHA256} {
		c, err := dialConn(t, srv.Addr, &tls.Config{ServerName: "localhost", Verifier: pinOf(t, rsaCert), SignatureSchemes: []tls.SignatureScheme{s}}, nil)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if got := c.ConnectionState().PeerSignatureScheme; got != s {
			t.Fatalf("server signed with %v, want %v", got, s)
		}
	}
	// A P-256 server cannot sign with the one scheme offered.
	ecSrv := testpeer.StartGoServer(t, testpeer.GoServerOptions{})
	_, err := dialConn(t, ecSrv.Addr, &tls.Config{ServerName: "localhost", InsecureSkipVerify: true,
		SignatureSchemes: []tls.SignatureScheme{tls.ECDSAWithP384AndSHA384}}, nil)
	var ae *tls.AlertError
	if !errors.As(err, &ae) || !ae.Received {
		t.Fatalf("P-256 server offered only P-384: %v", err)
	}
}

// TestGetClientCertificate: the callback gets crypto/tls's
// CertificateRequest (its ClientCAs as certificate_authorities, its
// signature_algorithms) and what it returns is sent; its error ends the
// handshake, as the cause.
func TestGetClientCertificate(t *testing.T) {
	ca := testpeer.DefaultCA()
	clientCert := ca.Issue(testpeer.ECDSAP256)
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{ClientAuth: cryptotls.RequireAndVerifyClientCert, ClientCAs: ca.Pool})
	var info *tls.CertificateRequestInfo
	kp := tls.Certificate{Certificate: clientCert.Chain, PrivateKey: clientCert.Key}
	cfg := &tls.Config{ServerName: "localhost", Verifier: pinOf(t, srv.Cert),
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			info = cri
			if err := cri.SupportsCertificate(&kp); err != nil {
				return nil, err
			}
			return &kp, nil
		}}
	c, err := dialConn(t, srv.Addr, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, c)
	if r := srv.WaitHandshake(t); r.Err != nil || len(r.State.PeerCertificates) != 1 || !bytes.Equal(r.State.PeerCertificates[0].Raw, clientCert.Chain[0]) {
		t.Fatalf("server: %v, %d certificates", r.Err, len(r.State.PeerCertificates))
	}
	if info == nil || len(info.AcceptableCAs) != 1 || !bytes.Equal(info.AcceptableCAs[0], ca.Cert.RawSubject) {
		t.Fatalf("AcceptableCAs %x, want the CA's subject", info.AcceptableCAs)
	}
	if !slices.Contains(info.SignatureSchemes, tls.ECDSAWithP256AndSHA256) || !slices.Contains(info.SignatureSchemes, tls.PSSWithSHA256) {
		t.Fatalf("SignatureSchemes %v", info.SignatureSchemes)
	}
	st := c.ConnectionState()
	if !st.ClientAuthRequested || !st.ClientCertificateSent || !slices.Equal(st.SignatureSchemesRequested, info.SignatureSchemes) {
		t.Fatalf("state: requested %v, sent %v, schemes %v", st.ClientAuthRequested, st.ClientCertificateSent, st.SignatureSchemesRequested)
	}

	// The key's own list limits the scheme it signs with.
	rsaCert := ca.Issue(testpeer.RSA2048)
	rsaKP := tls.Certificate{Certificate: rsaCert.Chain, PrivateKey: rsaCert.Key,
		SupportedSignatureAlgorithms: []tls.SignatureScheme{tls.PSSWithSHA512}}
	cfg2 := *cfg
	cfg2.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &rsaKP, nil }
	c, err = dialConn(t, srv.Addr, &cfg2, nil)
	if err != nil {
		t.Fatal(err)
	}
	echo(t, c)
	if !c.ConnectionState().ClientCertificateSent {
		t.Fatal("RSA certificate not sent")
	}
	// A list with nothing the key can make for this server: a Config
	// certificate is skipped (none sent), one from the callback is an error.
	rsaKP.SupportedSignatureAlgorithms = []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}
	if _, err := dialConn(t, srv.Addr, &cfg2, nil); err == nil || !strings.Contains(err.Error(), "cannot sign with any scheme the server accepts") {
		t.Fatalf("unusable SupportedSignatureAlgorithms: %v", err)
	}

	// An error from the callback is the cause.
	mine := errors.New("no certificate for you")
	cfg3 := *cfg
	cfg3.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return nil, mine }
	_, err = dialConn(t, srv.Addr, &cfg3, nil)
	var ae *tls.AlertError
	if !errors.Is(err, mine) || !errors.As(err, &ae) || ae.Alert != tls.AlertInternalError {
		t.Fatalf("callback error: %v", err)
	}
	// An empty certificate sends none: this server then refuses.
	cfg3.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return &tls.Certificate{}, nil
	}
	c, err = dialConn(t, srv.Addr, &cfg3, nil)
	if err == nil {
		_, err = c.Read(make([]byte, 1))
	}
	if !errors.As(err, &ae) || !ae.Received || ae.Alert != tls.AlertCertificateRequired {
		t.Fatalf("no certificate: %v, want certificate_required from the server", err)
	}
}

// TestGetClientCertificateOpenSSL: openssl's CertificateRequest, with the
// client CA in certificate_authorities.
func TestGetClientCertificateOpenSSL(t *testing.T) {
	testpeer.RequireOpenSSL(t)
	ca := testpeer.DefaultCA()
	clientCert := ca.Issue(testpeer.ECDSAP384)
	srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, ClientCA: ca, RequireClientCert: true})
	var info *tls.CertificateRequestInfo
	c := dialOpenSSL(t, srv, &tls.Config{GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		info = cri
		return &tls.Certificate{Certificate: clientCert.Chain, PrivateKey: clientCert.Key}, nil
	}})
	reverseLine(t, c, bufio.NewReader(c), "client auth")
	if info == nil || len(info.AcceptableCAs) != 1 || !bytes.Equal(info.AcceptableCAs[0], ca.Cert.RawSubject) {
		t.Fatalf("AcceptableCAs %x", info.AcceptableCAs)
	}
	if !slices.Contains(info.SignatureSchemes, tls.ECDSAWithP384AndSHA384) || !c.ConnectionState().ClientCertificateSent {
		t.Fatalf("schemes %v", info.SignatureSchemes)
	}
}

// bigChain is cert's chain padded to about total octets: opaque filler
// after the leaf, as the pin checks the leaf only.
func bigChain(cert *testpeer.Cert, total int) *testpeer.Cert {
	c := *cert
	c.TLS.Certificate = slices.Clone(c.TLS.Certificate)
	for n := len(c.Chain[0]); n < total; n += 16000 {
		c.TLS.Certificate = append(c.TLS.Certificate, bytes.Repeat([]byte{0x30}, min(16000, total-n)))
	}
	return &c
}

// TestLargeCertificateBufferDropped: the buffer of its own that a large
// Certificate message gets is let go once processed, also by tls.Client,
// whose pooled buffers drop HandshakeIn after the handshake. An idle
// Client that took a 128 KiB chain holds more than one that took a small
// chain by the copy of the chain it keeps for ConnectionState, not also
// by the 128 KiB buffer. (TestIdleHeap keeps the small one's heap down.)
func TestLargeCertificateBufferDropped(t *testing.T) {
	cert := testpeer.DefaultCA().Issue(testpeer.ECDSAP256)
	const size = 128 << 10
	idle := func(c *testpeer.Cert) (perConn int64, chain int) {
		srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: c})
		cfg := &tls.Config{ServerName: "localhost", Verifier: pinOf(t, cert)}
		const conns = 4
		cs := make([]*tls.Conn, conns)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := range cs {
			var err error
			if cs[i], err = dialConn(t, srv.Addr, cfg, nil); err != nil {
				t.Fatal(err)
			}
			echo(t, cs[i])
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&after)
		for _, der := range cs[0].ConnectionState().PeerCertificateChain {
			chain += len(der)
		}
		for _, c := range cs {
			c.Close()
		}
		return (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / conns, chain
	}
	small, _ := idle(cert)
	large, chain := idle(bigChain(cert, size))
	t.Logf("idle heap per connection (Client and the in-process server): %d B with a small chain, %d B with a %d-octet chain", small, large, chain)
	if chain < size-1024 {
		t.Fatalf("the chain is %d octets, want about %d", chain, size)
	}
	if large-small > int64(chain)+16<<10 {
		t.Errorf("a %d-octet chain costs %d B more per idle connection: the message's buffer is kept", chain, large-small)
	}
}

// TestLargeCertificateMessage: tls.Client's library-owned buffers take a
// 64 KiB Certificate message from crypto/tls (which allows 256 KiB);
// caller-owned buffers that cannot hold it fail with the size needed, and
// the growth is bounded.
func TestLargeCertificateMessage(t *testing.T) {
	cert := testpeer.DefaultCA().Issue(testpeer.ECDSAP256)
	big := func(total int) *testpeer.Cert { return bigChain(cert, total) }
	for _, size := range []int{20 << 10, 64 << 10, 128 << 10} {
		srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: big(size)})
		c, err := dialConn(t, srv.Addr, &tls.Config{ServerName: "localhost", Verifier: pinOf(t, cert)}, nil)
		if err != nil {
			t.Fatalf("%d KiB: %v", size>>10, err)
		}
		if n := len(c.ConnectionState().PeerCertificateChain); n < size/16000 {
			t.Fatalf("%d KiB: %d certificates", size>>10, n)
		}
		echo(t, c)
	}
	srv := testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: big(64 << 10)})
	b := tls.Buffers{Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, tls.MinWriteBuffer),
		HandshakeIn: make([]byte, 16<<10), HandshakeOut: make([]byte, tls.MinHandshakeOut)}
	_, err := dialConn(t, srv.Addr, &tls.Config{ServerName: "localhost", Verifier: pinOf(t, cert), Crypto: tls.DefaultCrypto()}, &b)
	var ae *tls.AlertError
	if !errors.As(err, &ae) || ae.Alert != tls.AlertIllegalParameter || !strings.Contains(err.Error(), "Buffers.HandshakeIn needs at least 6") {
		t.Fatalf("caller-owned 16 KiB: %v", err)
	}
	// MaxHandshakeIn lets caller-owned buffers grow too.
	b.MaxHandshakeIn = 128 << 10
	if _, err := dialConn(t, srv.Addr, &tls.Config{ServerName: "localhost", Verifier: pinOf(t, cert), Crypto: tls.DefaultCrypto()}, &b); err != nil {
		t.Fatalf("MaxHandshakeIn: %v", err)
	}
	// Over crypto/tls's 256 KiB: refused, not allocated.
	srv = testpeer.StartGoServer(t, testpeer.GoServerOptions{Cert: big(300 << 10)})
	_, err = dialConn(t, srv.Addr, &tls.Config{ServerName: "localhost", Verifier: pinOf(t, cert)}, nil)
	if !errors.As(err, &ae) || ae.Alert != tls.AlertIllegalParameter || !strings.Contains(err.Error(), "over the limit of 262144") {
		t.Fatalf("300 KiB: %v", err)
	}
}
