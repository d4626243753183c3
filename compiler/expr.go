package compiler

import (
	"fmt"
	"math/big"

	"github.com/mpcs/mpcs/lang"
	"github.com/mpcs/mpcs/vm"
)

func (c *compiler) expr(e *env, x lang.Expr) Value {
	c.setPos(x.Position())
	switch x := x.(type) {
	case *lang.Name:
		return c.lookup(e, x)
	case *lang.IntLit:
		if !c.fits(x.Value) {
			c.errorf(x.P, "", "integer literal %s overflows the %d-bit ring", x.Text, c.ring)
			return invalid
		}
		return c.constOf(KInt, x.Value)
	case *lang.DecLit:
		raw := roundRat(new(big.Rat).Mul(x.Value, new(big.Rat).SetInt(c.one(KFix))))
		if !c.fits(raw) {
			c.errorf(x.P, "", "decimal literal %s overflows the %d-bit ring at %d fractional bits", x.Text, c.ring, c.frac)
			return invalid
		}
		return c.constOf(KFix, raw)
	case *lang.StrLit:
		return Value{T: scalar(KStr), R: -1, S: x.Value}
	case *lang.BoolLit:
		if x.Value {
			return c.constOf(KBool, big.NewInt(1))
		}
		return c.constOf(KBool, big.NewInt(0))
	case *lang.BinOp:
		if x.Op == "and" || x.Op == "or" {
			return c.logical(e, x)
		}
		a := c.expr(e, x.X)
		b := c.expr(e, x.Y)
		c.setPos(x.OpPos)
		return c.binop(x.Op, a, b, x.OpPos)
	case *lang.UnaryOp:
		v := c.expr(e, x.X)
		c.setPos(x.P)
		return c.unary(x.Op, v, x.P)
	case *lang.Compare:
		return c.compareChain(e, x)
	case *lang.Call:
		return c.call(e, x)
	case *lang.Index:
		v := c.expr(e, x.X)
		i := c.expr(e, x.Index)
		c.setPos(x.P)
		if !v.ok() || !i.ok() {
			return invalid
		}
		return c.indexValue(v, i, x.Index.Position())
	case *lang.Slice:
		return c.slice(e, x)
	case *lang.Attr:
		v := c.expr(e, x.X)
		if !v.ok() {
			return invalid
		}
		if v.T.K != KModule {
			c.errorf(x.P, "", "a %s has no attribute %s", v.T, x.Name)
			return invalid
		}
		c.runModule(v.Mod)
		if m, ok := v.Mod.top.vars[x.Name]; ok {
			return m
		}
		c.errorf(x.P, "", "module %s has no name %q", v.Mod.name, x.Name)
		return invalid
	case *lang.ListLit:
		var items []Value
		for _, el := range x.Elems {
			v := c.expr(e, el)
			if !v.ok() {
				return invalid
			}
			items = append(items, v)
		}
		c.setPos(x.P)
		return c.buildList(items, x.P)
	case *lang.TupleExpr:
		v := Value{T: Type{K: KTuple}, R: -1}
		for _, el := range x.Elems {
			t := c.expr(e, el)
			if !t.ok() {
				return invalid
			}
			v.Tup = append(v.Tup, t)
			v.T.Elems = append(v.T.Elems, t.T)
		}
		return v
	case *lang.ListComp:
		return c.listComp(e, x)
	case *lang.CondExpr:
		return c.condExpr(e, x)
	case *lang.TypeExpr:
		if k, ok := typeNames[x.Name]; ok {
			return Value{T: scalar(KType), R: -1, TV: Type{K: k, Vec: x.Vector}}
		}
	}
	c.errorf(x.Position(), "", "unsupported expression")
	return invalid
}

// roundRat rounds to the nearest integer, halves away from zero.
func roundRat(r *big.Rat) *big.Int {
	num, den := r.Num(), r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	m.Abs(m).Lsh(m, 1)
	if m.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// buildList makes a vector from scalar items (a list literal or an unrolled
// comprehension), or a compile-time list of strings or types.
func (c *compiler) buildList(items []Value, pos lang.Pos) Value {
	if len(items) == 0 {
		c.errorf(pos, "use zeros(0, T) for an empty vector of type T", "an empty list has no type")
		return invalid
	}
	if !items[0].T.K.Value() {
		for _, it := range items {
			if it.T.K != items[0].T.K || it.T.Vec {
				c.errorf(pos, "", "a list holds values of one type; found %s and %s", items[0].T, it.T)
				return invalid
			}
		}
		return Value{T: vector(items[0].T.K), R: -1, Lst: items}
	}
	k := items[0].T.K
	for _, it := range items {
		if it.T.Vec || !it.T.K.Value() {
			c.errorf(pos, "use concat(a, b) to join vectors", "list elements must be scalars, not %s (vectors do not nest)", it.T)
			return invalid
		}
		var ok bool
		if k, ok = join(k, it.T.K); !ok {
			c.errorf(pos, "", "a list holds values of one type; found %s and %s", items[0].T, it.T)
			return invalid
		}
	}
	allConst := true
	for _, it := range items {
		allConst = allConst && it.C != nil
	}
	if allConst {
		cv := make([]*big.Int, len(items))
		for i, it := range items {
			cv[i] = c.convert(it, k, pos).C
		}
		return Value{T: vector(k), R: -1, CV: cv, Len: c.newLen()}
	}
	return c.concatRegs(items, k, pos)
}

// concatRegs emits the concatenation of values converted to kind k.
func (c *compiler) concatRegs(items []Value, k Kind, pos lang.Pos) Value {
	args := []int{c.b.newReg(k.class())}
	for _, it := range items {
		args = append(args, c.reg(c.convert(it, k, pos)))
	}
	c.b.emit(vm.CONCAT, args...)
	return Value{T: vector(k), R: args[0], Len: c.newLen()}
}

// convert applies an implicit promotion: bool → int → fix, and public → secret.
func (c *compiler) convert(v Value, to Kind, pos lang.Pos) Value {
	from := v.T.K
	if from == to || !v.ok() {
		return v
	}
	if !from.Value() || !to.Value() || (from == KSbits) != (to == KSbits) && !(to == KSbits && from == KInt) {
		c.errorf(pos, "", "cannot use a %s as %s", v.T, kindNames[to])
		return invalid
	}
	if from.Secret() && !to.Secret() {
		c.errorf(pos, "a secret becomes public only by reveal(x)", "cannot use a secret %s where a public %s is needed", v.T, kindNames[to])
		return invalid
	}
	if from.isFix() && !to.isFix() {
		c.errorf(pos, fmt.Sprintf("convert explicitly with %s(x)", kindNames[to]), "cannot use a fixed-point %s as %s", v.T, kindNames[to])
		return invalid
	}
	if to == KSbits {
		return c.toSbits(v, pos)
	}
	if to.isFix() && !from.isFix() {
		v = c.scale(v)
	}
	if to.Secret() && !v.T.K.Secret() {
		v = c.share(v)
	}
	v.T.K = to
	return v
}

// scale multiplies an integer value by 2^F (int → fix without changing secrecy).
func (c *compiler) scale(v Value) Value {
	k := KFix
	if v.T.K.Secret() {
		k = KSfix
	}
	f := c.constOf(KInt, c.one(KFix))
	switch {
	case v.C != nil:
		return c.constOf(k, new(big.Int).Lsh(v.C, uint(c.frac)))
	case v.CV != nil:
		cv := make([]*big.Int, len(v.CV))
		for i, x := range v.CV {
			cv[i] = c.wrap(new(big.Int).Lsh(x, uint(c.frac)))
		}
		return Value{T: Type{K: k, Vec: true}, R: -1, CV: cv, Len: v.Len}
	case v.T.K.Secret():
		return c.op(vm.AMULP, Type{K: k, Vec: v.T.Vec}, v.Len, c.reg(v), c.reg(f))
	}
	return c.op(vm.PMUL, Type{K: k, Vec: v.T.Vec}, v.Len, c.reg(v), c.reg(f))
}

// share turns a public value into a trivial sharing of the same number.
func (c *compiler) share(v Value) Value {
	return c.op(vm.PTOA, Type{K: secretOf(v.T.K), Vec: v.T.Vec}, v.Len, c.reg(v))
}

func (c *compiler) toSbits(v Value, pos lang.Pos) Value {
	t := Type{K: KSbits, Vec: v.T.Vec}
	switch {
	case v.T.K == KSbits:
		return v
	case !v.T.K.Secret():
		return c.op(vm.PTOB, t, v.Len, c.reg(v))
	}
	return c.op(vm.A2B, t, v.Len, c.reg(v), 0)
}

// op emits a one-result instruction and returns its value.
func (c *compiler) op(o vm.Opcode, t Type, length int, args ...int) Value {
	r := c.b.newReg(t.K.class())
	c.b.emit(o, append([]int{r}, args...)...)
	return Value{T: t, R: r, Len: length}
}

// lenOf merges the length classes of two operands of an elementwise op,
// emitting a run-time check when both are vectors of unknown relation.
func (c *compiler) lenOf(a, b Value, pos lang.Pos) int {
	switch {
	case !a.T.Vec:
		return b.Len
	case !b.T.Vec:
		return a.Len
	case a.Len != 0 && a.Len == b.Len:
		return a.Len
	case a.CV != nil && b.CV != nil:
		if len(a.CV) != len(b.CV) {
			c.errorf(pos, "", "vectors of different lengths %d and %d", len(a.CV), len(b.CV))
		}
		return a.Len
	}
	c.b.emit(vm.CHKLEN, c.reg(a), c.reg(b))
	if a.Len != 0 {
		return a.Len
	}
	return b.Len
}

func (c *compiler) binop(op string, a, b Value, pos lang.Pos) Value {
	if !a.ok() || !b.ok() {
		return invalid
	}
	switch op {
	case "+", "-", "*", "/", "//", "%", "**":
		return c.arith(op, a, b, pos)
	case "&", "|", "^", "<<", ">>":
		return c.bitwise(op, a, b, pos)
	}
	c.errorf(pos, "", "unknown operator %s", op)
	return invalid
}

// numericOperands checks the operands of arithmetic.
func (c *compiler) numericOperands(op string, a, b Value, pos lang.Pos) bool {
	for _, v := range []Value{a, b} {
		if v.T.K == KSbits {
			c.errorf(pos, "sbits supports & | ^ ~ << >> and ==; convert with sint(x) for arithmetic", "operator %s is not defined on sbits", op)
			return false
		}
		if !v.T.K.Numeric() {
			c.errorf(pos, "", "operator %s is not defined on %s", op, v.T)
			return false
		}
	}
	return true
}

// asInt views a fix constant that is a whole number as an int constant, so
// that multiplying by it needs no truncation.
func (c *compiler) asInt(v Value) Value {
	if v.C != nil && v.T.K == KFix && !v.T.Vec {
		q, m := new(big.Int).QuoRem(v.C, c.one(KFix), new(big.Int))
		if m.Sign() == 0 {
			return c.constOf(KInt, q)
		}
	}
	return v
}

func (c *compiler) arith(op string, a, b Value, pos lang.Pos) Value {
	if !a.ok() || !b.ok() || !c.numericOperands(op, a, b, pos) {
		return invalid
	}
	vec := a.T.Vec || b.T.Vec
	switch op {
	case "+", "-":
		k := arithJoin(a.T.K, b.T.K)
		a, b = c.convert(a, sameSecrecy(k, a.T.K), pos), c.convert(b, sameSecrecy(k, b.T.K), pos)
		return c.addSub(op, a, b, Type{K: k, Vec: vec}, pos)
	case "*":
		a, b = c.asInt(a), c.asInt(b)
		k := arithJoin(a.T.K, b.T.K)
		trunc := a.T.K.isFix() && b.T.K.isFix()
		return c.mul(a, b, Type{K: k, Vec: vec}, trunc, pos)
	case "/":
		return c.div(a, b, pos)
	case "//", "%":
		return c.intDiv(op, a, b, pos)
	case "**":
		return c.pow(a, b, pos)
	}
	return invalid
}

// sameSecrecy is kind k with the secrecy of kind of.
func sameSecrecy(k, of Kind) Kind {
	if of.Secret() {
		return secretOf(k)
	}
	return publicOf(k)
}

func isZero(v Value) bool { return v.C != nil && v.C.Sign() == 0 }

func (c *compiler) addSub(op string, a, b Value, t Type, pos lang.Pos) Value {
	length := c.lenOf(a, b, pos)
	if a.C != nil && b.C != nil {
		x := new(big.Int)
		if op == "+" {
			x.Add(a.C, b.C)
		} else {
			x.Sub(a.C, b.C)
		}
		return c.constOf(t.K, c.foldChecked(x, pos))
	}
	if isZero(b) && !t.Vec || isZero(b) && a.T.Vec {
		a.T = t
		return a
	}
	if op == "+" && isZero(a) && (b.T.Vec || !t.Vec) {
		b.T = t
		return b
	}
	as, bs := a.T.K.Secret(), b.T.K.Secret()
	switch {
	case as && bs:
		if op == "+" {
			return c.op(vm.AADD, t, length, c.reg(a), c.reg(b))
		}
		return c.op(vm.ASUB, t, length, c.reg(a), c.reg(b))
	case as:
		if op == "+" {
			return c.op(vm.AADDP, t, length, c.reg(a), c.reg(b))
		}
		return c.op(vm.ASUBP, t, length, c.reg(a), c.reg(b))
	case bs:
		if op == "+" {
			return c.op(vm.AADDP, t, length, c.reg(b), c.reg(a))
		}
		return c.op(vm.APSUB, t, length, c.reg(a), c.reg(b))
	}
	if op == "+" {
		return c.op(vm.PADD, t, length, c.reg(a), c.reg(b))
	}
	return c.op(vm.PSUB, t, length, c.reg(a), c.reg(b))
}

func (c *compiler) mul(a, b Value, t Type, trunc bool, pos lang.Pos) Value {
	length := c.lenOf(a, b, pos)
	if a.C != nil && b.C != nil {
		x := new(big.Int).Mul(a.C, b.C)
		if trunc {
			x.Rsh(x, uint(c.frac))
		}
		return c.constOf(t.K, c.foldChecked(x, pos))
	}
	// x * 1 and 1 * x
	for _, p := range [][2]Value{{a, b}, {b, a}} {
		if p[1].C != nil && !trunc && p[1].C.Cmp(big.NewInt(1)) == 0 && (p[0].T.Vec || !t.Vec) {
			v := p[0]
			if t.K.isFix() && !v.T.K.isFix() {
				v = c.scale(v)
			}
			v.T = t
			return v
		}
	}
	as, bs := a.T.K.Secret(), b.T.K.Secret()
	var v Value
	switch {
	case as && bs:
		v = c.op(vm.AMUL, t, length, c.reg(a), c.reg(b))
	case as:
		v = c.op(vm.AMULP, t, length, c.reg(a), c.reg(b))
	case bs:
		v = c.op(vm.AMULP, t, length, c.reg(b), c.reg(a))
	default:
		v = c.op(vm.PMUL, t, length, c.reg(a), c.reg(b))
		if trunc {
			v = c.op(vm.PSHR, t, length, v.R, c.reg(c.intConst(int64(c.frac))))
		}
		return v
	}
	if trunc {
		v = c.op(vm.ATRUNC, t, length, v.R, c.frac)
	}
	return v
}

func (c *compiler) div(a, b Value, pos lang.Pos) Value {
	vec := a.T.Vec || b.T.Vec
	secret := a.T.K.Secret() || b.T.K.Secret()
	k := KFix
	if secret {
		k = KSfix
	}
	t := Type{K: k, Vec: vec}
	switch {
	case !secret:
		a, b = c.convert(a, KFix, pos), c.convert(b, KFix, pos)
		length := c.lenOf(a, b, pos)
		if a.C != nil && b.C != nil {
			if b.C.Sign() == 0 {
				c.errorf(pos, "", "division by zero")
				return invalid
			}
			return c.constOf(KFix, c.foldChecked(floorDiv(new(big.Int).Lsh(a.C, uint(c.frac)), b.C), pos))
		}
		return c.op(vm.PFDIV, t, length, c.reg(a), c.reg(b))
	case !b.T.K.Secret():
		// secret / public: exact floor division by the public divisor
		if isZero(b) {
			c.errorf(pos, "", "division by zero")
			return invalid
		}
		x := c.convert(a, KSfix, pos)
		if b.T.K.isFix() {
			x = c.mul(x, c.constOf(KInt, c.one(KFix)), Type{K: KSfix, Vec: x.T.Vec}, false, pos)
		}
		length := c.lenOf(x, b, pos)
		if b.C != nil && b.C.Cmp(big.NewInt(1)) == 0 {
			x.T = t
			return x
		}
		return c.op(vm.AIDIV, t, length, c.reg(x), c.reg(b))
	}
	// division by a secret: the reciprocal written in .mpcs (prelude.mpcs)
	x, y := c.convert(a, KSfix, pos), c.convert(b, KSfix, pos)
	c.lenOf(x, y, pos)
	return c.callPrelude("_div", []Value{x, y}, pos)
}

func (c *compiler) intDiv(op string, a, b Value, pos lang.Pos) Value {
	for _, v := range []Value{a, b} {
		if v.T.K.isFix() {
			c.errorf(pos, "use / for fixed-point division, or convert with sint(x) / int(x) first", "operator %s needs integers, not %s", op, v.T)
			return invalid
		}
	}
	if b.T.K.Secret() {
		c.errorf(pos, "divide by a public number, or use / for fixed-point division of secrets", "the divisor of %s must be public, not %s", op, b.T)
		return invalid
	}
	k := arithJoin(a.T.K, b.T.K)
	t := Type{K: k, Vec: a.T.Vec || b.T.Vec}
	length := c.lenOf(a, b, pos)
	if isZero(b) {
		c.errorf(pos, "", "division by zero")
		return invalid
	}
	if op == "//" && b.C != nil && b.C.Cmp(big.NewInt(1)) == 0 && (a.T.Vec || !t.Vec) {
		a.T = t
		return a
	}
	if a.C != nil && b.C != nil {
		q := floorDiv(a.C, b.C)
		if op == "%" {
			q = new(big.Int).Sub(a.C, new(big.Int).Mul(q, b.C))
		}
		return c.constOf(k, c.wrap(q))
	}
	if !a.T.K.Secret() {
		if op == "//" {
			return c.op(vm.PDIV, t, length, c.reg(a), c.reg(b))
		}
		return c.op(vm.PMOD, t, length, c.reg(a), c.reg(b))
	}
	a.T.K = secretOf(KInt)
	q := c.op(vm.AIDIV, t, length, c.reg(a), c.reg(b))
	if op == "//" {
		return q
	}
	return c.addSub("-", a, c.mul(q, b, t, false, pos), t, pos)
}

func (c *compiler) pow(a, b Value, pos lang.Pos) Value {
	if b.T.K.Secret() || b.T.Vec || b.T.K.isFix() {
		c.errorf(pos, "", "the exponent of ** must be a public int, not %s", b.T)
		return invalid
	}
	k := arithJoin(a.T.K, KInt)
	t := Type{K: k, Vec: a.T.Vec}
	if b.C == nil {
		if k == KInt {
			return c.op(vm.PPOW, t, a.Len, c.reg(a), c.reg(b))
		}
		return c.callPrelude("_pow", []Value{a, b}, pos)
	}
	if b.C.Sign() < 0 {
		c.errorf(pos, "", "the exponent of ** must not be negative")
		return invalid
	}
	if !b.C.IsInt64() || b.C.Int64() > 1<<16 {
		c.errorf(pos, "", "the exponent %s is too large", b.C)
		return invalid
	}
	e := b.C.Int64()
	result := c.constOf(publicOf(k), c.one(k))
	base := a
	base.T.K = k
	if !a.T.K.isFix() && k.isFix() {
		base = c.scale(a)
	}
	first := true
	for e > 0 {
		if e&1 == 1 {
			if first {
				result, first = base, false
			} else {
				result = c.arith("*", result, base, pos)
			}
		}
		e >>= 1
		if e > 0 {
			base = c.arith("*", base, base, pos)
		}
	}
	if first && a.T.Vec {
		// x ** 0 on a vector: a vector of ones
		return c.arith("+", c.arith("*", a, c.intConst(0), pos), result, pos)
	}
	result.T.K = k
	return result
}

func (c *compiler) unary(op string, v Value, pos lang.Pos) Value {
	if !v.ok() {
		return invalid
	}
	switch op {
	case "+":
		if !v.T.K.Numeric() {
			c.errorf(pos, "", "unary + is not defined on %s", v.T)
			return invalid
		}
		return v
	case "-":
		if !v.T.K.Numeric() {
			c.errorf(pos, "", "unary - is not defined on %s", v.T)
			return invalid
		}
		k := arithJoin(v.T.K, KInt)
		if v.T.K.isFix() {
			k = v.T.K
		}
		t := Type{K: k, Vec: v.T.Vec}
		if v.C != nil {
			return c.constOf(k, c.foldChecked(new(big.Int).Neg(v.C), pos))
		}
		if v.T.K.Secret() {
			return c.op(vm.ANEG, t, v.Len, c.reg(v))
		}
		return c.op(vm.PNEG, t, v.Len, c.reg(v))
	case "~":
		switch v.T.K {
		case KInt:
			if v.C != nil {
				return c.constOf(KInt, new(big.Int).Not(v.C))
			}
			return c.op(vm.PNOT, v.T, v.Len, c.reg(v))
		case KSbits:
			return c.op(vm.BNOT, v.T, v.Len, c.reg(v))
		}
		c.errorf(pos, "use not for booleans", "operator ~ is not defined on %s", v.T)
		return invalid
	case "not":
		return c.not(v, pos)
	}
	return invalid
}

func (c *compiler) not(v Value, pos lang.Pos) Value {
	if !v.T.K.Numeric() {
		c.errorf(pos, "", "operator not is not defined on %s", v.T)
		return invalid
	}
	if v.T.K == KBool || v.T.K == KSbool {
		return c.addSub("-", c.constOf(KBool, big.NewInt(1)), v, v.T, pos)
	}
	return c.compare("==", v, c.constOf(publicOf(v.T.K), big.NewInt(0)), pos)
}

// boolOf makes a condition operand a bool or sbool (nonzero is true).
func (c *compiler) boolOf(v Value, pos lang.Pos) Value {
	if !v.ok() || v.T.K == KBool || v.T.K == KSbool {
		return v
	}
	if !v.T.K.Numeric() {
		c.errorf(pos, "", "expected a bool, not %s", v.T)
		return invalid
	}
	return c.compare("!=", v, c.constOf(publicOf(v.T.K), big.NewInt(0)), pos)
}

// logical compiles and/or: short-circuit on public scalars, arithmetic on
// secrets (both sides always evaluated) and elementwise on vectors.
func (c *compiler) logical(e *env, x *lang.BinOp) Value {
	a := c.boolOf(c.expr(e, x.X), x.X.Position())
	if !a.ok() {
		return invalid
	}
	if a.C != nil && !a.T.Vec {
		short := (x.Op == "and") == (a.C.Sign() == 0)
		if short {
			c.discard++
			c.b.capture(func() { c.expr(e, x.Y) })
			c.discard--
			return a
		}
		return c.boolOf(c.expr(e, x.Y), x.Y.Position())
	}
	if !a.T.K.Secret() && !a.T.Vec {
		// public runtime scalar: evaluate y only if needed
		r := c.freshVar(scalar(KBool))
		c.assignInto(r, a, x.OpPos)
		end := c.b.newLabel()
		jump := vm.JZ
		if x.Op == "or" {
			jump = vm.JNZ
		}
		c.b.emit(jump, r.R, end)
		var b Value
		code := c.b.capture(func() { b = c.boolOf(c.expr(e, x.Y), x.Y.Position()) })
		if !b.ok() {
			return invalid
		}
		if b.T.K.Secret() || b.T.Vec {
			c.errorf(x.Y.Position(), "use & or | for elementwise and secret booleans", "operator %s mixes a public bool with %s", x.Op, b.T)
			return invalid
		}
		c.b.splice(code)
		c.setPos(x.OpPos)
		c.assignInto(r, b, x.OpPos)
		c.b.label(end)
		return r
	}
	b := c.boolOf(c.expr(e, x.Y), x.Y.Position())
	if !b.ok() {
		return invalid
	}
	c.setPos(x.OpPos)
	if x.Op == "and" {
		return c.bitwise("&", a, b, x.OpPos)
	}
	return c.bitwise("|", a, b, x.OpPos)
}

func (c *compiler) bitwise(op string, a, b Value, pos lang.Pos) Value {
	ak, bk := a.T.K, b.T.K
	vec := a.T.Vec || b.T.Vec
	switch {
	case op == "<<" || op == ">>":
		return c.shift(op, a, b, pos)
	case ak.isBool() && bk.isBool():
		k := KBool
		if ak.Secret() || bk.Secret() {
			k = KSbool
		}
		t := Type{K: k, Vec: vec}
		a.T.K, b.T.K = publicOf(KInt), publicOf(KInt)
		if ak.Secret() {
			a.T.K = KSint
		}
		if bk.Secret() {
			b.T.K = KSint
		}
		ti := Type{K: arithJoin(a.T.K, b.T.K), Vec: vec}
		prod := c.mul(a, b, ti, false, pos)
		var r Value
		switch op {
		case "&":
			r = prod
		case "|": // a + b - ab
			r = c.addSub("-", c.arith("+", a, b, pos), prod, ti, pos)
		case "^": // a + b - 2ab
			r = c.addSub("-", c.arith("+", a, b, pos), c.arith("*", prod, c.intConst(2), pos), ti, pos)
		}
		r.T = t
		return r
	case (ak == KInt || ak == KBool) && (bk == KInt || bk == KBool):
		t := Type{K: KInt, Vec: vec}
		length := c.lenOf(a, b, pos)
		if a.C != nil && b.C != nil {
			x := new(big.Int)
			switch op {
			case "&":
				x.And(a.C, b.C)
			case "|":
				x.Or(a.C, b.C)
			case "^":
				x.Xor(a.C, b.C)
			}
			return c.constOf(KInt, x)
		}
		o := map[string]vm.Opcode{"&": vm.PAND, "|": vm.POR, "^": vm.PXOR}[op]
		return c.op(o, t, length, c.reg(a), c.reg(b))
	case ak == KSbits || bk == KSbits:
		if ak != KSbits {
			a, b = b, a
			ak, bk = bk, ak
		}
		if bk != KSbits && bk != KInt {
			c.errorf(pos, "convert with sbits(x) first", "operator %s mixes sbits with %s", op, b.T)
			return invalid
		}
		t := Type{K: KSbits, Vec: vec}
		length := c.lenOf(a, b, pos)
		and, xor := vm.BAND, vm.BXOR
		if bk == KInt { // a public operand: local
			and, xor = vm.BANDP, vm.BXORP
		}
		switch op {
		case "&":
			return c.op(and, t, length, c.reg(a), c.reg(b))
		case "^":
			return c.op(xor, t, length, c.reg(a), c.reg(b))
		case "|": // a | b = (a ^ b) ^ (a & b)
			x := c.op(xor, t, length, c.reg(a), c.reg(b))
			y := c.op(and, t, length, c.reg(a), c.reg(b))
			return c.op(vm.BXOR, t, length, x.R, y.R)
		}
	}
	c.errorf(pos, "bitwise operators work on int, sbits and booleans", "operator %s is not defined on %s and %s", op, a.T, b.T)
	return invalid
}

func (c *compiler) shift(op string, a, b Value, pos lang.Pos) Value {
	if b.T.K != KInt || b.T.Vec {
		c.errorf(pos, "", "the shift amount must be a public int, not %s", b.T)
		return invalid
	}
	switch a.T.K {
	case KInt:
		if a.C != nil && b.C != nil && b.C.IsInt64() && b.C.Int64() >= 0 && b.C.Int64() < int64(c.ring) {
			if op == "<<" {
				return c.constOf(KInt, c.wrap(new(big.Int).Lsh(a.C, uint(b.C.Int64()))))
			}
			return c.constOf(KInt, new(big.Int).Rsh(a.C, uint(b.C.Int64())))
		}
		o := vm.PSHL
		if op == ">>" {
			o = vm.PSHR
		}
		return c.op(o, a.T, a.Len, c.reg(a), c.reg(b))
	case KSbits, KSint:
		if b.C == nil {
			c.errorf(pos, "", "shifting a secret needs a compile-time constant amount")
			return invalid
		}
		limit := int64(64)
		if a.T.K == KSint {
			limit = int64(c.ring)
		}
		if b.C.Sign() < 0 || b.C.Cmp(big.NewInt(limit)) >= 0 {
			c.errorf(pos, "", "shift amount %s out of range [0, %d)", b.C, limit)
			return invalid
		}
		n := int(b.C.Int64())
		if n == 0 {
			return a
		}
		if a.T.K == KSint {
			if op == "<<" {
				return c.mul(a, c.constOf(KInt, new(big.Int).Lsh(big.NewInt(1), uint(n))), a.T, false, pos)
			}
			return c.op(vm.ASHR, a.T, a.Len, c.reg(a), n)
		}
		if op == "<<" {
			return c.op(vm.BSHL, a.T, a.Len, c.reg(a), n)
		}
		return c.op(vm.BSHR, a.T, a.Len, c.reg(a), n)
	}
	c.errorf(pos, "", "operator %s is not defined on %s", op, a.T)
	return invalid
}

func (c *compiler) compareChain(e *env, x *lang.Compare) Value {
	left := c.expr(e, x.First)
	var result Value
	for i, op := range x.Ops {
		right := c.expr(e, x.Rest[i])
		c.setPos(x.OpPos[i])
		r := c.compare(op, left, right, x.OpPos[i])
		if i == 0 {
			result = r
		} else {
			result = c.bitwise("&", result, r, x.OpPos[i])
		}
		left = right
	}
	return result
}

func (c *compiler) compare(op string, a, b Value, pos lang.Pos) Value {
	if !a.ok() || !b.ok() {
		return invalid
	}
	if a.T.K == KNone || b.T.K == KNone {
		// comparing with None is decided at compile time: x == None holds
		// exactly when x is None (an omitted optional argument)
		if op != "==" && op != "!=" {
			c.errorf(pos, "", "None can only be compared with == and !=")
			return invalid
		}
		same := (a.T.K == KNone) == (b.T.K == KNone)
		if same == (op == "==") {
			return c.constOf(KBool, big.NewInt(1))
		}
		return c.constOf(KBool, big.NewInt(0))
	}
	vec := a.T.Vec || b.T.Vec
	if a.T.K == KSbits || b.T.K == KSbits {
		if op != "==" && op != "!=" {
			c.errorf(pos, "convert with sint(x) to compare numbers", "sbits can only be compared with == and !=")
			return invalid
		}
		d := c.bitwise("^", a, b, pos)
		if !d.ok() {
			return invalid
		}
		z := c.op(vm.B2A, Type{K: KSint, Vec: vec}, d.Len, d.R)
		return c.eqz(op, z, pos)
	}
	if !c.numericOperands(op, a, b, pos) {
		return invalid
	}
	k := arithJoin(a.T.K, b.T.K)
	fixk := publicOf(k)
	a, b = c.convert(a, sameSecrecy(fixk, a.T.K), pos), c.convert(b, sameSecrecy(fixk, b.T.K), pos)
	if !a.ok() || !b.ok() {
		return invalid
	}
	if !k.Secret() {
		length := c.lenOf(a, b, pos)
		t := Type{K: KBool, Vec: vec}
		if a.C != nil && b.C != nil {
			cmp := a.C.Cmp(b.C)
			res := map[string]bool{"<": cmp < 0, "<=": cmp <= 0, ">": cmp > 0, ">=": cmp >= 0, "==": cmp == 0, "!=": cmp != 0}[op]
			if res {
				return c.constOf(KBool, big.NewInt(1))
			}
			return c.constOf(KBool, big.NewInt(0))
		}
		switch op {
		case "<":
			return c.op(vm.PLT, t, length, c.reg(a), c.reg(b))
		case "<=":
			return c.op(vm.PLE, t, length, c.reg(a), c.reg(b))
		case ">":
			return c.op(vm.PLT, t, length, c.reg(b), c.reg(a))
		case ">=":
			return c.op(vm.PLE, t, length, c.reg(b), c.reg(a))
		case "==":
			return c.op(vm.PEQ, t, length, c.reg(a), c.reg(b))
		}
		return c.op(vm.PNE, t, length, c.reg(a), c.reg(b))
	}
	dt := Type{K: k, Vec: vec}
	switch op {
	case "<", ">=": // a - b < 0
		d := c.addSub("-", a, b, dt, pos)
		return c.ltz(d, op == ">=", pos)
	case ">", "<=": // b - a < 0
		d := c.addSub("-", b, a, dt, pos)
		return c.ltz(d, op == "<=", pos)
	}
	return c.eqz(op, c.addSub("-", a, b, dt, pos), pos)
}

// ltz is x < 0 as an sbool, negated if neg.
func (c *compiler) ltz(x Value, neg bool, pos lang.Pos) Value {
	t := Type{K: KSbool, Vec: x.T.Vec}
	r := c.op(vm.ALTZ, t, x.Len, c.reg(x))
	if neg {
		return c.addSub("-", c.constOf(KBool, big.NewInt(1)), r, t, pos)
	}
	return r
}

func (c *compiler) eqz(op string, x Value, pos lang.Pos) Value {
	t := Type{K: KSbool, Vec: x.T.Vec}
	r := c.op(vm.AEQZ, t, x.Len, c.reg(x))
	if op == "!=" {
		return c.addSub("-", c.constOf(KBool, big.NewInt(1)), r, t, pos)
	}
	return r
}

// publicIndex checks an index or bound: a public int scalar.
func (c *compiler) publicIndex(i Value, pos lang.Pos, what string) bool {
	if i.T.K.Secret() {
		c.errorf(pos, "select a secret position with a mask instead: sum(where(positions == i, v, 0))",
			"%s must be public, not %s", what, i.T)
		return false
	}
	if i.T.Vec || (i.T.K != KInt && i.T.K != KBool) {
		c.errorf(pos, "", "%s must be an int, not %s", what, i.T)
		return false
	}
	return true
}

func (c *compiler) indexValue(v, i Value, pos lang.Pos) Value {
	if !c.publicIndex(i, pos, "an index") {
		return invalid
	}
	switch {
	case v.T.K == KTuple || v.Lst != nil:
		items := v.Tup
		if v.Lst != nil {
			items = v.Lst
		}
		if i.C == nil {
			c.errorf(pos, "", "indexing a tuple or a list of %s needs a constant index", v.T)
			return invalid
		}
		n, ok := c.constIndex(i.C, len(items), pos)
		if !ok {
			return invalid
		}
		return items[n]
	case !v.T.Vec:
		c.errorf(pos, "", "cannot index a scalar %s", v.T)
		return invalid
	case v.CV != nil && i.C != nil:
		n, ok := c.constIndex(i.C, len(v.CV), pos)
		if !ok {
			return invalid
		}
		return c.constOf(v.T.K, v.CV[n])
	}
	return c.index(v, i, pos)
}

// constIndex resolves a constant index into a sequence of length n
// (negative from the end), reporting one out of range.
func (c *compiler) constIndex(i *big.Int, n int, pos lang.Pos) (int, bool) {
	j := i.Int64()
	if j < 0 {
		j += int64(n)
	}
	if !i.IsInt64() || j < 0 || j >= int64(n) {
		c.errorf(pos, "", "index %s out of range for length %d", i, n)
		return 0, false
	}
	return int(j), true
}

func (c *compiler) index(v, i Value, pos lang.Pos) Value {
	return c.op(vm.INDEX, scalar(v.T.K), 0, c.reg(v), c.reg(i))
}

func (c *compiler) setIndex(vec, i, x Value, pos lang.Pos) Value {
	if !vec.T.Vec || !vec.T.K.Value() {
		c.errorf(pos, "", "cannot assign to an element of a %s", vec.T)
		return vec
	}
	if !c.publicIndex(i, pos, "an index") {
		return vec
	}
	if x.T.Vec {
		c.errorf(pos, "", "cannot store a vector %s in an element", x.T)
		return vec
	}
	k, ok := join(vec.T.K, x.T.K)
	if !ok || k != vec.T.K {
		c.errorf(pos, conversionHint(x.T.K, vec.T.K), "cannot store a %s in a %s", x.T, vec.T)
		return vec
	}
	x = c.convert(x, vec.T.K, pos)
	return c.op(vm.SETIDX, vec.T, vec.Len, c.reg(vec), c.reg(i), c.reg(x))
}

func (c *compiler) slice(e *env, x *lang.Slice) Value {
	v := c.expr(e, x.X)
	bounds := []int{-1, -1, -1}
	for j, b := range []lang.Expr{x.Lo, x.Hi, x.Step} {
		if b == nil {
			continue
		}
		bv := c.expr(e, b)
		if !bv.ok() || !c.publicIndex(bv, b.Position(), "a slice bound") {
			return invalid
		}
		if j == 2 && isZero(bv) {
			c.errorf(b.Position(), "", "slice step must not be zero")
			return invalid
		}
		bounds[j] = c.reg(bv)
	}
	c.setPos(x.P)
	if !v.ok() {
		return invalid
	}
	if !v.T.Vec || !v.T.K.Value() {
		c.errorf(x.P, "", "cannot slice a %s", v.T)
		return invalid
	}
	return c.op(vm.SLICE, v.T, c.newLen(), append([]int{c.reg(v)}, bounds...)...)
}

func (c *compiler) condExpr(e *env, x *lang.CondExpr) Value {
	cond, ok := c.condition(e, x.Cond, "a conditional expression", "for a secret condition use where(c, a, b)")
	if !ok {
		return invalid
	}
	if cond.C != nil {
		taken, other := x.Then, x.Else
		if cond.C.Sign() == 0 {
			taken, other = other, taken
		}
		c.discard++
		c.mute++
		c.b.capture(func() { c.expr(e, other) })
		c.mute--
		c.discard--
		return c.expr(e, taken)
	}
	var a, b Value
	ca := c.b.capture(func() { a = c.expr(e, x.Then) })
	cb := c.b.capture(func() { b = c.expr(e, x.Else) })
	if !a.ok() || !b.ok() {
		return invalid
	}
	t, ok := joinTypes(a.T, b.T)
	if !ok || !runtimeType(t) {
		c.errorf(x.P, "", "the two sides of a conditional expression are %s and %s", a.T, b.T)
		return invalid
	}
	r := c.freshVar(t)
	lelse, lend := c.b.newLabel(), c.b.newLabel()
	c.setPos(x.P)
	c.b.emit(vm.JZ, c.reg(cond), lelse)
	c.b.splice(ca)
	c.assignInto(r, a, x.P)
	c.b.emit(vm.JMP, lend)
	c.b.label(lelse)
	c.b.splice(cb)
	c.assignInto(r, b, x.P)
	c.b.label(lend)
	return r
}
