package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tabletls/tabletls/tls"
)

// summary is what tlsclient prints after the reply.
type summary struct {
	addr                string
	state               tls.ConnectionState
	verification        string
	connectTime, hsTime time.Duration
	hsSent, hsRecv      int64
	sent, recv          int64
	replyBytes          int64
	ending              string
	now                 time.Time
	// failed, if set, is the handshake's error: the summary then shows
	// what was settled before it, and chain the certificates the server
	// presented, whether or not they were accepted.
	failed error
	chain  [][]byte
}

func (s *summary) print(w io.Writer) {
	st := &s.state
	p := func(label, format string, args ...any) {
		fmt.Fprintf(w, "%-20s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	if s.failed != nil {
		fmt.Fprintln(w, "--- connection (handshake failed) ---")
	} else {
		fmt.Fprintln(w, "--- connection ---")
	}
	p("Server", "%s, name %s", s.addr, nameOrNone(st.ServerName))
	p("Protocol", "%s", protocolName(st.Version))
	p("Cipher suite", "%s", tls.CipherSuiteName(st.CipherSuite))
	p("Group", "%s", st.CurveID)
	p("HelloRetryRequest", "%s", yesNo(st.DidHelloRetryRequest))
	alpn := st.NegotiatedProtocol
	if alpn == "" {
		alpn = "(none)"
	}
	p("ALPN", "%s", alpn)
	p("Server signature", "%s", st.PeerSignatureScheme)
	p("Verification", "%s", s.verification)
	switch {
	case !st.ClientAuthRequested:
		p("Client certificate", "not requested")
	case st.ClientCertificateSent:
		p("Client certificate", "requested, sent")
	default:
		p("Client certificate", "requested, none sent")
	}
	certs := st.PeerCertificateChain
	if s.failed != nil {
		certs = s.chain
	}
	p("Peer certificates", "%d", len(certs))
	for i, der := range certs {
		describeCertificate(w, i, der, s.now)
	}
	p("TCP connect", "%s", ms(s.connectTime))
	p("Handshake time", "%s", ms(s.hsTime))
	p("Handshake bytes", "%d sent, %d received", s.hsSent, s.hsRecv)
	p("Total on the wire", "%d sent, %d received", s.sent, s.recv)
	if s.failed != nil {
		p("Failed", "%s", s.failed)
		return
	}
	p("Reply", "%d bytes; %s", s.replyBytes, s.ending)
}

// describeCertificate prints one certificate of the chain, indented.
func describeCertificate(w io.Writer, i int, der []byte, now time.Time) {
	line := func(label, value string) {
		fmt.Fprintf(w, "      %-8s %s\n", label+":", value)
	}
	fmt.Fprintf(w, "  [%d] certificate\n", i)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		line("error", fmt.Sprintf("cannot parse (%d bytes): %v", len(der), err))
		return
	}
	line("subject", dnOrEmpty(cert.Subject.String()))
	line("issuer", dnOrEmpty(cert.Issuer.String()))
	validity := cert.NotBefore.UTC().Format(time.DateTime) + " to " + cert.NotAfter.UTC().Format(time.DateTime) + " UTC"
	switch {
	case now.After(cert.NotAfter):
		validity += " (EXPIRED)"
	case now.Before(cert.NotBefore):
		validity += " (NOT YET VALID)"
	}
	line("valid", validity)
	line("key", keyType(cert.PublicKey))
	var names []string
	names = append(names, cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) > 0 {
		line("names", strings.Join(names, ", "))
	}
	if pin, err := tls.PinFromCertificate(der); err == nil {
		line("pin", pin)
	}
}

func keyType(pub any) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

func dnOrEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

func protocolName(v uint16) string {
	switch v {
	case 0x0304:
		return "TLS 1.3"
	case 0:
		return "(none: the handshake did not finish)"
	}
	return fmt.Sprintf("0x%04x", v)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
