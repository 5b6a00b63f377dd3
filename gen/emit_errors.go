package gen

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
)

// The errors of the generated codecs. A codec returns an Error, a uint16
// code (internal/wire/codec.go), so that a failing decode allocates
// nothing and a program carries no error values in RAM. What a code
// stands for is in read-only tables emitted here: its message template
// and the one or two names that fill it, each template and name stored
// once in a const string, and the template's alert. Error assembles the
// message only when it is asked for.

// errKind is one kind of codec error: the template of its message, where
// errSlot1 and errSlot2 mark the names, and the alert it calls for.
type errKind struct {
	template string
	alert    string // AlertDescription constant
}

// The slot marks of a template; the runtime's errSlot1 and errSlot2
// (internal/wire/codec.go) have the same values. A name never holds them.
const (
	errSlot1 = "\x00"
	errSlot2 = "\x01"
)

const (
	alertDecode      = "AlertDescriptionDecodeError"
	alertIllegal     = "AlertDescriptionIllegalParameter"
	alertInternal    = "AlertDescriptionInternalError"
	alertUnsupported = "AlertDescriptionUnsupportedExtension"
)

// Every kind of error the codecs return; the order is that of the
// templates in the emitted tables.
var (
	errMalformedField        = &errKind{"tls: malformed " + errSlot1 + "." + errSlot2, alertDecode}
	errTrailingData          = &errKind{"tls: malformed " + errSlot1 + ": trailing data", alertDecode}
	errMalformedList         = &errKind{"tls: malformed list of " + errSlot1, alertDecode}
	errMalformedExtensions   = &errKind{"tls: malformed extension list in " + errSlot1, alertDecode}
	errTooManyUnknown        = &errKind{"tls: more than " + errSlot1 + " unknown extensions in " + errSlot2, alertDecode}
	errDuplicateExtension    = &errKind{"tls: duplicate extension in " + errSlot1, alertIllegal}
	errExtensionNotAllowed   = &errKind{"tls: extension not allowed in " + errSlot1, alertIllegal}
	errNotLastExtension      = &errKind{"tls: " + errSlot1 + " is not the last extension in " + errSlot2, alertIllegal}
	errUnsupportedExtension  = &errKind{"tls: unsupported extension in " + errSlot1, alertUnsupported}
	errFieldOutOfRange       = &errKind{"tls: cannot encode " + errSlot1 + "." + errSlot2 + ": out of range", alertInternal}
	errElementOutOfRange     = &errKind{"tls: cannot encode an element of a list of " + errSlot1 + ": out of range", alertInternal}
	errUnencodableExtensions = &errKind{"tls: cannot encode extensions of " + errSlot1, alertInternal}

	errKinds = []*errKind{
		errMalformedField, errTrailingData, errMalformedList, errMalformedExtensions, errTooManyUnknown,
		errDuplicateExtension, errExtensionNotAllowed, errNotLastExtension, errUnsupportedExtension,
		errFieldOutOfRange, errElementOutOfRange, errUnencodableExtensions,
	}
)

// slots is how many names a template takes.
func (k *errKind) slots() int {
	switch {
	case strings.Contains(k.template, errSlot2):
		return 2
	case strings.Contains(k.template, errSlot1):
		return 1
	}
	return 0
}

// codecError is one error constant: its kind and the names that fill the
// template.
type codecError struct {
	kind  *errKind
	names []string
	// byTable: set by replace; the constant is an extension table's.
	byTable bool
}

// message is the text Error returns for it.
func (c codecError) message() string {
	m := c.kind.template
	for i, slot := range []string{errSlot1, errSlot2}[:len(c.names)] {
		m = strings.Replace(m, slot, c.names[i], 1)
	}
	return m
}

// errorTable collects the errors the codecs return, by constant name.
type errorTable struct {
	errs map[string]codecError
}

func newCodecError(name string, kind *errKind, names []string) codecError {
	if len(names) != kind.slots() {
		panic(fmt.Sprintf("gen: %s: %d names for a template of %d", name, len(names), kind.slots()))
	}
	for _, n := range names {
		if n == "" || strings.ContainsAny(n, errSlot1+errSlot2) {
			panic(fmt.Sprintf("gen: %s: bad name %q", name, n))
		}
	}
	return codecError{kind: kind, names: names}
}

// add records the error called name and returns a reference to it. The
// same name always stands for the same error, except where replace made
// it an extension table's.
func (t *errorTable) add(name string, kind *errKind, names ...string) *jen.Statement {
	c := newCodecError(name, kind, names)
	if old, ok := t.errs[name]; ok {
		if old.byTable {
			return jen.Id(name)
		}
		if old.message() != c.message() {
			panic(fmt.Sprintf("gen: %s is both %q and %q", name, old.message(), c.message()))
		}
	}
	t.errs[name] = c
	return jen.Id(name)
}

// replace is add for the errors of an extension table X whose names may
// also be those of the length-prefix errors of the field `extensions` of
// the message X is the extension list of (errDecodeClientHelloExtensions
// is both): such a constant is the table's, so that a bad length of the
// list reads "tls: malformed extension list in ClientHello" as a bad
// extension inside it does.
func (t *errorTable) replace(name string, kind *errKind, names ...string) *jen.Statement {
	c := newCodecError(name, kind, names)
	c.byTable = true
	if old, ok := t.errs[name]; ok && old.byTable && old.message() != c.message() {
		panic(fmt.Sprintf("gen: %s is both %q and %q", name, old.message(), c.message()))
	}
	t.errs[name] = c
	return jen.Id(name)
}

// errTables is how an errorTable is laid out in the generated code.
type errTables struct {
	names []string   // the constants, by code: sorted
	parts []string   // errText: the templates used, then the names, each once
	kinds []*errKind // the templates used, by part number
	codes [][3]int   // by code: the part numbers of its template and names (0 for a name it does not take)
}

// tables numbers the errors in the order of their names and lays out the
// parts: templates first, so that a template's part number is also its
// index in errTemplateAlert, then every name once, sorted.
func (t *errorTable) tables() errTables {
	var l errTables
	for n := range t.errs {
		l.names = append(l.names, n)
	}
	sort.Strings(l.names)
	if len(l.names) > 1<<16 {
		panic("gen: more codec errors than an Error (uint16) can number")
	}
	used := map[*errKind]bool{}
	seen := map[string]bool{}
	var fill []string
	for _, n := range l.names {
		c := t.errs[n]
		used[c.kind] = true
		for _, s := range c.names {
			if !seen[s] {
				seen[s] = true
				fill = append(fill, s)
			}
		}
	}
	partOf := map[string]int{}
	for _, k := range errKinds {
		if used[k] {
			partOf[k.template] = len(l.parts)
			l.parts = append(l.parts, k.template)
			l.kinds = append(l.kinds, k)
		}
	}
	sort.Strings(fill)
	for _, s := range fill {
		partOf[s] = len(l.parts)
		l.parts = append(l.parts, s)
	}
	for _, n := range l.names {
		c := t.errs[n]
		code := [3]int{partOf[c.kind.template]}
		for i, s := range c.names {
			code[1+i] = partOf[s]
		}
		l.codes = append(l.codes, code)
	}
	return l
}

// emit writes the error constants and the tables behind them: errText and
// errTextEnd (the parts), errTemplateAlert (the alert of each template)
// and errCodes (each code's template and names, as part numbers). They are
// arrays of integers and a const string, which TinyGo keeps in flash.
func (t *errorTable) emit(f *jen.File) {
	l := t.tables()
	var consts []jen.Code
	for i, n := range l.names {
		consts = append(consts, jen.Id(n).Id("Error").Op("=").Lit(i).Comment(t.errs[n].message()))
	}
	f.Comment("The errors the codecs return. Each is a code into the tables below and")
	f.Comment("says its message only when asked (Error), so a failing decode allocates")
	f.Comment("nothing and no error takes RAM.")
	f.Const().Defs(consts...)

	text := jen.Lit("")
	var ends []jen.Code
	end := 0
	for i, p := range l.parts {
		if i == 0 {
			text = jen.Lit(p)
		} else {
			text.Op("+").Line().Lit(p)
		}
		end += len(p)
		ends = append(ends, jen.Lit(end))
	}
	if end >= 1<<16 {
		panic("gen: codec error text longer than a uint16 offset reaches")
	}
	f.Comment("errText holds the parts of the codecs' error messages: the templates")
	f.Comment("(errSlot1 and errSlot2 mark where the names go), then the names they")
	f.Comment("are filled with, each once. Part i ends at errTextEnd[i].")
	f.Const().Id("errText").Op("=").Add(text)
	f.Var().Id("errTextEnd").Op("=").Index(jen.Op("...")).Uint16().Add(valuesByLine(ends, 16))

	var alerts []jen.Code
	for _, k := range l.kinds {
		alerts = append(alerts, jen.Id(k.alert))
	}
	f.Comment("errTemplateAlert is the alert of each template, by part number.")
	f.Var().Id("errTemplateAlert").Op("=").Index(jen.Op("...")).Id("AlertDescription").Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, alerts...)

	part := jen.Uint8()
	if len(l.parts) > 1<<8 {
		part = jen.Uint16()
	}
	var codes []jen.Code
	for i, n := range l.names {
		c := l.codes[i]
		codes = append(codes, jen.Id(n).Op(":").Values(jen.Lit(c[0]), jen.Lit(c[1]), jen.Lit(c[2])))
	}
	f.Comment("errCodes is each Error's template and names, as part numbers of errText.")
	f.Var().Id("errCodes").Op("=").Index(jen.Op("...")).Struct(
		jen.Id("template").Uint8(),
		jen.List(jen.Id("name1"), jen.Id("name2")).Add(part),
	).Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, codes...)
}

// valuesByLine is the braces and values of a composite literal, perLine
// values a line.
func valuesByLine(vals []jen.Code, perLine int) *jen.Statement {
	items := []jen.Code{jen.Line()}
	for i, v := range vals {
		s := jen.Add(v).Op(",")
		if (i+1)%perLine == 0 || i == len(vals)-1 {
			s.Line()
		}
		items = append(items, s)
	}
	return jen.Custom(jen.Options{Open: "{", Close: "}"}, items...)
}
