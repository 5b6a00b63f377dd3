package gen

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
)

// EmitMachine writes the state and event enums, the flat transition table
// and its dispatch. The table is [numStates*numEvents] slots; each points
// at the (usually one) transitions for that pair. Guards and actions are
// method values of the hand-written engine type, so a name the spec uses
// but tls/ does not implement is a compile error.
//
// The machine may live in another package than the codecs and registries
// (the engine's package, while they are in their own): wireImport is then
// the codecs' import path (of package wirePkg), and the names the table takes from them (the
// HandshakeType values, UnknownName) are qualified with it; the
// unexpected_message alert is then the engine package's own,
// AlertUnexpectedMessage. An empty wireImport means the same package.
func EmitMachine(sm *SM, pkg, wirePkg, wireImport string) *jen.File {
	f := newFile(pkg)
	if wireImport != "" {
		f.ImportName(wireImport, wirePkg)
	}
	// The unexpected_message alert of the engine's package: its own
	// AlertUnexpectedMessage when it is not the codecs' package.
	unexpected := jen.Id("AlertUnexpectedMessage")
	if wireImport == "" {
		unexpected = jen.Id("AlertDescriptionUnexpectedMessage")
	}
	w := func(name string) *jen.Statement {
		if wireImport == "" {
			return jen.Id(name)
		}
		return jen.Qual(wireImport, name)
	}
	f.Comment("HandshakeState is a state of the client state machine (spec/client.sm).")
	f.Type().Id("HandshakeState").Uint8()
	var defs []jen.Code
	for i, s := range sm.States {
		d := jen.Id(stateConst(s.Name))
		if i == 0 {
			d.Id("HandshakeState").Op("=").Iota()
		}
		if s.Comment != "" {
			d.Comment(s.Comment)
		}
		defs = append(defs, d)
	}
	f.Comment("The states of spec/client.sm, in its order: StateX is state X there")
	f.Comment("(StateWaitSH is WAIT_SH). TraceEvent.From and To are these.")
	f.Const().Defs(defs...)
	f.Const().Id("numStates").Op("=").Lit(len(sm.States))
	f.Const().Id("initialState").Op("=").Id(stateConst(sm.States[sm.Initial].Name))
	var names []string
	var finals []jen.Code
	for _, s := range sm.States {
		names = append(names, s.Name)
		finals = append(finals, jen.Lit(s.Final))
	}
	f.Comment("The states' names in the spec: state s is")
	f.Comment("stateNames[stateNameIndex[s]:stateNameIndex[s+1]].")
	emitNameTable(f, "stateNames", "stateNameIndex", names)
	f.Comment("stateFinal marks the states the spec declares final.")
	f.Var().Id("stateFinal").Op("=").Index(jen.Id("numStates")).Bool().Values(finals...)
	f.Comment("String returns the state's name in the spec.")
	f.Func().Params(jen.Id("s").Id("HandshakeState")).Id("String").Params().String().Block(
		jen.If(jen.Id("s").Op("<").Id("numStates")).Block(jen.Return(jen.Id("stateNames").Index(jen.Id("stateNameIndex").Index(jen.Id("s")).Op(":").Id("stateNameIndex").Index(jen.Id("s").Op("+").Lit(1))))),
		jen.Return(w("UnknownName").Call(jen.Lit("HandshakeState"), jen.Id("uint32").Call(jen.Id("s")), jen.Lit(2))))

	f.Comment("HandshakeEvent is what drives the state machine: a received message or")
	f.Comment("record, or a call from the application.")
	f.Type().Id("HandshakeEvent").Uint8()
	defs = []jen.Code{jen.Id("EventOtherHandshake").Id("HandshakeEvent").Op("=").Iota().Comment("a handshake message the client never receives")}
	for _, e := range sm.Events {
		d := jen.Id(eventConst(e.Name))
		if e.Comment != "" {
			d.Comment(e.Comment)
		}
		defs = append(defs, d)
	}
	f.Comment("The events of spec/client.sm: EventX is event x there (EventServerHello")
	f.Comment("is server_hello). TraceEvent.Event is one of these.")
	f.Const().Defs(defs...)
	f.Const().Id("numEvents").Op("=").Lit(len(sm.Events) + 1)
	names = []string{"other_handshake"}
	kinds := []jen.Code{jen.Id("eventHandshake")}
	for _, e := range sm.Events {
		names = append(names, e.Name)
		kinds = append(kinds, jen.Id("event"+goTypeName(e.Kind)))
	}
	f.Comment("The events' names in the spec: event e is")
	f.Comment("eventNames[eventNameIndex[e]:eventNameIndex[e+1]].")
	emitNameTable(f, "eventNames", "eventNameIndex", names)
	f.Comment("String returns the event's name in the spec.")
	f.Func().Params(jen.Id("e").Id("HandshakeEvent")).Id("String").Params().String().Block(
		jen.If(jen.Id("e").Op("<").Id("numEvents")).Block(jen.Return(jen.Id("eventNames").Index(jen.Id("eventNameIndex").Index(jen.Id("e")).Op(":").Id("eventNameIndex").Index(jen.Id("e").Op("+").Lit(1))))),
		jen.Return(w("UnknownName").Call(jen.Lit("HandshakeEvent"), jen.Id("uint32").Call(jen.Id("e")), jen.Lit(2))))
	f.Comment("eventKind says where an event comes from.")
	f.Type().Id("eventKind").Uint8()
	f.Const().Defs(
		jen.Id("eventHandshake").Id("eventKind").Op("=").Iota().Comment("a handshake message from the peer"),
		jen.Id("eventRecord").Comment("a non-handshake record from the peer"),
		jen.Id("eventLocal").Comment("a call from the application"),
	)
	f.Var().Id("eventKinds").Op("=").Index(jen.Id("numEvents")).Id("eventKind").Values(kinds...)

	f.Comment("handshakeEvents maps a received HandshakeType, up to the largest one")
	f.Comment("the client receives, to its event; handshakeEvent reads it.")
	dict := jen.Dict{}
	seen := map[string]bool{}
	for _, e := range sm.Events {
		if e.Handshake == nil || seen[e.Handshake.Name] {
			continue
		}
		seen[e.Handshake.Name] = true
		dict[w(enumConstName(sm.HandshakeType, e.Handshake.Name))] = jen.Id(eventConst(e.Name))
	}
	f.Var().Id("handshakeEvents").Op("=").Index(jen.Op("...")).Id("HandshakeEvent").Values(dict)
	f.Comment("handshakeEvent is the event of a received message of type t:")
	f.Comment("EventOtherHandshake for a type the client never receives. The events")
	f.Comment("that share a type (a HelloRetryRequest is a ServerHello) are told")
	f.Comment("apart by hand, before dispatch.")
	f.Func().Id("handshakeEvent").Params(jen.Id("t").Add(w(sm.HandshakeType.Name))).Id("HandshakeEvent").Block(
		jen.If(jen.Int().Call(jen.Id("t")).Op("<").Len(jen.Id("handshakeEvents"))).Block(jen.Return(jen.Id("handshakeEvents").Index(jen.Id("t")))),
		jen.Return(jen.Id("EventOtherHandshake")))

	// Guards and actions.
	guards := []jen.Code{jen.Nil()}
	for _, g := range sm.Guards {
		guards = append(guards, jen.Parens(jen.Op("*").Id("engine")).Dot(g))
	}
	f.Comment("guardFuncs[i] is guard i; 0 means no guard.")
	f.Var().Id("guardFuncs").Op("=").Index(jen.Lit(len(sm.Guards) + 1)).Func().Params(jen.Op("*").Id("engine")).Bool().Values(guards...)
	var gnames []jen.Code
	gnames = append(gnames, jen.Lit(""))
	for _, g := range sm.Guards {
		gnames = append(gnames, jen.Lit(g))
	}
	f.Var().Id("guardNames").Op("=").Index(jen.Lit(len(sm.Guards) + 1)).String().Values(gnames...)
	var acts, anames []jen.Code
	for _, a := range sm.Actions {
		acts = append(acts, jen.Parens(jen.Op("*").Id("engine")).Dot(a))
		anames = append(anames, jen.Lit(a))
	}
	// Set in init: an action may end in a dispatch of its own (a failure
	// runs the error event), which a package-level initializer could not
	// refer to.
	f.Var().Id("actionFuncs").Index(jen.Lit(len(sm.Actions))).Func().Params(jen.Op("*").Id("engine")).Error()
	f.Func().Id("init").Params().Block(
		jen.Id("actionFuncs").Op("=").Index(jen.Lit(len(sm.Actions))).Func().Params(jen.Op("*").Id("engine")).Error().Values(acts...))
	f.Var().Id("actionNames").Op("=").Index(jen.Lit(len(sm.Actions))).String().Values(anames...)

	f.Comment("transition is one line of spec/client.sm. Its actions are")
	f.Comment("actionList[actionStart[i]:actionStart[i+1]] for transitions[i] (actionsOf).")
	f.Type().Id("transition").Struct(
		jen.Id("guard").Uint8(),
		jen.Id("next").Id("HandshakeState"),
	)
	var list, trans, starts []jen.Code
	for _, t := range sm.Trans {
		c := jen.Comment(fmt.Sprintf("%s:%d: %s %s", shortPath(t.Pos.File), t.Pos.Line, sm.States[t.From].Name, sm.Events[t.Event-1].Name)).Line().
			Values(jen.Lit(t.Guard), jen.Id(stateConst(sm.States[t.To].Name)))
		trans = append(trans, c)
		starts = append(starts, jen.Lit(len(list)))
		for _, a := range t.Actions {
			list = append(list, jen.Lit(a))
		}
	}
	starts = append(starts, jen.Lit(len(list)))
	f.Var().Id("transitions").Op("=").Index(jen.Op("...")).Id("transition").Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, trans...)
	f.Var().Id("actionList").Op("=").Index(jen.Op("...")).Uint8().Values(list...)
	f.Comment("actionStart is where the actions of each transition start in actionList,")
	f.Comment("and where the last one's end.")
	f.Var().Id("actionStart").Op("=").Index(jen.Len(jen.Id("transitions")).Op("+").Lit(1)).Uint8().Add(valuesByLine(starts, 16))
	f.Comment("actionsOf is the actions of transitions[i].")
	f.Func().Id("actionsOf").Params(jen.Id("i").Int()).Index().Uint8().Block(
		jen.Return(jen.Id("actionList").Index(jen.Id("actionStart").Index(jen.Id("i")).Op(":").Id("actionStart").Index(jen.Id("i").Op("+").Lit(1)))))

	// The transitions are laid out by (state, event), so the slot of a
	// pair starts where the one before it ends: one offset a pair, a line
	// of them a state.
	rows := []jen.Code{jen.Line()}
	next := 0
	for s := range sm.States {
		row := jen.Comment(sm.States[s].Name).Line()
		for e, slot := range sm.Index[s] {
			if slot.Count > 0 && slot.First != next {
				panic(fmt.Sprintf("gen: the transitions of %s, event %d, are not laid out by (state, event)", sm.States[s].Name, e))
			}
			row.Lit(next).Op(",")
			next += slot.Count
		}
		rows = append(rows, row.Line())
	}
	rows = append(rows, jen.Comment("the end of the last").Line().Lit(next).Op(",").Line())
	slots := jen.Custom(jen.Options{Open: "{", Close: "}"}, rows...)
	f.Comment("transitionStart is the flat [state*numEvents+event] table: the")
	f.Comment("transitions of a pair are transitions[transitionStart[k]:transitionStart[k+1]],")
	f.Comment("k = state*numEvents+event, as they are laid out by (state, event). An")
	f.Comment("empty slot is an event the state does not expect.")
	f.Var().Id("transitionStart").Op("=").Index(jen.Id("numStates").Op("*").Id("numEvents").Op("+").Lit(1)).Uint8().Add(slots)
	f.Comment("transitionsOf is the transitions of ev in s: transitions[first:end].")
	f.Func().Id("transitionsOf").Params(jen.Id("s").Id("HandshakeState"), jen.Id("ev").Id("HandshakeEvent")).Params(jen.List(jen.Id("first"), jen.Id("end")).Int()).Block(
		jen.Id("k").Op(":=").Int().Call(jen.Id("s")).Op("*").Id("numEvents").Op("+").Int().Call(jen.Id("ev")),
		jen.Return(jen.Int().Call(jen.Id("transitionStart").Index(jen.Id("k"))), jen.Int().Call(jen.Id("transitionStart").Index(jen.Id("k").Op("+").Lit(1)))))

	f.Comment("accepts reports whether the table has a transition for ev in s: for")
	f.Comment("an event from the peer, whether it is expected; for a call from the")
	f.Comment("application, whether it is allowed now.")
	f.Func().Id("accepts").Params(jen.Id("s").Id("HandshakeState"), jen.Id("ev").Id("HandshakeEvent")).Bool().Block(
		jen.List(jen.Id("first"), jen.Id("end")).Op(":=").Id("transitionsOf").Call(jen.Id("s"), jen.Id("ev")),
		jen.Return(jen.Id("first").Op("!=").Id("end")))
	var receives []jen.Code
	for s := range sm.States {
		r := false
		for e, slot := range sm.Index[s] {
			if slot.Count > 0 && (e == 0 || sm.Events[e-1].Kind != "local") {
				r = true
			}
		}
		receives = append(receives, jen.Lit(r))
	}
	f.Comment("stateReceives marks the states with a transition for some event from")
	f.Comment("the peer. In the others the engine reads nothing and discards its input.")
	f.Var().Id("stateReceives").Op("=").Index(jen.Id("numStates")).Bool().Values(receives...)

	f.Comment("dispatch takes the first transition for ev in the current state whose")
	f.Comment("guard holds, runs its actions and moves to its state. A pair the table")
	f.Comment("does not list is a fatal unexpected_message (RFC 8446 §6.2).")
	f.Func().Params(jen.Id("e").Op("*").Id("engine")).Id("dispatch").Params(jen.Id("ev").Id("HandshakeEvent")).Error().Block(
		jen.List(jen.Id("first"), jen.Id("end")).Op(":=").Id("transitionsOf").Call(jen.Id("e").Dot("state"), jen.Id("ev")),
		jen.For(jen.Id("i").Op(":=").Id("first"), jen.Id("i").Op("<").Id("end"), jen.Id("i").Op("++")).Block(
			jen.Id("t").Op(":=").Op("&").Id("transitions").Index(jen.Id("i")),
			jen.If(jen.Id("t").Dot("guard").Op("!=").Lit(0).Op("&&").Op("!").Id("guardFuncs").Index(jen.Id("t").Dot("guard")).Call(jen.Id("e"))).Block(jen.Continue()),
			jen.Id("from").Op(":=").Id("e").Dot("state"),
			jen.For(jen.Id("_").Op(",").Id("a").Op(":=").Range().Id("actionsOf").Call(jen.Id("i"))).Block(
				jen.If(jen.Err().Op(":=").Id("actionFuncs").Index(jen.Id("a")).Call(jen.Id("e")), jen.Err().Op("!=").Nil()).Block(jen.Return(jen.Err()))),
			jen.Id("e").Dot("state").Op("=").Id("t").Dot("next"),
			jen.Id("e").Dot("traceTransition").Call(jen.Id("from"), jen.Id("ev"), jen.Id("t").Dot("next")),
			jen.Return(jen.Nil()),
		),
		jen.Return(jen.Id("newAlert").Call(unexpected, jen.Lit("tls: unexpected ").Op("+").Id("ev").Dot("String").Call().Op("+").Lit(" in state ").Op("+").Id("e").Dot("state").Dot("String").Call())),
	)
	return f
}

// stateConst is the Go name of a state: WAIT_CERT_CR is StateWaitCertCR.
// Parts of three letters or fewer are the RFC's abbreviations (SH, EE, CR,
// CV, HRR) and stay upper case.
func stateConst(name string) string {
	var b strings.Builder
	b.WriteString("State")
	for _, part := range strings.Split(name, "_") {
		if len(part) <= 3 {
			b.WriteString(part)
			continue
		}
		b.WriteString(part[:1] + strings.ToLower(part[1:]))
	}
	return b.String()
}
func eventConst(name string) string { return "Event" + goTypeName(name) }

func shortPath(p string) string {
	if i := strings.LastIndex(p, "spec/"); i >= 0 {
		return p[i:]
	}
	return p
}

// EmitDot writes the machine as a Graphviz digraph.
func EmitDot(sm *SM) []byte {
	var b bytes.Buffer
	b.WriteString("// Code generated by cmd/gen from spec/client.sm. DO NOT EDIT.\n")
	b.WriteString("digraph client {\n\trankdir=TB;\n\tnode [shape=box, style=rounded, fontname=\"Helvetica\"];\n\tedge [fontname=\"Helvetica\", fontsize=10];\n")
	for i, s := range sm.States {
		attrs := ""
		switch {
		case i == sm.Initial:
			attrs = " [style=\"rounded,bold\"]"
		case s.Final:
			attrs = " [shape=doubleoctagon]"
		}
		fmt.Fprintf(&b, "\t%q%s;\n", s.Name, attrs)
	}
	for _, t := range sm.Trans {
		label := sm.Events[t.Event-1].Name
		if t.Guard != 0 {
			label += " [" + sm.Guards[t.Guard-1] + "]"
		}
		var acts []string
		for _, a := range t.Actions {
			acts = append(acts, sm.Actions[a])
		}
		if len(acts) > 0 {
			label += "\\n/ " + strings.Join(acts, ",\\n")
		}
		fmt.Fprintf(&b, "\t%q -> %q [label=\"%s\"];\n", sm.States[t.From].Name, sm.States[t.To].Name, label)
	}
	b.WriteString("}\n")
	return b.Bytes()
}
