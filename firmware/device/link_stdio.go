//go:build !mps2

package main

import (
	"io"
	"os"
)

// On wasip1 (and on a host, for debugging the example with the gc
// toolchain) the link is stdin and stdout and the console is stderr.
func openLink() io.ReadWriter { return stdio{} }

type stdio struct{}

func (stdio) Read(p []byte) (int, error)  { return os.Stdin.Read(p) }
func (stdio) Write(p []byte) (int, error) { return os.Stdout.Write(p) }

func report(key, value string) { os.Stderr.WriteString(reportLine(key, value)) }

func finish(ok bool) {
	if !ok {
		os.Exit(1)
	}
}

// On wasip1 and hosts the runtime bounds the stack itself.
func paintStack() {}

func checkStack() (free int, err error) { return -1, nil }
