package gen

import (
	"strings"
	"unicode"
)

// ParseMachine parses a state machine file. It is line based:
//
//	state NAME [initial|final]
//	event NAME handshake|record|local [HANDSHAKE_TYPE]
//	FROM[, FROM...] EVENT [guard] -> TO / action[, action...]
//
// '#' starts a comment. FROM may be '*' and TO may be '='.
func ParseMachine(name string, src []byte) (*Machine, error) {
	var errs ErrorList
	m := &Machine{File: name}
	for i, line := range strings.Split(string(src), "\n") {
		comment := ""
		if k := strings.IndexByte(line, '#'); k >= 0 {
			comment = strings.TrimSpace(line[k+1:])
			line = line[:k]
		}
		words := splitWords(line)
		if len(words) == 0 {
			continue
		}
		pos := func(w word) Pos { return Pos{name, i + 1, w.col} }
		switch words[0].text {
		case "state":
			if len(words) < 2 || len(words) > 3 {
				errs.add(pos(words[0]), "want: state NAME [initial|final]")
				continue
			}
			s := &StateDecl{Pos: pos(words[1]), Name: words[1].text, Comment: comment}
			if len(words) == 3 {
				switch words[2].text {
				case "initial":
					s.Initial = true
				case "final":
					s.Final = true
				default:
					errs.add(pos(words[2]), "unknown state flag %q (want initial or final)", words[2].text)
				}
			}
			m.States = append(m.States, s)
		case "event":
			if len(words) < 3 || len(words) > 4 {
				errs.add(pos(words[0]), "want: event NAME handshake|record|local [HANDSHAKE_TYPE]")
				continue
			}
			e := &EventDecl{Pos: pos(words[1]), Name: words[1].text, Kind: words[2].text, Comment: comment}
			switch e.Kind {
			case "handshake":
				if len(words) != 4 {
					errs.add(pos(words[2]), "a handshake event names its HandshakeType")
					continue
				}
				e.Handshake, e.HandshakeP = words[3].text, pos(words[3])
			case "record", "local":
				if len(words) != 3 {
					errs.add(pos(words[3]), "only handshake events name a HandshakeType")
				}
			default:
				errs.add(pos(words[2]), "unknown event kind %q (want handshake, record or local)", e.Kind)
				continue
			}
			m.Events = append(m.Events, e)
		default:
			if t := parseTransition(words, pos, &errs); t != nil {
				m.Transitions = append(m.Transitions, t)
			}
		}
	}
	return m, errs.err()
}

type word struct {
	text string
	col  int
}

// splitWords splits on spaces and makes ',', '[', ']', '/' and '->' words of their own.
func splitWords(line string) []word {
	var out []word
	rs := []rune(line)
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case r == ',' || r == '[' || r == ']' || r == '/':
			out = append(out, word{string(r), i + 1})
			i++
		case r == '-' && i+1 < len(rs) && rs[i+1] == '>':
			out = append(out, word{"->", i + 1})
			i += 2
		default:
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && !strings.ContainsRune(",[]/", rs[j]) &&
				!(rs[j] == '-' && j+1 < len(rs) && rs[j+1] == '>') {
				j++
			}
			out = append(out, word{string(rs[i:j]), i + 1})
			i = j
		}
	}
	return out
}

func parseTransition(ws []word, pos func(word) Pos, errs *ErrorList) *TransitionDecl {
	t := &TransitionDecl{Pos: pos(ws[0])}
	i := 0
	bad := func(at int, msg string) *TransitionDecl {
		if at >= len(ws) {
			at = len(ws) - 1
		}
		errs.add(pos(ws[at]), "%s (want: FROM[, FROM] EVENT [guard] -> TO / action[, action])", msg)
		return nil
	}
	for {
		if i >= len(ws) || !isName(ws[i].text) && ws[i].text != "*" {
			return bad(i, "expected a state name")
		}
		t.From = append(t.From, ws[i].text)
		t.FromPos = append(t.FromPos, pos(ws[i]))
		i++
		if i < len(ws) && ws[i].text == "," {
			i++
			continue
		}
		break
	}
	if i >= len(ws) || !isName(ws[i].text) {
		return bad(i, "expected an event name")
	}
	t.Event, t.EventPos = ws[i].text, pos(ws[i])
	i++
	if i < len(ws) && ws[i].text == "[" {
		if i+2 >= len(ws) || !isName(ws[i+1].text) || ws[i+2].text != "]" {
			return bad(i, "expected [guardName]")
		}
		t.Guard, t.GuardPos = ws[i+1].text, pos(ws[i+1])
		i += 3
	}
	if i >= len(ws) || ws[i].text != "->" {
		return bad(i, "expected ->")
	}
	i++
	if i >= len(ws) || !isName(ws[i].text) && ws[i].text != "=" {
		return bad(i, "expected a target state or =")
	}
	t.To, t.ToPos = ws[i].text, pos(ws[i])
	i++
	if i < len(ws) {
		if ws[i].text != "/" {
			return bad(i, "expected / before the actions")
		}
		i++
		for {
			if i >= len(ws) || !isName(ws[i].text) {
				return bad(i, "expected an action name")
			}
			t.Actions = append(t.Actions, ws[i].text)
			t.ActionsPos = append(t.ActionsPos, pos(ws[i]))
			i++
			if i < len(ws) && ws[i].text == "," {
				i++
				continue
			}
			break
		}
		if i < len(ws) {
			return bad(i, "unexpected text after the actions")
		}
	}
	return t
}

func isName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}
