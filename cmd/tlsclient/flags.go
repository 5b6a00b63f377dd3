package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/tabletls/tabletls/tls"
)

// options is the parsed command line.
type options struct {
	connect      string // host:port; "" starts the embedded server
	serverName   string
	serverNameOK bool // -servername was given (possibly empty)
	alpn         []string
	caFile       string
	pins         []string
	certFile     string
	keyFile      string
	groups       []tls.NamedGroup
	keyShares    []tls.NamedGroup
	suites       []tls.CipherSuite
	insecure     bool
	keyLog       string // file, from -keylog or SSLKEYLOGFILE
	keyLogEnv    bool   // keyLog came from SSLKEYLOGFILE
	trace        bool
	quiet        bool
	interactive  bool
	request      string
	requestSet   bool
	timeout      time.Duration
	idle         time.Duration

	roots      *x509.CertPool         // from caFile
	clientCert *tls.ClientCertificate // from certFile and keyFile
	stdin      io.Reader              // for -interactive
}

var (
	errHelp      = errors.New("help requested")
	errFlagParse = errors.New("bad flags")
)

// usageError is a flag value that parsed but makes no sense.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

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
	var alpn, groups, keyShares, suites string
	fs.StringVar(&o.connect, "connect", "", "`host:port` to connect to (default: an embedded local server)")
	fs.StringVar(&o.serverName, "servername", "", "server `name` for SNI and verification (default: the host of -connect)")
	fs.StringVar(&alpn, "alpn", "", "ALPN `protocols` to offer, comma-separated, e.g. h2,http/1.1")
	fs.StringVar(&o.caFile, "ca", "", "PEM `file` of root certificates to verify the server with")
	fs.Func("pin", "accept the server whose public key has this `pin`, sha256/BASE64 (repeatable, or comma-separated)", func(s string) error {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				o.pins = append(o.pins, p)
			}
		}
		return nil
	})
	fs.StringVar(&o.certFile, "cert", "", "PEM `file` with the client certificate chain, leaf first (client authentication)")
	fs.StringVar(&o.keyFile, "key", "", "PEM `file` with the client private key: PKCS#8, EC or PKCS#1 (default: the -cert file)")
	fs.StringVar(&groups, "groups", "", "key exchange `groups` in preference order: x25519, secp256r1, secp384r1, X25519MLKEM768")
	fs.StringVar(&keyShares, "keyshares", "", "`groups` to send a key share for in the first ClientHello (default: the first of -groups)")
	fs.StringVar(&suites, "suites", "", "cipher `suites` in preference order, e.g. TLS_CHACHA20_POLY1305_SHA256,TLS_AES_128_GCM_SHA256")
	fs.BoolVar(&o.insecure, "insecure", false, "do NOT verify the server's certificate (testing only)")
	fs.StringVar(&o.keyLog, "keylog", "", "append the TLS secrets to `file` in NSS key log format, for Wireshark (default: $SSLKEYLOGFILE)")
	fs.BoolVar(&o.trace, "trace", false, "print every state transition, record and handshake message, with timing")
	fs.BoolVar(&o.quiet, "quiet", false, "print only the reply")
	fs.BoolVar(&o.interactive, "interactive", false, "like openssl s_client: send stdin to the server and print what it sends, until both have closed (no default request)")
	fs.DurationVar(&o.idle, "idle", time.Second, "once the reply has begun, stop when the server sends nothing for this long (0: wait for it to close, or -timeout)")
	fs.StringVar(&o.request, "request", "", "`data` to send after the handshake; \\r \\n \\t \\\\ are unescaped (default: an HTTP/1.0 GET of /)")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "time limit for connecting, the handshake and the reply")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, errHelp
		}
		return nil, errFlagParse
	}
	if fs.NArg() > 0 {
		return nil, &usageError{"unexpected argument " + quote(fs.Arg(0)) + " (flags come first; see -h)"}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "servername":
			o.serverNameOK = true
		case "request":
			o.requestSet = true
		}
	})

	var err error
	if alpn != "" {
		o.alpn = splitList(alpn)
	}
	if o.groups, err = parseGroups(groups); err != nil {
		return nil, err
	}
	if o.keyShares, err = parseGroups(keyShares); err != nil {
		return nil, err
	}
	if len(o.keyShares) > 0 && len(o.groups) == 0 {
		// Key shares must be among the offered groups: offer them, in
		// front of the library's defaults.
		o.groups = appendMissing(append([]tls.NamedGroup(nil), o.keyShares...), defaultGroups...)
	}
	for _, g := range o.keyShares {
		if !containsGroup(o.groups, g) {
			return nil, &usageError{"-keyshares group " + g.String() + " is not in -groups"}
		}
	}
	if o.suites, err = parseSuites(suites); err != nil {
		return nil, err
	}
	if o.requestSet {
		o.request = unescape(o.request)
	}
	if o.keyFile != "" && o.certFile == "" {
		return nil, &usageError{"-key needs -cert"}
	}
	if len(o.pins) > 0 {
		if _, err := tls.NewPinVerifier(o.pins...); err != nil {
			return nil, &usageError{"-pin: " + strings.TrimPrefix(err.Error(), "tls: ")}
		}
	}
	if o.insecure && (o.caFile != "" || len(o.pins) > 0) {
		return nil, &usageError{"-insecure cannot be combined with -ca or -pin"}
	}
	if o.keyLog == "" {
		if f := os.Getenv("SSLKEYLOGFILE"); f != "" {
			o.keyLog, o.keyLogEnv = f, true
		}
	}
	if o.timeout <= 0 {
		return nil, &usageError{"-timeout must be positive"}
	}
	if o.idle < 0 {
		return nil, &usageError{"-idle must not be negative"}
	}
	if o.interactive && o.requestSet {
		return nil, &usageError{"-interactive sends stdin: it cannot be combined with -request"}
	}
	// Files named on the command line are read now: a missing or wrong
	// one is a usage error, before anything is sent.
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, &usageError{"-ca: " + err.Error()}
		}
		o.roots = x509.NewCertPool()
		if !o.roots.AppendCertsFromPEM(pem) {
			return nil, &usageError{"-ca " + o.caFile + ": no PEM certificates in it"}
		}
	}
	if o.certFile != "" {
		cc, err := loadClientCertificate(o.certFile, o.keyFile)
		if err != nil {
			return nil, &usageError{err.Error()}
		}
		o.clientCert = &cc
	}
	if o.connect != "" {
		if _, _, err := net.SplitHostPort(o.connect); err != nil {
			return nil, &usageError{"-connect " + quote(o.connect) + ": want host:port"}
		}
	}
	return o, nil
}

var defaultGroups = []tls.NamedGroup{tls.NamedGroupX25519, tls.NamedGroupSecp256r1, tls.NamedGroupSecp384r1}

// groupNames maps the names accepted by -groups (lower case) to groups:
// the TLS registry names plus the OpenSSL and Go spellings.
var groupNames = map[string]tls.NamedGroup{
	"x25519":         tls.NamedGroupX25519,
	"secp256r1":      tls.NamedGroupSecp256r1,
	"prime256v1":     tls.NamedGroupSecp256r1,
	"p-256":          tls.NamedGroupSecp256r1,
	"p256":           tls.NamedGroupSecp256r1,
	"secp384r1":      tls.NamedGroupSecp384r1,
	"p-384":          tls.NamedGroupSecp384r1,
	"p384":           tls.NamedGroupSecp384r1,
	"x25519mlkem768": tls.X25519MLKEM768,
}

func parseGroups(s string) ([]tls.NamedGroup, error) {
	var out []tls.NamedGroup
	for _, name := range splitList(s) {
		g, ok := groupNames[strings.ToLower(name)]
		if !ok {
			return nil, &usageError{"unknown group " + quote(name) + " (want x25519, secp256r1, secp384r1 or X25519MLKEM768)"}
		}
		if containsGroup(out, g) {
			return nil, &usageError{"group " + g.String() + " listed twice"}
		}
		out = append(out, g)
	}
	return out, nil
}

var supportedSuites = []tls.CipherSuite{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}

func parseSuites(s string) ([]tls.CipherSuite, error) {
	var out []tls.CipherSuite
	for _, name := range splitList(s) {
		found := false
		for _, cs := range supportedSuites {
			if strings.EqualFold(name, cs.String()) || strings.EqualFold("TLS_"+name, cs.String()) {
				out = append(out, cs)
				found = true
				break
			}
		}
		if !found {
			return nil, &usageError{"unknown cipher suite " + quote(name) + " (want TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 or TLS_CHACHA20_POLY1305_SHA256)"}
		}
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func containsGroup(list []tls.NamedGroup, g tls.NamedGroup) bool {
	for _, x := range list {
		if x == g {
			return true
		}
	}
	return false
}

func appendMissing(list []tls.NamedGroup, more ...tls.NamedGroup) []tls.NamedGroup {
	for _, g := range more {
		if !containsGroup(list, g) {
			list = append(list, g)
		}
	}
	return list
}

// unescape turns \r, \n, \t and \\ into the characters they name, so that
// a request can be written on a shell command line.
func unescape(s string) string {
	return strings.NewReplacer(`\r`, "\r", `\n`, "\n", `\t`, "\t", `\\`, `\`).Replace(s)
}

func quote(s string) string { return `"` + s + `"` }
