package tls

import (
	"encoding/hex"
	"io"
)

// This file writes secrets in the NSS key log format, which Wireshark and
// other tools read to decrypt captured traffic:
// https://firefox-source-docs.mozilla.org/security/nss/legacy/key_log_format/
//
// Each line is "<label> <client_random hex> <secret hex>\n", where
// client_random is the 32-byte ClientHello.random that identifies the
// connection. Key logging defeats all of TLS's security; it is for
// debugging only.

// Key log labels for TLS 1.3 (the ones crypto/tls also writes).
const (
	keyLogLabelClientEarlyTraffic = "CLIENT_EARLY_TRAFFIC_SECRET"
	keyLogLabelClientHandshake    = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
	keyLogLabelServerHandshake    = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
	keyLogLabelClientTraffic      = "CLIENT_TRAFFIC_SECRET_0"
	keyLogLabelServerTraffic      = "SERVER_TRAFFIC_SECRET_0"
	keyLogLabelExporter           = "EXPORTER_SECRET"
)

// writeKeyLog writes one key log line to w in a single Write call, so that
// lines from concurrent connections sharing w do not interleave (provided
// w's Write is itself atomic, like os.File's for short writes).
func writeKeyLog(w io.Writer, label string, clientRandom, secret []byte) error {
	// One allocation of the exact size: a stack array would escape
	// through w.Write and land on the heap anyway.
	line := make([]byte, len(label)+1+2*len(clientRandom)+1+2*len(secret)+1)
	i := copy(line, label)
	line[i] = ' '
	i++
	i += hex.Encode(line[i:], clientRandom)
	line[i] = ' '
	i++
	i += hex.Encode(line[i:], secret)
	line[i] = '\n'
	_, err := w.Write(line)
	clear(line)
	return err
}
