package compiler

import (
	"math/big"
	"strconv"
	"strings"

	"github.com/mpcs/mpcs/lang"
	"github.com/mpcs/mpcs/vm"
)

// argSpec checks a builtin's arguments: between min and max positional ones
// (max < 0: any number) and only the named keywords.
func (c *compiler) argSpec(name string, args []arg, pos lang.Pos, minN, maxN int, kws ...string) ([]Value, map[string]Value, bool) {
	var posArgs []Value
	named := map[string]Value{}
	for _, a := range args {
		if a.name == "" {
			posArgs = append(posArgs, a.v)
			continue
		}
		allowed := false
		for _, k := range kws {
			allowed = allowed || k == a.name
		}
		if !allowed {
			c.errorf(a.pos, "", "%s() has no keyword argument %s", name, a.name)
			return nil, nil, false
		}
		named[a.name] = a.v
	}
	if len(posArgs) < minN || maxN >= 0 && len(posArgs) > maxN {
		want := ""
		switch {
		case minN == maxN:
			want = plural(minN, "argument")
		case maxN < 0:
			want = "at least " + plural(minN, "argument")
		default:
			want = strconv.Itoa(minN) + " to " + plural(maxN, "argument")
		}
		c.errorf(pos, "", "%s() takes %s but %d were given", name, want, len(posArgs))
		return nil, nil, false
	}
	return posArgs, named, true
}

func plural(n int, w string) string {
	if n == 1 {
		return "1 " + w
	}
	return strconv.Itoa(n) + " " + w + "s"
}

// nameArg takes a compile-time string argument.
func (c *compiler) nameArg(v Value, pos lang.Pos, what string) (string, bool) {
	if v.T.K != KStr {
		c.errorf(pos, `write it as a string literal, e.g. "salary"`, "%s must be a string constant, not %s", what, v.T)
		return "", false
	}
	if !validName(v.S) {
		c.errorf(pos, "", "%s %q is not a valid name (letters, digits and _)", what, v.S)
		return "", false
	}
	return v.S, true
}

func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// typeArg takes a type argument of one of the given kinds.
func (c *compiler) typeArg(v Value, pos lang.Pos, kinds ...Kind) (Kind, bool) {
	if v.T.K == KType && !v.TV.Vec {
		for _, k := range kinds {
			if v.TV.K == k {
				return k, true
			}
		}
	}
	var names []string
	for _, k := range kinds {
		names = append(names, kindNames[k])
	}
	c.errorf(pos, "", "expected one of the types %s here", strings.Join(names, ", "))
	return KInvalid, false
}

// publicInt checks a public int scalar argument (a length).
func (c *compiler) publicInt(v Value, pos lang.Pos, what string) bool {
	if v.T.K.Secret() {
		c.errorf(pos, "vector lengths are public", "%s must be public, not %s", what, v.T)
		return false
	}
	if v.T.Vec || v.T.K != KInt && v.T.K != KBool {
		c.errorf(pos, "", "%s must be an int, not %s", what, v.T)
		return false
	}
	return true
}

func (c *compiler) needVector(name string, v Value, pos lang.Pos) bool {
	if !v.T.Vec || !v.T.K.Value() {
		c.errorf(pos, "", "%s() needs a vector, not %s", name, v.T)
		return false
	}
	return true
}

func (c *compiler) builtin(name string, args []arg, pos lang.Pos) Value {
	switch name {
	case "len":
		a, _, ok := c.argSpec(name, args, pos, 1, 1)
		if !ok {
			return invalid
		}
		v := a[0]
		switch {
		case v.T.K == KTuple:
			return c.intConst(int64(len(v.Tup)))
		case v.Lst != nil:
			return c.intConst(int64(len(v.Lst)))
		case v.CV != nil:
			return c.intConst(int64(len(v.CV)))
		case v.T.Vec:
			n := c.op(vm.LEN, scalar(KInt), 0, c.reg(v))
			n.LenOf = v.Len
			return n
		}
		c.errorf(pos, "", "len() of a scalar %s", v.T)
		return invalid
	case "range":
		a, _, ok := c.argSpec(name, args, pos, 1, 3)
		if !ok {
			return invalid
		}
		for i, v := range a {
			if !c.publicInt(v, args[i].pos, "a bound of range") {
				return invalid
			}
		}
		start, stop, step := c.intConst(0), a[0], c.intConst(1)
		if len(a) > 1 {
			start, stop = a[0], a[1]
		}
		if len(a) > 2 {
			step = a[2]
		}
		if isZero(step) {
			c.errorf(pos, "", "range() step must not be zero")
			return invalid
		}
		return c.op(vm.RANGE, vector(KInt), c.newLen(), c.reg(start), c.reg(stop), c.reg(step))
	case "reveal":
		a, _, ok := c.argSpec(name, args, pos, 1, 1)
		if !ok {
			return invalid
		}
		return c.reveal(a[0], pos)
	case "output":
		return c.output(args, pos)
	case "input":
		return c.input(args, pos)
	case "param":
		return c.param(args, pos)
	case "where":
		a, _, ok := c.argSpec(name, args, pos, 3, 3)
		if !ok {
			return invalid
		}
		return c.where(a[0], a[1], a[2], pos)
	case "sum":
		a, kw, ok := c.argSpec(name, args, pos, 1, 1, "where")
		if !ok {
			return invalid
		}
		return c.sum(a[0], kw["where"], pos)
	case "min", "max":
		return c.minMax(name, args, pos)
	case "abs":
		a, _, ok := c.argSpec(name, args, pos, 1, 1)
		if !ok {
			return invalid
		}
		x := a[0]
		if !x.T.K.Numeric() {
			c.errorf(pos, "", "abs() of a %s", x.T)
			return invalid
		}
		if x.C != nil {
			return c.constOf(arithJoin(x.T.K, KInt), new(big.Int).Abs(x.C))
		}
		neg := c.compare("<", x, c.constOf(KInt, big.NewInt(0)), pos)
		neg.T.K = sameSecrecy(KInt, neg.T.K)
		sign := c.arith("-", c.intConst(1), c.arith("*", neg, c.intConst(2), pos), pos)
		return c.arith("*", x, sign, pos)
	case "sort":
		a, _, ok := c.argSpec(name, args, pos, 1, 1)
		if !ok {
			return invalid
		}
		v := a[0]
		if !c.needVector(name, v, pos) {
			return invalid
		}
		if !v.T.K.Secret() || v.T.K == KSbits {
			c.errorf(pos, "sort secret sint, sfix or sbool vectors", "sort() of a %s", v.T)
			return invalid
		}
		return c.op(vm.ASORT, v.T, v.Len, c.reg(v))
	case "sort_by":
		return c.sortBy(args, pos)
	case "concat":
		return c.concat(args, pos)
	case "zeros", "ones":
		a, _, ok := c.argSpec(name, args, pos, 2, 2)
		if !ok || !c.publicInt(a[0], args[0].pos, "the length") {
			return invalid
		}
		k, ok := c.typeArg(a[1], args[1].pos, KInt, KFix, KBool, KSint, KSfix, KSbool, KSbits)
		if !ok {
			return invalid
		}
		x := big.NewInt(0)
		if name == "ones" {
			x = big.NewInt(1)
		}
		v := c.convert(c.constOf(KInt, x), k, pos)
		if k == KBool || k == KSbool {
			v.T.K = k
		}
		return c.fill(a[0], v, pos)
	case "_raw", "_fix":
		a, _, ok := c.argSpec(name, args, pos, 1, 1)
		if !ok {
			return invalid
		}
		x := a[0]
		from, to := KSfix, KSint
		if name == "_fix" {
			from, to = KSint, KSfix
		}
		if x.T.K != from && x.T.K != publicOf(from) {
			c.errorf(pos, "", "%s() takes a %s, not %s", name, kindNames[from], x.T)
			return invalid
		}
		x.T.K = sameSecrecy(to, x.T.K)
		return x
	case "_frac_bits":
		if _, _, ok := c.argSpec(name, args, pos, 0, 0); !ok {
			return invalid
		}
		return c.intConst(int64(c.frac))
	case "_ring_bits":
		if _, _, ok := c.argSpec(name, args, pos, 0, 0); !ok {
			return invalid
		}
		return c.intConst(int64(c.ring))
	}
	c.errorf(pos, "", "unknown builtin %s", name)
	return invalid
}

func (c *compiler) reveal(v Value, pos lang.Pos) Value {
	if !v.T.K.Value() {
		c.errorf(pos, "", "cannot reveal a %s", v.T)
		return invalid
	}
	if !v.T.K.Secret() {
		return v
	}
	t := Type{K: publicOf(v.T.K), Vec: v.T.Vec}
	if v.T.K == KSbits {
		return c.op(vm.BOPEN, t, v.Len, c.reg(v))
	}
	return c.op(vm.AOPEN, t, v.Len, c.reg(v))
}

func (c *compiler) output(args []arg, pos lang.Pos) Value {
	a, _, ok := c.argSpec("output", args, pos, 2, 2)
	if !ok {
		return invalid
	}
	name, ok := c.nameArg(a[0], args[0].pos, "the output name")
	v := a[1]
	if !ok {
		return invalid
	}
	if !v.T.K.Value() {
		c.errorf(args[1].pos, "output one value per name", "cannot output a %s", v.T)
		return invalid
	}
	idx := 0
	if c.discard == 0 {
		if first, dup := c.outputPos[name]; dup {
			c.errorf(args[0].pos, "give each output its own name", "duplicate output name %q (first output at %s)", name, first)
			return invalid
		}
		c.outputPos[name] = args[0].pos
		c.outputs = append(c.outputs, vm.Output{Name: name, Type: v.T.K.vmType(), Vector: v.T.Vec})
		idx = len(c.outputs) - 1
	}
	p := c.reveal(v, pos)
	c.setPos(pos)
	c.b.emit(vm.OUTPUT, idx, c.reg(p))
	return Value{T: scalar(KNone), R: -1}
}

// declArgs checks the arguments of input and param: a name, a type of
// the given kinds, and n arguments in all.
func (c *compiler) declArgs(fn, what string, args []arg, pos lang.Pos, n int, kinds ...Kind) ([]Value, string, Kind, bool) {
	a, _, ok := c.argSpec(fn, args, pos, n, n)
	if !ok {
		return nil, "", KInvalid, false
	}
	name, ok := c.nameArg(a[0], args[0].pos, what)
	if !ok {
		return nil, "", KInvalid, false
	}
	k, ok := c.typeArg(a[1], args[1].pos, kinds...)
	return a, name, k, ok
}

func (c *compiler) input(args []arg, pos lang.Pos) Value {
	_, name, k, ok := c.declArgs("input", "the column name", args, pos, 2, KSint, KSfix, KSbits)
	if !ok {
		return invalid
	}
	idx, seen := c.inputIdx[name]
	if seen && c.inputs[idx].Type != k.vmType() {
		c.errorf(args[1].pos, "", "column %q is read as %s elsewhere", name, c.inputs[idx].Type)
		return invalid
	}
	if !seen {
		c.inputs = append(c.inputs, vm.Column{Name: name, Type: k.vmType()})
		idx = len(c.inputs) - 1
		c.inputIdx[name] = idx
	}
	// every column of a dataset has one row per provider: one length class
	return c.op(vm.INPUT, vector(k), -1, idx)
}

func (c *compiler) param(args []arg, pos lang.Pos) Value {
	a, name, k, ok := c.declArgs("param", "the parameter name", args, pos, 3, KInt, KFix, KBool)
	if !ok {
		return invalid
	}
	def := a[2]
	if def.C == nil || def.T.Vec {
		c.errorf(args[2].pos, "", "the default of a parameter must be a constant")
		return invalid
	}
	if j, ok := join(def.T.K, k); !ok || j != k {
		c.errorf(args[2].pos, "", "the default %s does not fit the parameter type %s", def.T, kindNames[k])
		return invalid
	}
	def = c.convert(def, k, args[2].pos)
	idx, seen := c.paramIdx[name]
	if seen && c.params[idx].Type != k.vmType() {
		c.errorf(args[1].pos, "", "parameter %q is declared as %s elsewhere", name, c.params[idx].Type)
		return invalid
	}
	if !seen {
		c.params = append(c.params, vm.Param{Name: name, Type: k.vmType(), Default: uint32(c.b.constant([]*big.Int{def.C}))})
		idx = len(c.params) - 1
		c.paramIdx[name] = idx
	}
	return c.op(vm.PARAM, scalar(k), 0, idx)
}

// where is the elementwise select c ? a : b, as arithmetic on a secret c.
func (c *compiler) where(cond, a, b Value, pos lang.Pos) Value {
	if cond.T.K != KBool && cond.T.K != KSbool {
		c.errorf(pos, "compare first, e.g. where(x > 0, a, b)", "the condition of where must be a bool or sbool, not %s", cond.T)
		return invalid
	}
	vec := cond.T.Vec || a.T.Vec || b.T.Vec
	k, ok := join(a.T.K, b.T.K)
	if a.T.K == KSbits || b.T.K == KSbits {
		k, ok = KSbits, (a.T.K == KSbits || a.T.K == KInt) && (b.T.K == KSbits || b.T.K == KInt)
	}
	if !ok || !k.Value() {
		c.errorf(pos, "", "where() cannot choose between %s and %s", a.T, b.T)
		return invalid
	}
	if cond.C != nil && !cond.T.Vec {
		pick := b
		if cond.C.Sign() != 0 {
			pick = a
		}
		if pick.T.Vec == vec {
			return c.convert(pick, sameSecrecy(k, pick.T.K), pos)
		}
	}
	if cond.T.K.Secret() {
		k = secretOf(k)
	}
	t := Type{K: k, Vec: vec}
	if k == KSbits {
		// b ^ (mask & (a ^ b)) with mask all ones where cond holds
		a, b = c.convert(a, KSbits, pos), c.convert(b, KSbits, pos)
		d := c.bitwise("^", a, b, pos)
		condInt := cond
		condInt.T.K = sameSecrecy(KInt, cond.T.K)
		mask := c.unary("-", condInt, pos)
		var m Value
		if mask.T.K.Secret() {
			m = c.bitwise("&", d, c.toSbits(mask, pos), pos)
		} else {
			m = c.op(vm.BANDP, t, c.lenOf(d, mask, pos), c.reg(d), c.reg(mask))
		}
		r := c.bitwise("^", b, m, pos)
		r.T = t
		return r
	}
	fk := publicOf(k)
	a, b = c.convert(a, sameSecrecy(fk, a.T.K), pos), c.convert(b, sameSecrecy(fk, b.T.K), pos)
	if !cond.T.K.Secret() && !a.T.K.Secret() && !b.T.K.Secret() {
		length := c.lenOf(cond, a, pos)
		length = c.lenOf(Value{T: Type{Vec: vec}, Len: length, R: c.reg(cond)}, b, pos)
		return c.op(vm.PSEL, t, length, c.reg(cond), c.reg(a), c.reg(b))
	}
	dk := arithJoin(a.T.K, b.T.K)
	d := c.addSub("-", a, b, Type{K: dk, Vec: a.T.Vec || b.T.Vec}, pos)
	condInt := cond
	condInt.T.K = sameSecrecy(KInt, cond.T.K)
	prod := c.mul(condInt, d, Type{K: arithJoin(condInt.T.K, dk), Vec: vec}, false, pos)
	r := c.addSub("+", prod, b, t, pos)
	r.T = t
	return r
}

// dot compiles sum(a * b) of two secret vectors as one dot product.
func (c *compiler) dot(a, b Value, pos lang.Pos) (Value, bool) {
	if !a.ok() || !b.ok() || !a.T.Vec || !b.T.Vec || !a.T.K.Secret() || !b.T.K.Secret() ||
		!a.T.K.Numeric() || !b.T.K.Numeric() {
		return invalid, false
	}
	k := arithJoin(a.T.K, b.T.K)
	c.lenOf(a, b, pos)
	v := c.op(vm.ADOT, scalar(k), 0, c.reg(a), c.reg(b))
	if a.T.K.isFix() && b.T.K.isFix() {
		v = c.op(vm.ATRUNC, scalar(k), 0, v.R, c.frac)
	}
	return v, true
}

func (c *compiler) sum(v, mask Value, pos lang.Pos) Value {
	if !c.needVector("sum", v, pos) {
		return invalid
	}
	if !v.T.K.Numeric() {
		c.errorf(pos, "", "sum() of a %s", v.T)
		return invalid
	}
	if mask.ok() {
		if !mask.T.Vec || !mask.T.K.isBool() {
			c.errorf(pos, "build the mask with a comparison, e.g. where=gender == 1", "where= must be a bool or sbool vector, not %s", mask.T)
			return invalid
		}
		m := mask
		m.T.K = sameSecrecy(KInt, mask.T.K)
		if d, ok := c.dot(m, v, pos); ok {
			return d
		}
		v = c.arith("*", m, v, pos)
	}
	k := arithJoin(v.T.K, KInt)
	if v.T.K.isFix() {
		k = v.T.K
	}
	if v.CV != nil {
		s := new(big.Int)
		for _, x := range v.CV {
			s.Add(s, x)
		}
		return c.constOf(k, c.foldChecked(s, pos))
	}
	if v.T.K.Secret() {
		return c.op(vm.ASUM, scalar(k), 0, c.reg(v))
	}
	return c.op(vm.PSUM, scalar(k), 0, c.reg(v))
}

// extreme is the sentinel a masked-out row takes in min/max: the ends of the
// documented range ±2^(k-2) (raw), far beyond any in-range value.
func (c *compiler) extreme(k Kind, high bool) Value {
	x := new(big.Int).Lsh(big.NewInt(1), uint(c.ring-2))
	if !high {
		x.Neg(x)
	}
	return c.constOf(publicOf(k), x)
}

func (c *compiler) minMax(name string, args []arg, pos lang.Pos) Value {
	a, kw, ok := c.argSpec(name, args, pos, 1, -1, "where")
	if !ok {
		return invalid
	}
	for i, v := range a {
		if !v.T.K.Numeric() {
			c.errorf(args[i].pos, "", "%s() of a %s", name, v.T)
			return invalid
		}
	}
	if len(a) == 1 {
		v := a[0]
		if !c.needVector(name, v, pos) {
			return invalid
		}
		if m, ok := kw["where"]; ok {
			if !m.T.Vec || !m.T.K.isBool() {
				c.errorf(pos, "", "where= must be a bool or sbool vector, not %s", m.T)
				return invalid
			}
			v = c.where(m, v, c.extreme(v.T.K, name == "min"), pos)
		}
		if v.T.K.isBool() {
			v.T.K = sameSecrecy(KInt, v.T.K)
		}
		return c.callPrelude("_"+name, []Value{v}, pos)
	}
	if _, ok := kw["where"]; ok {
		c.errorf(pos, "", "where= applies to %s of one vector", name)
		return invalid
	}
	r := a[0]
	for _, b := range a[1:] {
		op := ">="
		if name == "min" {
			op = "<="
		}
		r = c.where(c.compare(op, r, b, pos), r, b, pos)
	}
	return r
}

func (c *compiler) sortBy(args []arg, pos lang.Pos) Value {
	a, _, ok := c.argSpec("sort_by", args, pos, 2, -1)
	if !ok {
		return invalid
	}
	for i, v := range a {
		if !v.T.Vec || !v.T.K.Secret() || v.T.K == KSbits {
			c.errorf(args[i].pos, "", "sort_by() sorts secret sint, sfix or sbool vectors, not %s", v.T)
			return invalid
		}
	}
	out := Value{T: Type{K: KTuple}, R: -1}
	ops := []int{}
	for i, v := range a {
		if i > 0 {
			c.lenOf(a[0], v, pos)
		}
		r := c.b.newReg(vm.ClassA)
		ops = append(ops, r, c.reg(v))
		out.Tup = append(out.Tup, Value{T: v.T, R: r, Len: a[0].Len})
		out.T.Elems = append(out.T.Elems, v.T)
	}
	c.b.emit(vm.ASORT, ops...)
	return out
}

func (c *compiler) concat(args []arg, pos lang.Pos) Value {
	a, _, ok := c.argSpec("concat", args, pos, 1, -1)
	if !ok {
		return invalid
	}
	k := a[0].T.K
	for i, v := range a {
		if !v.T.K.Value() {
			c.errorf(args[i].pos, "", "concat() of a %s", v.T)
			return invalid
		}
		if k, ok = join(k, v.T.K); !ok {
			c.errorf(args[i].pos, "", "concat() mixes %s and %s", a[0].T, v.T)
			return invalid
		}
	}
	allConst := true
	for _, v := range a {
		allConst = allConst && v.isConst()
	}
	if allConst {
		var cv []*big.Int
		for _, v := range a {
			v = c.convert(v, k, pos)
			if v.C != nil {
				cv = append(cv, v.C)
			} else {
				cv = append(cv, v.CV...)
			}
		}
		return Value{T: vector(k), R: -1, CV: cv, Len: c.newLen()}
	}
	return c.concatRegs(a, k, pos)
}

// conversion is a call of a type: sint(x), sfix(x), sbits(x[, word]), int(x), fix(x), bool(x), sbool(x).
func (c *compiler) conversion(t Type, args []arg, pos lang.Pos) Value {
	name := kindNames[t.K]
	maxN := 1
	if t.K == KSbits {
		maxN = 2
	}
	a, _, ok := c.argSpec(name, args, pos, 1, maxN)
	if !ok {
		return invalid
	}
	x := a[0]
	if !x.T.K.Value() {
		c.errorf(pos, "", "cannot convert a %s to %s", x.T, name)
		return invalid
	}
	to := t.K
	if !to.Secret() && x.T.K.Secret() {
		c.errorf(pos, "a secret becomes public only by reveal(x)", "%s() of a secret %s", name, x.T)
		return invalid
	}
	if x.T.K == KSbits && to != KSbits && to != KSint {
		c.errorf(pos, "convert with sint(x) first", "cannot convert sbits to %s", name)
		return invalid
	}
	switch to {
	case KSbits:
		word := 0
		if len(a) == 2 {
			if a[1].C == nil || a[1].C.Sign() < 0 || a[1].C.Cmp(big.NewInt(1)) > 0 {
				c.errorf(args[1].pos, "", "the word index of sbits() must be the constant 0 or 1")
				return invalid
			}
			word = int(a[1].C.Int64())
		}
		if x.T.K == KSbits {
			return x
		}
		if !x.T.K.Secret() {
			// a public value's word is public: shift it down, then share it as bits for free
			if word == 1 {
				x = c.shift(">>", c.convert(x, KInt, pos), c.intConst(64), pos)
			}
			return c.op(vm.PTOB, Type{K: KSbits, Vec: x.T.Vec}, x.Len, c.reg(x))
		}
		return c.op(vm.A2B, Type{K: KSbits, Vec: x.T.Vec}, x.Len, c.reg(x), word)
	case KInt, KSint:
		switch {
		case x.T.K == KSbits:
			return c.op(vm.B2A, Type{K: KSint, Vec: x.T.Vec}, x.Len, c.reg(x))
		case x.T.K.isFix():
			if x.C != nil {
				x = c.constOf(KInt, new(big.Int).Rsh(x.C, uint(c.frac)))
			} else if x.T.K.Secret() {
				x = c.op(vm.ASHR, Type{K: KSint, Vec: x.T.Vec}, x.Len, c.reg(x), c.frac)
			} else {
				x = c.op(vm.PSHR, Type{K: KInt, Vec: x.T.Vec}, x.Len, c.reg(x), c.reg(c.intConst(int64(c.frac))))
			}
		}
		x.T.K = sameSecrecy(KInt, x.T.K)
		return c.convert(x, to, pos)
	case KFix, KSfix:
		if x.T.K.isBool() {
			x.T.K = sameSecrecy(KInt, x.T.K)
		}
		return c.convert(x, to, pos)
	case KBool, KSbool:
		if x.T.K.isBool() {
			return c.convert(x, to, pos)
		}
		return c.convert(c.boolOf(x, pos), to, pos)
	}
	return invalid
}
