package compiler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mpcs/mpcs/lang"
	"github.com/mpcs/mpcs/vm"
)

// Options control compilation.
type Options struct {
	Ring        int      // ring size k: 128 (default when 0) or 64
	FracBits    int      // fractional bits F; 0 selects the default for the ring
	IncludeDirs []string // extra module search paths (-I), after stdlib and the program's folder
}

// Diagnostics is the error Compile returns when the program itself is wrong:
// every diagnostic of every file, and the sources to render them against.
type Diagnostics struct {
	List    lang.ErrorList
	Sources map[string][]byte
}

func (d *Diagnostics) Error() string { return d.List.Error() }

// Render prints every diagnostic with its source line and a caret.
func (d *Diagnostics) Render() string {
	return d.List.Render(func(f string) []byte { return d.Sources[f] })
}

// IsDiagnostics reports whether err carries program diagnostics (as opposed
// to an I/O or usage error).
func IsDiagnostics(err error) (*Diagnostics, bool) {
	var d *Diagnostics
	ok := errors.As(err, &d)
	return d, ok
}

// CompileFile reads and compiles the program at path.
func CompileFile(path string, opts Options) (*vm.Program, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Compile(path, src, opts)
}

// Compile compiles one program; file names the source in diagnostics and its
// directory is searched for imported modules.
func Compile(file string, src []byte, opts Options) (*vm.Program, error) {
	if opts.Ring == 0 {
		opts.Ring = 128
	}
	if opts.Ring != 64 && opts.Ring != 128 {
		return nil, fmt.Errorf("ring size must be 64 or 128, not %d", opts.Ring)
	}
	if opts.FracBits == 0 {
		opts.FracBits = DefaultFracBits(opts.Ring)
	}
	if opts.FracBits < 1 || 2*opts.FracBits >= opts.Ring-8 {
		return nil, fmt.Errorf("fractional bits must be between 1 and %d for a %d-bit ring, not %d",
			(opts.Ring-9)/2, opts.Ring, opts.FracBits)
	}
	c := &compiler{
		opts: opts, ring: opts.Ring, frac: opts.FracBits,
		sources: map[string][]byte{}, modules: map[string]*module{},
		mainDir: filepath.Dir(file), b: newBuilder(opts.Ring),
		inputIdx: map[string]int{}, paramIdx: map[string]int{}, outputPos: map[string]lang.Pos{},
		strIdx: map[string]int{}, called: map[*funcDecl]bool{},
	}
	c.prelude = c.addModule("_prelude", "<builtins>", preludeSource, true)
	main := c.addModule("__main__", file, src, false)
	if main != nil {
		c.runModule(main)
		c.checkUncalled(main)
	}
	if len(c.errs) > 0 {
		c.errs.Sort()
		return nil, &Diagnostics{List: c.errs, Sources: c.sources}
	}
	code := optimize(*c.b.code, c.b)
	p, err := c.emit(code)
	if err != nil {
		return nil, fmt.Errorf("internal compiler error: %w", err)
	}
	if _, err := vm.Encode(p); err != nil {
		return nil, fmt.Errorf("internal compiler error: %w", err)
	}
	return p, nil
}

// DefaultFracBits is the default number of fractional bits for a ring size:
// 24 for k = 128 (LANGUAGE.md §3) and 16 for k = 64, so that the product of
// two fixed-point numbers still has room before it is truncated.
func DefaultFracBits(ring int) int {
	if ring == 64 {
		return 16
	}
	return 24
}
