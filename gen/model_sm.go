package gen

import "strings"

// SM is the resolved state machine.
type SM struct {
	States  []*StateDecl // index = state value
	Initial int
	Events  []*SMEvent // index+1 = event value; 0 is "any other handshake message"
	Guards  []string   // index+1 = guard value; 0 is "no guard"
	Actions []string
	Trans   []*SMTrans // grouped by (From, Event), spec order within a group
	Index   [][]SMSlot // [state][event]
	DotPath string
	// HandshakeType is the spec's HandshakeType enum, which handshake
	// events name.
	HandshakeType *Enum
}

// SMEvent is an event with its value.
type SMEvent struct {
	Name      string
	Kind      string
	Handshake *EnumValue
	Comment   string
}

// SMTrans is one line of the table.
type SMTrans struct {
	From, Event, Guard, To int
	Actions                []int
	Pos                    Pos
}

// SMSlot is where the transitions of one (state, event) pair sit in Trans.
type SMSlot struct{ First, Count int }

func resolveMachine(d *Machine, m *Model, errs *ErrorList) *SM {
	sm := &SM{Initial: -1}
	states := map[string]int{}
	for _, s := range d.States {
		if prev, ok := states[s.Name]; ok {
			errs.add(s.Pos, "duplicate state %s (first at %s)", s.Name, d.States[prev].Pos)
			continue
		}
		states[s.Name] = len(sm.States)
		if s.Initial {
			if sm.Initial >= 0 {
				errs.add(s.Pos, "second initial state %s", s.Name)
			} else {
				sm.Initial = len(sm.States)
			}
		}
		sm.States = append(sm.States, s)
	}
	if sm.Initial < 0 {
		errs.add(Pos{d.File, 1, 1}, "no initial state")
		return nil
	}
	ht, _ := m.byName["HandshakeType"].(*Enum)
	sm.HandshakeType = ht
	events := map[string]int{}
	eventPos := map[string]Pos{}
	for _, e := range d.Events {
		if prev, ok := eventPos[e.Name]; ok {
			errs.add(e.Pos, "duplicate event %s (first at %s)", e.Name, prev)
			continue
		}
		ev := &SMEvent{Name: e.Name, Kind: e.Kind, Comment: e.Comment}
		// A bad HandshakeType is reported, and the event still declared
		// so that its transitions are checked too.
		if e.Kind == "handshake" {
			if ht == nil {
				errs.add(e.HandshakeP, "no HandshakeType enum in the spec")
			} else if v, ok := enumValue(ht, e.Handshake); !ok {
				errs.add(e.HandshakeP, "unknown type %s: not a HandshakeType", e.Handshake)
			} else {
				ev.Handshake = &v
			}
		}
		eventPos[e.Name] = e.Pos
		sm.Events = append(sm.Events, ev)
		events[e.Name] = len(sm.Events)
	}
	guards := map[string]int{}
	actions := map[string]int{}
	type key struct{ from, event int }
	groups := map[key][]*SMTrans{}
	used := map[int]bool{}
	for _, t := range d.Transitions {
		ev, ok := events[t.Event]
		if !ok {
			errs.add(t.EventPos, "unknown event %s", t.Event)
			continue
		}
		used[ev] = true
		g := 0
		if t.Guard != "" {
			if !isGoIdent(t.Guard) {
				errs.add(t.GuardPos, "guard %s must be a lower-case Go name", t.Guard)
				continue
			}
			if g = guards[t.Guard]; g == 0 {
				sm.Guards = append(sm.Guards, t.Guard)
				g = len(sm.Guards)
				guards[t.Guard] = g
			}
		}
		var acts []int
		bad := false
		for i, a := range t.Actions {
			if !isGoIdent(a) {
				errs.add(t.ActionsPos[i], "action %s must be a lower-case Go name", a)
				bad = true
				continue
			}
			idx, ok := actions[a]
			if !ok {
				idx = len(sm.Actions)
				sm.Actions = append(sm.Actions, a)
				actions[a] = idx
			}
			acts = append(acts, idx)
		}
		var froms []int
		for i, f := range t.From {
			if f == "*" {
				for si, s := range sm.States {
					if !s.Final {
						froms = append(froms, si)
					}
				}
				continue
			}
			si, ok := states[f]
			if !ok {
				errs.add(t.FromPos[i], "unknown state %s", f)
				bad = true
				continue
			}
			froms = append(froms, si)
		}
		to := -1
		if t.To != "=" {
			si, ok := states[t.To]
			if !ok {
				errs.add(t.ToPos, "unknown state %s", t.To)
				continue
			}
			to = si
		}
		if bad {
			continue
		}
		for _, f := range froms {
			k := key{f, ev}
			dest := to
			if dest < 0 {
				dest = f
			}
			prev := groups[k]
			if len(prev) > 0 && prev[len(prev)-1].Guard == 0 {
				if g == 0 {
					errs.add(t.Pos, "duplicate transition: %s on %s (first at %s)", sm.States[f].Name, t.Event, prev[len(prev)-1].Pos)
				} else {
					errs.add(t.Pos, "transition %s on %s [%s] is unreachable: an unguarded one comes first (%s)", sm.States[f].Name, t.Event, t.Guard, prev[len(prev)-1].Pos)
				}
				continue
			}
			for _, p := range prev {
				if p.Guard == g && g != 0 {
					errs.add(t.Pos, "duplicate transition: %s on %s [%s] (first at %s)", sm.States[f].Name, t.Event, t.Guard, p.Pos)
				}
			}
			groups[k] = append(prev, &SMTrans{From: f, Event: ev, Guard: g, To: dest, Actions: acts, Pos: t.Pos})
		}
	}
	for name, i := range events {
		if !used[i] {
			errs.add(eventPos[name], "event %s is never used", name)
		}
	}
	// Lay the groups out by (state, event) so the output is stable.
	sm.Index = make([][]SMSlot, len(sm.States))
	for s := range sm.States {
		sm.Index[s] = make([]SMSlot, len(sm.Events)+1)
		for e := 0; e <= len(sm.Events); e++ {
			g := groups[key{s, e}]
			if len(g) == 0 {
				continue
			}
			sm.Index[s][e] = SMSlot{First: len(sm.Trans), Count: len(g)}
			sm.Trans = append(sm.Trans, g...)
		}
	}
	// The generated table indexes with uint8s.
	var nActions int
	for _, t := range sm.Trans {
		nActions += len(t.Actions)
	}
	for _, c := range []struct {
		what string
		n    int
	}{
		{"states", len(sm.States)},
		{"events", len(sm.Events) + 1},
		{"guards", len(sm.Guards) + 1},
		{"distinct actions", len(sm.Actions)},
		{"transitions", len(sm.Trans)},
		{"actions in all transitions", nActions},
	} {
		if c.n > 255 {
			errs.add(Pos{d.File, 1, 1}, "too many %s (%d): the generated table holds at most 255", c.what, c.n)
		}
	}
	// Every state must be reachable, and every state but a final one
	// must have a way out.
	reach := make([]bool, len(sm.States))
	reach[sm.Initial] = true
	for changed := true; changed; {
		changed = false
		for _, t := range sm.Trans {
			if reach[t.From] && !reach[t.To] {
				reach[t.To], changed = true, true
			}
		}
	}
	for i, s := range sm.States {
		if !reach[i] && !s.Initial { // a second initial state is reported already
			errs.add(s.Pos, "state %s is unreachable from %s", s.Name, sm.States[sm.Initial].Name)
		}
		out := false
		for _, t := range sm.Trans {
			if t.From == i && t.To != i {
				out = true
			}
		}
		if !out && !s.Final {
			errs.add(s.Pos, "state %s has no way out (mark it final if that is intended)", s.Name)
		}
	}
	return sm
}

func isGoIdent(s string) bool {
	return isName(s) && s[0] >= 'a' && s[0] <= 'z' && !strings.Contains(s, "_")
}
