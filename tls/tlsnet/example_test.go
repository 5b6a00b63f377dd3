package tlsnet_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	stdtls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/tlsnet"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// Dial connects and runs the handshake, like crypto/tls.Dial; the
// server name comes from the address.
func ExampleDial() {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	// httptest's certificate is for 127.0.0.1 and example.com.
	c, err := tlsnet.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{
		Verifier: x509verify.New(x509verify.Options{Roots: roots}),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	cs := c.ConnectionState()
	fmt.Println(tls.CipherSuiteName(cs.CipherSuite), cs.CurveID, cs.ServerName)

	io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
	status, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(status)
	// Output:
	// TLS_AES_128_GCM_SHA256 x25519 127.0.0.1
	// HTTP/1.0 200 OK
}

// net/http over tabletls: the Dialer's DialContext is the Transport's
// DialTLSContext.
func ExampleDialer() {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello over %s", r.Proto)
	}))
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())

	d := &tlsnet.Dialer{Config: &tls.Config{
		Verifier:   x509verify.New(x509verify.Options{Roots: roots}),
		NextProtos: []string{"http/1.1"},
	}}
	client := &http.Client{Transport: &http.Transport{DialTLSContext: d.DialContext}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output:
	// 200 OK hello over HTTP/1.1
}

// An MQTT-style device: mutual TLS with a certificate and key from PEM
// (x509verify.X509KeyPair), the broker authenticated by its CA, ALPN
// "mqtt" as AWS IoT and others take it, then an MQTT CONNECT and the
// broker's CONNACK.
func Example_mqtt() {
	broker := startBroker()
	defer broker.ln.Close()

	device, err := x509verify.X509KeyPair(broker.deviceCertPEM, broker.deviceKeyPEM)
	if err != nil {
		log.Fatal(err)
	}
	c, err := tlsnet.Dial("tcp", broker.ln.Addr().String(), &tls.Config{
		ServerName:   "localhost",
		Verifier:     x509verify.New(x509verify.Options{Roots: broker.roots}),
		Certificates: []tls.Certificate{device},
		NextProtos:   []string{"mqtt"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// MQTT 3.1.1 CONNECT, client id "dev1", clean session, keep-alive 60 s.
	connect := []byte{0x10, 16, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 4, 'd', 'e', 'v', '1'}
	if _, err := c.Write(connect); err != nil {
		log.Fatal(err)
	}
	connack := make([]byte, 4)
	if _, err := io.ReadFull(c, connack); err != nil {
		log.Fatal(err)
	}
	cs := c.ConnectionState()
	fmt.Printf("ALPN %s, client certificate sent: %v\n", cs.NegotiatedProtocol, cs.ClientCertificateSent)
	fmt.Printf("CONNACK % x\n", connack)
	// Output:
	// ALPN mqtt, client certificate sent: true
	// CONNACK 20 02 00 00
}

// broker is a crypto/tls server that reads one MQTT CONNECT from a client
// with a certificate it trusts and answers CONNACK.
type broker struct {
	ln                          net.Listener
	roots                       *x509.CertPool // trusts the broker
	deviceCertPEM, deviceKeyPEM []byte
}

func startBroker() *broker {
	serverCert, serverLeaf := selfSigned("localhost", x509.ExtKeyUsageServerAuth)
	deviceCert, deviceLeaf := selfSigned("dev1", x509.ExtKeyUsageClientAuth)
	deviceCAs := x509.NewCertPool()
	deviceCAs.AddCert(deviceLeaf)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(deviceCert.PrivateKey)
	b := &broker{
		roots:         x509.NewCertPool(),
		deviceCertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: deviceCert.Certificate[0]}),
		deviceKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	b.roots.AddCert(serverLeaf)
	ln, err := stdtls.Listen("tcp", "127.0.0.1:0", &stdtls.Config{
		Certificates: []stdtls.Certificate{serverCert},
		ClientAuth:   stdtls.RequireAndVerifyClientCert,
		ClientCAs:    deviceCAs,
		NextProtos:   []string{"mqtt"},
		MinVersion:   stdtls.VersionTLS13,
	})
	if err != nil {
		log.Fatal(err)
	}
	b.ln = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(c)
				if typ, _ := r.ReadByte(); typ != 0x10 {
					return
				}
				n, _ := r.ReadByte()
				if _, err := io.CopyN(io.Discard, r, int64(n)); err == nil {
					c.Write([]byte{0x20, 0x02, 0x00, 0x00}) // CONNACK, accepted
					io.Copy(io.Discard, r)
				}
			}()
		}
	}()
	return b
}

func selfSigned(name string, usage x509.ExtKeyUsage) (stdtls.Certificate, *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		DNSNames:     []string{name},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		log.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return stdtls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}
