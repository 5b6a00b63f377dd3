package gen

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dave/jennifer/jen"
)

// errTablesMessage is what the runtime's Error (internal/wire/codec.go)
// makes of code i of l: its template with its names in the slots.
func errTablesMessage(l errTables, i int) string {
	c := l.codes[i]
	r := strings.NewReplacer(errSlot1, l.parts[c[1]], errSlot2, l.parts[c[2]])
	return r.Replace(l.parts[c[0]])
}

// TestErrorTables checks the layout of the error tables on a few errors
// that share names: codes in the order of the constants' names, the
// templates used first and in errKinds' order, every name once, and each
// code giving back the message it was added with.
func TestErrorTables(t *testing.T) {
	e := errorTable{errs: map[string]codecError{}}
	e.add("errEncodeHelloRandom", errFieldOutOfRange, "Hello", "random")
	e.add("errDecodeHelloRandom", errMalformedField, "Hello", "random")
	e.add("errDecodeHelloTrailing", errTrailingData, "Hello")
	e.add("errTooManyHelloExtensions", errTooManyUnknown, "16", "Hello")
	e.add("errNotLastHelloExtensions", errNotLastExtension, "pre_shared_key", "Hello")
	e.add("errDecodeHelloRandom", errMalformedField, "Hello", "random") // again: the same error
	l := e.tables()

	wantNames := []string{"errDecodeHelloRandom", "errDecodeHelloTrailing", "errEncodeHelloRandom", "errNotLastHelloExtensions", "errTooManyHelloExtensions"}
	if !slices.Equal(l.names, wantNames) {
		t.Errorf("codes: %q, want %q", l.names, wantNames)
	}
	wantParts := []string{
		errMalformedField.template, errTrailingData.template, errTooManyUnknown.template, errNotLastExtension.template, errFieldOutOfRange.template,
		"16", "Hello", "pre_shared_key", "random",
	}
	if !slices.Equal(l.parts, wantParts) {
		t.Errorf("parts: %q, want %q", l.parts, wantParts)
	}
	if len(l.kinds) != 5 || l.kinds[4] != errFieldOutOfRange {
		t.Errorf("templates: %v", l.kinds)
	}
	want := map[string]string{
		"errDecodeHelloRandom":      "tls: malformed Hello.random",
		"errDecodeHelloTrailing":    "tls: malformed Hello: trailing data",
		"errEncodeHelloRandom":      "tls: cannot encode Hello.random: out of range",
		"errNotLastHelloExtensions": "tls: pre_shared_key is not the last extension in Hello",
		"errTooManyHelloExtensions": "tls: more than 16 unknown extensions in Hello",
	}
	for i, n := range l.names {
		if got := errTablesMessage(l, i); got != want[n] || e.errs[n].message() != want[n] {
			t.Errorf("%s: tables say %q, message() %q, want %q", n, got, e.errs[n].message(), want[n])
		}
	}
	if l.codes[1][2] != 0 {
		t.Errorf("a one-name template's second name is %d, want 0", l.codes[1][2])
	}

	// The rendered tables: uint8 part numbers while they fit.
	src := renderErrors(t, &e)
	for _, s := range []string{
		"errDecodeHelloRandom      Error = 0 // tls: malformed Hello.random\n",
		"errTooManyHelloExtensions Error = 4 // tls: more than 16 unknown extensions in Hello\n",
		`const errText = "tls: malformed \x00.\x01" +`,
		"name1, name2 uint8\n",
		"errNotLastHelloExtensions: {3, 7, 6},\n",
		"AlertDescriptionIllegalParameter,\n\tAlertDescriptionInternalError,\n}",
	} {
		if !strings.Contains(src, s) {
			t.Errorf("rendered tables lack %q:\n%s", s, src)
		}
	}
}

// TestErrorTablesWide: past 256 parts, part numbers are uint16.
func TestErrorTablesWide(t *testing.T) {
	e := errorTable{errs: map[string]codecError{}}
	for i := 0; i < 300; i++ {
		e.add(fmt.Sprintf("errDecodeM%03d", i), errTrailingData, fmt.Sprintf("M%03d", i))
	}
	l := e.tables()
	if len(l.parts) != 301 || errTablesMessage(l, 299) != "tls: malformed M299: trailing data" {
		t.Fatalf("%d parts; code 299 is %q", len(l.parts), errTablesMessage(l, 299))
	}
	if src := renderErrors(t, &e); !strings.Contains(src, "name1, name2 uint16\n") || !strings.Contains(src, "errDecodeM299: {0, 300, 0},\n") {
		t.Errorf("300 names: part numbers not uint16:\n%.2000s", src)
	}
}

// TestErrorTableNames: a name stands for one error. An extension table's
// errors replace those of its message's extensions field, which have the
// same names (whichever is added first), and nothing else may differ.
func TestErrorTableNames(t *testing.T) {
	for _, tableFirst := range []bool{false, true} {
		e := errorTable{errs: map[string]codecError{}}
		field := func() { e.add("errDecodeHelloExtensions", errMalformedField, "Hello", "extensions") }
		table := func() { e.replace("errDecodeHelloExtensions", errMalformedExtensions, "Hello") }
		if tableFirst {
			table()
			field()
		} else {
			field()
			table()
		}
		if got := e.errs["errDecodeHelloExtensions"].message(); got != "tls: malformed extension list in Hello" {
			t.Errorf("table first %v: %q", tableFirst, got)
		}
	}
	for _, c := range []struct {
		what string
		f    func(e *errorTable)
	}{
		{"two messages for a name", func(e *errorTable) {
			e.add("errX", errTrailingData, "A")
			e.add("errX", errTrailingData, "B")
		}},
		{"two table messages for a name", func(e *errorTable) {
			e.replace("errX", errDuplicateExtension, "A")
			e.replace("errX", errDuplicateExtension, "B")
		}},
		{"a missing name", func(e *errorTable) { e.add("errX", errMalformedField, "A") }},
		{"a name with a slot mark", func(e *errorTable) { e.add("errX", errTrailingData, "A"+errSlot1) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", c.what)
				}
			}()
			c.f(&errorTable{errs: map[string]codecError{}})
		}()
	}
}

func renderErrors(t *testing.T, e *errorTable) string {
	t.Helper()
	f := jen.NewFile("wire")
	e.emit(f)
	var b bytes.Buffer
	if err := f.Render(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
