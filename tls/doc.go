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
// Client's buffers are pooled, held only while in use; a nil Config.Crypto
// means DefaultCrypto. Package tlsnet makes a Conn a net.Conn.
//
// Caller-owned buffers, for firmware with static memory: ClientWithBuffers
// takes Buffers (see Config.RecordSizeLimit to make them small) and a
// Crypto naming what the program links. Read and Write allocate nothing.
//
// A sans-I/O Engine, for an event loop over the device's own network stack
// (lwIP, a modem's AT sockets): see Engine.
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
// # Resumption and 0-RTT
//
// Config.ClientSessionCache resumes sessions, Config.ExternalPSK offers a
// provisioned key, and Conn.HandshakeWithEarlyData sends 0-RTT data.
package tls
