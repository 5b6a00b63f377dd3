package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
)

// startMosquitto runs mosquitto with a TLS 1.3 listener that requires a
// client certificate from ca and takes the certificate's CN as the MQTT
// user name; the ACL lets user U use only devices/U/#. It returns the
// listener's address and the broker's log.
func startMosquitto(t *testing.T, ca *testpeer.CA) (string, *logBuffer) {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto" // Debian's, not on a user's PATH
		if _, err := os.Stat(bin); err != nil {
			t.Fatal("mosquitto is not installed (.ci/run installs it): apt-get install mosquitto")
		}
	}
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, ca.Issue(testpeer.ECDSAP256))
	caFile := writeCA(t, ca)
	acl := filepath.Join(dir, "acl")
	if err := os.WriteFile(acl, []byte("pattern readwrite devices/%u/#\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A free port: mosquitto cannot report one it chose itself.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	conf := strings.Join([]string{
		"per_listener_settings false",
		"allow_anonymous false",
		"persistence false",
		"log_dest stderr",
		"log_type all",
		"acl_file " + acl,
		"listener " + port + " 127.0.0.1",
		"cafile " + caFile,
		"certfile " + certFile,
		"keyfile " + keyFile,
		"tls_version tlsv1.3",
		"require_certificate true",
		"use_identity_as_username true",
	}, "\n") + "\n"
	if os.Geteuid() == 0 {
		// Otherwise mosquitto drops to user mosquitto, who cannot read
		// the test's files.
		conf += "user root\n"
	}
	confFile := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out := newLogBuffer()
	cmd := exec.Command(bin, "-c", confFile)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("--- mosquitto log ---\n%s", out.String())
		}
	})
	deadline := time.Now().Add(testTimeout)
	for !strings.Contains(out.String(), "Opening ipv4 listen socket on port "+port) {
		select {
		case <-exited:
			t.Fatalf("mosquitto exited:\n%s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("mosquitto did not listen on %s:\n%s", addr, out.String())
		}
	}
	return addr, out
}

// MQTT 3.1.1 packets (OASIS MQTT Version 3.1.1), written by hand: the
// gateway must pass them through untouched.

func mqttPacket(typeAndFlags byte, body []byte) []byte {
	p := []byte{typeAndFlags}
	for n := len(body); ; { // remaining length, §2.2.3
		b := byte(n % 128)
		if n /= 128; n > 0 {
			b |= 0x80
		}
		p = append(p, b)
		if n == 0 {
			break
		}
	}
	return append(p, body...)
}

func mqttString(s string) []byte {
	return append([]byte{byte(len(s) >> 8), byte(len(s))}, s...)
}

func mqttConnect(clientID string) []byte {
	body := mqttString("MQTT")
	body = append(body, 4, 0x02, 0, 60) // level 4, clean session, keep alive 60 s
	return mqttPacket(0x10, append(body, mqttString(clientID)...))
}

func mqttSubscribe(id uint16, filter string) []byte {
	body := append([]byte{byte(id >> 8), byte(id)}, mqttString(filter)...)
	return mqttPacket(0x82, append(body, 0)) // QoS 0
}

func mqttPublish(topic, payload string) []byte {
	return mqttPacket(0x30, append(mqttString(topic), payload...)) // QoS 0
}

// mqttRead reads one packet: its first byte and its body.
func mqttRead(r *bufio.Reader) (byte, []byte, error) {
	t, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, mult := 0, 1
	for i := 0; ; i++ {
		b, err := r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		n += int(b&0x7f) * mult
		mult *= 128
		if b&0x80 == 0 {
			break
		}
		if i == 3 {
			return 0, nil, errors.New("mqtt: bad remaining length")
		}
	}
	body := make([]byte, n)
	_, err = io.ReadFull(r, body)
	return t, body, err
}

func mqttExpect(t *testing.T, r *bufio.Reader, what string, wantType byte, wantBody []byte) {
	t.Helper()
	typ, body, err := mqttRead(r)
	if err != nil {
		t.Fatalf("reading %s: %v", what, err)
	}
	if typ != wantType || !bytes.Equal(body, wantBody) {
		t.Fatalf("%s: got %#02x % x, want %#02x % x", what, typ, body, wantType, wantBody)
	}
}

// TestMosquitto speaks plain MQTT through the gateway to a broker that
// requires a client certificate and names the client by it.
func TestMosquitto(t *testing.T) {
	ca := testpeer.NewCA()
	broker, brokerLog := startMosquitto(t, ca)
	certFile, keyFile := writeCert(t, ca.Issue(testpeer.ECDSAP256, "sensor-17"))
	caFile := writeCA(t, ca)

	t.Run("connect subscribe publish", func(t *testing.T) {
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", broker, "-servername", "localhost",
			"-ca", caFile, "-cert", certFile, "-key", keyFile)
		c := g.dial(t, 0)
		r := bufio.NewReader(c)
		c.Write(mqttConnect("gateway-test"))
		mqttExpect(t, r, "CONNACK", 0x20, []byte{0, 0}) // session present 0, accepted
		c.Write(mqttSubscribe(1, "devices/sensor-17/#"))
		mqttExpect(t, r, "SUBACK for its own topics", 0x90, []byte{0, 1, 0}) // granted QoS 0
		c.Write(mqttSubscribe(2, "devices/sensor-18/#"))
		mqttExpect(t, r, "SUBACK for another device's topics", 0x90, []byte{0, 2, 0}) // mosquitto 2.0 grants it, then filters
		// The ACL lets user U write only devices/U/#: the broker drops the
		// first PUBLISH because it took the user name, sensor-17, from the
		// certificate the gateway presented.
		payload := strings.Repeat("21.5 ", 100)
		c.Write(mqttPublish("devices/sensor-18/temperature", "spoofed"))
		c.Write(mqttPublish("devices/sensor-17/temperature", payload))
		mqttExpect(t, r, "PUBLISH back", 0x30, append(mqttString("devices/sensor-17/temperature"), payload...))
		c.Write([]byte{0xe0, 0}) // DISCONNECT
		c.CloseWrite()
		if rest := readAll(t, r); rest != "" {
			t.Errorf("after DISCONNECT: %q", rest)
		}
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "client_cert", "true")
		expectField(t, e, "level", "INFO")
		if !strings.HasSuffix(e.str("end"), "closed first, then device") && e.str("end") != "device closed first, then upstream" {
			t.Errorf("end %q", e.str("end"))
		}
		sent := len(mqttConnect("gateway-test")) + len(mqttSubscribe(1, "devices/sensor-17/#")) +
			len(mqttSubscribe(2, "devices/sensor-18/#")) + len(mqttPublish("devices/sensor-18/temperature", "spoofed")) +
			len(mqttPublish("devices/sensor-17/temperature", payload)) + 2
		if e.num("bytes_up") != int64(sent) {
			t.Errorf("bytes_up %d, want %d", e.num("bytes_up"), sent)
		}
		if !brokerLog.waitText(func(l string) bool {
			return strings.Contains(l, "as gateway-test") && strings.Contains(l, "u'sensor-17'") && strings.Contains(l, "Denied PUBLISH from gateway-test")
		}) {
			t.Errorf("the broker did not log client gateway-test as user sensor-17, with its PUBLISH to sensor-18 denied")
		}
	})

	t.Run("no client certificate", func(t *testing.T) {
		g := startGateway(t, "-listen", "127.0.0.1:0", "-connect", broker, "-servername", "localhost", "-ca", caFile)
		c := g.dial(t, 0)
		c.Write(mqttConnect("no-cert"))
		b, err := io.ReadAll(c)
		if len(b) != 0 || (err != nil && !errors.Is(err, syscall.ECONNRESET)) {
			t.Errorf("device read %q, %v; want the connection closed", b, err)
		}
		e := g.log.waitConnections(t, 1)[0]
		expectField(t, e, "level", "WARN")
		expectField(t, e, "end", "upstream handshake failed")
		expectField(t, e, "error", "tls: alert certificate_required from peer")
	})
}
