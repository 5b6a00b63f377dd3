// Package clientflags is the trust and identity configuration of a tabletls
// client as command-line flags, shared by cmd/tlsclient and cmd/tlsgateway
// so that a fleet moving from the gateway to TLS on the device keeps the
// same settings, spelled the same way: -servername, -alpn, -ca, -pin,
// -cert, -key, -groups, -keyshares, -suites, -insecure and -keylog.
package clientflags

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/tabletls/tabletls/tls"
	"github.com/tabletls/tabletls/tls/x509verify"
)

// Flags holds the parsed values. Register binds them to a FlagSet; Finish,
// after the FlagSet is parsed, checks them, fills in the lists and reads the
// files they name.
type Flags struct {
	ServerName    string
	ServerNameSet bool // -servername was given (possibly empty)
	ALPN          []string
	CAFile        string
	Pins          []string
	CertFile      string
	KeyFile       string
	Groups        []tls.CurveID
	KeyShares     []tls.CurveID
	Suites        []uint16
	Insecure      bool
	KeyLog        string // file, from -keylog or SSLKEYLOGFILE
	KeyLogEnv     bool   // KeyLog came from SSLKEYLOGFILE

	alpn, groups, keyShares, suites string

	// Read by Finish from CAFile, and from CertFile and KeyFile.
	roots      *x509.CertPool
	clientCert *tls.Certificate
}

// UsageError is a flag value that parsed but makes no sense.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Register defines the flags on fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.ServerName, "servername", "", "server `name` for SNI and verification (default: the host of -connect)")
	fs.StringVar(&f.alpn, "alpn", "", "ALPN `protocols` to offer, comma-separated, e.g. h2,http/1.1")
	fs.StringVar(&f.CAFile, "ca", "", "PEM `file` of root certificates to verify the server with")
	fs.Func("pin", "accept the server whose public key has this `pin`, sha256/BASE64 (repeatable, or comma-separated)", func(s string) error {
		f.Pins = append(f.Pins, SplitList(s)...)
		return nil
	})
	fs.StringVar(&f.CertFile, "cert", "", "PEM `file` with the client certificate chain, leaf first (client authentication)")
	fs.StringVar(&f.KeyFile, "key", "", "PEM `file` with the client private key: PKCS#8, EC or PKCS#1 (default: the -cert file)")
	fs.StringVar(&f.groups, "groups", "", "key exchange `groups` in preference order: x25519, secp256r1, secp384r1, X25519MLKEM768")
	fs.StringVar(&f.keyShares, "keyshares", "", "`groups` to send a key share for in the first ClientHello (default: the first of -groups)")
	fs.StringVar(&f.suites, "suites", "", "cipher `suites` in preference order, e.g. TLS_CHACHA20_POLY1305_SHA256,TLS_AES_128_GCM_SHA256")
	fs.BoolVar(&f.Insecure, "insecure", false, "do NOT verify the server's certificate (testing only)")
	fs.StringVar(&f.KeyLog, "keylog", "", "append the TLS secrets to `file` in NSS key log format, for Wireshark (default: $SSLKEYLOGFILE)")
}

// Finish checks the values after fs.Parse (or fs.Set calls), parses the
// lists and reads the -ca, -cert and -key files, so that a missing or wrong
// file is a usage error before anything is sent. All its errors are
// *UsageError.
func (f *Flags) Finish(fs *flag.FlagSet) error {
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "servername" {
			f.ServerNameSet = true
		}
	})
	var err error
	f.ALPN = SplitList(f.alpn)
	if f.Groups, err = ParseGroups(f.groups); err != nil {
		return err
	}
	if f.KeyShares, err = ParseGroups(f.keyShares); err != nil {
		return err
	}
	if len(f.KeyShares) > 0 && len(f.Groups) == 0 {
		// Key shares must be among the offered groups: offer them, in
		// front of the library's defaults.
		f.Groups = appendMissing(slices.Clone(f.KeyShares), defaultGroups...)
	}
	for _, g := range f.KeyShares {
		if !slices.Contains(f.Groups, g) {
			return &UsageError{"-keyshares group " + g.String() + " is not in -groups"}
		}
	}
	if f.Suites, err = ParseSuites(f.suites); err != nil {
		return err
	}
	if f.KeyFile != "" && f.CertFile == "" {
		return &UsageError{"-key needs -cert"}
	}
	if len(f.Pins) > 0 {
		if _, err := tls.NewPinVerifier(f.Pins...); err != nil {
			return &UsageError{"-pin: " + strings.TrimPrefix(err.Error(), "tls: ")}
		}
	}
	if f.Insecure && (f.CAFile != "" || len(f.Pins) > 0) {
		return &UsageError{"-insecure cannot be combined with -ca or -pin"}
	}
	if f.KeyLog == "" {
		if path := os.Getenv("SSLKEYLOGFILE"); path != "" {
			f.KeyLog, f.KeyLogEnv = path, true
		}
	}
	return f.readFiles()
}

// readFiles reads the roots of -ca and the client certificate of -cert and
// -key.
func (f *Flags) readFiles() error {
	f.roots, f.clientCert = nil, nil
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return &UsageError{"-ca: " + err.Error()}
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return &UsageError{"-ca " + f.CAFile + ": no PEM certificates in it"}
		}
		f.roots = roots
	}
	if f.CertFile != "" {
		cc, err := LoadClientCertificate(f.CertFile, f.KeyFile)
		if err != nil {
			return &UsageError{err.Error()}
		}
		f.clientCert = &cc
	}
	return nil
}

// KeyLogSource names where KeyLog came from, for the warning every tool
// prints when it writes secrets.
func (f *Flags) KeyLogSource() string {
	if f.KeyLogEnv {
		return "SSLKEYLOGFILE"
	}
	return "-keylog"
}

// HasVerifier reports whether -insecure, -pin or -ca chose how the server
// is authenticated; Config falls back to the system roots otherwise.
func (f *Flags) HasVerifier() bool {
	return f.Insecure || len(f.Pins) > 0 || f.CAFile != ""
}

// Config returns a tls.Config for serverName with the offered parameters,
// the verifier and the client certificate that Finish read, and a sentence
// saying how the server is authenticated. If no flag chose a verifier,
// fallback is used (nil: the system roots). The caller adds the key log
// (see KeyLog). Call it after Finish.
func (f *Flags) Config(serverName string, fallback func(*tls.Config) (string, error)) (*tls.Config, string, error) {
	cfg := &tls.Config{
		ServerName:       serverName,
		NextProtos:       f.ALPN,
		CipherSuites:     f.Suites,
		CurvePreferences: f.Groups,
		KeyShares:        f.KeyShares,
	}
	var verification string
	switch {
	case f.Insecure:
		cfg.InsecureSkipVerify = true
		verification = "NONE (-insecure): the server was not authenticated"
	case len(f.Pins) > 0:
		v, err := tls.NewPinVerifier(f.Pins...)
		if err != nil {
			return nil, "", &UsageError{"-pin: " + strings.TrimPrefix(err.Error(), "tls: ")}
		}
		cfg.Verifier = v
		verification = fmt.Sprintf("public key pin (%d given); chain and name not checked", len(f.Pins))
	case f.CAFile != "":
		if f.roots == nil {
			return nil, "", errors.New("clientflags: Config before Finish read -ca " + f.CAFile)
		}
		cfg.Verifier = x509verify.New(x509verify.Options{Roots: f.roots})
		verification = "X.509 chain to the roots in " + f.CAFile + ", for " + nameOrNone(serverName)
	case fallback != nil:
		var err error
		if verification, err = fallback(cfg); err != nil {
			return nil, "", err
		}
	default:
		cfg.Verifier = x509verify.New(x509verify.Options{})
		verification = "X.509 chain to the system roots, for " + nameOrNone(serverName)
	}
	if f.CertFile != "" {
		if f.clientCert == nil {
			return nil, "", errors.New("clientflags: Config before Finish read -cert " + f.CertFile)
		}
		cfg.Certificates = []tls.Certificate{*f.clientCert}
	}
	return cfg, verification, nil
}

func nameOrNone(s string) string {
	if s == "" {
		return "(no name)"
	}
	return s
}

var defaultGroups = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384}

// groupNames maps the names accepted by -groups (lower case) to groups:
// the TLS registry names plus the OpenSSL and Go spellings.
var groupNames = map[string]tls.CurveID{
	"x25519":         tls.X25519,
	"secp256r1":      tls.CurveP256,
	"prime256v1":     tls.CurveP256,
	"p-256":          tls.CurveP256,
	"p256":           tls.CurveP256,
	"secp384r1":      tls.CurveP384,
	"p-384":          tls.CurveP384,
	"p384":           tls.CurveP384,
	"x25519mlkem768": tls.X25519MLKEM768,
}

// ParseGroups parses a comma-separated list of group names.
func ParseGroups(s string) ([]tls.CurveID, error) {
	var out []tls.CurveID
	for _, name := range SplitList(s) {
		g, ok := groupNames[strings.ToLower(name)]
		if !ok {
			return nil, &UsageError{"unknown group " + Quote(name) + " (want x25519, secp256r1, secp384r1 or X25519MLKEM768)"}
		}
		if slices.Contains(out, g) {
			return nil, &UsageError{"group " + g.String() + " listed twice"}
		}
		out = append(out, g)
	}
	return out, nil
}

var supportedSuites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}

// ParseSuites parses a comma-separated list of TLS 1.3 cipher suite names,
// with or without the TLS_ prefix.
func ParseSuites(s string) ([]uint16, error) {
	var out []uint16
	for _, name := range SplitList(s) {
		i := slices.IndexFunc(supportedSuites, func(cs uint16) bool {
			return strings.EqualFold(name, tls.CipherSuiteName(cs)) || strings.EqualFold("TLS_"+name, tls.CipherSuiteName(cs))
		})
		if i < 0 {
			return nil, &UsageError{"unknown cipher suite " + Quote(name) + " (want TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 or TLS_CHACHA20_POLY1305_SHA256)"}
		}
		out = append(out, supportedSuites[i])
	}
	return out, nil
}

// SplitList splits a comma-separated list, dropping empty items and
// surrounding spaces.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func appendMissing(list []tls.CurveID, more ...tls.CurveID) []tls.CurveID {
	for _, g := range more {
		if !slices.Contains(list, g) {
			list = append(list, g)
		}
	}
	return list
}

// Quote puts s in double quotes, for messages.
func Quote(s string) string { return `"` + s + `"` }
