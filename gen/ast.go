// Package gen compiles the declarative TLS spec in spec/ into Go: message
// codecs, registries and the client's flat transition table. It works in
// three steps, like stringer or protoc-gen-go: parse (this file's AST,
// lexer.go, parse_tls.go, parse_sm.go), model (model.go: names resolved,
// sizes computed, every rule checked) and emit (emit_*.go, with jennifer).
package gen

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in a spec file. Errors print it as file:line:col.
type Pos struct {
	File      string
	Line, Col int
}

func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// Error is a spec error at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every error found in one run, sorted by position.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func (l *ErrorList) add(p Pos, format string, args ...any) {
	*l = append(*l, &Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return l
}

// --- Presentation language (.tls files), RFC 8446 §3 ---

// Doc is the comment block right before a declaration.
type Doc string

// EnumDecl is `enum { name(value), ..., (max) } Name;`.
type EnumDecl struct {
	Pos    Pos
	Doc    Doc
	Name   string
	Values []EnumValue
	Max    uint64 // the (n) that fixes the width
}

// EnumValue is `name(v)` or a range `name(lo..hi)` (documentation only).
type EnumValue struct {
	Pos     Pos
	Name    string
	Value   uint64
	IsRange bool
	Hi      uint64
}

// FieldKind says how a field's length is written.
type FieldKind int

const (
	Scalar       FieldKind = iota // T name;
	FixedArray                    // T name[N];
	ContextArray                  // opaque name[Other.length]; (the rest of the message)
	Vector                        // T name<min..max>;
)

// FieldDecl is one field of a struct, or the body of a typedef.
type FieldDecl struct {
	Pos      Pos
	Type     string
	TypePos  Pos
	Name     string // "" for a bare type in a select case (`OfferedPsks;`)
	Kind     FieldKind
	N        uint64 // FixedArray
	LenRef   string // ContextArray: the expression inside [ ]
	Min, Max uint64 // Vector
	Default  string // `= value`, kept as written
}

// StructDecl is `struct { fields } Name;`, or a struct whose only content
// is a select on Handshake.msg_type.
type StructDecl struct {
	Pos    Pos
	Doc    Doc
	Name   string
	Fields []*FieldDecl
	Select *SelectDecl
}

// SelectDecl is `select (On) { case a: case b: fields ... };`.
type SelectDecl struct {
	Pos   Pos
	On    string
	Cases []*CaseDecl
}

// CaseDecl is one arm of a select.
type CaseDecl struct {
	Pos    Pos
	Labels []string
	Fields []*FieldDecl
}

// TypedefDecl is `uint16 Name;`, `opaque Name[32];` or `opaque Name<a..b>;`.
type TypedefDecl struct {
	Pos   Pos
	Doc   Doc
	Name  string
	Field *FieldDecl // the field form, with Name empty
}

// ExtTableDecl is `extensions Message { ext: Body; ...; unknown: ...; };`,
// one row of the RFC 8446 §4.2 table.
type ExtTableDecl struct {
	Pos         Pos
	Doc         Doc
	Message     string
	Entries     []*ExtEntryDecl
	UnknownPos  Pos
	HasUnknown  bool
	IgnoreUpTo  int  // "ignore N"
	RejectUnkwn bool // "reject"
}

// ExtEntryDecl is `extension_name: Type[.case] [last];`.
type ExtEntryDecl struct {
	Pos     Pos
	Ext     string
	Type    string
	TypePos Pos
	Case    string
	Last    bool
}

// File is one parsed .tls file.
type File struct {
	Name     string
	Enums    []*EnumDecl
	Structs  []*StructDecl
	Typedefs []*TypedefDecl
	Tables   []*ExtTableDecl
}

// --- State machine (.sm files) ---

// StateDecl is `state NAME [initial|final]`.
type StateDecl struct {
	Pos     Pos
	Name    string
	Initial bool
	Final   bool
	Comment string
}

// EventDecl is `event NAME KIND [HANDSHAKE_TYPE]`.
type EventDecl struct {
	Pos        Pos
	Name       string
	Kind       string // handshake, record, local
	Handshake  string
	HandshakeP Pos
	Comment    string
}

// TransitionDecl is `FROM[, FROM] EVENT [guard] -> TO / actions`.
type TransitionDecl struct {
	Pos        Pos
	From       []string
	FromPos    []Pos
	Event      string
	EventPos   Pos
	Guard      string
	GuardPos   Pos
	To         string
	ToPos      Pos
	Actions    []string
	ActionsPos []Pos
}

// Machine is one parsed .sm file.
type Machine struct {
	File        string
	States      []*StateDecl
	Events      []*EventDecl
	Transitions []*TransitionDecl
}
