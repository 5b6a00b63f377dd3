package main

import (
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/tabletls/tabletls/internal/clientflags"
	"github.com/tabletls/tabletls/tls"
)

// options is the parsed command line: the trust and identity flags shared
// with cmd/tlsgateway, and this command's own.
type options struct {
	clientflags.Flags
	connect     string // host:port; "" starts the embedded server
	trace       bool
	quiet       bool
	interactive bool
	request     string
	requestSet  bool
	timeout     time.Duration
	idle        time.Duration
	stdin       io.Reader // for -interactive
	sessIn      string
	sessOut     string
	earlyFile   string
	earlyData   []byte                  // read from -early-data
	session     *tls.ClientSessionState // read from -sess-in
}

var (
	errHelp      = errors.New("help requested")
	errFlagParse = errors.New("bad flags")
)

// usageError is a flag value that parsed but makes no sense.
type usageError = clientflags.UsageError

const usageText = `usage: tlsclient [flags]

Connects with the tabletls TLS 1.3 client, sends a request, prints the
reply and a summary of the connection. With no -connect, it starts a local
crypto/tls server with a fresh key and connects to it, pinning that key.

`

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("tlsclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		io.WriteString(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.connect, "connect", "", "`host:port` to connect to (default: an embedded local server)")
	o.Flags.Register(fs)
	fs.BoolVar(&o.trace, "trace", false, "print every state transition, record and handshake message, with timing")
	fs.BoolVar(&o.quiet, "quiet", false, "print only the reply")
	fs.BoolVar(&o.interactive, "interactive", false, "like openssl s_client: send stdin to the server and print what it sends, until both have closed (no default request)")
	fs.DurationVar(&o.idle, "idle", time.Second, "once the reply has begun, stop when the server sends nothing for this long (0: wait for it to close, or -timeout)")
	fs.StringVar(&o.request, "request", "", "`data` to send after the handshake; \\r \\n \\t \\\\ are unescaped (default: an HTTP/1.0 GET of /)")
	fs.StringVar(&o.sessIn, "sess-in", "", "resume the session in `file` (written by -sess-out), like openssl s_client -sess_in")
	fs.StringVar(&o.sessOut, "sess-out", "", "write the newest session ticket the server sends to `file`; it holds the session's key")
	fs.StringVar(&o.earlyFile, "early-data", "", "send the contents of `file` as 0-RTT early data, if the session of -sess-in allows it (replayable: send only what is safe twice); sent again after the handshake if the server did not accept it")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "time limit for connecting, the handshake and the reply")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, errHelp
		}
		return nil, errFlagParse
	}
	if fs.NArg() > 0 {
		return nil, &usageError{Msg: "unexpected argument " + quote(fs.Arg(0)) + " (flags come first; see -h)"}
	}
	if err := o.Flags.Finish(fs); err != nil {
		return nil, err
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "request" {
			o.requestSet = true
		}
	})
	if o.requestSet {
		o.request = unescape(o.request)
	}
	if o.timeout <= 0 {
		return nil, &usageError{Msg: "-timeout must be positive"}
	}
	if o.idle < 0 {
		return nil, &usageError{Msg: "-idle must not be negative"}
	}
	if o.interactive && o.requestSet {
		return nil, &usageError{Msg: "-interactive sends stdin: it cannot be combined with -request"}
	}
	if o.sessIn != "" {
		var err error
		if o.session, err = readSession(o.sessIn); err != nil {
			return nil, err
		}
	}
	if o.earlyFile != "" {
		if o.sessIn == "" {
			return nil, &usageError{Msg: "-early-data needs -sess-in: 0-RTT resumes a session"}
		}
		if o.interactive {
			return nil, &usageError{Msg: "-early-data cannot be combined with -interactive"}
		}
		var err error
		if o.earlyData, err = os.ReadFile(o.earlyFile); err != nil {
			return nil, &usageError{Msg: "-early-data: " + err.Error()}
		}
		if len(o.earlyData) == 0 {
			return nil, &usageError{Msg: "-early-data " + o.earlyFile + " is empty"}
		}
	}
	if o.connect != "" {
		if _, _, err := net.SplitHostPort(o.connect); err != nil {
			return nil, &usageError{Msg: "-connect " + quote(o.connect) + ": want host:port"}
		}
	}
	return o, nil
}

// unescape turns \r, \n, \t and \\ into the characters they name, so that
// a request can be written on a shell command line.
func unescape(s string) string {
	return strings.NewReplacer(`\r`, "\r", `\n`, "\n", `\t`, "\t", `\\`, `\`).Replace(s)
}

func quote(s string) string { return clientflags.Quote(s) }
