// Command tlsgateway secures devices that cannot do TLS themselves: it
// accepts their plain TCP connections on a trusted local link and forwards
// each one over its own TLS 1.3 connection, made with the tabletls client,
// to the cloud service. Its trust and identity flags are tlsclient's, so a
// fleet can start behind the gateway and move TLS onto the devices later
// with the same pins, CA, client certificates and ALPN.
//
//	tlsgateway -listen 127.0.0.1:1883 -connect broker.example.com:8883 \
//	    -ca ca.pem -cert device.pem -key device.key
//
// With -config FILE it serves several routes, one listener each, each with
// its own upstream and client certificate (so that the cloud sees one
// identity per device); see docs/gateway.md.
//
// Each connection is copied both ways until both sides have closed; a
// device's FIN is passed on as close_notify and close_notify as a FIN. One
// log line (log/slog) per connection says who, where, what was negotiated,
// how many bytes went each way and how it ended. SIGINT or SIGTERM stops
// accepting, lets open connections finish for -drain-timeout, then closes
// the rest; a second signal closes them at once.
//
// Bad flags or config file, and -ca, -cert or -key files that cannot be
// read or do not hold what they should, exit 2; another failure to start
// exits 1.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tabletls/tabletls/internal/clientflags"
)

func main() {
	stop := make(chan os.Signal, 2)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stderr, stop, nil))
}

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // could not start
	exitUsage = 2 // bad flags or config file, or a file they name
)

type usageError = clientflags.UsageError

func quote(s string) string { return clientflags.Quote(s) }

const usageText = `usage: tlsgateway -listen host:port -connect host:port [flags]
       tlsgateway -config file [-drain-timeout d] [-log-format text|json]

Accepts plain TCP connections and forwards each one over TLS 1.3 (the
tabletls client) to the upstream, both directions, with half-close passed
through. The route flags below can also be given per route in a -config
file, one [section] per route; see docs/gateway.md.

`

// options is the parsed command line.
type options struct {
	config    string
	drain     time.Duration
	logFormat string
	routes    []*routeFlags
	names     []string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	rf := new(routeFlags)
	fs := flag.NewFlagSet("tlsgateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		io.WriteString(stderr, usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.config, "config", "", "`file` of routes, instead of -listen and -connect")
	fs.DurationVar(&o.drain, "drain-timeout", 10*time.Second, "after SIGINT or SIGTERM, how long open connections may run before they are closed")
	fs.StringVar(&o.logFormat, "log-format", "text", "log `format`: text or json (log/slog, on stderr)")
	rf.register(fs)
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, errHelp
		}
		return nil, errFlagParse
	}
	if fs.NArg() > 0 {
		return nil, &usageError{Msg: "unexpected argument " + quote(fs.Arg(0)) + " (flags come first; see -h)"}
	}
	if o.drain < 0 {
		return nil, &usageError{Msg: "-drain-timeout must not be negative"}
	}
	if o.logFormat != "text" && o.logFormat != "json" {
		return nil, &usageError{Msg: "-log-format " + quote(o.logFormat) + ": want text or json"}
	}
	if o.config == "" {
		if err := rf.finish(fs); err != nil {
			return nil, err
		}
		o.routes, o.names = []*routeFlags{rf}, []string{"default"}
		return o, nil
	}
	var routeFlag string
	fs.Visit(func(f *flag.Flag) {
		if routeFlagNames[f.Name] && routeFlag == "" {
			routeFlag = f.Name
		}
	})
	if routeFlag != "" {
		return nil, &usageError{Msg: "-" + routeFlag + " with -config: route settings go in the config file (in a route's section, or before the first section for every route)"}
	}
	names, routes, err := loadConfig(o.config)
	if err != nil {
		return nil, err
	}
	o.routes, o.names = routes, names
	return o, nil
}

var (
	errHelp      = errors.New("help requested")
	errFlagParse = errors.New("bad flags")
)

// run is the whole command: it returns the exit status once the gateway
// has stopped after a signal on stop. ready, if set, is given the
// listeners' addresses once they listen (for tests).
func run(args []string, stderr io.Writer, stop <-chan os.Signal, ready func([]net.Addr)) int {
	opts, err := parseFlags(args, stderr)
	if err != nil {
		if err == errHelp {
			return exitOK
		}
		if err != errFlagParse {
			fmt.Fprintln(stderr, "tlsgateway: "+err.Error())
		}
		return exitUsage
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if opts.logFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)

	var routes []*route
	defer func() {
		for _, r := range routes {
			if r.keyLog != nil {
				r.keyLog.Close()
			}
		}
	}()
	for i, rf := range opts.routes {
		r, err := rf.build(opts.names[i])
		if err != nil {
			var ue *usageError
			fmt.Fprintf(stderr, "tlsgateway: route %s: %s\n", opts.names[i], oneLine(err))
			if errors.As(err, &ue) {
				return exitUsage
			}
			return exitError
		}
		routes = append(routes, r)
	}
	var lns []net.Listener
	var addrs []net.Addr
	for _, r := range routes {
		ln, err := net.Listen("tcp", r.listen)
		if err != nil {
			for _, ln := range lns {
				ln.Close()
			}
			fmt.Fprintf(stderr, "tlsgateway: route %s: %s\n", r.name, oneLine(err))
			return exitError
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr())
		attrs := []any{"route", r.name, "listen", ln.Addr().String(), "upstream", r.connect,
			"server_name", r.config.ServerName, "verification", r.verification, "max_conns", r.maxConns}
		if r.identity != "" {
			attrs = append(attrs, "client_cert", r.identity)
		}
		log.Info("listening", attrs...)
		if r.config.InsecureSkipVerify {
			log.Warn("-insecure: the upstream's certificate is NOT verified; anyone on the path can impersonate it", "route", r.name)
		}
		if r.keyLog != nil {
			log.Warn("appending the TLS secrets to "+r.keyLog.Name()+" ("+r.keyLogSource+"): this route's connections can be decrypted", "route", r.name)
		}
	}
	if ready != nil {
		ready(addrs)
	}
	newGateway(log, opts.drain).serve(routes, lns, stop)
	return exitOK
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", "; ")), " ")
}
