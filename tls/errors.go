package tls

import "errors"

// AlertError is every fatal TLS failure: the alert that was sent to the peer
// (Received == false) or received from it (Received == true), and what went
// wrong. Callers match it with errors.As, which also reaches its cause:
// an x509 error from x509verify, a *PinMismatchError from PinVerifier.
type AlertError struct {
	// Alert is the alert sent or received.
	Alert AlertDescription
	// Received is true if the alert came from the peer.
	Received bool
	// Msg is the "tls: ..." explanation; empty for a received alert.
	Msg string
	// Err is the error that caused the alert, if it came from outside the
	// TLS code: a Verifier's, a Certificate key's.
	Err error
}

// Error returns Msg, or names the alert.
func (e *AlertError) Error() string {
	if e.Received {
		return "tls: alert " + e.Alert.String() + " from peer"
	}
	if e.Msg != "" {
		return e.Msg
	}
	return "tls: local error: " + e.Alert.String()
}

// Unwrap returns the cause, Err.
func (e *AlertError) Unwrap() error { return e.Err }

// newAlert builds a local fatal error. msg must start with "tls: ".
func newAlert(alert AlertDescription, msg string) *AlertError {
	return &AlertError{Alert: alert, Msg: msg}
}

// Usage errors: the caller asked for something the connection cannot do
// now. They send no alert and, but for ErrClosed, leave the connection as
// it was.
var (
	// ErrWriteBufferFull is the Engine's when its Write buffer is full:
	// send Output, then try again. Conn never returns it.
	ErrWriteBufferFull = errors.New("tls: Write buffer full; send Output first")

	// ErrNotConnected is a call, such as Write, before the handshake is done.
	ErrNotConnected = errors.New("tls: handshake not complete")

	// ErrClosed is the use of a connection after Close (or of an Engine
	// after its close_notify). Package tlsnet's errors for it also match
	// net.ErrClosed.
	ErrClosed = errors.New("tls: use of closed connection")

	// ErrMisuse is a call of the Engine outside its contract: an Ack count
	// out of range, Start twice. The error returned wraps it and says which.
	ErrMisuse = errors.New("tls: Engine misuse")
)

// wrapped is a usage error with its own message that matches a sentinel.
type wrapped struct {
	msg string
	err error
}

func (e *wrapped) Error() string { return e.msg }
func (e *wrapped) Unwrap() error { return e.err }

// ConfigError is an invalid Config or Buffers, found by Client,
// ClientWithBuffers, NewEngine and Engine.Init before anything is sent.
// The connection cannot be used; nothing goes to the peer.
type ConfigError struct {
	// Field names what is wrong: "Config.ServerName", "Buffers.Read", ...
	Field string
	// Reason says what is wrong with it.
	Reason string
}

// Error returns "tls: invalid Field: Reason".
func (e *ConfigError) Error() string { return "tls: invalid " + e.Field + ": " + e.Reason }

func configError(field, reason string) *ConfigError {
	return &ConfigError{Field: field, Reason: reason}
}

// PinMismatchError is PinVerifier's error for a server whose public key
// matches no pin, the cause of the bad_certificate AlertError.
type PinMismatchError struct {
	// Pin is the server's actual pin, "sha256/..." (see PinSHA256).
	Pin string
}

// Error names the server's pin.
func (e *PinMismatchError) Error() string {
	return "tls: server public key " + e.Pin + " does not match any pin"
}

// itoa formats a non-negative int, without strconv.
func itoa(v int) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(buf[i:])
		}
	}
}
