package compiler

import (
	"github.com/mpcs/mpcs/lang"
)

// checkUncalled type-checks the functions of the program that are never
// called but whose parameters are all annotated, so that their errors are
// reported too; their code is discarded.
func (c *compiler) checkUncalled(m *module) {
	for _, s := range m.ast.Body {
		def, ok := s.(*lang.FuncDef)
		if !ok {
			continue
		}
		fd := m.funcs[def.Name]
		if fd == nil || c.called[fd] {
			continue
		}
		var args []arg
		complete := true
		for _, p := range def.Params {
			if p.Type == nil || !validAnnotation(p.Type) {
				complete = complete && p.Default != nil
				continue
			}
			t := annotation(p.Type)
			if !runtimeType(t) {
				complete = false
				break
			}
			args = append(args, arg{v: c.freshVar(t), pos: p.P, name: p.Name})
		}
		if !complete {
			continue
		}
		c.discard++
		c.b.capture(func() { c.callUser(fd, args, def.P) })
		c.discard--
	}
}
