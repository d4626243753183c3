package vm

// The interpreter loop. A Machine runs one *Program over an Engine: it owns
// the program counter, the public registers (P and I classes: ring vectors,
// signed two's complement in Z_2^k), parameters, outputs and every run-time
// check, and it delegates each operation on a secret register to the Engine
// (engine.go). The same loop serves the plaintext reference executor
// (PlainEngine, Emulate) and the three-party VM.
//
// Registers never share storage: every instruction writes a fresh vector
// (MOV copies, CONST and PARAM copy the program's constants), so SETIDX with
// dst == src can update its register in place. An instruction reads all its operands before
// it writes any result.
//
// Run-time errors are *RuntimeError values carrying the pc and the source
// position of the instruction, formatted "file:line:col: message".

import (
	"context"
	"errors"
	"fmt"
	"math/big"
)

// DefaultMaxLen is the default limit on the length of a vector created by
// RANGE or FILL.
const DefaultMaxLen = 1<<31 - 1

// RuntimeError is an error raised while running a program.
type RuntimeError struct {
	PC  int    // the instruction index, -1 if none
	Pos string // its source position, file:line:col
	Msg string
	Err error // the underlying error (from the engine or the context), if any
}

func (e *RuntimeError) Error() string { return e.Pos + ": " + e.Msg }

// Unwrap returns the underlying error.
func (e *RuntimeError) Unwrap() error { return e.Err }

// Machine runs a program. Create one with NewMachine, set the optional limits,
// then call Run; a Machine may be run again (each Run starts afresh).
type Machine struct {
	// MaxSteps stops the run with an error after this many instructions
	// (0: no limit).
	MaxSteps int64
	// MaxLen is the largest vector RANGE and FILL may create (0:
	// DefaultMaxLen).
	MaxLen int
	// ChunkElems bounds the elements of one pass of an interactive
	// instruction (chunk.go); 0 means DefaultChunkElems.
	ChunkElems int

	prog   *Program
	base   Engine // the engine given to NewMachine
	eng    Engine // base, wrapped for chunking during Run
	k, f   int
	params []Vec

	pub    [2][]Vec   // ClassP, ClassI
	sec    [2][]Share // ClassA, ClassB
	def    [NumClasses][]bool
	outs   []Vec
	outSet []bool

	cost []int // rounds of one pass of each instruction (Instr.Rounds)
	// fuse[pc]: the AMUL at pc and the ATRUNC at pc+1 that truncates its
	// results in place run as one MulTrunc call (mt, the engine's)
	fuse          []bool
	mt            MulTruncer
	pc            int
	steps, rounds int64
}

// NewMachine returns a machine that runs p over e. params holds a value per
// entry of p.Params (a public scalar in the ring of p); a missing entry, or
// one whose Lo is nil, takes the parameter's default. ParseParams builds it
// from NAME=VALUE strings.
func NewMachine(p *Program, e Engine, params []Vec) *Machine {
	return &Machine{prog: p, base: e, eng: e, k: p.Ring, f: p.FracBits, params: params}
}

// Steps returns the number of instructions executed by the last Run.
func (m *Machine) Steps() int64 { return m.steps }

// Rounds returns the network rounds of the interactive instructions executed
// by the last Run (the sum of Instr.Rounds(k)).
func (m *Machine) Rounds() int64 { return m.rounds }

func (m *Machine) errAt(pc int, format string, args ...any) *RuntimeError {
	return &RuntimeError{PC: pc, Pos: m.prog.Position(pc), Msg: fmt.Sprintf(format, args...)}
}

func (m *Machine) wrapErr(pc int, err error) *RuntimeError {
	var re *RuntimeError
	if errors.As(err, &re) {
		return re
	}
	return &RuntimeError{PC: pc, Pos: m.prog.Position(pc), Msg: err.Error(), Err: err}
}

// Run executes the program from its first instruction until it falls off the
// end, and returns the outputs it wrote (in program order) with the counts.
func (m *Machine) Run(ctx context.Context) (res *Result, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	p := m.prog
	m.steps, m.rounds, m.pc = 0, 0, -1
	if p.Ring != 64 && p.Ring != 128 {
		return nil, &RuntimeError{PC: -1, Pos: "?", Msg: fmt.Sprintf("unsupported ring size %d", p.Ring)}
	}
	if p.FracBits < 0 || p.FracBits >= p.Ring {
		return nil, &RuntimeError{PC: -1, Pos: "?", Msg: fmt.Sprintf("fractional bits %d out of range", p.FracBits)}
	}
	if err := m.precheck(); err != nil {
		return nil, err
	}
	limit := m.ChunkElems
	if limit <= 0 {
		limit = DefaultChunkElems
	}
	chunks := &chunkEngine{Engine: m.base, limit: limit}
	m.eng = chunks
	m.reset()
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, m.errAt(m.pc, "internal error: %v", r)
		}
	}()
	maxSteps := m.MaxSteps
	for pc := 0; pc < len(p.Code); {
		m.pc = pc
		if maxSteps > 0 && m.steps >= maxSteps {
			return nil, m.errAt(pc, "step limit of %d instructions exceeded", maxSteps)
		}
		if m.steps&1023 == 0 {
			if cerr := ctx.Err(); cerr != nil {
				return nil, &RuntimeError{PC: pc, Pos: p.Position(pc), Msg: "run stopped: " + cerr.Error(), Err: cerr}
			}
		}
		m.steps++
		in := &p.Code[pc]
		if m.fuse[pc] && (maxSteps <= 0 || m.steps < maxSteps) {
			// AMUL and the ATRUNC after it, in one engine call
			m.steps++
			if rerr := m.execMulTrunc(ctx, pc); rerr != nil {
				return nil, rerr
			}
			m.rounds += int64((m.cost[pc] + m.cost[pc+1]) * max(chunks.passes, 1))
			chunks.passes = 0
			pc += 2
			continue
		}
		next, rerr := m.exec(ctx, pc, in)
		if rerr != nil {
			return nil, rerr
		}
		if in.Op.Interactive() {
			m.rounds += int64(m.cost[pc] * max(chunks.passes, 1))
			chunks.passes = 0
		}
		pc = next
	}
	res = &Result{Ring: m.k, FracBits: m.f, Rounds: m.rounds, Instructions: m.steps}
	for i, o := range p.Outputs {
		if m.outSet[i] {
			res.Outputs = append(res.Outputs, OutputValue{Name: o.Name, Type: o.Type, Vector: o.Vector, Value: m.outs[i]})
		}
	}
	return res, nil
}

func (m *Machine) reset() {
	p := m.prog
	for c := Class(0); c < NumClasses; c++ {
		m.def[c] = make([]bool, p.NumRegs[c])
	}
	m.pub[0] = make([]Vec, p.NumRegs[ClassP])
	m.pub[1] = make([]Vec, p.NumRegs[ClassI])
	m.sec[0] = make([]Share, p.NumRegs[ClassA])
	m.sec[1] = make([]Share, p.NumRegs[ClassB])
	m.outs = make([]Vec, len(p.Outputs))
	m.outSet = make([]bool, len(p.Outputs))
	// An instruction's rounds depend on its immediates only: work them out
	// once, not on every execution.
	m.cost = make([]int, len(p.Code))
	for pc, in := range p.Code {
		m.cost[pc] = in.Rounds(m.k)
	}
	m.mt, _ = m.base.(MulTruncer)
	m.fuse = make([]bool, len(p.Code))
	if m.mt != nil {
		for pc := range p.Code {
			m.fuse[pc] = m.fusable(pc)
		}
	}
}

// MulTruncer is implemented by engines that compute a multiplication
// followed by the truncation of its results in one call, for less than
// Mul then Trunc cost (runtime.Engine: the product goes straight to the
// form its truncation starts from). MulTrunc(ctx, x, y, m) must equal
// Trunc(ctx, Mul(ctx, x, y), m) and cost the rounds of both.
type MulTruncer interface {
	MulTrunc(ctx context.Context, x, y []Share, m []uint) ([]Share, error)
}

// fusable reports whether the AMUL at pc and the instruction after it run
// as one MulTrunc: an ATRUNC with as many groups whose group g truncates
// the AMUL's destination g in place (so that the products themselves are
// overwritten and never read), every destination distinct and every shift
// in range. A program jumping to pc+1 runs the ATRUNC alone, as before.
func (m *Machine) fusable(pc int) bool {
	code := m.prog.Code
	if pc+1 >= len(code) || code[pc].Op != AMUL || code[pc+1].Op != ATRUNC {
		return false
	}
	a, b := code[pc].Args, code[pc+1].Args
	if len(a) == 0 || len(a)%3 != 0 || len(a) != len(b) {
		return false
	}
	seen := make(map[uint32]bool, len(a)/3)
	for g := 0; g < len(a); g += 3 {
		d := a[g]
		if seen[d] || b[g] != d || b[g+1] != d || int64(b[g+2]) >= int64(m.k) {
			return false
		}
		seen[d] = true
	}
	return true
}

// gatherPairs gathers the operand pairs (x, y) of a binary interactive
// instruction's groups of n arguments (dst, x, y, ...), checking that their
// lengths broadcast.
func (m *Machine) gatherPairs(pc int, class Class, a []uint32, n int) (xs, ys []Share, rerr *RuntimeError) {
	ys = make([]Share, len(a)/n)
	xs, rerr = m.gather(pc, class, a, n, func(g int, x Share, ga []uint32) *RuntimeError {
		y, rerr := m.getS(pc, class, ga[2])
		if rerr != nil {
			return rerr
		}
		ys[g] = y
		_, rerr = m.blen(pc, x.Len(), y.Len())
		return rerr
	})
	return xs, ys, rerr
}

// execMulTrunc runs the AMUL at pc and the ATRUNC at pc+1 (fusable) as one
// engine call; operand errors are the AMUL's.
func (m *Machine) execMulTrunc(ctx context.Context, pc int) *RuntimeError {
	a, b := m.prog.Code[pc].Args, m.prog.Code[pc+1].Args
	ng := len(a) / 3
	xs, ys, rerr := m.gatherPairs(pc, ClassA, a, 3)
	if rerr != nil {
		return rerr
	}
	ms := make([]uint, ng)
	for g := range ms {
		ms[g] = uint(b[3*g+2])
	}
	rs, err := m.eng.(*chunkEngine).MulTrunc(ctx, xs, ys, ms)
	return m.scatter(pc, ClassA, a, 3, rs, err)
}

// precheck validates the operands of every instruction, so that the loop can
// index registers and tables without further checks even if Verify was not
// run.
func (m *Machine) precheck() *RuntimeError {
	p := m.prog
	for i, c := range p.Consts {
		if c.Hi != nil && len(c.Hi) != len(c.Lo) {
			return &RuntimeError{PC: -1, Pos: "?", Msg: fmt.Sprintf("malformed constant %d", i)}
		}
	}
	for i, prm := range p.Params {
		if int(prm.Default) >= len(p.Consts) {
			return &RuntimeError{PC: -1, Pos: "?", Msg: fmt.Sprintf("parameter %q: default constant %d out of range", prm.Name, prm.Default)}
		}
		if i < len(m.params) && m.params[i].Hi != nil && len(m.params[i].Hi) != len(m.params[i].Lo) {
			return &RuntimeError{PC: -1, Pos: "?", Msg: fmt.Sprintf("parameter %q: malformed value", prm.Name)}
		}
	}
	for pc := range p.Code {
		in := &p.Code[pc]
		info, ok := in.Op.Info()
		if !ok {
			return m.errAt(pc, "malformed instruction: unknown opcode %d", in.Op)
		}
		nf, ng := len(info.Fixed), len(info.Group)
		n := len(in.Args)
		if n < nf || (ng == 0 && n != nf) || (ng > 0 && ((n-nf)%ng != 0 || (n-nf)/ng < info.MinGroups)) {
			return m.errAt(pc, "malformed instruction: %s with %d operands", info.Name, n)
		}
		cls := Class(255)
		for j, x := range in.Args {
			a, _ := bcArgAt(info, j)
			bad := false
			switch a.Kind {
			case KP:
				bad = x >= p.NumRegs[ClassP]
			case KA:
				bad = x >= p.NumRegs[ClassA]
			case KB:
				bad = x >= p.NumRegs[ClassB]
			case KR:
				r := DecodeReg(x)
				bad = r.Index >= p.NumRegs[r.Class]
				if info.SameClass {
					if cls != 255 && cls != r.Class {
						return m.errAt(pc, "malformed instruction: %s mixes register classes", info.Name)
					}
					cls = r.Class
				}
			case KOptP:
				bad = x != 0 && x-1 >= p.NumRegs[ClassP]
			case KConst:
				bad = int(x) >= len(p.Consts)
			case KString:
				bad = int(x) >= len(p.Strings)
			case KJump:
				bad = int(x) > len(p.Code)
			case KInput:
				bad = int(x) >= len(p.Inputs)
			case KParam:
				bad = int(x) >= len(p.Params)
			case KOutput:
				bad = int(x) >= len(p.Outputs)
			}
			if bad {
				return m.errAt(pc, "malformed instruction: %s operand %d (%d) out of range", info.Name, j, x)
			}
		}
	}
	return nil
}

// ---- registers ----

// exVal is the content of a register of any class: a public vector, or a
// secret Share.
type exVal struct {
	secret bool
	pub    Vec
	sec    Share
}

func (v exVal) length() int {
	if v.secret {
		return v.sec.Len()
	}
	return v.pub.Len()
}

// comps returns the components the structural operations act on.
func (v exVal) comps() []Vec {
	if v.secret {
		return v.sec
	}
	return []Vec{v.pub}
}

// mapComps applies f to every component.
func (v exVal) mapComps(f func(Vec) Vec) exVal {
	if v.secret {
		s := make(Share, len(v.sec))
		for i, c := range v.sec {
			s[i] = f(c)
		}
		return exVal{secret: true, sec: s}
	}
	return exVal{pub: f(v.pub)}
}

var exClassNames = [NumClasses]string{"p", "a", "b", "i"}

func (m *Machine) unset(pc int, c Class, idx uint32) *RuntimeError {
	return m.errAt(pc, "register %s%d is read before it is written", exClassNames[c], idx)
}

func (m *Machine) getP(pc int, idx uint32) (Vec, *RuntimeError) {
	if !m.def[ClassP][idx] {
		return Vec{}, m.unset(pc, ClassP, idx)
	}
	return m.pub[0][idx], nil
}

func (m *Machine) setP(idx uint32, v Vec) {
	m.pub[0][idx] = v
	m.def[ClassP][idx] = true
}

func (m *Machine) getS(pc int, c Class, idx uint32) (Share, *RuntimeError) {
	if !m.def[c][idx] {
		return nil, m.unset(pc, c, idx)
	}
	return m.sec[c-ClassA][idx], nil
}

func (m *Machine) setS(c Class, idx uint32, s Share) {
	m.sec[c-ClassA][idx] = s
	m.def[c][idx] = true
}

func (m *Machine) getR(pc int, x uint32) (exVal, *RuntimeError) {
	r := DecodeReg(x)
	if !m.def[r.Class][r.Index] {
		return exVal{}, m.unset(pc, r.Class, r.Index)
	}
	switch r.Class {
	case ClassP, ClassI:
		return exVal{pub: m.pub[r.Class/ClassI][r.Index]}, nil
	default:
		return exVal{secret: true, sec: m.sec[r.Class-ClassA][r.Index]}, nil
	}
}

func (m *Machine) setR(x uint32, v exVal) {
	r := DecodeReg(x)
	switch r.Class {
	case ClassP, ClassI:
		m.pub[r.Class/ClassI][r.Index] = v.pub
	default:
		m.sec[r.Class-ClassA][r.Index] = v.sec
	}
	m.def[r.Class][r.Index] = true
}

// exNorm gives a public vector the layout of ring k (Hi present iff k = 128).
func exNorm(k int, v Vec) Vec {
	if k == 64 {
		v.Hi = nil
	} else if v.Hi == nil {
		v.Hi = make([]uint64, len(v.Lo))
	}
	return v
}

// ---- length checks and scalars ----

func (m *Machine) blen(pc int, lens ...int) (int, *RuntimeError) {
	n, ok := BroadcastLen(lens...)
	if !ok {
		a := -1
		for _, l := range lens {
			if l == 1 {
				continue
			}
			if a < 0 {
				a = l
			} else if l != a {
				return 0, m.errAt(pc, "vectors of different lengths %d and %d", a, l)
			}
		}
	}
	return n, nil
}

func (m *Machine) sameLen(pc int, lens ...int) *RuntimeError {
	for _, l := range lens[1:] {
		if l != lens[0] {
			return m.errAt(pc, "vectors of different lengths %d and %d", lens[0], l)
		}
	}
	return nil
}

// scalar returns the single element of a public vector as a sign-extended
// 128-bit word.
func (m *Machine) scalar(pc int, v Vec, what string) (rgU128, *RuntimeError) {
	if v.Len() != 1 {
		return rgU128{}, m.errAt(pc, "%s must be a scalar, got a vector of length %d", what, v.Len())
	}
	return rgLoad(m.k, v, 0), nil
}

func (m *Machine) scalarP(pc int, idx uint32, what string) (rgU128, *RuntimeError) {
	v, err := m.getP(pc, idx)
	if err != nil {
		return rgU128{}, err
	}
	return m.scalar(pc, v, what)
}

// exStr formats a sign-extended word as a signed decimal.
func exStr(x rgU128) string {
	return ElemBig(128, Vec{Lo: []uint64{x.lo}, Hi: []uint64{x.hi}}, 0).String()
}

// exInt converts a sign-extended word to an int64, saturating.
func exInt(x rgU128) int64 {
	return rgInt64Sat(128, Vec{Lo: []uint64{x.lo}, Hi: []uint64{x.hi}}, 0)
}

func (m *Machine) maxLen() int {
	if m.MaxLen > 0 {
		return m.MaxLen
	}
	return DefaultMaxLen
}

// ---- structural helpers on one component ----

// exPick returns the n elements start, start+step, ... of v.
func exPick(v Vec, start, step, n int) Vec {
	r := Vec{Lo: make([]uint64, n)}
	if v.Hi != nil {
		r.Hi = make([]uint64, n)
	}
	for i, j := 0, start; i < n; i, j = i+1, j+step {
		r.Lo[i] = v.Lo[j]
		if v.Hi != nil {
			r.Hi[i] = v.Hi[j]
		}
	}
	return r
}

func exConcat(parts []Vec) Vec {
	n, hi := 0, false
	for _, p := range parts {
		n += p.Len()
		hi = hi || p.Hi != nil
	}
	r := Vec{Lo: make([]uint64, 0, n)}
	if hi {
		r.Hi = make([]uint64, 0, n)
	}
	for _, p := range parts {
		r.Lo = append(r.Lo, p.Lo...)
		if hi {
			if p.Hi != nil {
				r.Hi = append(r.Hi, p.Hi...)
			} else {
				r.Hi = append(r.Hi, make([]uint64, p.Len())...)
			}
		}
	}
	return r
}

// exConcatShares concatenates shares of one number of components, component
// by component, into fresh storage.
func exConcatShares(ps []Share) Share {
	out := make(Share, len(ps[0]))
	cs := make([]Vec, len(ps))
	for comp := range out {
		for i, p := range ps {
			cs[i] = p[comp]
		}
		out[comp] = exConcat(cs)
	}
	return out
}

// exPySlice computes Python's slice(start, stop, step).indices(n) and the
// resulting length.
func exPySlice(n int64, start, stop, step *int64) (first, stride, count int64) {
	st := int64(1)
	if step != nil {
		st = *step
	}
	lower, upper := int64(0), n
	if st < 0 {
		lower, upper = -1, n-1
	}
	clamp := func(x *int64, def int64) int64 {
		if x == nil {
			return def
		}
		v := *x
		if v < 0 {
			v += n
			if v < lower {
				v = lower
			}
		} else if v > upper {
			v = upper
		}
		return v
	}
	var b, e int64
	if st > 0 {
		b, e = clamp(start, lower), clamp(stop, upper)
		if e > b {
			count = (e-b-1)/st + 1
		}
	} else {
		b, e = clamp(start, upper), clamp(stop, lower)
		if b > e {
			count = (b-e-1)/(-st) + 1
		}
	}
	return b, st, count
}

// ---- the interpreter ----

func (m *Machine) exec(ctx context.Context, pc int, in *Instr) (int, *RuntimeError) {
	a := in.Args
	k := m.k
	next := pc + 1
	switch in.Op {
	case NOP:

	case MOV:
		v, err := m.getR(pc, a[1])
		if err != nil {
			return 0, err
		}
		m.setR(a[0], v.mapComps(CloneVec))

	case LEN:
		v, err := m.getR(pc, a[1])
		if err != nil {
			return 0, err
		}
		m.setP(a[0], VecOf(k, int64(v.length())))

	case SLICE:
		v, err := m.getR(pc, a[1])
		if err != nil {
			return 0, err
		}
		var bounds [3]*int64
		var vals [3]int64
		for j, what := range [3]string{"slice start", "slice stop", "slice step"} {
			if a[2+j] == 0 {
				continue
			}
			x, err := m.scalarP(pc, a[2+j]-1, what)
			if err != nil {
				return 0, err
			}
			b := exInt(x)
			if j == 2 {
				if b == 0 {
					return 0, m.errAt(pc, "slice step must not be zero")
				}
				b = max(b, -(1<<63 - 1))
			}
			vals[j] = b
			bounds[j] = &vals[j]
		}
		first, stride, count := exPySlice(int64(v.length()), bounds[0], bounds[1], bounds[2])
		m.setR(a[0], v.mapComps(func(c Vec) Vec { return exPick(c, int(first), int(stride), int(count)) }))

	case INDEX:
		v, err := m.getR(pc, a[1])
		if err != nil {
			return 0, err
		}
		i, err := m.index(pc, a[2], v.length())
		if err != nil {
			return 0, err
		}
		m.setR(a[0], v.mapComps(func(c Vec) Vec { return exPick(c, i, 1, 1) }))

	case SETIDX:
		// SETIDX dst src i v: a copy of src with element i set to the
		// scalar v, in place when dst == src (registers never share
		// storage, so that is safe).
		src, err := m.getR(pc, a[1])
		if err != nil {
			return 0, err
		}
		i, err := m.index(pc, a[2], src.length())
		if err != nil {
			return 0, err
		}
		val, err := m.getR(pc, a[3])
		if err != nil {
			return 0, err
		}
		if val.length() != 1 {
			return 0, m.errAt(pc, "assigned value must be a scalar, got a vector of length %d", val.length())
		}
		dst := src
		if a[0] != a[1] {
			dst = src.mapComps(CloneVec)
		}
		dc, sc := dst.comps(), val.comps()
		if len(dc) != len(sc) {
			return 0, m.errAt(pc, "internal error: shares with %d and %d components", len(dc), len(sc))
		}
		for j := range dc {
			dc[j].Lo[i] = sc[j].Lo[0]
			if dc[j].Hi != nil {
				var hi uint64
				if sc[j].Hi != nil {
					hi = sc[j].Hi[0]
				}
				dc[j].Hi[i] = hi
			}
		}
		m.setR(a[0], dst)

	case CONCAT:
		parts := make([]Share, 0, len(a)-1) // the components of each source
		secret, total := false, 0
		for _, x := range a[1:] {
			v, err := m.getR(pc, x)
			if err != nil {
				return 0, err
			}
			parts = append(parts, v.comps())
			secret = v.secret // SameClass: all sources alike
			total += v.length()
		}
		if total > m.maxLen() {
			return 0, m.errAt(pc, "concatenation of %d elements is too long (limit %d)", total, m.maxLen())
		}
		for _, cs := range parts {
			if len(cs) != len(parts[0]) {
				return 0, m.errAt(pc, "internal error: shares with %d and %d components", len(parts[0]), len(cs))
			}
		}
		comps := exConcatShares(parts)
		if secret {
			m.setR(a[0], exVal{secret: true, sec: comps})
		} else {
			m.setR(a[0], exVal{pub: comps[0]})
		}

	case FILL:
		nx, err := m.scalarP(pc, a[1], "fill length")
		if err != nil {
			return 0, err
		}
		v, err := m.getR(pc, a[2])
		if err != nil {
			return 0, err
		}
		if v.length() != 1 {
			return 0, m.errAt(pc, "fill value must be a scalar, got a vector of length %d", v.length())
		}
		if nx.isNeg() {
			return 0, m.errAt(pc, "fill length %s must not be negative", exStr(nx))
		}
		if n := exInt(nx); n > int64(m.maxLen()) {
			return 0, m.errAt(pc, "fill length %s is too long (limit %d)", exStr(nx), m.maxLen())
		}
		n := int(exInt(nx))
		m.setR(a[0], v.mapComps(func(c Vec) Vec { return exPick(c, 0, 0, n) }))

	case RANGE:
		var xs [3]rgU128
		for j, what := range [3]string{"range start", "range stop", "range step"} {
			x, err := m.scalarP(pc, a[1+j], what)
			if err != nil {
				return 0, err
			}
			xs[j] = x
		}
		start, stop, step := xs[0], xs[1], xs[2]
		if step.isZero() {
			return 0, m.errAt(pc, "range step must not be zero")
		}
		// count = ceil(|stop - start| / |step|) when moving towards stop,
		// computed unsigned so that no 128-bit difference overflows.
		var count rgU128
		if !step.isNeg() && start.slt(stop) {
			q, _ := stop.sub(start).sub(rgU128{1, 0}).udivmod(step)
			count = q.add(rgU128{1, 0})
		} else if step.isNeg() && stop.slt(start) {
			q, _ := start.sub(stop).sub(rgU128{1, 0}).udivmod(step.neg())
			count = q.add(rgU128{1, 0})
		}
		if count.hi != 0 || count.lo > uint64(m.maxLen()) {
			n := new(big.Int).Lsh(new(big.Int).SetUint64(count.hi), 64)
			n.Or(n, new(big.Int).SetUint64(count.lo))
			return 0, m.errAt(pc, "range of %s elements is too long (limit %d)", n, m.maxLen())
		}
		n := int(count.lo)
		r := NewVec(k, n)
		x := start
		for i := 0; i < n; i++ {
			rgStore(k, r, i, x)
			x = x.add(step)
		}
		m.setP(a[0], r)

	case CONST:
		m.setP(a[0], rgCopy(k, m.prog.Consts[a[1]]))

	case JMP:
		next = int(a[0])

	case JZ, JNZ:
		c, err := m.scalarP(pc, a[0], "condition")
		if err != nil {
			return 0, err
		}
		if c.isZero() == (in.Op == JZ) {
			next = int(a[1])
		}

	case ASSERT:
		c, err := m.scalarP(pc, a[0], "assertion condition")
		if err != nil {
			return 0, err
		}
		if c.isZero() {
			msg := m.prog.Strings[a[1]]
			if msg == "" {
				return 0, m.errAt(pc, "assertion failed")
			}
			return 0, m.errAt(pc, "assertion failed: %s", msg)
		}

	case CHKLEN:
		x, err := m.getR(pc, a[0])
		if err != nil {
			return 0, err
		}
		y, err := m.getR(pc, a[1])
		if err != nil {
			return 0, err
		}
		if x.length() != y.length() {
			return 0, m.errAt(pc, "vectors of different lengths %d and %d", x.length(), y.length())
		}

	case INPUT:
		col := m.prog.Inputs[a[1]]
		r := DecodeReg(a[0])
		if r.Class != inputClass(col.Type) {
			return 0, m.errAt(pc, "input %q of type %s cannot be loaded into a %s register", col.Name, col.Type, exClassNames[r.Class])
		}
		s, err := m.eng.Input(ctx, int(a[1]), col)
		if err != nil {
			return 0, m.wrapErr(pc, err)
		}
		m.setS(r.Class, r.Index, s)

	case PARAM:
		var v Vec
		if int(a[1]) < len(m.params) && m.params[a[1]].Lo != nil {
			v = m.params[a[1]]
		} else {
			v = m.prog.Consts[m.prog.Params[a[1]].Default]
		}
		m.setP(a[0], rgCopy(k, v))

	case OUTPUT:
		o := m.prog.Outputs[a[0]]
		v, err := m.getP(pc, a[1])
		if err != nil {
			return 0, err
		}
		if m.outSet[a[0]] {
			return 0, m.errAt(pc, "output %q written twice", o.Name)
		}
		if !o.Vector && v.Len() != 1 {
			return 0, m.errAt(pc, "output %q must be a scalar, got a vector of length %d", o.Name, v.Len())
		}
		m.outs[a[0]] = CloneVec(v)
		m.outSet[a[0]] = true

	default:
		if in.Op.Interactive() {
			return next, m.execInteractive(ctx, pc, in)
		}
		return next, m.execLocal(pc, in)
	}
	return next, nil
}

// execLocal executes the public arithmetic; the local secret operations go
// to execSecret.
func (m *Machine) execLocal(pc int, in *Instr) *RuntimeError {
	a := in.Args
	k := m.k
	switch in.Op {
	case PADD, PSUB, PMUL, PDIV, PMOD, PFDIV, PPOW, PSHL, PSHR, PAND, POR, PXOR, PLT, PLE, PEQ, PNE:
		x, err := m.getP(pc, a[1])
		if err != nil {
			return err
		}
		y, err := m.getP(pc, a[2])
		if err != nil {
			return err
		}
		n, err := m.blen(pc, x.Len(), y.Len())
		if err != nil {
			return err
		}
		if err := m.checkRight(pc, in.Op, y); err != nil {
			return err
		}
		r := NewVec(k, n)
		switch in.Op {
		case PADD:
			AddVec(k, r, x, y)
		case PSUB:
			SubVec(k, r, x, y)
		case PMUL:
			MulVec(k, r, x, y)
		case PDIV:
			FloorDivVec(k, r, x, y)
		case PMOD:
			FloorModVec(k, r, x, y)
		case PFDIV:
			FixDivVec(k, m.f, r, x, y)
		case PPOW:
			PowVec(k, r, x, y)
		case PSHL:
			ShlVec(k, r, x, y)
		case PSHR:
			SarVec(k, r, x, y)
		case PAND:
			AndVec(k, r, x, y)
		case POR:
			OrVec(k, r, x, y)
		case PXOR:
			XorVec(k, r, x, y)
		case PLT:
			LtVec(k, r, x, y)
		case PLE:
			LeVec(k, r, x, y)
		case PEQ:
			EqVec(k, r, x, y)
		case PNE:
			NeVec(k, r, x, y)
		}
		m.setP(a[0], r)

	case PNEG, PNOT, PSUM:
		x, err := m.getP(pc, a[1])
		if err != nil {
			return err
		}
		var r Vec
		switch in.Op {
		case PNEG:
			r = NewVec(k, x.Len())
			NegVec(k, r, x)
		case PNOT:
			r = NewVec(k, x.Len())
			NotVec(k, r, x)
		case PSUM:
			r = NewVec(k, 1)
			SumVec(k, r, x)
		}
		m.setP(a[0], r)

	case PSEL:
		var vs [3]Vec
		for j := range vs {
			v, err := m.getP(pc, a[1+j])
			if err != nil {
				return err
			}
			vs[j] = v
		}
		n, err := m.blen(pc, vs[0].Len(), vs[1].Len(), vs[2].Len())
		if err != nil {
			return err
		}
		r := NewVec(k, n)
		SelVec(k, r, vs[0], vs[1], vs[2])
		m.setP(a[0], r)

	default:
		return m.execSecret(pc, in)
	}
	return nil
}

// regClass is the class of a register operand of kind KP, KA or KB.
func regClass(kind OperandKind) Class {
	switch kind {
	case KA:
		return ClassA
	case KB:
		return ClassB
	}
	return ClassP
}

// execSecret executes the local operations on secret registers. The class
// of the result, and of every secret operand, is the picture's (operand 0).
func (m *Machine) execSecret(pc int, in *Instr) *RuntimeError {
	a := in.Args
	info, _ := in.Op.Info()
	if len(info.Fixed) == 0 {
		return m.errAt(pc, "opcode %s is not supported", in.Op)
	}
	c := regClass(info.Fixed[0].Kind)
	var r Share
	switch in.Op {
	case PTOA, PTOB:
		x, err := m.getP(pc, a[1])
		if err != nil {
			return err
		}
		if in.Op == PTOA {
			r = m.eng.PToA(x)
		} else {
			r = m.eng.PToB(x)
		}

	case AADD, ASUB, BXOR:
		x, err := m.getS(pc, c, a[1])
		if err != nil {
			return err
		}
		y, err := m.getS(pc, c, a[2])
		if err != nil {
			return err
		}
		if _, err := m.blen(pc, x.Len(), y.Len()); err != nil {
			return err
		}
		switch in.Op {
		case AADD:
			r = m.eng.AAdd(x, y)
		case ASUB:
			r = m.eng.ASub(x, y)
		case BXOR:
			r = m.eng.BXor(x, y)
		}

	case ANEG, ASUM, BNOT:
		x, err := m.getS(pc, c, a[1])
		if err != nil {
			return err
		}
		switch in.Op {
		case ANEG:
			r = m.eng.ANeg(x)
		case ASUM:
			r = m.eng.ASum(x)
		case BNOT:
			r = m.eng.BNot(x)
		}

	case AADDP, ASUBP, AMULP, APSUB, BXORP, BANDP:
		// One secret and one public operand, read in operand order (which
		// matters only for the error reported): APSUB has the public first.
		var x Share
		var p Vec
		var err *RuntimeError
		if in.Op == APSUB {
			p, err = m.getP(pc, a[1])
			if err == nil {
				x, err = m.getS(pc, c, a[2])
			}
		} else {
			x, err = m.getS(pc, c, a[1])
			if err == nil {
				p, err = m.getP(pc, a[2])
			}
		}
		if err != nil {
			return err
		}
		if _, err := m.blen(pc, x.Len(), p.Len()); err != nil {
			return err
		}
		switch in.Op {
		case AADDP:
			r = m.eng.AAddP(x, p)
		case ASUBP:
			r = m.eng.ASubP(x, p)
		case AMULP:
			r = m.eng.AMulP(x, p)
		case APSUB:
			r = m.eng.APSub(p, x)
		case BXORP:
			r = m.eng.BXorP(x, p)
		case BANDP:
			r = m.eng.BAndP(x, p)
		}

	case BSHL, BSHR, BROTL:
		x, err := m.getS(pc, c, a[1])
		if err != nil {
			return err
		}
		s := a[2]
		if s >= 64 {
			return m.errAt(pc, "shift amount %d out of range [0, 64)", s)
		}
		switch in.Op {
		case BSHL:
			r = m.eng.BShl(x, uint(s))
		case BSHR:
			r = m.eng.BShr(x, uint(s))
		case BROTL:
			r = m.eng.BRotl(x, uint(s))
		}

	default:
		return m.errAt(pc, "opcode %s is not supported", in.Op)
	}
	m.setS(c, a[0], r)
	return nil
}

// execInteractive executes an interactive instruction: it reads and checks
// the operands of every group, hands all groups to the engine in one call,
// then writes the results.
//
// The groups follow the fixed operands (only ASORT has any); each is a
// destination, then a secret source, then for some opcodes one more
// operand. The classes come from the picture.
func (m *Machine) execInteractive(ctx context.Context, pc int, in *Instr) *RuntimeError {
	info, _ := in.Op.Info()
	n := len(info.Group)
	if n < 2 {
		return m.errAt(pc, "opcode %s is not supported", in.Op)
	}
	a := in.Args[len(info.Fixed):]
	dst, src := regClass(info.Group[0].Kind), regClass(info.Group[1].Kind)
	ng := len(a) / n
	var rs []Share
	var err error
	switch in.Op {
	case AMUL, ADOT, BAND:
		xs, ys, rerr := m.gatherPairs(pc, src, a, n)
		if rerr != nil {
			return rerr
		}
		switch in.Op {
		case AMUL:
			rs, err = m.eng.Mul(ctx, xs, ys)
		case ADOT:
			rs, err = m.eng.Dot(ctx, xs, ys)
		case BAND:
			rs, err = m.eng.BAnd(ctx, xs, ys)
		}

	case ATRUNC, ASHR, A2B:
		ms := make([]uint, ng)
		xs, rerr := m.gather(pc, src, a, n, func(g int, _ Share, ga []uint32) *RuntimeError {
			mm := ga[2]
			if in.Op == A2B && mm > 1 {
				return m.errAt(pc, "word %d out of range [0, 2)", mm)
			}
			if in.Op != A2B && int64(mm) >= int64(m.k) {
				return m.errAt(pc, "shift amount %d out of range [0, %d)", mm, m.k)
			}
			ms[g] = uint(mm)
			return nil
		})
		if rerr != nil {
			return rerr
		}
		switch in.Op {
		case ATRUNC:
			rs, err = m.eng.Trunc(ctx, xs, ms)
		case ASHR:
			rs, err = m.eng.Shr(ctx, xs, ms)
		case A2B:
			rs, err = m.eng.A2B(ctx, xs, ms)
		}

	case AIDIV:
		ds := make([]Vec, ng)
		xs, rerr := m.gather(pc, src, a, n, func(g int, x Share, ga []uint32) *RuntimeError {
			d, rerr := m.getP(pc, ga[2])
			if rerr != nil {
				return rerr
			}
			if _, rerr := m.blen(pc, x.Len(), d.Len()); rerr != nil {
				return rerr
			}
			ds[g] = d
			return m.checkRight(pc, PDIV, d)
		})
		if rerr != nil {
			return rerr
		}
		rs, err = m.eng.IDiv(ctx, xs, ds)

	case ALTZ, AEQZ, ASHUF, B2A:
		xs, rerr := m.gather(pc, src, a, n, nil)
		if rerr != nil {
			return rerr
		}
		switch in.Op {
		case ALTZ:
			rs, err = m.eng.LTZ(ctx, xs)
		case AEQZ:
			rs, err = m.eng.EQZ(ctx, xs)
		case ASHUF:
			if rerr := m.sameLen(pc, shareLens(xs)...); rerr != nil {
				return rerr
			}
			rs, err = m.eng.Shuffle(ctx, xs)
		case B2A:
			rs, err = m.eng.B2A(ctx, xs)
		}

	case AOPEN, BOPEN:
		xs, rerr := m.gather(pc, src, a, n, nil)
		if rerr != nil {
			return rerr
		}
		var vs []Vec
		if in.Op == AOPEN {
			vs, err = m.eng.Open(ctx, xs)
		} else {
			vs, err = m.eng.BOpen(ctx, xs)
		}
		if rerr := m.engineResult(pc, err, len(vs), ng); rerr != nil {
			return rerr
		}
		for g, v := range vs {
			m.setP(a[n*g], exNorm(m.k, v))
		}
		return nil

	case ASORT:
		key, rerr := m.getS(pc, src, in.Args[1])
		if rerr != nil {
			return rerr
		}
		vals, rerr := m.gather(pc, src, a, n, nil)
		if rerr != nil {
			return rerr
		}
		if rerr := m.sameLen(pc, shareLens(append([]Share{key}, vals...))...); rerr != nil {
			return rerr
		}
		sk, sv, serr := m.eng.Sort(ctx, key, vals)
		if rerr := m.engineResult(pc, serr, len(sv), ng); rerr != nil {
			return rerr
		}
		m.setS(dst, in.Args[0], sk) // before the values, as in the picture
		rs = sv

	default:
		return m.errAt(pc, "opcode %s is not supported", in.Op)
	}
	return m.scatter(pc, dst, a, n, rs, err)
}

// gather reads the secret source (operand 1, of class c) of every group of n
// operands of a; more, if not nil, then reads and checks the rest of group g
// (ga) before the next group is read, so that the first defect in operand
// order is the one reported.
func (m *Machine) gather(pc int, c Class, a []uint32, n int, more func(g int, x Share, ga []uint32) *RuntimeError) ([]Share, *RuntimeError) {
	xs := make([]Share, len(a)/n)
	for g := range xs {
		ga := a[n*g : n*g+n]
		x, err := m.getS(pc, c, ga[1])
		if err != nil {
			return nil, err
		}
		if more != nil {
			if err := more(g, x, ga); err != nil {
				return nil, err
			}
		}
		xs[g] = x
	}
	return xs, nil
}

// scatter checks the engine's answer to the groups of n operands of a and
// writes result g to the destination (operand 0, of class c) of group g.
func (m *Machine) scatter(pc int, c Class, a []uint32, n int, rs []Share, err error) *RuntimeError {
	if rerr := m.engineResult(pc, err, len(rs), len(a)/n); rerr != nil {
		return rerr
	}
	for g, r := range rs {
		m.setS(c, a[n*g], r)
	}
	return nil
}

// index reads the public scalar index operand x for a vector of length n and
// resolves a negative index from the end.
func (m *Machine) index(pc int, x uint32, n int) (int, *RuntimeError) {
	ix, err := m.scalarP(pc, x, "index")
	if err != nil {
		return 0, err
	}
	i := exInt(ix)
	if i < 0 {
		i += int64(n)
	}
	if i < 0 || i >= int64(n) {
		return 0, m.errAt(pc, "index %s out of range for length %d", exStr(ix), n)
	}
	return int(i), nil
}

// checkRight checks the right operand of a public operation that restricts
// it: divisors, exponents and shift amounts.
func (m *Machine) checkRight(pc int, op Opcode, y Vec) *RuntimeError {
	k := m.k
	for i := range y.Lo {
		x := rgLoad(k, y, i)
		switch op {
		case PDIV, PFDIV:
			if x.isZero() {
				return m.errAt(pc, "division by zero")
			}
		case PMOD:
			if x.isZero() {
				return m.errAt(pc, "modulo by zero")
			}
		case PPOW:
			if x.isNeg() {
				return m.errAt(pc, "negative exponent %s", exStr(x))
			}
		case PSHL, PSHR:
			if x.isNeg() || x.hi != 0 || x.lo >= uint64(k) {
				return m.errAt(pc, "shift amount %s out of range [0, %d)", exStr(x), k)
			}
		default:
			return nil
		}
	}
	return nil
}

func (m *Machine) engineResult(pc int, err error, got, want int) *RuntimeError {
	if err != nil {
		return m.wrapErr(pc, err)
	}
	if got != want {
		return m.errAt(pc, "internal error: engine returned %d results for %d groups", got, want)
	}
	return nil
}
