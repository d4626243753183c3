package lang

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// Pos is a source position; Line and Col count from 1 (Col in bytes).
type Pos struct {
	File string
	Line int
	Col  int
}

// String renders the position as file:line:col.
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col) }

// IsValid reports whether the position points into a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Error is one diagnostic: what is wrong at Pos, and optionally what to write instead.
type Error struct {
	Pos  Pos
	Msg  string
	Hint string
}

func (e *Error) Error() string {
	if e.Hint != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Pos, e.Msg, e.Hint)
	}
	return fmt.Sprintf("%s: %s", e.Pos, e.Msg)
}

// ErrorList collects diagnostics; passes append to it rather than stopping.
type ErrorList []*Error

// Add appends a diagnostic.
func (l *ErrorList) Add(pos Pos, hint, format string, args ...any) {
	*l = append(*l, &Error{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// Sort orders the list by position and drops exact duplicates.
func (l *ErrorList) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i].Pos, s[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	out := s[:0]
	for i, e := range s {
		if i > 0 && e.Pos == s[i-1].Pos && e.Msg == s[i-1].Msg {
			continue
		}
		out = append(out, e)
	}
	*l = out
}

// Err returns the list as an error, or nil if it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0].Error(), len(l)-1)
}

// Render prints every diagnostic with the offending source line and a caret
// under the column; source returns a file's text (nil if unknown).
func (l ErrorList) Render(source func(file string) []byte) string {
	var b strings.Builder
	for _, e := range l {
		fmt.Fprintf(&b, "%s: error: %s\n", e.Pos, e.Msg)
		if src := source(e.Pos.File); src != nil && e.Pos.Line > 0 {
			lines := bytes.Split(src, []byte("\n"))
			if e.Pos.Line <= len(lines) {
				line := strings.TrimRight(string(lines[e.Pos.Line-1]), "\r")
				fmt.Fprintf(&b, "    %s\n", line)
				col := e.Pos.Col
				if col < 1 {
					col = 1
				}
				pad := make([]byte, 0, col)
				for i := 0; i < col-1 && i < len(line); i++ {
					if line[i] == '\t' {
						pad = append(pad, '\t')
					} else {
						pad = append(pad, ' ')
					}
				}
				fmt.Fprintf(&b, "    %s^\n", pad)
			}
		}
		if e.Hint != "" {
			fmt.Fprintf(&b, "    hint: %s\n", e.Hint)
		}
	}
	return b.String()
}
