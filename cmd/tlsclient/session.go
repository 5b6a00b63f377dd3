package main

import (
	"encoding/pem"
	"fmt"
	"os"
	"sync"

	"github.com/tabletls/tabletls/tls"
)

// sessionPEMType is the PEM block of -sess-in and -sess-out files: a
// tls.ClientSessionState as tls.MarshalClientSessionState encodes it. It holds the
// session's PSK: whoever reads the file can resume the session.
const sessionPEMType = "TABLETLS SESSION"

// fileSessionCache is the one session of -sess-in, offered to any server
// name, and the newest ticket of the connection, written to -sess-out
// (like openssl s_client -sess_in / -sess_out).
type fileSessionCache struct {
	mu      sync.Mutex
	in      *tls.ClientSessionState
	outPath string
	saved   int
	err     error
}

func (c *fileSessionCache) Get(string) (*tls.ClientSessionState, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.in, c.in != nil
}

func (c *fileSessionCache) Put(_ string, s *tls.ClientSessionState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s == nil { // used for 0-RTT: not to be offered again
		c.in = nil
		return
	}
	if c.outPath == "" {
		return
	}
	b, err := tls.MarshalClientSessionState(s)
	if err == nil {
		err = os.WriteFile(c.outPath, pem.EncodeToMemory(&pem.Block{Type: sessionPEMType, Bytes: b}), 0o600)
	}
	if err != nil {
		c.err = fmt.Errorf("-sess-out: %w", err)
		return
	}
	c.saved++
}

// readSession reads a -sess-in file.
func readSession(path string) (*tls.ClientSessionState, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &usageError{Msg: "-sess-in: " + err.Error()}
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != sessionPEMType {
		return nil, &usageError{Msg: "-sess-in " + path + ": no " + sessionPEMType + " PEM block (write one with -sess-out)"}
	}
	s, err := tls.ParseClientSessionState(block.Bytes)
	if err != nil {
		return nil, &usageError{Msg: "-sess-in " + path + ": " + err.Error()}
	}
	return s, nil
}
