//go:build !go1.26

package testpeer

import "crypto/tls"

func stateHRR(cs tls.ConnectionState) (hrr, known bool) { return false, false }
