package gen

import (
	"sort"
	"strings"
)

// Model is the checked, resolved form of the spec, ready to emit.
type Model struct {
	Enums   []*Enum
	Aliases []*Alias
	Structs []*Struct // in declaration order, select cases included
	Vectors []*VectorType
	Tables  []*ExtTable
	Machine *SM

	byName  map[string]any
	vectors map[string]*VectorType
}

// Enum is a registry of code points.
type Enum struct {
	Name   string
	Doc    Doc
	Bits   int
	Values []EnumValue // ranges left out
}

// Alias is a named integer such as `uint16 ProtocolVersion;`.
type Alias struct {
	Name string
	Doc  Doc
	Bits int
}

// opaqueDef is a named byte string such as `opaque Random[32];`.
type opaqueDef struct {
	decl *TypedefDecl
}

// TypeKind is what a field or vector element is made of.
type TypeKind int

const (
	KUint   TypeKind = iota // uint8/16/24/32/64
	KEnum                   // an enum
	KAlias                  // a named integer
	KStruct                 // a struct
	KBytes                  // opaque: a byte string
)

// Type is a resolved type reference.
type Type struct {
	Kind   TypeKind
	Name   string // spec name: uint16, CipherSuite, KeyShareEntry, ProtocolName...
	Bits   int    // KUint, KEnum, KAlias
	Enum   *Enum
	Alias  *Alias
	Struct *Struct
	// KBytes from a named opaque typedef carries its own shape.
	Shape FieldKind
	N     uint64
	Min   uint64
	Max   uint64
}

// FixedSize is the encoded size of a value of the type, or -1.
func (t *Type) FixedSize() int {
	switch t.Kind {
	case KUint, KEnum, KAlias:
		return t.Bits / 8
	case KStruct:
		return t.Struct.FixedSize
	case KBytes:
		if t.Shape == FixedArray {
			return int(t.N)
		}
	}
	return -1
}

// minSize is the smallest encoding of a value of the type.
func (t *Type) minSize() uint64 {
	if n := t.FixedSize(); n >= 0 {
		return uint64(n)
	}
	if t.Kind == KStruct {
		return t.Struct.MinSize
	}
	return uint64(prefixLen(t.Max)) + t.Min
}

// Struct is a message or a part of one.
type Struct struct {
	Name      string
	Doc       Doc
	Pos       Pos
	Fields    []*Field
	FixedSize int // -1 if variable
	MinSize   uint64
	// Open is set when the struct ends in a length given by the context
	// (`opaque verify_data[Hash.length];`): it takes the rest of its input.
	Open      bool
	selects   *StructDecl // a select on Handshake.msg_type: not a Go type itself
	cases     map[string]*Type
	selDone   bool // resolveSelect has run
	resolving bool
	resolved  bool
	failed    bool // resolveStruct has run and reported errors
	decl      *StructDecl
	fields    []*FieldDecl
}

// Field is one field of a struct.
type Field struct {
	Name    string // RFC name
	GoName  string
	Shape   FieldKind // Scalar, FixedArray, ContextArray, Vector
	Type    *Type     // the element type for a Vector of non-bytes, else the field's type
	N       uint64
	Min     uint64
	Max     uint64
	Prefix  int         // length-prefix octets for a Vector
	LenFrom *Field      // ContextArray [Self.field]: the earlier field that holds the length
	Vector  *VectorType // non-nil for a vector of non-byte elements
	Table   *ExtTable   // non-nil for `Extension extensions<..>`
	Default string
}

// VectorType is the zero-allocation view of a list of Elem.
type VectorType struct {
	Name string // KeyShareEntryVector
	Elem *Type
}

// ExtTable is one message's row set of the RFC 8446 §4.2 table.
type ExtTable struct {
	Message    string // struct name
	GoName     string // ClientHelloExtensions
	Doc        Doc
	Entries    []*ExtEntry
	IgnoreUpTo int // 0: reject unknown extensions
	LastExt    *ExtEntry
}

// ExtEntry is one allowed extension and its body.
type ExtEntry struct {
	Ext    EnumValue // its ExtensionType value
	GoName string    // field name in the Go set
	Body   *Type
	Bit    int
	enum   *Enum // ExtensionType
}

func resolveModel(files []*File, machine *Machine) (*Model, error) {
	var errs ErrorList
	m := &Model{byName: map[string]any{}, vectors: map[string]*VectorType{}}
	declared := map[string]Pos{}
	declare := func(name string, pos Pos, v any) bool {
		if builtinBits(name) > 0 || name == "opaque" {
			errs.add(pos, "%s is a built-in type", name)
			return false
		}
		if name[0] < 'A' || name[0] > 'Z' || strings.Contains(name, "_") {
			errs.add(pos, "type name %s must be CamelCase, as in the RFCs (it is also the Go name)", name)
			return false
		}
		if prev, ok := declared[name]; ok {
			errs.add(pos, "duplicate type %s (first declared at %s)", name, prev)
			return false
		}
		declared[name] = pos
		m.byName[name] = v
		return true
	}

	// Enums and typedefs first: they need nothing else.
	for _, f := range files {
		for _, d := range f.Enums {
			e := &Enum{Name: d.Name, Doc: d.Doc}
			switch {
			case d.Max <= 0xff:
				e.Bits = 8
			case d.Max <= 0xffff:
				e.Bits = 16
			default:
				errs.add(d.Pos, "enum %s: width (%d) is over 2^16-1", d.Name, d.Max)
				continue
			}
			seen := map[string]Pos{}
			for _, v := range d.Values {
				if v.Value > d.Max || v.IsRange && (v.Hi > d.Max || v.Hi < v.Value) {
					errs.add(v.Pos, "enum %s: value %s does not fit in (%d)", d.Name, v.Name, d.Max)
					continue
				}
				if v.IsRange {
					continue
				}
				if prev, ok := seen[v.Name]; ok {
					errs.add(v.Pos, "enum %s: duplicate value name %s (first at %s)", d.Name, v.Name, prev)
					continue
				}
				seen[v.Name] = v.Pos
				e.Values = append(e.Values, v)
			}
			if declare(d.Name, d.Pos, e) {
				m.Enums = append(m.Enums, e)
			}
		}
		for _, d := range f.Typedefs {
			if bits := builtinBits(d.Field.Type); bits > 0 && d.Field.Kind == Scalar {
				a := &Alias{Name: d.Name, Doc: d.Doc, Bits: bits}
				if declare(d.Name, d.Pos, a) {
					m.Aliases = append(m.Aliases, a)
				}
				continue
			}
			if d.Field.Type != "opaque" || d.Field.Kind == Scalar {
				errs.add(d.Field.TypePos, "typedef %s: only uintN NAME; opaque NAME[N]; and opaque NAME<min..max>; are supported", d.Name)
				continue
			}
			checkBounds(&errs, d.Pos, d.Field, 1, 1)
			declare(d.Name, d.Pos, &opaqueDef{decl: d})
		}
	}
	// Structs: declare all, then resolve fields (they may refer forward).
	for _, f := range files {
		for _, d := range f.Structs {
			s := &Struct{Name: d.Name, Doc: d.Doc, Pos: d.Pos, decl: d, fields: d.Fields}
			if d.Select != nil {
				s.selects = d
			}
			declare(d.Name, d.Pos, s)
		}
	}
	tables := map[string]*ExtTableDecl{}
	for _, f := range files {
		for _, d := range f.Tables {
			if prev, ok := tables[d.Message]; ok {
				errs.add(d.Pos, "duplicate extensions table for %s (first at %s)", d.Message, prev.Pos)
				continue
			}
			tables[d.Message] = d
		}
	}
	r := &resolver{m: m, errs: &errs, tables: tables, tableUsed: map[string]bool{}}
	for _, f := range files {
		for _, d := range f.Structs {
			s, ok := m.byName[d.Name].(*Struct)
			if !ok || s.decl != d {
				continue
			}
			if s.selects != nil {
				if !s.selDone {
					r.resolveSelect(s)
				}
			} else {
				r.resolveStruct(s)
			}
		}
	}
	for _, f := range files {
		for _, d := range f.Tables {
			if !r.tableUsed[d.Message] && tables[d.Message] == d {
				if s, ok := m.byName[d.Message].(*Struct); !ok {
					errs.add(d.Pos, "extensions %s: unknown message %s", d.Message, d.Message)
				} else if !hasExtensionField(s) {
					errs.add(d.Pos, "extensions %s: %s has no `Extension extensions<..>` field", d.Message, d.Message)
				} // else the field had an error of its own

			}
		}
	}
	// Keep the emitted order stable: vectors by name.
	for _, v := range m.vectors {
		m.Vectors = append(m.Vectors, v)
	}
	sort.Slice(m.Vectors, func(i, j int) bool { return m.Vectors[i].Name < m.Vectors[j].Name })

	if machine != nil {
		m.Machine = resolveMachine(machine, m, &errs)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return m, nil
}

// hasExtensionField reports whether s declares `Extension name<..>`.
func hasExtensionField(s *Struct) bool {
	for _, fd := range s.fields {
		if fd.Type == "Extension" && fd.Kind == Vector {
			return true
		}
	}
	return false
}

func builtinBits(name string) int {
	switch name {
	case "uint8":
		return 8
	case "uint16":
		return 16
	case "uint24":
		return 24
	case "uint32":
		return 32
	case "uint64":
		return 64
	}
	return 0
}

// prefixLen is the size of the length field of a vector whose ceiling is
// max (RFC 8446 §3.4: "as many bytes as required to hold the vector's
// specified maximum length").
func prefixLen(max uint64) int {
	switch {
	case max <= 0xff:
		return 1
	case max <= 0xffff:
		return 2
	case max <= 0xffffff:
		return 3
	}
	return 4
}

// checkBounds reports a vector bound that no encoding can meet.
func checkBounds(errs *ErrorList, pos Pos, f *FieldDecl, elemFixed int, elemMin uint64) bool {
	if f.Kind == FixedArray && f.N == 0 {
		errs.add(pos, "%s: a fixed array of 0 octets", f.Type)
		return false
	}
	if f.Kind != Vector {
		return true
	}
	switch {
	case f.Min > f.Max:
		errs.add(pos, "length bound <%d..%d> can't hold: min is over max", f.Min, f.Max)
		return false
	case f.Max > 0xffffffff:
		errs.add(pos, "length bound <%d..%d> can't hold: max is over 2^32-1", f.Min, f.Max)
		return false
	case f.Max == 0:
		errs.add(pos, "length bound <0..0> can't hold anything")
		return false
	}
	if elemFixed > 0 && uint64(elemFixed) > f.Max {
		errs.add(pos, "length bound <%d..%d> can't hold: one element takes %d octets", f.Min, f.Max, elemFixed)
		return false
	}
	if elemFixed > 0 {
		// Some multiple of the element size must fall in [min, max].
		lo := (f.Min + uint64(elemFixed) - 1) / uint64(elemFixed) * uint64(elemFixed)
		if lo > f.Max {
			errs.add(pos, "length bound <%d..%d> can't hold: no whole number of %d-octet elements fits", f.Min, f.Max, elemFixed)
			return false
		}
	} else if elemMin > f.Max {
		errs.add(pos, "length bound <%d..%d> can't hold: one element takes at least %d octets", f.Min, f.Max, elemMin)
		return false
	}
	return true
}

type resolver struct {
	m         *Model
	errs      *ErrorList
	tables    map[string]*ExtTableDecl
	tableUsed map[string]bool
}

// typeOf resolves a type name; structs are resolved on the way so that
// their sizes are known.
func (r *resolver) typeOf(name string, pos Pos) *Type {
	if bits := builtinBits(name); bits > 0 {
		return &Type{Kind: KUint, Name: name, Bits: bits}
	}
	if name == "opaque" {
		return &Type{Kind: KBytes, Name: "opaque"}
	}
	switch v := r.m.byName[name].(type) {
	case *Enum:
		return &Type{Kind: KEnum, Name: name, Bits: v.Bits, Enum: v}
	case *Alias:
		return &Type{Kind: KAlias, Name: name, Bits: v.Bits, Alias: v}
	case *opaqueDef:
		f := v.decl.Field
		return &Type{Kind: KBytes, Name: name, Shape: f.Kind, N: f.N, Min: f.Min, Max: f.Max}
	case *Struct:
		if v.selects != nil {
			r.errs.add(pos, "%s selects on %s: name one of its cases", name, v.selects.Select.On)
			return nil
		}
		if v.resolving {
			r.errs.add(pos, "%s contains itself", name)
			return nil
		}
		if !r.resolveStruct(v) {
			return nil
		}
		return &Type{Kind: KStruct, Name: name, Struct: v}
	}
	r.errs.add(pos, "unknown type %s", name)
	return nil
}

func (r *resolver) resolveStruct(s *Struct) bool {
	if s.resolved {
		return true
	}
	if s.failed || s.resolving {
		return false // reported already, or by the caller (typeOf)
	}
	s.resolving = true
	defer func() { s.resolving = false }()
	ok := true
	s.FixedSize = 0
	seen := map[string]bool{}
	for i, fd := range s.fields {
		if fd.Name == "" {
			r.errs.add(fd.Pos, "field of type %s has no name", fd.Type)
			ok = false
			continue
		}
		if seen[fd.Name] {
			r.errs.add(fd.Pos, "%s: duplicate field %s", s.Name, fd.Name)
			ok = false
			continue
		}
		seen[fd.Name] = true
		f := r.field(s, fd, i == len(s.fields)-1)
		if f == nil {
			ok = false
			continue
		}
		s.Fields = append(s.Fields, f)
		s.Open = f.Shape == ContextArray && f.LenFrom == nil || f.Shape == Scalar && f.Type.Kind == KStruct && f.Type.Struct.Open
		size := fieldFixedSize(f)
		if size < 0 || s.FixedSize < 0 {
			s.FixedSize = -1
		} else {
			s.FixedSize += size
		}
		s.MinSize += fieldMinSize(f)
	}
	if ok {
		s.resolved = true
		r.m.Structs = append(r.m.Structs, s)
	} else {
		s.failed = true
	}
	return ok
}

func fieldFixedSize(f *Field) int {
	switch f.Shape {
	case Scalar:
		return f.Type.FixedSize()
	case FixedArray:
		return int(f.N)
	}
	return -1
}

func fieldMinSize(f *Field) uint64 {
	switch f.Shape {
	case Scalar:
		return f.Type.minSize()
	case FixedArray:
		return f.N
	case ContextArray:
		return 0
	}
	return uint64(f.Prefix) + f.Min
}

func (r *resolver) field(s *Struct, fd *FieldDecl, last bool) *Field {
	f := &Field{Name: fd.Name, GoName: goFieldName(fd.Name), Shape: fd.Kind, N: fd.N, Min: fd.Min, Max: fd.Max, Default: fd.Default}
	if fd.Type == "Extension" && fd.Kind == Vector {
		if !checkBounds(r.errs, fd.Pos, fd, 0, 4) {
			return nil
		}
		if _, ok := r.m.byName["Extension"].(*Struct); !ok {
			r.errs.add(fd.TypePos, "unknown type Extension (declare it as in RFC 8446 §4.2)")
			return nil
		}
		td, ok := r.tables[s.Name]
		if !ok {
			r.errs.add(fd.Pos, "%s has extensions but no `extensions %s { ... };` table", s.Name, s.Name)
			return nil
		}
		if r.tableUsed[s.Name] {
			r.errs.add(fd.Pos, "%s has two extension lists", s.Name)
			return nil
		}
		r.tableUsed[s.Name] = true
		f.Table = r.table(td)
		if f.Table == nil {
			return nil
		}
		f.Prefix = prefixLen(fd.Max)
		return f
	}
	t := r.typeOf(fd.Type, fd.TypePos)
	if t == nil {
		return nil
	}
	f.Type = t
	switch fd.Kind {
	case Scalar:
		if t.Kind == KStruct && t.Struct.Open && !last {
			r.errs.add(fd.TypePos, "%s takes the rest of its input, so field %s must be the last field", t.Name, fd.Name)
			return nil
		}
		if t.Kind == KBytes {
			if t.Name == "opaque" {
				r.errs.add(fd.Pos, "opaque %s needs a length: [N] or <min..max>", fd.Name)
				return nil
			}
			// A named byte string takes its shape from its typedef.
			f.Shape, f.N, f.Min, f.Max = t.Shape, t.N, t.Min, t.Max
			if f.Shape == Vector {
				f.Prefix = prefixLen(f.Max)
			}
		}
	case FixedArray:
		if t.Kind != KBytes || t.Name != "opaque" {
			r.errs.add(fd.TypePos, "fixed arrays are opaque only, not %s", t.Name)
			return nil
		}
		if !checkBounds(r.errs, fd.Pos, fd, 1, 1) {
			return nil
		}
	case ContextArray:
		if t.Kind != KBytes || t.Name != "opaque" {
			r.errs.add(fd.TypePos, "[%s] lengths are for opaque only", fd.LenRef)
			return nil
		}
		if owner, name, ok := strings.Cut(fd.LenRef, "."); ok && owner == s.Name && !strings.Contains(name, ".") {
			// [Self.field]: the length is an earlier integer field.
			for _, prev := range s.Fields {
				if prev.Name == name && prev.Shape == Scalar && (prev.Type.Kind == KUint || prev.Type.Kind == KAlias) {
					f.LenFrom = prev
				}
			}
			if f.LenFrom == nil {
				r.errs.add(fd.Pos, "%s[%s]: %s has no integer field %s before this one", fd.Name, fd.LenRef, s.Name, name)
				return nil
			}
			break
		}
		if !last {
			r.errs.add(fd.Pos, "%s[%s]: a length given by the context must be the last field", fd.Name, fd.LenRef)
			return nil
		}
	case Vector:
		if t.Kind == KBytes && t.Name == "opaque" {
			if !checkBounds(r.errs, fd.Pos, fd, 1, 1) {
				return nil
			}
		} else {
			switch {
			case t.Kind == KStruct && t.Struct.Open:
				r.errs.add(fd.TypePos, "%s takes the rest of its input, so it can't be a vector element", t.Name)
				return nil
			case t.FixedSize() == 0:
				r.errs.add(fd.TypePos, "%s takes no octets, so it can't be a vector element", t.Name)
				return nil
			}
			if !checkBounds(r.errs, fd.Pos, fd, t.FixedSize(), t.minSize()) {
				return nil
			}
			f.Vector = r.vector(t)
		}
		f.Prefix = prefixLen(fd.Max)
	}
	return f
}

func (r *resolver) vector(t *Type) *VectorType {
	name := goTypeName(t.Name) + "Vector"
	if v, ok := r.m.vectors[name]; ok {
		return v
	}
	v := &VectorType{Name: name, Elem: t}
	r.m.vectors[name] = v
	return v
}

// resolveSelect turns each case of a select on Handshake.msg_type into a
// type: the one struct named by a bare case (`case client_hello:
// OfferedPsks;`), or a new struct Name+Case for a case with fields.
func (r *resolver) resolveSelect(s *Struct) {
	s.selDone = true
	sel := s.selects.Select
	if sel.On != "Handshake.msg_type" {
		r.errs.add(sel.Pos, "select on %s: only Handshake.msg_type is supported", sel.On)
		return
	}
	if len(s.selects.Fields) > 0 {
		r.errs.add(s.Pos, "%s: fields next to a select are not supported", s.Name)
		return
	}
	ht, _ := r.m.byName["HandshakeType"].(*Enum)
	s.cases = map[string]*Type{}
	for _, c := range sel.Cases {
		bad := false
		for _, l := range c.Labels {
			if ht != nil && !enumHas(ht, l) {
				r.errs.add(c.Pos, "%s: case %s is not a HandshakeType", s.Name, l)
			}
			if _, dup := s.cases[l]; dup {
				r.errs.add(c.Pos, "%s: duplicate case %s", s.Name, l)
				bad = true
			}
		}
		if bad {
			continue
		}
		var t *Type
		if len(c.Fields) == 1 && c.Fields[0].Name == "" {
			t = r.typeOf(c.Fields[0].Type, c.Fields[0].TypePos)
			if t != nil && t.Kind != KStruct {
				r.errs.add(c.Fields[0].TypePos, "a bare case type must be a struct, not %s", t.Name)
				t = nil
			}
		} else {
			v := &Struct{Name: s.Name + goTypeName(c.Labels[0]), Doc: Doc("case " + strings.Join(c.Labels, ", ") + " of " + s.Name), Pos: c.Pos, fields: c.Fields}
			if prev, ok := r.m.byName[v.Name]; ok && prev != nil {
				r.errs.add(c.Pos, "%s: case type %s collides with a declared type", s.Name, v.Name)
				continue
			}
			r.m.byName[v.Name] = v
			if r.resolveStruct(v) {
				t = &Type{Kind: KStruct, Name: v.Name, Struct: v}
			}
		}
		for _, l := range c.Labels {
			s.cases[l] = t
		}
	}
}

func enumHas(e *Enum, name string) bool {
	_, ok := enumValue(e, name)
	return ok
}

func enumValue(e *Enum, name string) (EnumValue, bool) {
	for _, v := range e.Values {
		if v.Name == name {
			return v, true
		}
	}
	return EnumValue{}, false
}

func (r *resolver) table(d *ExtTableDecl) *ExtTable {
	et, _ := r.m.byName["ExtensionType"].(*Enum)
	if et == nil {
		r.errs.add(d.Pos, "extensions %s: no ExtensionType enum", d.Message)
		return nil
	}
	t := &ExtTable{Message: d.Message, GoName: d.Message + "Extensions", Doc: d.Doc, IgnoreUpTo: d.IgnoreUpTo}
	seen := map[string]Pos{}
	ok := true
	for _, e := range d.Entries {
		v, found := enumValue(et, e.Ext)
		if !found {
			r.errs.add(e.Pos, "extensions %s: %s is not an ExtensionType", d.Message, e.Ext)
			ok = false
			continue
		}
		if prev, dup := seen[e.Ext]; dup {
			r.errs.add(e.Pos, "extensions %s: duplicate %s (first at %s)", d.Message, e.Ext, prev)
			ok = false
			continue
		}
		seen[e.Ext] = e.Pos
		var body *Type
		if e.Case != "" {
			s, isStruct := r.m.byName[e.Type].(*Struct)
			switch {
			case !isStruct:
				r.errs.add(e.TypePos, "unknown type %s", e.Type)
			case s.selects == nil:
				r.errs.add(e.TypePos, "%s has no select, so .%s names nothing", e.Type, e.Case)
			default:
				if !s.selDone {
					r.resolveSelect(s)
				}
				c, has := s.cases[e.Case]
				if !has && s.cases != nil {
					r.errs.add(e.TypePos, "%s has no case %s", e.Type, e.Case)
				}
				body = c
			}
		} else {
			body = r.typeOf(e.Type, e.TypePos)
			if body != nil && body.Kind == KBytes {
				r.errs.add(e.TypePos, "an extension body must be a struct or an integer type, not %s", e.Type)
				body = nil
			}
		}
		if body == nil {
			ok = false
			continue
		}
		entry := &ExtEntry{Ext: v, GoName: goTypeName(e.Ext), Body: body, Bit: len(t.Entries), enum: et}
		t.Entries = append(t.Entries, entry)
		if e.Last {
			if t.LastExt != nil {
				r.errs.add(e.Pos, "extensions %s: only one extension can be last", d.Message)
				ok = false
			}
			t.LastExt = entry
		}
	}
	if len(t.Entries) > 32 {
		r.errs.add(d.Pos, "extensions %s: more than 32 extensions", d.Message)
		ok = false
	}
	if !ok {
		return nil
	}
	r.m.Tables = append(r.m.Tables, t)
	return t
}

// goTypeName turns an RFC name into an exported Go name: each '_'-separated
// part that is all lower case is capitalized; others are kept as written
// (so X25519MLKEM768 stays, and TLS_AES_128_GCM_SHA256 would too).
func goTypeName(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// goFieldName is goTypeName with Go's initialisms for field names.
func goFieldName(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		switch part {
		case "":
		case "id", "oid", "ocsp":
			b.WriteString(strings.ToUpper(part))
		default:
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// enumConstName is the Go constant for an enum value. Upper-case RFC names
// (cipher suites, X25519MLKEM768) are already Go-style and kept as they
// are, as crypto/tls does; the others get the type as a prefix.
func enumConstName(e *Enum, v string) string {
	if strings.ToUpper(v) == v {
		return v
	}
	return e.Name + goTypeName(v)
}
