// Package tls is a TLS 1.3 client (RFC 8446) small enough for IoT
// firmware. Its API follows crypto/tls where the meaning is the same:
// Config, ConnectionState, Certificates, ServerName, NextProtos,
// CurvePreferences, GetClientCertificate, ExportKeyingMaterial. It speaks
// only TLS 1.3 and only as a client.
//
// # Three ways in
//
// A blocking Conn over any io.ReadWriter, as crypto/tls.Client gives:
//
//	c := tls.Client(conn, &tls.Config{
//		ServerName: "broker.example",
//		Verifier:   x509verify.New(x509verify.Options{}), // or tls.NewPinVerifier(pin)
//	})
//	defer c.Close()
//	_, err := c.Write(request) // runs the handshake first
//
// Client's buffers come from pools while a record is in them, and its
// handshake buffers go after the handshake (a Certificate message over 16
// KiB gets its own, up to 256 KiB); a nil Config.Crypto means
// DefaultCrypto. Package tlsnet wraps a Conn as a net.Conn, with Dial and
// a Dialer for net/http.
//
// Caller-owned buffers, for firmware that places all memory statically:
// ClientWithBuffers takes the Buffers (see their Min sizes, and
// Config.RecordSizeLimit to make them small) and a Config whose Crypto
// names the cryptography the program links, nothing else. Read and Write
// then allocate nothing.
//
// A sans-I/O Engine, for an event loop over a network stack of the
// device's own (lwIP, a modem's AT sockets): the caller moves octets
// between the Engine and the transport, and Status says what the Engine
// needs next (see Engine for the loop). Conn is built on the Engine's
// exported methods alone.
//
// # Authentication
//
// The server is authenticated by a Verifier: PinVerifier (a SHA-256 pin of
// its public key; no clock, no X.509) or package x509verify (chains to
// roots, as crypto/tls; X509KeyPair makes a Certificate from PEM). Package
// tls imports no crypto/x509, net or fmt, so firmware need not link them.
//
// # Errors
//
// A failed handshake or connection is an *AlertError, with the alert sent
// or received and, through Unwrap, the Verifier's or callback's error
// that caused it. Using the connection wrongly is not a TLS failure and
// sends nothing: ErrNotConnected, ErrClosed, ErrWriteBufferFull (an
// Engine's, retryable), ErrMisuse, and *ConfigError for a Config or
// Buffers that cannot work, from Client, ClientWithBuffers or NewEngine.
//
// The handshake is not written by hand: the state machine and the message
// codecs are generated from the declarative spec in the repository's spec
// directory.
package tls
