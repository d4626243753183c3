package compiler

import (
	"math/big"

	"github.com/mpcs/mpcs/lang"
	"github.com/mpcs/mpcs/vm"
)

// Value is what an expression evaluates to at compile time: a runtime value
// in a virtual register, a public constant (kept symbolic until an
// instruction needs it in a register), or a compile-time-only value
// (a string, a type, a tuple, a function, a module).
type Value struct {
	T   Type
	R   int        // virtual register, or -1
	C   *big.Int   // public scalar constant (raw ring value, fix scaled by 2^F)
	CV  []*big.Int // public constant vector
	S   string     // KStr
	TV  Type       // KType: the type denoted
	Tup []Value    // KTuple
	Lst []Value    // compile-time list (of strings or types)
	Fn  *funcDecl  // KFunc
	Mod *module    // KModule
	Bi  string     // KBuiltin
	Len int        // length class of a vector: equal nonzero classes have equal lengths
	At  lang.Pos   // where a variable holding this value was last assigned
	// LenOf is the length class of the vector whose len() this public int
	// is, so that a vector filled to this length gets the same class.
	LenOf int
}

var invalid = Value{R: -1}

// noneValue is the constant None (an omitted optional argument); the result
// of a call without a return value has the same kind but no marker.
var noneValue = Value{T: Type{K: KNone}, R: -1, S: "None"}

func (v Value) ok() bool { return v.T.K != KInvalid }

// isConst reports whether v is a public constant (scalar or vector).
func (v Value) isConst() bool { return v.R < 0 && (v.C != nil || v.CV != nil) }

func regValue(t Type, r int) Value { return Value{T: t, R: r} }

func (c *compiler) constOf(k Kind, x *big.Int) Value {
	return Value{T: scalar(k), R: -1, C: c.wrap(x)}
}

func (c *compiler) intConst(x int64) Value { return c.constOf(KInt, big.NewInt(x)) }

// wrap reduces x to the signed range of the ring.
func (c *compiler) wrap(x *big.Int) *big.Int {
	m := new(big.Int).Lsh(big.NewInt(1), uint(c.ring))
	v := new(big.Int).Mod(x, m)
	if v.Cmp(new(big.Int).Rsh(m, 1)) >= 0 {
		v.Sub(v, m)
	}
	return v
}

// fits reports whether x lies in the signed range of the ring.
func (c *compiler) fits(x *big.Int) bool { return c.wrap(x).Cmp(x) == 0 }

// foldChecked wraps a folded constant, reporting overflow of the ring.
func (c *compiler) foldChecked(x *big.Int, pos lang.Pos) *big.Int {
	if !c.fits(x) {
		c.errorf(pos, "", "constant %s overflows the %d-bit ring", x, c.ring)
	}
	return c.wrap(x)
}

// reg returns the register holding v, loading a constant if needed.
func (c *compiler) reg(v Value) int {
	if v.R >= 0 {
		return v.R
	}
	switch {
	case v.C != nil:
		r := c.b.newReg(vm.ClassP)
		c.b.emit(vm.CONST, r, c.b.constant([]*big.Int{v.C}))
		return r
	case v.CV != nil:
		r := c.b.newReg(vm.ClassP)
		c.b.emit(vm.CONST, r, c.b.constant(v.CV))
		return r
	}
	panic("compiler: value has no register: " + v.T.String())
}

// one is the raw value of 1 in kind k (2^F for fixed point).
func (c *compiler) one(k Kind) *big.Int {
	if k.isFix() {
		return new(big.Int).Lsh(big.NewInt(1), uint(c.frac))
	}
	return big.NewInt(1)
}

// sameValue reports whether two values are certainly identical.
func sameValue(a, b Value) bool {
	if !a.T.Equal(b.T) {
		return false
	}
	switch {
	case a.R >= 0 || b.R >= 0:
		return a.R == b.R
	case a.C != nil || b.C != nil:
		return a.C != nil && b.C != nil && a.C.Cmp(b.C) == 0
	case a.CV != nil || b.CV != nil:
		if len(a.CV) != len(b.CV) {
			return false
		}
		for i := range a.CV {
			if a.CV[i].Cmp(b.CV[i]) != 0 {
				return false
			}
		}
		return true
	case a.T.K == KTuple:
		for i := range a.Tup {
			if !sameValue(a.Tup[i], b.Tup[i]) {
				return false
			}
		}
		return true
	case a.T.K == KStr:
		return a.S == b.S
	case a.T.K == KType:
		return a.TV.Equal(b.TV)
	case a.T.K == KFunc:
		return a.Fn == b.Fn
	case a.T.K == KModule:
		return a.Mod == b.Mod
	case a.T.K == KBuiltin:
		return a.Bi == b.Bi
	}
	return a.T.K == KNone
}

// freshVar makes a multi-assignment variable of type t (a register, or a
// tuple of them) that control-flow joins and loops assign into.
func (c *compiler) freshVar(t Type) Value {
	if t.K == KTuple {
		v := Value{T: t, R: -1}
		for _, e := range t.Elems {
			v.Tup = append(v.Tup, c.freshVar(e))
		}
		return v
	}
	r := c.b.newReg(t.K.class())
	c.b.multi[r] = true
	return regValue(t, r)
}

// assignInto converts v to the type of the variable and moves it there.
func (c *compiler) assignInto(dst, v Value, pos lang.Pos) {
	if dst.T.K == KTuple {
		for i := range dst.Tup {
			c.assignInto(dst.Tup[i], v.Tup[i], pos)
		}
		return
	}
	v = c.convert(v, dst.T.K, pos)
	if v.T.Vec != dst.T.Vec && !v.T.Vec {
		// a scalar constant cannot stand for a vector variable; joinTypes prevents this
		c.errorf(pos, "", "cannot assign a scalar to the vector variable")
		return
	}
	if v.R == dst.R {
		return
	}
	c.b.emit(vm.MOV, dst.R, c.reg(v))
}

// joinTypes merges the types of one variable from two control-flow paths.
func joinTypes(a, b Type) (Type, bool) {
	if a.K == KTuple || b.K == KTuple {
		if a.K != b.K || len(a.Elems) != len(b.Elems) {
			return Type{}, false
		}
		t := Type{K: KTuple}
		for i := range a.Elems {
			e, ok := joinTypes(a.Elems[i], b.Elems[i])
			if !ok {
				return Type{}, false
			}
			t.Elems = append(t.Elems, e)
		}
		return t, true
	}
	if a.Vec != b.Vec {
		return Type{}, false
	}
	k, ok := join(a.K, b.K)
	return Type{K: k, Vec: a.Vec}, ok
}

// runtimeType reports whether a type can live in registers.
func runtimeType(t Type) bool {
	if t.K == KTuple {
		for _, e := range t.Elems {
			if !runtimeType(e) {
				return false
			}
		}
		return true
	}
	return t.K.Value()
}
