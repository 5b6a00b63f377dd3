package tls

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/rfc8448"
)

// keyLogRecorder records every Write call separately.
type keyLogRecorder struct {
	writes []string
	err    error
}

func (w *keyLogRecorder) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func TestWriteKeyLogRFC8448(t *testing.T) {
	sec := rfc8448.Get(3)
	clientRandom := sec.Value("client_hello")[6:38] // after type, length, legacy_version
	w := new(keyLogRecorder)
	if err := writeKeyLog(w, keyLogLabelClientHandshake, clientRandom, sec.Value("client_handshake_traffic_secret")); err != nil {
		t.Fatal(err)
	}
	want := "CLIENT_HANDSHAKE_TRAFFIC_SECRET " +
		"cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7 " +
		"b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21\n"
	if len(w.writes) != 1 || w.writes[0] != want {
		t.Errorf("writes = %q, want one write %q", w.writes, want)
	}
}

func TestWriteKeyLogAllLabels(t *testing.T) {
	random := bytes.Repeat([]byte{0xab}, 32)
	secret := bytes.Repeat([]byte{0xcd}, 48) // SHA-384 size: the longest secret
	var buf bytes.Buffer
	labels := []string{
		keyLogLabelClientEarlyTraffic,
		keyLogLabelClientHandshake,
		keyLogLabelServerHandshake,
		keyLogLabelClientTraffic,
		keyLogLabelServerTraffic,
		keyLogLabelExporter,
	}
	for _, l := range labels {
		if err := writeKeyLog(&buf, l, random, secret); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(labels) {
		t.Fatalf("%d lines, want %d", len(lines), len(labels))
	}
	for i, line := range lines {
		want := labels[i] + " " + strings.Repeat("ab", 32) + " " + strings.Repeat("cd", 48)
		if line != want {
			t.Errorf("line %d = %q, want %q", i, line, want)
		}
	}
}

func TestWriteKeyLogError(t *testing.T) {
	errDisk := errors.New("disk full")
	w := &keyLogRecorder{err: errDisk}
	if err := writeKeyLog(w, keyLogLabelExporter, make([]byte, 32), make([]byte, 32)); err != errDisk {
		t.Errorf("error %v, want %v", err, errDisk)
	}
}
