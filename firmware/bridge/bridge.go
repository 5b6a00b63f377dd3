// Package bridge runs the firmware example (firmware/device) the way a
// device is deployed: the TLS client runs on the emulated microcontroller
// (QEMU's mps2 boards) or under a wasip1 runtime (node), and sees only a
// byte stream, as through a UART modem. The bridge is the modem: it
// provisions the device over the link, dials the real server on the host,
// and copies octets both ways without looking at them. The device's report
// (its console) and the runtime's own messages (panics, out of memory) come
// back in a Result.
//
// For debugging a QEMU run: TABLETLS_QEMU_LOG=",int,guest_errors" adds QEMU
// -d log items, TABLETLS_QEMU_KEEPLOG=FILE keeps that log, and
// TABLETLS_QEMU_GDB=1 starts QEMU halted with its gdbstub on :1234. The
// tests take prebuilt default images from TABLETLS_FW_IMAGES (make
// firmware's firmware/bin, as .ci/run does).
package bridge

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tabletls/tabletls/firmware/provision"
	"github.com/tabletls/tabletls/firmware/tinygo"
)

// Options of one run.
type Options struct {
	Target    tinygo.Target
	Image     string           // the built image
	Server    string           // host:port of the real TLS server
	Provision *provision.Block // sent over the link first
	Timeout   time.Duration    // whole run; 0 means 2 minutes
}

// Result is what a run produced.
type Result struct {
	Report   map[string]string // the device's key=value console lines
	Console  string            // the console as printed
	Runtime  string            // the TinyGo runtime's own output (QEMU only)
	ExitCode int               // the emulator's exit status
	ToServer int64             // octets the device sent
	ToDevice int64             // octets the server sent
	Wall     time.Duration     // emulator start to exit
	// Link is how the bridge's copying ended, if not cleanly: the link
	// drops when the emulator exits, which after a finished run is
	// normal.
	Link error

	sent     atomic.Int64 // octets forwarded to the server so far
	upFailed atomic.Bool  // the server stopped taking them (it closed first)
}

// consoleWriter collects the device's console and signals the first
// result line.
type consoleWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	result chan struct{}
	once   sync.Once
}

func (c *consoleWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf.Write(p)
	if bytes.Contains(c.buf.Bytes(), []byte("\nresult=")) || bytes.HasPrefix(c.buf.Bytes(), []byte("result=")) {
		if i := bytes.LastIndex(c.buf.Bytes(), []byte("result=")); bytes.IndexByte(c.buf.Bytes()[i:], '\n') >= 0 {
			c.once.Do(func() { close(c.result) })
		}
	}
	return len(p), nil
}

func (c *consoleWriter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

type countingWriter struct {
	w      io.Writer
	n      *atomic.Int64
	failed *atomic.Bool
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	if err != nil {
		c.failed.Store(true)
	}
	return n, err
}

// OK reports whether the device said result=ok and exited with status 0.
func (r *Result) OK() bool { return r.ExitCode == 0 && r.Report["result"] == "ok" }

// Run runs the image once against o.Server.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if o.Target.Machine != "" {
		return runQEMU(ctx, o)
	}
	return runNode(ctx, o)
}

// RequireTools reports which of the emulators the firmware tests need is
// missing: qemu-system-arm and node.
func RequireTools() error {
	var missing []string
	for _, tool := range []string{"qemu-system-arm", "node"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("not installed: %s (run .ci/install-tinygo)", strings.Join(missing, ", "))
	}
	return nil
}

func runQEMU(ctx context.Context, o Options) (*Result, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	dir, err := os.MkdirTemp("", "tabletls-qemu-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	unimp := filepath.Join(dir, "unimp.log")
	console := &consoleWriter{result: make(chan struct{})}
	cmd := exec.CommandContext(ctx, "qemu-system-arm",
		"-machine", o.Target.Machine, "-display", "none", "-monitor", "none",
		"-chardev", "socket,id=link,host=127.0.0.1,port="+strconv.Itoa(ln.Addr().(*net.TCPAddr).Port),
		"-serial", "chardev:link",
		"-chardev", "stdio,id=con,signal=off",
		"-semihosting-config", "enable=on,target=native,chardev=con",
		"-d", "unimp"+os.Getenv("TABLETLS_QEMU_LOG"), "-D", unimp,
		"-kernel", o.Image)
	if os.Getenv("TABLETLS_QEMU_GDB") != "" {
		cmd.Args = append(cmd.Args, "-s", "-S")
	}
	cmd.Stdout, cmd.Stderr = console, console
	cmd.Stdin = nil
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	linkc := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(linkc)
			return
		}
		linkc <- c
	}()
	res := &Result{}
	var bridgeErr error
	var wg sync.WaitGroup
	select {
	case link, ok := <-linkc:
		if ok {
			wg.Add(1)
			go func() {
				defer wg.Done()
				bridgeErr = serve(ctx, link, o, res)
			}()
		}
	case <-ctx.Done():
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var waitErr error
	stopped := false
	select {
	case waitErr = <-exited: // a panic, or the device never reported
	case <-console.result:
		// The device has reported and idles. Stop QEMU once its last
		// octets have reached the server (see the device's finish).
		sent, _ := strconv.ParseInt(parseReport(console.String())["link_tx"], 10, 64)
		for deadline := time.Now().Add(10 * time.Second); res.sent.Load() < sent && !res.upFailed.Load() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		cmd.Process.Kill()
		waitErr = <-exited
		stopped = true
	case <-ctx.Done():
		waitErr = <-exited
	}
	res.Wall = time.Since(start)
	ln.Close()
	wg.Wait()
	res.Console = console.String()
	res.Report = parseReport(res.Console)
	res.ExitCode = exitCode(waitErr)
	if stopped {
		res.ExitCode = 0
		if res.Report["result"] != "ok" {
			res.ExitCode = 1
		}
	}
	res.Runtime = runtimeOutput(unimp)
	if keep := os.Getenv("TABLETLS_QEMU_KEEPLOG"); keep != "" {
		if raw, err := os.ReadFile(unimp); err == nil {
			os.WriteFile(keep, raw, 0o644)
		}
	}
	if ctx.Err() != nil {
		return res, fmt.Errorf("bridge: %s did not finish in %v (console: %q, runtime: %q)", o.Target.Name, o.Timeout, res.Console, res.Runtime)
	}
	res.Link = bridgeErr
	return res, nil
}

func runNode(ctx context.Context, o Options) (*Result, error) {
	root, err := tinygo.Root()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", filepath.Join(root, "targets", "runwasi.mjs"), o.Image)
	var console bytes.Buffer
	cmd.Stderr = &console
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	res := &Result{}
	bridgeErr := serve(ctx, pipeLink{stdout, stdin}, o, res)
	waitErr := cmd.Wait()
	res.Wall = time.Since(start)
	res.ExitCode = exitCode(waitErr)
	res.Console = console.String()
	res.Report = parseReport(res.Console)
	if ctx.Err() != nil {
		return res, fmt.Errorf("bridge: %s did not finish in %v (console: %q)", o.Target.Name, o.Timeout, res.Console)
	}
	res.Link = bridgeErr
	return res, nil
}

type pipeLink struct {
	io.ReadCloser
	w io.WriteCloser
}

func (p pipeLink) Write(b []byte) (int, error) { return p.w.Write(b) }
func (p pipeLink) Close() error {
	p.w.Close()
	return p.ReadCloser.Close()
}
func (p pipeLink) CloseWrite() error { return p.w.Close() }

// serve is the modem: provision the device, dial the server, and copy both
// ways until the device's side of the link ends.
func serve(ctx context.Context, link io.ReadWriteCloser, o Options, res *Result) error {
	defer link.Close()
	if _, err := link.Write(o.Provision.Append(nil)); err != nil {
		return err
	}
	var d net.Dialer
	up, err := d.DialContext(ctx, "tcp", o.Server)
	if err != nil {
		return err
	}
	defer up.Close()
	stop := context.AfterFunc(ctx, func() { up.Close(); link.Close() })
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		n, _ := io.Copy(link, up)
		res.ToDevice = n
		// The server is done: the device sees the end of its stream
		// only as a close_notify; the link itself stays up.
	}()
	n, err := io.Copy(&countingWriter{up, &res.sent, &res.upFailed}, link)
	res.ToServer = n
	up.(*net.TCPConn).CloseWrite()
	<-done
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

var reportLine = regexp.MustCompile(`^([a-z_0-9]+)=(.*)$`)

// parseReport reads the device's key=value lines (the values Go-quoted).
func parseReport(console string) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(console))
	for sc.Scan() {
		if g := reportLine.FindStringSubmatch(sc.Text()); g != nil {
			if v, err := strconv.Unquote(g[2]); err == nil {
				m[g[1]] = v
			}
		}
	}
	return m
}

var unimpWrite = regexp.MustCompile(`offset 0xc000, value 0x([0-9a-f]+)\)`)

// runtimeOutput recovers what the TinyGo runtime printed (a panic, "out of
// memory"): its putchar writes to the UART of the LM3S6965 that TinyGo's
// qemu runtime assumes, an address mps2 leaves unimplemented, so QEMU's
// -d unimp log has each octet.
func runtimeOutput(log string) string {
	raw, err := os.ReadFile(log)
	if err != nil {
		return ""
	}
	var b []byte
	for _, m := range unimpWrite.FindAllSubmatch(raw, -1) {
		v, err := strconv.ParseUint(string(m[1]), 16, 8)
		if err == nil {
			b = append(b, byte(v))
		}
	}
	return string(b)
}
