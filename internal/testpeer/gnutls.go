package testpeer

import (
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// GnuTLSServer is a gnutls-serv --echo process, TLS 1.3 only: it sends
// back every line it reads. GnuTLS honours record_size_limit (RFC 8449).
type GnuTLSServer struct {
	Addr string
	Cert *Cert
}

// RequireGnuTLS returns the path of gnutls-serv, failing the test if it is
// not installed (.ci/run installs gnutls-bin).
func RequireGnuTLS(tb testing.TB) string {
	tb.Helper()
	bin, err := exec.LookPath("gnutls-serv")
	if err != nil {
		tb.Fatal("testpeer: gnutls-serv not installed (apt-get install gnutls-bin; .ci/run does)")
	}
	return bin
}

// StartGnuTLSEcho starts gnutls-serv --echo with cert (a fresh ECDSA P-256
// one if nil) and stops it when the test ends.
func StartGnuTLSEcho(tb testing.TB, cert *Cert) *GnuTLSServer {
	tb.Helper()
	return StartGnuTLS(tb, cert, "NORMAL:-VERS-ALL:+VERS-TLS1.3")
}

// StartGnuTLS is StartGnuTLSEcho with the priority string priority and
// extra arguments (--pskpasswd FILE, --earlydata...).
func StartGnuTLS(tb testing.TB, cert *Cert, priority string, extra ...string) *GnuTLSServer {
	tb.Helper()
	bin := RequireGnuTLS(tb)
	if cert == nil {
		cert = DefaultCA().Issue(ECDSAP256)
	}
	certFile, keyFile, err := cert.WriteFiles(tb.TempDir())
	if err != nil {
		tb.Fatalf("testpeer: writing cert files: %v", err)
	}
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort()
		if err != nil {
			tb.Fatal(err)
		}
		args := []string{"--echo", "-p", strconv.Itoa(port),
			"--x509certfile", certFile, "--x509keyfile", keyFile, "--priority", priority}
		cmd := exec.Command(bin, append(args, extra...)...)
		if err := cmd.Start(); err != nil {
			tb.Fatalf("testpeer: starting gnutls-serv: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		addr := "127.0.0.1:" + strconv.Itoa(port)
		deadline := time.Now().Add(ReadyTimeout)
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				deadline = time.Time{} // port taken: try another
				continue
			default:
			}
			if c, err := net.Dial("tcp", addr); err == nil {
				c.Close()
				tb.Cleanup(func() { cmd.Process.Kill(); <-exited })
				return &GnuTLSServer{Addr: addr, Cert: cert}
			}
			time.Sleep(20 * time.Millisecond)
		}
		cmd.Process.Kill()
		<-exited
	}
	tb.Fatal(fmt.Errorf("testpeer: gnutls-serv did not start"))
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
