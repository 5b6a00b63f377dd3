package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	stdtls "crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// demoServer is the TLS 1.3 server tlsclient talks to when no -connect is
// given: crypto/tls on 127.0.0.1, with a self-signed ECDSA P-256
// certificate made at startup. It answers each connection's request with a
// short text reply and closes it.
type demoServer struct {
	Addr    string
	CertDER []byte // the certificate, for pinning its key

	ln net.Listener
	wg sync.WaitGroup
}

// demoServerName is the name in the demo certificate.
const demoServerName = "localhost"

func startDemoServer(requestClientCert bool) (*demoServer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: demoServerName, Organization: []string{"tlsclient embedded server"}},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{demoServerName},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cfg := &stdtls.Config{
		MinVersion:   stdtls.VersionTLS13,
		Certificates: []stdtls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		NextProtos:   []string{"http/1.1"},
	}
	if requestClientCert {
		cfg.ClientAuth = stdtls.RequestClientCert
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &demoServer{Addr: ln.Addr().String(), CertDER: der, ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				serveDemo(stdtls.Server(c, cfg))
			}()
		}
	}()
	return s, nil
}

// Close stops the server and waits for its connections to end.
func (s *demoServer) Close() {
	s.ln.Close()
	s.wg.Wait()
}

// serveDemo reads a request (up to an empty line, 4 KiB, or a short
// pause) and answers with a text reply naming what was negotiated.
func serveDemo(c *stdtls.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := c.Handshake(); err != nil {
		return
	}
	var req []byte
	buf := make([]byte, 4096)
	// Without a complete request, answer after a pause anyway.
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	for len(req) < 4096 && !bytes.Contains(req, []byte("\r\n\r\n")) {
		n, err := c.Read(buf)
		req = append(req, buf[:n]...)
		if err != nil {
			break
		}
	}
	c.SetReadDeadline(time.Time{})
	st := c.ConnectionState()
	line, _, _ := strings.Cut(string(req), "\r\n")
	if line == "" {
		line = "(nothing)"
	}
	var b strings.Builder
	b.WriteString("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
	b.WriteString("Hello from the embedded crypto/tls server.\n")
	b.WriteString("You sent: " + line + "\n")
	b.WriteString("We speak TLS 1.3 with " + stdtls.CipherSuiteName(st.CipherSuite) + " over " + curveName(st.CurveID) + ".\n")
	if len(st.PeerCertificates) > 0 {
		b.WriteString("Your certificate: " + st.PeerCertificates[0].Subject.String() + "\n")
	}
	if _, err := c.Write([]byte(b.String())); err != nil && !errors.Is(err, net.ErrClosed) {
		return
	}
}

// curveName names a crypto/tls CurveID the way the TLS registry does.
func curveName(id stdtls.CurveID) string {
	switch id {
	case stdtls.X25519:
		return "x25519"
	case stdtls.CurveP256:
		return "secp256r1"
	case stdtls.CurveP384:
		return "secp384r1"
	case stdtls.CurveP521:
		return "secp521r1"
	}
	return id.String()
}
