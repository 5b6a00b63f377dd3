package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tabletls/tabletls/internal/testpeer"
)

// TestSessionFiles: -sess-out keeps the server's ticket, -sess-in resumes
// with it (and -sess-out then keeps the next one), as with s_client.
func TestSessionFiles(t *testing.T) {
	srv := startReplyServer(t, testpeer.GoServerOptions{})
	ca := caFile(t, srv.Cert.CA)
	sess := filepath.Join(t.TempDir(), "session.pem")
	code, stdout, _ := runCmd(t, "-connect", srv.Addr, "-ca", ca, "-servername", "localhost", "-sess-out", sess)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertSummary(t, stdout, "Resumed", "no", "Session out", regexpQuote(sess)+` \([1-9][0-9]* tickets received\)`)
	first, err := os.ReadFile(sess)
	if err != nil || !strings.Contains(string(first), "BEGIN "+sessionPEMType) {
		t.Fatalf("session file: %v\n%s", err, first)
	}
	code, stdout, _ = runCmd(t, "-connect", srv.Addr, "-ca", ca, "-servername", "localhost", "-sess-in", sess, "-sess-out", sess)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertSummary(t, stdout, "Resumed", "yes, psk_dhe_ke", "Peer certificates", "1")
	if res := srv.WaitHandshake(t); !res.State.DidResume {
		// WaitHandshake returns handshakes in order: skip the first.
		if res = srv.WaitHandshake(t); !res.State.DidResume {
			t.Fatal("the server did not resume")
		}
	}
	second, _ := os.ReadFile(sess)
	if string(second) == string(first) {
		t.Fatal("-sess-out did not keep the new ticket")
	}
}

// TestEarlyDataAndPSKFlags: -early-data against openssl s_server
// -early_data (accepted with a fresh ticket, then not accepted with the
// same one, and sent again), and -psk against s_server -psk.
func TestEarlyDataAndPSKFlags(t *testing.T) {
	srv := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeStdio, ExtraArgs: []string{"-early_data"}})
	ca := caFile(t, srv.Cert.CA)
	dir := t.TempDir()
	sess, early := filepath.Join(dir, "s.pem"), filepath.Join(dir, "early.txt")
	if err := os.WriteFile(early, []byte("reading=21.5C\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// s_server prints what it gets, and answers what the test Sends.
	pings := 0
	answered := func(args ...string) (int, string) {
		t.Helper()
		pings++
		type result struct {
			code   int
			stdout string
		}
		done := make(chan result)
		go func() {
			code, stdout, _ := runCmd(t, args...)
			done <- result{code, stdout}
		}()
		if err := srv.WaitForOutputCount("ping", pings, 5*time.Second); err == nil {
			srv.Send("pong\n")
		}
		r := <-done
		return r.code, r.stdout
	}
	base := []string{"-connect", srv.Addr, "-ca", ca, "-servername", "localhost", "-request", `ping\n`, "-idle", "300ms", "-timeout", "5s"}
	if code, _ := answered(append(base, "-sess-out", sess)...); code != 0 {
		t.Fatalf("exit %d", code)
	}
	ticket, _ := os.ReadFile(sess)
	code, stdout := answered(append(base, "-sess-in", sess, "-early-data", early)...)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertSummary(t, stdout, "Resumed", "yes, psk_dhe_ke", "Early data", "14 bytes, accepted")
	if err := srv.WaitForOutput("Early data received:\nreading=21.5C", 5*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, srv.Output())
	}
	// The same ticket again: OpenSSL takes a ticket once for 0-RTT.
	os.WriteFile(sess, ticket, 0o600)
	code, stdout = answered(append(base, "-sess-in", sess, "-early-data", early)...)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertSummary(t, stdout, "Early data", "14 bytes, NOT accepted: sent again after the handshake")
	if err := srv.WaitForOutputCount("reading=21.5C", 2, 5*time.Second); err != nil {
		t.Fatalf("the early data was not sent again: %v\n%s", err, srv.Output())
	}

	psk := testpeer.StartOpenSSL(t, testpeer.OpenSSLOptions{Mode: testpeer.ModeRev, NoTickets: true,
		ExtraArgs: []string{"-psk", "0a0b0c0d0e0f", "-psk_identity", "device-7", "-allow_no_dhe_kex"}})
	code, stdout, _ = runCmd(t, "-connect", psk.Addr, "-request", `ping\n`, "-idle", "300ms", "-servername", "localhost", "-psk", "device-7:0a0b0c0d0e0f", "-psk-modes", "psk_ke",
		"-timeout", "2s")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	assertSummary(t, stdout, "Resumed", "no; external PSK, psk_ke", "Peer certificates", "0")
	assertContains(t, "stdout", stdout, "gnip")
}

func regexpQuote(s string) string {
	return strings.NewReplacer(".", `\.`, "(", `\(`, ")", `\)`).Replace(s)
}

// TestSessionUsageErrors: the new flags' mistakes are usage errors (exit
// 2) before anything is sent.
func TestSessionUsageErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte("-----BEGIN TABLETLS SESSION-----\nAAAA\n-----END TABLETLS SESSION-----\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-early-data", junk}, "-early-data needs -sess-in"},
		{[]string{"-sess-in", filepath.Join(dir, "missing")}, "-sess-in:"},
		{[]string{"-sess-in", empty}, "no TABLETLS SESSION PEM block"},
		{[]string{"-sess-in", junk}, "invalid or unsupported serialized ClientSessionState"},
		{[]string{"-psk", "id"}, "-psk: want identity:hex"},
		{[]string{"-psk-modes", "rsa"}, "-psk-modes: unknown mode"},
	} {
		code, _, stderr := runCmd(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
