package compiler

import (
	_ "embed"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/mpcs/mpcs/lang"
	"github.com/mpcs/mpcs/stdlib"
)

// preludeSource implements the builtins that are themselves written in .mpcs.
//
//go:embed prelude.mpcs
var preludeSource []byte

// module is one loaded .mpcs file.
type module struct {
	name  string
	file  string
	ast   *lang.Module
	funcs map[string]*funcDecl
	top   *env            // the module's global scope, once its top level has run
	names map[string]bool // names bound at top level
	state int             // 0 new, 1 running top level, 2 done
}

// funcDecl is a user function.
type funcDecl struct {
	def       *lang.FuncDef
	mod       *module
	locals    map[string]bool
	early     bool // has a return that is not its last statement
	recursive bool // part of a cycle of calls (reported by resolve)
}

// loadModule finds, parses and resolves an imported module: the embedded
// stdlib first, then the importing program's folder, then the -I paths.
func (c *compiler) loadModule(name string, pos lang.Pos) *module {
	if m, ok := c.modules[name]; ok {
		return m
	}
	file := name + ".mpcs"
	var src []byte
	var path string
	if b, err := fs.ReadFile(stdlib.FS, file); err == nil {
		return c.addModule(name, "stdlib/"+file, b, true)
	} else {
		for _, dir := range append([]string{c.mainDir}, c.opts.IncludeDirs...) {
			p := filepath.Join(dir, file)
			if b, err := os.ReadFile(p); err == nil {
				src, path = b, p
				break
			}
		}
	}
	if src == nil {
		c.errs.Add(pos, "modules are looked up in the standard library, the program's folder and the -I paths",
			"no module named %q", name)
		c.modules[name] = nil
		return nil
	}
	return c.addModule(name, path, src, false)
}

// parsedEmbedded caches the syntax trees of the embedded modules (the
// stdlib and the prelude): their sources never change, the compiler only
// reads the trees, and parsing them is most of a small program's compile
// time.
var parsedEmbedded sync.Map // path → *parsed

type parsed struct {
	ast  *lang.Module
	errs lang.ErrorList
}

// addModule parses and resolves a module's source; embedded sources are
// parsed once per process.
func (c *compiler) addModule(name, path string, src []byte, embedded bool) *module {
	c.sources[path] = src
	var ast *lang.Module
	var errs lang.ErrorList
	if pe, ok := parsedEmbedded.Load(path); ok && embedded {
		ast, errs = pe.(*parsed).ast, pe.(*parsed).errs
	} else {
		ast, errs = lang.Parse(path, src)
		if embedded {
			parsedEmbedded.Store(path, &parsed{ast, errs})
		}
	}
	if len(errs) > 0 {
		c.errs = append(c.errs, errs...)
		c.modules[name] = nil
		return nil
	}
	m := &module{name: name, file: path, ast: ast, funcs: map[string]*funcDecl{}, names: map[string]bool{}}
	c.modules[name] = m
	c.resolveModule(m)
	return m
}
