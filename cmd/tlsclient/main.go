// Command tlsclient is an "openssl s_client" for the tabletls TLS 1.3
// client: it connects, runs the handshake, sends a request, prints the
// reply and then what the handshake settled on.
//
// With no arguments it starts a TLS 1.3 server (crypto/tls) on 127.0.0.1
// with a key made at startup, connects to it with tabletls pinning that
// key, and shows the whole exchange. It needs no network:
//
//	go run ./cmd/tlsclient
//	go run ./cmd/tlsclient -trace
//
// Against a real server, the chain is verified against the system roots
// unless -ca or -pin says otherwise:
//
//	go run ./cmd/tlsclient -connect example.com:443
//	go run ./cmd/tlsclient -connect 192.0.2.1:8443 -servername device.local -ca ca.pem
//	go run ./cmd/tlsclient -connect host:443 -pin sha256/AAAA...= -groups X25519MLKEM768,x25519
//
// The reply is read until the server closes, or has been silent for -idle
// once it began. With -interactive, stdin goes to the server and the
// server's data to stdout, as with openssl s_client.
//
// Errors are one line on stderr and exit status 1; bad flags, and files
// named by flags that cannot be read, exit 2. A server that answers in
// plain text (an HTTP server, SSH) is named as such.
package main

import (
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(runWithStdin(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // the connection failed
	exitUsage = 2 // bad flags
)

// run is the whole command, with its arguments (without the program name)
// and output streams; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return runWithStdin(args, strings.NewReader(""), stdout, stderr)
}

// runWithStdin is run with the input -interactive sends.
func runWithStdin(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		if err == errHelp {
			return exitOK
		}
		if err != errFlagParse { // the flag package printed its own
			printError(stderr, err)
		}
		return exitUsage
	}
	opts.stdin = stdin
	if err := opts.run(stdout, stderr); err != nil {
		printError(stderr, err)
		return exitError
	}
	return exitOK
}
