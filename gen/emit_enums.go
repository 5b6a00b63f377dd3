package gen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
)

// EmitEnums writes the registries: a type per enum and per named integer,
// a constant per value, String() with the RFC's names, and IsKnown().
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
		f.Const().Defs(defs...)

		var cases []jen.Code
		for _, v := range e.Values {
			cases = append(cases, jen.Case(jen.Id(enumConstName(e, v.Name))).Block(jen.Return(jen.Lit(v.Name))))
		}
		cases = append(cases, jen.Default().Block(jen.Return(jen.Id("UnknownName").Call(jen.Lit(e.Name), jen.Id("uint64").Call(jen.Id("v")), jen.Lit(e.Bits/4)))))
		f.Comment("String returns the RFC's name for v.")
		f.Func().Params(jen.Id("v").Id(e.Name)).Id("String").Params().String().Block(jen.Switch(jen.Id("v")).Block(cases...))

		var known []jen.Code
		for _, v := range e.Values {
			known = append(known, jen.Id(enumConstName(e, v.Name)))
		}
		f.Commentf("IsKnown reports whether v is one of the values of %s listed in the spec.", e.Name)
		f.Func().Params(jen.Id("v").Id(e.Name)).Id("IsKnown").Params().Bool().Block(
			jen.Switch(jen.Id("v")).Block(jen.Case(known...).Block(jen.Return(jen.True()))),
			jen.Return(jen.False()))
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

func hexLit(v uint64, bits int) string {
	return fmt.Sprintf("0x%0*x", bits/4, v)
}
