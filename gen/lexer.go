package gen

import "unicode"

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tPunct // one of { } ( ) [ ] < > ; , : = ^ - + . and ".."
)

type token struct {
	kind tokKind
	text string
	pos  Pos
	doc  string // comment text right before this token
}

// lexer splits a .tls file into tokens. Comments are /* ... */ as in the
// RFCs; the last comment before a token is kept as its doc.
type lexer struct {
	src       []rune
	i         int
	line, col int
	file      string
	errs      *ErrorList
}

func newLexer(file string, src []byte, errs *ErrorList) *lexer {
	return &lexer{src: []rune(string(src)), line: 1, col: 1, file: file, errs: errs}
}

func (l *lexer) pos() Pos { return Pos{l.file, l.line, l.col} }

func (l *lexer) advance() rune {
	r := l.src[l.i]
	l.i++
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return r
}

func (l *lexer) peekAt(k int) rune {
	if l.i+k < len(l.src) {
		return l.src[l.i+k]
	}
	return 0
}

func (l *lexer) all() []token {
	var toks []token
	doc := ""
	for {
		// Skip space and comments.
		for l.i < len(l.src) {
			r := l.src[l.i]
			if unicode.IsSpace(r) {
				if r == '\n' && l.peekAt(1) == '\n' {
					doc = "" // a blank line detaches a comment
				}
				l.advance()
				continue
			}
			if r == '/' && l.peekAt(1) == '*' {
				start := l.pos()
				l.advance()
				l.advance()
				begin := l.i
				for l.i < len(l.src) && !(l.src[l.i] == '*' && l.peekAt(1) == '/') {
					l.advance()
				}
				if l.i >= len(l.src) {
					l.errs.add(start, "unterminated comment")
					return append(toks, token{kind: tEOF, pos: l.pos()})
				}
				doc = string(l.src[begin:l.i])
				l.advance()
				l.advance()
				continue
			}
			break
		}
		if l.i >= len(l.src) {
			return append(toks, token{kind: tEOF, pos: l.pos()})
		}
		p := l.pos()
		r := l.src[l.i]
		switch {
		case r == '_' || unicode.IsLetter(r):
			begin := l.i
			for l.i < len(l.src) && (l.src[l.i] == '_' || unicode.IsLetter(l.src[l.i]) || unicode.IsDigit(l.src[l.i])) {
				l.advance()
			}
			toks = append(toks, token{kind: tIdent, text: string(l.src[begin:l.i]), pos: p, doc: doc})
		case unicode.IsDigit(r):
			begin := l.i
			if r == '0' && (l.peekAt(1) == 'x' || l.peekAt(1) == 'X') {
				l.advance()
				l.advance()
			}
			for l.i < len(l.src) && (unicode.IsDigit(l.src[l.i]) || isHexLetter(l.src[l.i])) {
				l.advance()
			}
			toks = append(toks, token{kind: tNumber, text: string(l.src[begin:l.i]), pos: p, doc: doc})
		case r == '.' && l.peekAt(1) == '.':
			l.advance()
			l.advance()
			toks = append(toks, token{kind: tPunct, text: "..", pos: p, doc: doc})
		case r == '{' || r == '}' || r == '(' || r == ')' || r == '[' || r == ']' || r == '<' || r == '>' ||
			r == ';' || r == ',' || r == ':' || r == '=' || r == '^' || r == '-' || r == '+' || r == '.':
			l.advance()
			toks = append(toks, token{kind: tPunct, text: string(r), pos: p, doc: doc})
		default:
			l.errs.add(p, "unexpected character %q", r)
			l.advance()
			continue
		}
		doc = ""
	}
}

func isHexLetter(r rune) bool {
	return (r >= 'a' && r <= 'f') || (r >= 'A' && r <= 'F')
}
