package tls_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	cryptotls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// The examples talk to a crypto/tls server on 127.0.0.1 with a certificate
// made on the fly: see exampleServer at the end of this file.

func ExampleClient() {
	srv := startExampleServer(nil, exampleEcho)
	defer srv.close()

	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		log.Fatal(err)
	}
	// Verify the server's chain and name with crypto/x509, as crypto/tls
	// does. srv.roots trusts the example server's certificate; nil Roots
	// would mean the system's roots.
	c := tls.Client(conn, &tls.Config{
		ServerName: "localhost",
		Verifier:   x509verify.New(x509verify.Options{Roots: srv.roots}),
	})
	defer c.Close() // sends close_notify and closes conn

	if err := c.Handshake(); err != nil {
		log.Fatal(err)
	}
	cs := c.ConnectionState()
	fmt.Printf("version %#04x, group %v, server %s\n", cs.Version, cs.CurveID, cs.ServerName)

	if _, err := io.WriteString(c, "hello, server"); err != nil {
		log.Fatal(err)
	}
	reply := make([]byte, len("hello, server"))
	if _, err := io.ReadFull(c, reply); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("echo: %s\n", reply)
	// Output:
	// version 0x0304, group x25519, server localhost
	// echo: hello, server
}

func ExampleNewPinVerifier() {
	srv := startExampleServer(nil, exampleEcho)
	defer srv.close()

	// A pin is computed ahead of time from the server's certificate, or
	// from its public key with
	//   openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64
	// and built into the device. No clock, roots or crypto/x509 needed.
	pin, err := tls.PinFromCertificate(srv.certDER)
	if err != nil {
		log.Fatal(err)
	}

	handshake := func(v tls.Verifier) error {
		conn, err := net.Dial("tcp", srv.addr)
		if err != nil {
			return err
		}
		c := tls.Client(conn, &tls.Config{ServerName: "localhost", Verifier: v})
		defer c.Close()
		return c.Handshake()
	}

	right, err := tls.NewPinVerifier(pin)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("right pin:", handshake(right))

	// Several pins may be given, e.g. the current key and the next one.
	wrong, err := tls.NewPinVerifier(tls.PinSHA256([]byte("some other key")))
	if err != nil {
		log.Fatal(err)
	}
	// The error names the pin the server presented (here, pin).
	err = handshake(wrong)
	fmt.Println("wrong pin:", strings.ReplaceAll(err.Error(), pin, "<pin>"))
	// Output:
	// right pin: <nil>
	// wrong pin: tls: server public key <pin> does not match any pin
}

func ExampleConfig_clientCertificates() {
	// The device's certificate and key; the server trusts it directly.
	device := exampleCertificate("device-42", x509.ExtKeyUsageClientAuth)
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(device.Leaf)

	srv := startExampleServer(
		func(c *cryptotls.Config) {
			c.ClientAuth = cryptotls.RequireAndVerifyClientCert
			c.ClientCAs = clientCAs
		},
		func(c *cryptotls.Conn) {
			name := c.ConnectionState().PeerCertificates[0].Subject.CommonName
			io.WriteString(c, "hello, "+name)
		})
	defer srv.close()

	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		log.Fatal(err)
	}
	c := tls.Client(conn, &tls.Config{
		ServerName: "localhost",
		Verifier:   x509verify.New(x509verify.Options{Roots: srv.roots}),
		Certificates: []tls.Certificate{{
			Certificate: device.Certificate, // DER, leaf first
			PrivateKey:  device.PrivateKey,
		}},
	})
	defer c.Close()

	// The server checks the certificate after the client's Finished, so
	// a rejection would show up here, on Read.
	reply, err := io.ReadAll(c)
	if err != nil {
		log.Fatal(err)
	}
	cs := c.ConnectionState()
	fmt.Println("certificate requested:", cs.ClientAuthRequested, "sent:", cs.ClientCertificateSent)
	fmt.Println(string(reply))
	// Output:
	// certificate requested: true sent: true
	// hello, device-42
}

// The memory of one connection, placed statically as firmware would: the
// connection allocates no buffers of its own.
var (
	deviceRecordIn  [tls.MinReadBuffer]byte
	deviceRecordOut [tls.MinWriteBuffer]byte
	deviceHSIn      [8192]byte // bounds the server's Certificate message
	deviceHSOut     [tls.MinHandshakeOut]byte
)

func ExampleClientWithBuffers() {
	srv := startExampleServer(nil, exampleEcho)
	defer srv.close()
	pin, err := tls.PinFromCertificate(srv.certDER)
	if err != nil {
		log.Fatal(err)
	}
	verifier, err := tls.NewPinVerifier(pin)
	if err != nil {
		log.Fatal(err)
	}

	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		log.Fatal(err)
	}
	c := tls.ClientWithBuffers(conn, &tls.Config{
		ServerName: "localhost",
		Verifier:   verifier,
		// What a device with AES and P-256 in hardware might offer: the
		// program links only these implementations.
		Crypto: &tls.Crypto{
			CipherSuites: []*tls.Suite{tls.AES128GCMSHA256()},
			KeyExchanges: []*tls.KeyExchange{tls.P256KeyExchange()},
			Signatures:   []*tls.SignatureVerifier{tls.ECDSAP256SHA256Verifier()},
		},
	}, tls.Buffers{
		Read:         deviceRecordIn[:],
		Write:        deviceRecordOut[:],
		HandshakeIn:  deviceHSIn[:],
		HandshakeOut: deviceHSOut[:],
	})
	defer c.Close()

	// Write runs the handshake first. A write larger than the Write
	// buffer is split into several records.
	msg := make([]byte, 3*len(deviceRecordOut))
	for i := range msg {
		msg[i] = byte('a' + i%26)
	}
	go c.Write(msg)
	reply := make([]byte, len(msg))
	if _, err := io.ReadFull(c, reply); err != nil {
		log.Fatal(err)
	}
	cs := c.ConnectionState()
	fmt.Println("TLS 1.3", tls.CipherSuiteName(cs.CipherSuite), cs.CurveID)
	fmt.Printf("echoed %d bytes: %s...\n", len(reply), reply[:10])
	// Output:
	// TLS 1.3 TLS_AES_128_GCM_SHA256 secp256r1
	// echoed 12288 bytes: abcdefghij...
}

// exampleServer is a crypto/tls TLS 1.3 server on 127.0.0.1, with a
// self-signed ECDSA certificate for "localhost".
type exampleServer struct {
	addr    string
	certDER []byte         // the server's certificate
	roots   *x509.CertPool // trusts it
	ln      net.Listener
	wg      sync.WaitGroup
}

// startExampleServer starts a server; configure may change its config and
// handle serves each connection after the handshake.
func startExampleServer(configure func(*cryptotls.Config), handle func(*cryptotls.Conn)) *exampleServer {
	cert := exampleCertificate("localhost", x509.ExtKeyUsageServerAuth)
	config := &cryptotls.Config{MinVersion: cryptotls.VersionTLS13, Certificates: []cryptotls.Certificate{cert}}
	if configure != nil {
		configure(config)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	s := &exampleServer{addr: ln.Addr().String(), certDER: cert.Certificate[0], roots: x509.NewCertPool(), ln: ln}
	s.roots.AddCert(cert.Leaf)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				c := cryptotls.Server(raw, config)
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if c.Handshake() == nil {
					handle(c)
				}
			}()
		}
	}()
	return s
}

func (s *exampleServer) close() {
	s.ln.Close()
	s.wg.Wait()
}

// exampleEcho writes back what it reads until the client closes.
func exampleEcho(c *cryptotls.Conn) { io.Copy(c, c) }

// exampleCertificate returns a self-signed ECDSA P-256 certificate for
// "localhost" and 127.0.0.1.
func exampleCertificate(commonName string, usage x509.ExtKeyUsage) cryptotls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: commonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		log.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		log.Fatal(err)
	}
	return cryptotls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// An event loop over the Engine, as firmware with its own network stack
// would write it: Status says what the Engine needs next. The Engine and
// its buffers sit in static memory (Init instead of NewEngine).
func ExampleEngine() {
	srv := startExampleServer(nil, exampleEcho)
	defer srv.close()
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()

	var (
		e                    tls.Engine
		in, out, hsIn, hsOut [20 << 10]byte
	)
	if err := e.Init(&tls.Config{ServerName: "localhost", InsecureSkipVerify: true, Crypto: tls.DefaultCrypto()},
		tls.Buffers{Read: in[:], Write: out[:], HandshakeIn: hsIn[:], HandshakeOut: hsOut[:]}); err != nil {
		log.Fatal(err)
	}
	e.Start()
	pending := []byte("hello, engine")
	var got []byte
	for len(got) < len("hello, engine") {
		st := e.Status()
		switch {
		case st&tls.StatusSend != 0:
			n, err := conn.Write(e.Output())
			e.OutputAck(n)
			if err != nil {
				log.Fatal(err)
			}
			continue
		case st&tls.StatusData != 0:
			got = append(got, e.ApplicationData()...)
			e.ApplicationDataAck(len(e.ApplicationData()))
			continue
		case st&(tls.StatusClosed|tls.StatusEOF) != 0:
			log.Fatal("closed: ", e.Err())
		}
		if st&tls.StatusWrite != 0 && len(pending) > 0 {
			n, err := e.WriteApplicationData(pending)
			if err != nil && err != tls.ErrWriteBufferFull {
				log.Fatal(err)
			}
			pending = pending[n:]
			continue
		}
		if st&tls.StatusRecv != 0 {
			n, err := conn.Read(e.RecvBuffer())
			if aerr := e.RecvAck(n); aerr != nil {
				log.Fatal(aerr)
			}
			if err != nil {
				log.Fatal(err)
			}
		}
	}
	fmt.Printf("echo: %s\n", got)
	e.Close()
	conn.Write(e.Output())
	// Output:
	// echo: hello, engine
}

// NewConn gives an Engine made by the caller the blocking Read and Write
// of a Conn.
func ExampleNewConn() {
	srv := startExampleServer(nil, exampleEcho)
	defer srv.close()
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		log.Fatal(err)
	}
	e, err := tls.NewEngine(&tls.Config{ServerName: "localhost", InsecureSkipVerify: true, Crypto: tls.DefaultCrypto()}, tls.Buffers{
		Read: make([]byte, tls.MinReadBuffer), Write: make([]byte, tls.MinReadBuffer+512),
		HandshakeIn: make([]byte, 16<<10), HandshakeOut: make([]byte, tls.MinHandshakeOut)})
	if err != nil {
		log.Fatal(err)
	}
	c := tls.NewConn(conn, e)
	defer c.Close()
	io.WriteString(c, "hello, conn")
	reply := make([]byte, len("hello, conn"))
	if _, err := io.ReadFull(c, reply); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("echo: %s\n", reply)
	// Output:
	// echo: hello, conn
}

// Keying material for a protocol on top of TLS, the same on both sides:
// here the crypto/tls server sends its own for the client to compare.
func ExampleConnectionState_ExportKeyingMaterial() {
	srv := startExampleServer(nil, func(c *cryptotls.Conn) {
		cs := c.ConnectionState()
		m, _ := cs.ExportKeyingMaterial("EXPERIMENTAL example", []byte("context"), 32)
		c.Write(m)
	})
	defer srv.close()
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		log.Fatal(err)
	}
	c := tls.Client(conn, &tls.Config{ServerName: "localhost", Verifier: x509verify.New(x509verify.Options{Roots: srv.roots})})
	defer c.Close()
	fromServer := make([]byte, 32)
	if _, err := io.ReadFull(c, fromServer); err != nil {
		log.Fatal(err)
	}
	cs := c.ConnectionState()
	mine, err := cs.ExportKeyingMaterial("EXPERIMENTAL example", []byte("context"), 32)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same as the server's:", string(mine) == string(fromServer))
	// Output:
	// same as the server's: true
}

// GetClientCertificate chooses the certificate once the server has said
// what it takes: the CAs it trusts and the signature schemes it accepts.
func ExampleConfig_getClientCertificate() {
	device := exampleCertificate("device-7", x509.ExtKeyUsageClientAuth)
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(device.Leaf)
	srv := startExampleServer(func(c *cryptotls.Config) {
		c.ClientAuth = cryptotls.RequireAndVerifyClientCert
		c.ClientCAs = clientCAs
	}, func(c *cryptotls.Conn) {
		io.WriteString(c, "hello, "+c.ConnectionState().PeerCertificates[0].Subject.CommonName)
	})
	defer srv.close()

	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		log.Fatal(err)
	}
	c := tls.Client(conn, &tls.Config{
		ServerName: "localhost",
		Verifier:   x509verify.New(x509verify.Options{Roots: srv.roots}),
		GetClientCertificate: func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			for _, ca := range cri.AcceptableCAs {
				if string(ca) == string(device.Leaf.RawSubject) {
					fmt.Println("the server trusts our issuer")
				}
			}
			return &tls.Certificate{Certificate: device.Certificate, PrivateKey: device.PrivateKey}, nil
		},
	})
	defer c.Close()
	reply, err := io.ReadAll(c)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply))
	// Output:
	// the server trusts our issuer
	// hello, device-7
}
