package main

import (
	"bufio"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tabletls/tabletls/internal/clientflags"
	"github.com/tabletls/tabletls/tls"
)

// routeFlags are the settings of one route: a plain listener and the TLS
// upstream it forwards to. On the command line they describe the only
// route; in a -config file each [section] sets them for one route, with
// the same names.
type routeFlags struct {
	clientflags.Flags
	listen           string
	connect          string
	allowRemote      bool
	handshakeTimeout time.Duration
	idleTimeout      time.Duration
	maxConns         int
}

func (r *routeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.listen, "listen", "", "`host:port` to accept the devices' plain TCP connections on (loopback unless -allow-remote)")
	fs.StringVar(&r.connect, "connect", "", "upstream TLS server, `host:port`")
	fs.BoolVar(&r.allowRemote, "allow-remote", false, "allow -listen on a non-loopback address: the plain side must then be a trusted link")
	fs.DurationVar(&r.handshakeTimeout, "handshake-timeout", 10*time.Second, "time limit for the upstream TCP connect and TLS handshake")
	fs.DurationVar(&r.idleTimeout, "idle-timeout", 5*time.Minute, "close a connection after this long with no data in either direction")
	fs.IntVar(&r.maxConns, "max-conns", 256, "most connections open at once on this route; more wait in the listen backlog")
	r.Flags.Register(fs)
}

// routeFlagNames are the names register defines, to tell route flags from
// the command's own.
var routeFlagNames = func() map[string]bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	new(routeFlags).register(fs)
	names := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
}()

// finish checks the route's values after its FlagSet was parsed or set.
func (r *routeFlags) finish(fs *flag.FlagSet) error {
	if err := r.Flags.Finish(fs); err != nil {
		return err
	}
	switch {
	case r.listen == "":
		return &usageError{Msg: "-listen is required"}
	case r.connect == "":
		return &usageError{Msg: "-connect is required"}
	case r.handshakeTimeout <= 0:
		return &usageError{Msg: "-handshake-timeout must be positive"}
	case r.idleTimeout <= 0:
		return &usageError{Msg: "-idle-timeout must be positive"}
	case r.maxConns <= 0:
		return &usageError{Msg: "-max-conns must be positive"}
	}
	if _, _, err := net.SplitHostPort(r.connect); err != nil {
		return &usageError{Msg: "-connect " + quote(r.connect) + ": want host:port"}
	}
	if _, _, err := net.SplitHostPort(r.listen); err != nil {
		return &usageError{Msg: "-listen " + quote(r.listen) + ": want host:port"}
	}
	if !r.allowRemote {
		if err := checkLoopback(r.listen); err != nil {
			return err
		}
	}
	return nil
}

// checkLoopback refuses a listen address that is reachable from other
// machines: the device side of the gateway is plain TCP, so anyone who can
// reach it can read and inject the traffic the upstream trusts as coming
// from the device's certificate.
func checkLoopback(listen string) error {
	host, _, _ := net.SplitHostPort(listen)
	refuse := func(why string) error {
		return &usageError{Msg: "-listen " + listen + " " + why + ": the device side is plain TCP, and whoever can reach it " +
			"can read the traffic and send as the device's certificate. Listen on 127.0.0.1 or ::1, or, if the " +
			"network between the devices and this gateway is trusted (a dedicated interface, VLAN or cable), say so with -allow-remote"}
	}
	if host == "" {
		return refuse("listens on every interface")
	}
	ips := []string{host}
	if _, err := netip.ParseAddr(host); err != nil {
		// A name: every address it resolves to must be loopback.
		if ips, err = net.LookupHost(host); err != nil {
			return &usageError{Msg: "-listen " + listen + ": " + err.Error()}
		}
	}
	for _, s := range ips {
		ip, err := netip.ParseAddr(s)
		switch {
		case err != nil:
			return refuse("is not an IP address")
		case ip.IsUnspecified():
			return refuse("listens on every interface")
		case !ip.Unmap().IsLoopback():
			if s != host {
				return refuse("resolves to " + s + ", which is not a loopback address")
			}
			return refuse("is not a loopback address")
		}
	}
	return nil
}

// route is a route ready to serve: its upstream tls.Config is built and its
// files are read.
type route struct {
	name             string
	listen           string
	connect          string
	handshakeTimeout time.Duration
	idleTimeout      time.Duration
	maxConns         int
	config           *tls.Config
	verification     string // how the upstream is authenticated
	identity         string // the client certificate's subject, or ""
	keyLog           *os.File
	keyLogSource     string
}

// build reads the route's files and makes its tls.Config, shared by all
// its connections.
func (r *routeFlags) build(name string) (*route, error) {
	host, _, _ := net.SplitHostPort(r.connect)
	serverName := host
	if r.ServerNameSet {
		serverName = r.ServerName
	}
	cfg, verification, err := r.Flags.Config(serverName, nil)
	if err != nil {
		return nil, err
	}
	rt := &route{
		name:             name,
		listen:           r.listen,
		connect:          r.connect,
		handshakeTimeout: r.handshakeTimeout,
		idleTimeout:      r.idleTimeout,
		maxConns:         r.maxConns,
		config:           cfg,
		verification:     verification,
	}
	if len(cfg.Certificates) > 0 {
		if leaf, err := x509.ParseCertificate(cfg.Certificates[0].Certificate[0]); err == nil {
			rt.identity = leaf.Subject.String()
		}
	}
	if r.KeyLog != "" {
		f, err := os.OpenFile(r.KeyLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("key log: %w", err)
		}
		cfg.KeyLogWriter = f
		rt.keyLog, rt.keyLogSource = f, r.KeyLogSource()
	}
	return rt, nil
}

// A config file lists routes, one [section] each, with the route flags as
// "name = value" lines; lines before the first section are defaults for
// every route. '#' starts a comment line. "pin" may repeat. Relative file
// names are relative to the config file's directory.
//
//	ca = /etc/tlsgateway/ca.pem
//	[sensor-17]
//	listen  = 127.0.0.1:1883
//	connect = broker.example.com:8883
//	cert    = /etc/tlsgateway/sensor-17.pem
type configSection struct {
	name    string
	line    int
	entries []configEntry
}

type configEntry struct {
	line       int
	key, value string
}

// parseConfig reads a config file into its defaults and route sections.
func parseConfig(path string, r io.Reader) (defaults configSection, routes []configSection, err error) {
	sc := bufio.NewScanner(r)
	cur := &defaults
	seen := map[string]int{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		errf := func(format string, args ...any) error {
			return &usageError{Msg: fmt.Sprintf("%s:%d: ", path, n) + fmt.Sprintf(format, args...)}
		}
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "["):
			name, ok := strings.CutSuffix(line[1:], "]")
			name = strings.TrimSpace(name)
			if !ok || name == "" || strings.ContainsAny(name, "[]") {
				return defaults, nil, errf("want [route name], got %s", line)
			}
			for _, s := range routes {
				if s.name == name {
					return defaults, nil, errf("route [%s] already defined on line %d", name, s.line)
				}
			}
			routes = append(routes, configSection{name: name, line: n})
			cur = &routes[len(routes)-1]
			seen = map[string]int{}
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok || key == "" {
			return defaults, nil, errf("want name = value, got %s", line)
		}
		if !routeFlagNames[key] {
			return defaults, nil, errf("unknown setting %s (the route flags of tlsgateway -h, without the dash)", quote(key))
		}
		if prev, dup := seen[key]; dup && key != "pin" {
			return defaults, nil, errf("%s already set on line %d", key, prev)
		}
		seen[key] = n
		cur.entries = append(cur.entries, configEntry{n, key, value})
	}
	if err := sc.Err(); err != nil {
		return defaults, nil, err
	}
	if len(routes) == 0 {
		return defaults, nil, &usageError{Msg: path + ": no [route] sections"}
	}
	return defaults, routes, nil
}

// pathSettings are the settings that name files; in a config file a
// relative path is relative to the file's directory.
var pathSettings = map[string]bool{"ca": true, "cert": true, "key": true, "keylog": true}

// loadConfig parses a config file into checked route flags, by name.
func loadConfig(path string) ([]string, []*routeFlags, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, &usageError{Msg: "-config: " + err.Error()}
	}
	defer f.Close()
	defaults, sections, err := parseConfig(path, f)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	var routes []*routeFlags
	listens := map[string]string{}
	for _, s := range sections {
		rf := new(routeFlags)
		fs := flag.NewFlagSet(s.name, flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		rf.register(fs)
		for _, e := range append(defaults.entries, s.entries...) {
			if pathSettings[e.key] && e.value != "" && !filepath.IsAbs(e.value) {
				e.value = filepath.Join(filepath.Dir(path), e.value)
			}
			if err := fs.Set(e.key, e.value); err != nil {
				return nil, nil, &usageError{Msg: fmt.Sprintf("%s:%d: %s: %v", path, e.line, e.key, err)}
			}
		}
		if err := rf.finish(fs); err != nil {
			var ue *usageError
			if errors.As(err, &ue) {
				return nil, nil, &usageError{Msg: fmt.Sprintf("%s:%d: [%s]: %s", path, s.line, s.name, ue.Msg)}
			}
			return nil, nil, err
		}
		if _, port, _ := net.SplitHostPort(rf.listen); port == "0" {
			// A port of the kernel's choosing: never the same twice.
		} else if other, dup := listens[rf.listen]; dup {
			return nil, nil, &usageError{Msg: fmt.Sprintf("%s:%d: [%s]: listen %s is also route [%s]'s", path, s.line, s.name, rf.listen, other)}
		}
		listens[rf.listen] = s.name
		names = append(names, s.name)
		routes = append(routes, rf)
	}
	return names, routes, nil
}
