package files

import (
	"errors"
	"io/fs"
	"path"

	"github.com/goswan/goswan/confparse"
)

// Buffer is one file being scanned.
type Buffer struct {
	Name string
	ID   any
	Data []byte
	Pos  int // next byte to scan
	Line int // line of Pos, 1-based
	bol  int // offset of the first byte of the current line

	pending    []string           // include matches not yet opened
	includedAt confparse.Position // the include directive that opened it
}

// Position returns the position of byte offset off, which must not be before
// the start of the current line.
func (b *Buffer) Position(off int) confparse.Position {
	return confparse.Position{File: b.Name, Line: b.Line, Column: off - b.bol + 1}
}

// Advance consumes n bytes, counting lines.
func (b *Buffer) Advance(n int) {
	end := b.Pos + n
	for ; b.Pos < end; b.Pos++ {
		if b.Data[b.Pos] == '\n' {
			b.Line++
			b.bol = b.Pos + 1
		}
	}
}

// AtBOL reports whether the scanner is at the start of a line (flex's "^").
func (b *Buffer) AtBOL() bool { return b.Pos == b.bol }

// Rest is the unscanned input.
func (b *Buffer) Rest() []byte { return b.Data[b.Pos:] }

// Stack is the include stack of strongSwan's parser_helper: an include
// directive expands its pattern relative to the including file, and each match
// is scanned to its end before the next one and before the rest of the
// including file. strongSwan has no loop protection (a file including itself
// recurses until it runs out of file descriptors); Stack refuses a file that
// is already open on the stack.
type Stack struct {
	FS       FS
	bufs     []*Buffer
	opened   []string
	Problems confparse.Errors
}

// Top is the buffer being scanned, nil when all input is consumed.
func (s *Stack) Top() *Buffer {
	if len(s.bufs) == 0 {
		return nil
	}
	return s.bufs[len(s.bufs)-1]
}

// Files lists the names of the files opened so far, in order.
func (s *Stack) Files() []string { return append([]string(nil), s.opened...) }

// OpenMain opens the top-level file.
func (s *Stack) OpenMain(name string) error {
	data, id, err := s.FS.ReadFile(name)
	if err != nil {
		return err
	}
	s.push(name, id, data)
	return nil
}

// OpenBytes makes data the top-level input, named name.
func (s *Stack) OpenBytes(name string, data []byte) {
	s.push(name, s.FS.Identify(name), data)
}

func (s *Stack) push(name string, id any, data []byte) {
	s.bufs = append(s.bufs, &Buffer{Name: name, ID: id, Data: data, Line: 1})
	s.opened = append(s.opened, name)
}

// Include handles an include directive with pattern found at pos in the top
// buffer: relative patterns are based on the directory of that buffer's file.
// The first readable match becomes the top buffer.
func (s *Stack) Include(pos confparse.Position, pattern string) {
	top := s.Top()
	if pattern == "" {
		s.Problems = append(s.Problems, confparse.Errorf(pos, confparse.Warning,
			"no include pattern specified, ignored"))
		return
	}
	pat := pattern
	if !path.IsAbs(pattern) {
		pat = path.Dir(top.Name) + "/" + pattern
	}
	matches, err := Glob(s.FS, pat)
	if err != nil {
		s.Problems = append(s.Problems, confparse.Errorf(pos, confparse.Warning,
			"expanding file pattern '%s' failed: %v", pat, unwrapPath(err)))
	} else if len(matches) == 0 {
		s.Problems = append(s.Problems, confparse.Errorf(pos, confparse.Warning,
			"no files found matching '%s'", pat))
	}
	top.pending = matches
	s.openNext(pos)
}

// openNext opens the next pending include match of the top buffer, skipping
// what cannot be read as strongSwan does.
func (s *Stack) openNext(pos confparse.Position) {
	top := s.Top()
	for top != nil && len(top.pending) > 0 {
		name := top.pending[0]
		top.pending = top.pending[1:]
		data, id, err := s.FS.ReadFile(name)
		if err != nil {
			s.Problems = append(s.Problems, confparse.Errorf(pos, confparse.Warning,
				"unable to open '%s': %v", name, unwrapPath(err)))
			continue
		}
		if chain := s.chainTo(id); chain != "" {
			s.Problems = append(s.Problems, confparse.Errorf(pos, confparse.Fatal,
				"include loop: '%s' is already being read (%s)", name, chain))
			continue
		}
		s.push(name, id, data)
		s.bufs[len(s.bufs)-1].includedAt = pos
		return
	}
}

// chainTo describes the include chain when a file with id is on the stack.
func (s *Stack) chainTo(id any) string {
	if id == nil {
		return ""
	}
	for i, b := range s.bufs {
		if b.ID != nil && b.ID == id {
			chain := ""
			for _, c := range s.bufs[i:] {
				if chain != "" {
					chain += " -> "
				}
				chain += c.Name
			}
			return chain
		}
	}
	return ""
}

// EOF ends the top buffer and continues with the next include match of the
// buffer below it, or with that buffer itself. It reports false when no input
// is left.
func (s *Stack) EOF() bool {
	if len(s.bufs) == 0 {
		return false
	}
	done := s.bufs[len(s.bufs)-1]
	s.bufs = s.bufs[:len(s.bufs)-1]
	if len(s.bufs) == 0 {
		return false
	}
	s.openNext(done.includedAt)
	return true
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
