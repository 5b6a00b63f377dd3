package tlsserver_test

import (
	"strings"
	"testing"

	"github.com/tabletls/tabletls/internal/tlsserver"
	"github.com/tabletls/tabletls/internal/wire"
	"github.com/tabletls/tabletls/tls"
)

// TestSignatureSchemesEnforced: a server that signs its CertificateVerify
// with a scheme outside Config.SignatureSchemes (this one signs with its
// key's scheme whatever the client offered) gets illegal_parameter.
func TestSignatureSchemesEnforced(t *testing.T) {
	for _, tc := range []struct {
		offer []tls.SignatureScheme
		ok    bool
	}{
		{[]tls.SignatureScheme{tls.ECDSAWithP256AndSHA256}, true},
		{[]tls.SignatureScheme{tls.ECDSAWithP384AndSHA384}, false},
	} {
		cfg := tlsserver.ClientConfig("sigprefs")
		cfg.SignatureSchemes = tc.offer
		p, err := tlsserver.NewPipe(cfg, tlsserver.New(tlsserver.Options{Echo: true}))
		if err != nil {
			t.Fatal(err)
		}
		p.Handshake()
		r := p.Result()
		if tc.ok {
			if !r.HandshakeComplete || r.Err != nil {
				t.Fatalf("%v: %v", tc.offer, r.Err)
			}
			continue
		}
		if r.Alert == nil || r.Alert.Received || r.Alert.Alert != tls.AlertIllegalParameter || !strings.Contains(r.Err.Error(), "scheme we did not offer") {
			t.Fatalf("%v: %v, want illegal_parameter", tc.offer, r.Err)
		}
		if len(r.Sent) == 0 || r.Sent[len(r.Sent)-1].Description != wire.AlertDescriptionIllegalParameter {
			t.Fatalf("alerts sent: %v", r.Sent)
		}
	}
}
