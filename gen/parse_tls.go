package gen

import (
	"strconv"
	"strings"
)

// ParseTLS parses one file written in the presentation language of
// RFC 8446 §3, plus the "extensions" blocks that write down the §4.2 table.
//
//	file      = { enum | struct | typedef | extensions } .
//	enum      = "enum" "{" item { "," item } "}" Name ";" .
//	item      = name "(" expr [ ".." expr ] ")" | "(" expr ")" .
//	struct    = "struct" "{" ( { field } | select ) "}" Name ";" .
//	select    = "select" "(" ref ")" "{" { case } "}" ";" .
//	case      = "case" name ":" { "case" name ":" } { field } .
//	field     = Type [ name ] [ "[" ( expr | ref ) "]" | "<" expr ".." expr ">" ] [ "=" value ] ";" .
//	typedef   = Type Name [ "[" expr "]" | "<" expr ".." expr ">" ] ";" .
//	extensions= "extensions" Message "{" { ext ":" Type [ "." case ] [ "last" ] ";" }
//	            "unknown" ":" ( "reject" | "ignore" number ) ";" "}" ";" .
//	expr      = term { ( "+" | "-" ) term } .   term = number [ "^" number ] .
func ParseTLS(name string, src []byte) (*File, error) {
	var errs ErrorList
	p := &tlsParser{toks: newLexer(name, src, &errs).all(), errs: &errs}
	f := &File{Name: name}
	for p.cur().kind != tEOF && len(errs) < 20 {
		start, first := len(errs), p.i
		t := p.cur()
		switch {
		case t.kind == tIdent && t.text == "enum":
			if d := p.enum(); d != nil {
				f.Enums = append(f.Enums, d)
			}
		case t.kind == tIdent && t.text == "struct":
			if d := p.structDecl(); d != nil {
				f.Structs = append(f.Structs, d)
			}
		case t.kind == tIdent && t.text == "extensions":
			if d := p.extTable(); d != nil {
				f.Tables = append(f.Tables, d)
			}
		case t.kind == tIdent:
			if d := p.typedef(); d != nil {
				f.Typedefs = append(f.Typedefs, d)
			}
		default:
			p.errs.add(t.pos, "expected a declaration (enum, struct, extensions or a typedef), found %s", describe(t))
		}
		if len(errs) > start {
			p.recover(first)
		}
	}
	return f, errs.err()
}

type tlsParser struct {
	toks []token
	i    int
	errs *ErrorList
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tIdent:
		return "name " + strconv.Quote(t.text)
	case tNumber:
		return "number " + t.text
	}
	return strconv.Quote(t.text)
}

func (p *tlsParser) cur() token { return p.toks[p.i] }
func (p *tlsParser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// errFail unwinds a declaration after its first error.
type errFail struct{}

func (p *tlsParser) fail(pos Pos, format string, args ...any) {
	p.errs.add(pos, format, args...)
	panic(errFail{})
}

// recover skips the rest of a declaration that failed: to the token after
// the ';' that ends it, counting the braces the declaration (which began
// at token first) has already opened.
func (p *tlsParser) recover(first int) {
	depth := 0
	for _, t := range p.toks[first:p.i] {
		if t.kind == tPunct {
			switch t.text {
			case "{":
				depth++
			case "}":
				depth--
			}
		}
	}
	if p.i == first {
		p.next() // make progress on a token no declaration starts with
		if p.toks[first].text == "{" {
			depth++
		} else if p.toks[first].text == ";" {
			return
		}
	}
	for {
		t := p.cur()
		if t.kind == tEOF {
			return
		}
		p.next()
		if t.kind != tPunct {
			continue
		}
		switch t.text {
		case "{":
			depth++
		case "}":
			depth--
		case ";":
			if depth <= 0 {
				return
			}
		}
	}
}

func (p *tlsParser) is(text string) bool {
	t := p.cur()
	return (t.kind == tPunct || t.kind == tIdent) && t.text == text
}

func (p *tlsParser) expect(text string) token {
	t := p.cur()
	if !p.is(text) {
		p.fail(t.pos, "expected %q, found %s", text, describe(t))
	}
	return p.next()
}

func (p *tlsParser) ident(what string) token {
	t := p.cur()
	if t.kind != tIdent {
		p.fail(t.pos, "expected %s, found %s", what, describe(t))
	}
	return p.next()
}

// guard runs one declaration's parser, turning errFail into a nil result.
func guard[T any](fn func() *T) (res *T) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(errFail); !ok {
				panic(r)
			}
			res = nil
		}
	}()
	return fn()
}

func (p *tlsParser) number() (uint64, Pos) {
	t := p.cur()
	if t.kind != tNumber {
		p.fail(t.pos, "expected a number, found %s", describe(t))
	}
	p.next()
	// Decimal, or hexadecimal after 0x. (Base 0 would read 010 as octal.)
	text, base := strings.ToLower(t.text), 10
	if strings.HasPrefix(text, "0x") {
		text, base = text[2:], 16
	}
	v, err := strconv.ParseUint(text, base, 64)
	if err != nil {
		p.fail(t.pos, "bad number %s", t.text)
	}
	return v, t.pos
}

func (p *tlsParser) expr() uint64 {
	v := p.term()
	for p.is("+") || p.is("-") {
		op := p.next()
		w := p.term()
		if op.text == "+" {
			if v+w < v {
				p.fail(op.pos, "length expression overflows 64 bits")
			}
			v += w
		} else {
			if w > v {
				p.fail(op.pos, "length expression is negative")
			}
			v -= w
		}
	}
	return v
}

func (p *tlsParser) term() uint64 {
	v, pos := p.number()
	if p.is("^") {
		p.next()
		e, _ := p.number()
		if e > 63 {
			p.fail(pos, "exponent %d is too large", e)
		}
		if v != 2 {
			p.fail(pos, "only powers of 2 are allowed, as in the RFC")
		}
		return 1 << e
	}
	return v
}

func (p *tlsParser) enum() *EnumDecl {
	return guard(func() *EnumDecl {
		kw := p.next()
		d := &EnumDecl{Pos: kw.pos, Doc: Doc(kw.doc)}
		p.expect("{")
		for {
			if p.is("(") {
				p.next()
				d.Max = p.expr()
				p.expect(")")
				p.expect("}")
				break
			}
			n := p.ident("an enum value name")
			p.expect("(")
			v := EnumValue{Pos: n.pos, Name: n.text, Value: p.expr()}
			if p.is("..") {
				p.next()
				v.IsRange, v.Hi = true, p.expr()
			}
			p.expect(")")
			d.Values = append(d.Values, v)
			if p.is("}") {
				p.fail(p.cur().pos, "enum needs its width as a last item, like (255) or (65535)")
			}
			p.expect(",")
		}
		name := p.ident("the enum's name")
		d.Name = name.text
		d.Pos = name.pos
		p.expect(";")
		return d
	})
}

func (p *tlsParser) structDecl() *StructDecl {
	return guard(func() *StructDecl {
		kw := p.next()
		d := &StructDecl{Doc: Doc(kw.doc)}
		p.expect("{")
		if p.is("select") {
			d.Select = p.selectDecl()
		} else {
			for !p.is("}") {
				d.Fields = append(d.Fields, p.field(false))
			}
		}
		p.expect("}")
		name := p.ident("the struct's name")
		d.Name, d.Pos = name.text, name.pos
		p.expect(";")
		return d
	})
}

func (p *tlsParser) selectDecl() *SelectDecl {
	kw := p.next()
	s := &SelectDecl{Pos: kw.pos}
	p.expect("(")
	s.On = p.ref()
	p.expect(")")
	p.expect("{")
	for p.is("case") {
		c := &CaseDecl{Pos: p.cur().pos}
		for p.is("case") {
			p.next()
			c.Labels = append(c.Labels, p.ident("a case label").text)
			p.expect(":")
		}
		for !p.is("case") && !p.is("}") {
			c.Fields = append(c.Fields, p.field(true))
		}
		s.Cases = append(s.Cases, c)
	}
	p.expect("}")
	p.expect(";")
	if len(s.Cases) == 0 {
		p.fail(kw.pos, "select has no cases")
	}
	return s
}

// ref reads a dotted name such as Handshake.msg_type.
func (p *tlsParser) ref() string {
	s := p.ident("a name").text
	for p.is(".") {
		p.next()
		s += "." + p.ident("a name").text
	}
	return s
}

func (p *tlsParser) field(inCase bool) *FieldDecl {
	typ := p.ident("a field type")
	f := &FieldDecl{Pos: typ.pos, Type: typ.text, TypePos: typ.pos}
	if p.is(";") && inCase {
		p.next()
		return f
	}
	name := p.ident("a field name")
	f.Name, f.Pos = name.text, name.pos
	p.shape(f, true)
	if p.is("=") {
		p.next()
		var parts []string
		for !p.is(";") && p.cur().kind != tEOF {
			parts = append(parts, p.next().text)
		}
		f.Default = strings.Join(parts, "")
	}
	p.expect(";")
	return f
}

// shape reads the optional [N], [Ref.field] or <min..max> after a name.
func (p *tlsParser) shape(f *FieldDecl, allowRef bool) {
	switch {
	case p.is("["):
		p.next()
		if allowRef && p.cur().kind == tIdent {
			f.Kind, f.LenRef = ContextArray, p.ref()
		} else {
			f.Kind, f.N = FixedArray, p.expr()
		}
		p.expect("]")
	case p.is("<"):
		p.next()
		f.Kind = Vector
		f.Min = p.expr()
		p.expect("..")
		f.Max = p.expr()
		p.expect(">")
	}
}

func (p *tlsParser) typedef() *TypedefDecl {
	return guard(func() *TypedefDecl {
		typ := p.next()
		f := &FieldDecl{Pos: typ.pos, Type: typ.text, TypePos: typ.pos}
		name := p.ident("the new type's name")
		d := &TypedefDecl{Pos: name.pos, Doc: Doc(typ.doc), Name: name.text, Field: f}
		p.shape(f, false)
		p.expect(";")
		return d
	})
}

func (p *tlsParser) extTable() *ExtTableDecl {
	return guard(func() *ExtTableDecl {
		kw := p.next()
		msg := p.ident("a message name")
		d := &ExtTableDecl{Pos: msg.pos, Doc: Doc(kw.doc), Message: msg.text}
		p.expect("{")
		for !p.is("}") {
			ext := p.ident("an extension name")
			p.expect(":")
			if ext.text == "unknown" {
				if d.HasUnknown {
					p.fail(ext.pos, "duplicate unknown line")
				}
				d.HasUnknown, d.UnknownPos = true, ext.pos
				mode := p.ident(`"reject" or "ignore N"`)
				switch mode.text {
				case "reject":
					d.RejectUnkwn = true
				case "ignore":
					n, pos := p.number()
					if n == 0 || n > 64 {
						p.fail(pos, "ignore takes 1 to 64 kept extensions")
					}
					d.IgnoreUpTo = int(n)
				default:
					p.fail(mode.pos, `expected "reject" or "ignore N", found %s`, describe(mode))
				}
				p.expect(";")
				continue
			}
			e := &ExtEntryDecl{Pos: ext.pos, Ext: ext.text}
			typ := p.ident("an extension body type")
			e.Type, e.TypePos = typ.text, typ.pos
			if p.is(".") {
				p.next()
				e.Case = p.ident("a select case").text
			}
			if p.is("last") {
				p.next()
				e.Last = true
			}
			p.expect(";")
			d.Entries = append(d.Entries, e)
		}
		p.expect("}")
		p.expect(";")
		if !d.HasUnknown {
			p.errs.add(d.Pos, "extensions %s: missing the unknown line (reject or ignore N)", d.Message)
		}
		return d
	})
}
