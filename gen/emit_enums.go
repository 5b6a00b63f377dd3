package gen

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dave/jennifer/jen"
)

// EmitEnums writes the registries: a type per enum and per named integer,
// a constant per value, String() and Name() with the RFC's names, and
// IsKnown().
//
// The names are laid out as the stringer tool lays them out: one const
// string of all of them and an array of the offsets where each starts
// (nameTable), so that a program carries the names' octets and one or two
// octets a name, all in flash, and not a string header a name or a switch
// a method. A value is found by its position in those tables (enumLayout).
func EmitEnums(m *Model, pkg string) *jen.File {
	f := newFile(pkg)
	for _, e := range m.Enums {
		if c := docComment(e.Name, e.Doc); c != "" {
			f.Comment(c)
		} else {
			f.Commentf("%s is a TLS registry.", e.Name)
		}
		f.Type().Id(e.Name).Id(uintGoType(e.Bits))
		var defs []jen.Code
		for _, v := range e.Values {
			defs = append(defs, jen.Id(enumConstName(e, v.Name)).Id(e.Name).Op("=").Id(hexLit(v.Value, e.Bits)).Comment(v.Name))
		}
		if len(defs) > 0 {
			f.Const().Defs(defs...)
		}
		emitEnumTables(f, e, layoutEnum(e))
	}
	for _, a := range m.Aliases {
		if c := docComment(a.Name, a.Doc); c != "" {
			f.Comment(c)
		} else {
			f.Commentf("%s is a TLS integer type.", a.Name)
		}
		f.Type().Id(a.Name).Id(uintGoType(a.Bits))
	}
	return f
}

// enumLayout is where each value of an enum has its name in the tables.
// A dense enum is looked up by v - min: position i is the value min+i,
// and a value between two that the spec names (a hole) has an empty name.
// A sparse one has the values the spec names in a sorted array, searched;
// position i is values[i]. The emitter takes whichever costs fewer octets.
type enumLayout struct {
	dense  bool
	min    uint64   // dense: the value at position 0
	values []uint64 // by position: the value (dense: min+i, holes too)
	names  []string // by position: the spec's name, "" for a hole
	holes  bool     // dense, with a hole
}

// sparseSearchCost is about how many octets of Cortex-M code the search
// of a sparse enum's values takes more than the range check of a dense
// one.
const sparseSearchCost = 16

// layoutEnum lays out e's names densely or sparsely, whichever takes
// fewer octets of tables and code.
func layoutEnum(e *Enum) enumLayout {
	vals := slices.Clone(e.Values)
	slices.SortFunc(vals, func(a, b EnumValue) int {
		switch {
		case a.Value < b.Value:
			return -1
		case a.Value > b.Value:
			return 1
		}
		return 0
	})
	if len(vals) == 0 {
		return enumLayout{}
	}
	total := 0
	for i, v := range vals {
		if v.Name == "" || (i > 0 && v.Value == vals[i-1].Value) {
			panic(fmt.Sprintf("gen: enum %s: empty or repeated name or value at %q", e.Name, v.Name))
		}
		total += len(v.Name)
	}
	offset := offsetWidth(total)
	span := vals[len(vals)-1].Value - vals[0].Value + 1
	n := uint64(len(vals))
	denseCost := (span + 1) * uint64(offset)
	sparseCost := n*uint64(e.Bits/8) + (n+1)*uint64(offset) + sparseSearchCost
	var l enumLayout
	if span <= 1<<16 && denseCost <= sparseCost {
		l.dense, l.min = true, vals[0].Value
		l.holes = span != n
		for i := range span {
			l.values = append(l.values, l.min+i)
			l.names = append(l.names, "")
		}
		for _, v := range vals {
			l.names[v.Value-l.min] = v.Name
		}
		return l
	}
	for _, v := range vals {
		l.values = append(l.values, v.Value)
		l.names = append(l.names, v.Name)
	}
	return l
}

// offsetWidth is the octets of an offset into a names string of total
// octets: 1 while a uint8 reaches its end, else 2.
func offsetWidth(total int) int {
	switch {
	case total < 1<<8:
		return 1
	case total < 1<<16:
		return 2
	}
	panic("gen: names longer than a uint16 offset reaches")
}

// nameTable is names as one string and the offsets in it: name i is
// text[offsets[i]:offsets[i+1]], so there is one offset more than names.
// The offsets fit in width octets.
func nameTable(names []string) (text string, offsets []int, width int) {
	offsets = []int{0}
	for _, n := range names {
		text += n
		offsets = append(offsets, len(text))
	}
	return text, offsets, offsetWidth(len(text))
}

// emitNameTable writes the const string textID and the array indexID of
// nameTable(names), and returns the array's length.
func emitNameTable(f *jen.File, textID, indexID string, names []string) int {
	text, offsets, width := nameTable(names)
	var parts []string
	for _, n := range names {
		if n != "" {
			parts = append(parts, n)
		}
	}
	lit := jen.Lit(text)
	if len(parts) > 1 {
		lit = jen.Lit(parts[0])
		for _, p := range parts[1:] {
			lit.Op("+").Line().Lit(p)
		}
	}
	f.Const().Id(textID).Op("=").Add(lit)
	var offs []jen.Code
	for _, o := range offsets {
		offs = append(offs, jen.Lit(o))
	}
	f.Var().Id(indexID).Op("=").Index(jen.Op("...")).Id(fmt.Sprintf("uint%d", 8*width)).Add(valuesByLine(offs, 16))
	return len(offsets)
}

// lowerFirst makes an exported Go name an unexported one: AlertLevel,
// alertLevel; TLS_X, tLS_X.
func lowerFirst(s string) string {
	return strings.ToLower(s[:1]) + s[1:]
}

// emitEnumTables writes e's name tables, its pos method (the position of
// a value in them), and String and Name on top of them. IsKnown is a
// switch: where only it is linked (ExtensionType, in the decoders), the
// compiler's bit test is smaller than a table.
func emitEnumTables(f *jen.File, e *Enum, l enumLayout) {
	v := jen.Id("v")
	recv := func() *jen.Statement { return jen.Id("v").Id(e.Name) }
	unknown := jen.Id("UnknownName").Call(jen.Lit(e.Name), jen.Uint32().Call(v), jen.Lit(e.Bits/4))
	var known []jen.Code
	for _, x := range e.Values {
		known = append(known, jen.Id(enumConstName(e, x.Name)))
	}
	isKnown := jen.Return(jen.False())
	if len(known) > 0 {
		isKnown = jen.Switch(jen.Id("v")).Block(jen.Case(known...).Block(jen.Return(jen.True()))).Line().Return(jen.False())
	}
	defer func() {
		f.Commentf("IsKnown reports whether v is one of the values of %s listed in the spec.", e.Name)
		f.Func().Params(recv()).Id("IsKnown").Params().Bool().Block(isKnown)
	}()
	if len(l.names) == 0 {
		f.Comment("String returns the RFC's name for v: the spec names no value.")
		f.Func().Params(recv()).Id("String").Params().String().Block(jen.Return(unknown))
		f.Comment("Name returns the RFC's name for v and whether the spec names v: it")
		f.Comment("names no value.")
		f.Func().Params(jen.Id(e.Name)).Id("Name").Params().Params(jen.String(), jen.Bool()).Block(jen.Return(jen.Lit(""), jen.False()))
		return
	}
	base := lowerFirst(e.Name)
	namesID, indexID, valuesID := base+"Names", base+"NameIndex", base+"Values"
	nameAt := jen.Id(namesID).Index(jen.Id(indexID).Index(jen.Id("i")).Op(":").Id(indexID).Index(jen.Id("i").Op("+").Lit(1)))

	var pos *jen.Statement
	if l.dense {
		i, at := jen.Uint().Call(v), "v"
		if l.min != 0 {
			i.Op("-").Id(hexLit(l.min, e.Bits))
			at = "v - " + hexLit(l.min, e.Bits)
		}
		f.Commentf("The names of %s, by value: the name of v is", e.Name)
		if l.holes {
			f.Commentf("%s[%s[i]:%s[i+1]] with i = %s", namesID, indexID, indexID, at)
			f.Comment("(empty for a value the spec does not name).")
		} else {
			f.Commentf("%s[%s[i]:%s[i+1]] with i = %s.", namesID, indexID, indexID, at)
		}
		n := emitNameTable(f, namesID, indexID, l.names)
		cond := jen.Id("i").Op("<").Lit(n - 1)
		if l.holes {
			cond.Op("&&").Id(indexID).Index(jen.Id("i")).Op("!=").Id(indexID).Index(jen.Id("i").Op("+").Lit(1))
		}
		pos = jen.Block(
			jen.If(jen.Id("i").Op(":=").Add(i), cond).Block(jen.Return(jen.Int().Call(jen.Id("i")))),
			jen.Return(jen.Lit(-1)))
	} else {
		f.Commentf("The values of %s that the spec names, sorted, and their names: the", e.Name)
		f.Commentf("name of %s[i] is %s[%s[i]:%s[i+1]].", valuesID, namesID, indexID, indexID)
		var vals []jen.Code
		for _, x := range l.values {
			vals = append(vals, jen.Id(hexLit(x, e.Bits)))
		}
		vt := uintGoType(e.Bits)
		f.Var().Id(valuesID).Op("=").Index(jen.Op("...")).Id(vt).Add(valuesByLine(vals, 8))
		emitNameTable(f, namesID, indexID, l.names)
		// A linear search: the lists are short, and it is less code
		// than a binary search.
		pos = jen.Block(
			jen.For(jen.List(jen.Id("i"), jen.Id("x")).Op(":=").Range().Op("&").Id(valuesID)).Block(
				jen.If(jen.Id("x").Op("==").Id(vt).Call(v)).Block(jen.Return(jen.Id("i")))),
			jen.Return(jen.Lit(-1)))
	}
	f.Commentf("pos is the position of v in the name tables of %s, or -1 if the", e.Name)
	f.Comment("spec does not name v.")
	f.Func().Params(recv()).Id("pos").Params().Int().Add(pos)

	f.Comment("String returns the RFC's name for v.")
	f.Func().Params(recv()).Id("String").Params().String().Block(
		jen.If(jen.Id("i").Op(":=").Id("v").Dot("pos").Call(), jen.Id("i").Op(">=").Lit(0)).Block(jen.Return(nameAt.Clone())),
		jen.Return(unknown))

	f.Comment("Name returns the RFC's name for v and whether the spec names v. The")
	f.Comment("name is a part of a constant: it allocates nothing.")
	f.Func().Params(recv()).Id("Name").Params().Params(jen.String(), jen.Bool()).Block(
		jen.If(jen.Id("i").Op(":=").Id("v").Dot("pos").Call(), jen.Id("i").Op(">=").Lit(0)).Block(jen.Return(nameAt.Clone(), jen.True())),
		jen.Return(jen.Lit(""), jen.False()))
}

func hexLit(v uint64, bits int) string {
	return fmt.Sprintf("0x%0*x", bits/4, v)
}
