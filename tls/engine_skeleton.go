package tls

// TEMPORARY skeleton so the package compiles while engine.go is written.

type engine struct{ state HandshakeState }

func (e *engine) traceTransition(from HandshakeState, ev HandshakeEvent, to HandshakeState) {}

func (e *engine) clientAuthRequested() bool            { return false }
func (e *engine) closeBeforeStart() error              { return nil }
func (e *engine) deliverApplicationData() error        { return nil }
func (e *engine) dropChangeCipherSpec() error          { return nil }
func (e *engine) processAlert() error                  { return nil }
func (e *engine) processCertificate() error            { return nil }
func (e *engine) processCertificateRequest() error     { return nil }
func (e *engine) processCertificateVerify() error      { return nil }
func (e *engine) processCloseNotify() error            { return nil }
func (e *engine) processCloseNotifyInHandshake() error { return nil }
func (e *engine) processEncryptedExtensions() error    { return nil }
func (e *engine) processFinished() error               { return nil }
func (e *engine) processHelloRetryRequest() error      { return nil }
func (e *engine) processKeyUpdate() error              { return nil }
func (e *engine) processNewSessionTicket() error       { return nil }
func (e *engine) processServerHello() error            { return nil }
func (e *engine) pskAccepted() bool                    { return false }
func (e *engine) sendClientCertificate() error         { return nil }
func (e *engine) sendClientHello() error               { return nil }
func (e *engine) sendCloseNotify() error               { return nil }
func (e *engine) sendFinished() error                  { return nil }
func (e *engine) sendKeyUpdate() error                 { return nil }
func (e *engine) sendUserCanceled() error              { return nil }
