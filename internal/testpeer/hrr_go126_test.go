//go:build go1.26

package testpeer

import "crypto/tls"

// stateHRR reports tls.ConnectionState.HelloRetryRequest (new in Go 1.26);
// known is false on older toolchains.
func stateHRR(cs tls.ConnectionState) (hrr, known bool) { return cs.HelloRetryRequest, true }
