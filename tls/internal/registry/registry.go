// Package registry is where the implementation packages outside package
// tls (tls/hybrid, tls/rsapss, tls/ed25519sig) announce themselves when a
// program imports them, so that tls.DefaultCrypto includes them, as
// crypto.RegisterHash does for hashes. It holds values of package tls's
// types as any, because it cannot import package tls.
package registry

import "sync"

var (
	mu    sync.Mutex
	impls []func() any
)

// Register adds a function that returns a *tls.KeyExchange or a
// *tls.SignatureVerifier.
func Register(f func() any) {
	mu.Lock()
	impls = append(impls, f)
	mu.Unlock()
}

// All returns what was registered, in order.
func All() []any {
	mu.Lock()
	defer mu.Unlock()
	out := make([]any, len(impls))
	for i, f := range impls {
		out[i] = f()
	}
	return out
}
