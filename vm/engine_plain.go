package vm

// The plaintext engine: the reference semantics of every secret operation.
// A secret register holds its clear value as a one-component Share. The
// probabilistic and approximate protocols of the three-party engine are
// allowed to differ from it only where the opcode's comment says so
// (ATRUNC may be one more).

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"sort"
)

// PlainEngine computes on clear values. Its zero value is not usable: create
// it with NewPlainEngine.
type PlainEngine struct {
	k, f int
	data *Dataset
	rng  *rand.Rand
}

// NewPlainEngine returns a plaintext engine for ring k with f fractional bits
// reading inputs from data (which may be nil for a program without inputs).
// ASHUF permutations come from a ChaCha8 generator seeded from crypto/rand.
func NewPlainEngine(k, f int, data *Dataset) *PlainEngine {
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return &PlainEngine{k: k, f: f, data: data, rng: rand.New(rand.NewChaCha8(seed))}
}

// Seed makes the shuffles deterministic (for tests).
func (e *PlainEngine) Seed(seed [32]byte) { e.rng = rand.New(rand.NewChaCha8(seed)) }

func (e *PlainEngine) one(v Vec) Share { return Share{v} }

// Input implements Engine.
func (e *PlainEngine) Input(_ context.Context, _ int, c Column) (Share, error) {
	if e.data == nil {
		return nil, fmt.Errorf("no dataset: cannot read input %q", c.Name)
	}
	v, ok := e.data.Lookup(c.Name, c.Type)
	if !ok {
		return nil, fmt.Errorf("the dataset has no %s column %q", c.Type, c.Name)
	}
	if c.Type == TSbits {
		return e.one(Vec{Lo: append([]uint64(nil), v.Lo...)}), nil
	}
	if e.data.Ring != e.k {
		return nil, fmt.Errorf("the dataset is for a %d-bit ring, the program for %d bits", e.data.Ring, e.k)
	}
	if c.Type == TSfix && e.data.FracBits != e.f {
		return nil, fmt.Errorf("the dataset has %d fractional bits, the program %d", e.data.FracBits, e.f)
	}
	return e.one(rgCopy(e.k, v)), nil
}

func (e *PlainEngine) unary(x Share, f func(k int, dst, a Vec)) Share {
	r := NewVec(e.k, x.Len())
	f(e.k, r, x[0])
	return e.one(r)
}

func (e *PlainEngine) binary(x, y Vec, f func(k int, dst, a, b Vec)) Share {
	n, _ := BroadcastLen(x.Len(), y.Len())
	r := NewVec(e.k, n)
	f(e.k, r, x, y)
	return e.one(r)
}

func (e *PlainEngine) words(x, y Vec, f func(k int, dst, a, b Vec)) Share {
	n, _ := BroadcastLen(x.Len(), y.Len())
	r := NewWords(n)
	f(64, r, Vec{Lo: x.Lo}, Vec{Lo: y.Lo})
	return e.one(r)
}

// word1 is unary for results that are 64-bit words.
func (e *PlainEngine) word1(x Share, f func(dst, a Vec)) Share {
	r := NewWords(x.Len())
	f(r, x[0])
	return e.one(r)
}

// perGroup returns f(g) for every group g of an interactive call.
func perGroup[T any](n int, f func(g int) T) []T {
	rs := make([]T, n)
	for g := range rs {
		rs[g] = f(g)
	}
	return rs
}

// PToA implements Engine.
func (e *PlainEngine) PToA(p Vec) Share { return e.one(rgCopy(e.k, p)) }

// PToB implements Engine.
func (e *PlainEngine) PToB(p Vec) Share { return e.one(Vec{Lo: append([]uint64(nil), p.Lo...)}) }

// AAdd implements Engine.
func (e *PlainEngine) AAdd(x, y Share) Share { return e.binary(x[0], y[0], AddVec) }

// ASub implements Engine.
func (e *PlainEngine) ASub(x, y Share) Share { return e.binary(x[0], y[0], SubVec) }

// ANeg implements Engine.
func (e *PlainEngine) ANeg(x Share) Share { return e.unary(x, NegVec) }

// AAddP implements Engine.
func (e *PlainEngine) AAddP(x Share, p Vec) Share { return e.binary(x[0], p, AddVec) }

// ASubP implements Engine.
func (e *PlainEngine) ASubP(x Share, p Vec) Share { return e.binary(x[0], p, SubVec) }

// APSub implements Engine.
func (e *PlainEngine) APSub(p Vec, x Share) Share { return e.binary(p, x[0], SubVec) }

// AMulP implements Engine.
func (e *PlainEngine) AMulP(x Share, p Vec) Share { return e.binary(x[0], p, MulVec) }

// ASum implements Engine.
func (e *PlainEngine) ASum(x Share) Share {
	r := NewVec(e.k, 1)
	SumVec(e.k, r, x[0])
	return e.one(r)
}

// BXor implements Engine.
func (e *PlainEngine) BXor(x, y Share) Share { return e.words(x[0], y[0], XorVec) }

// BXorP implements Engine.
func (e *PlainEngine) BXorP(x Share, p Vec) Share { return e.words(x[0], p, XorVec) }

// BAndP implements Engine.
func (e *PlainEngine) BAndP(x Share, p Vec) Share { return e.words(x[0], p, AndVec) }

// BNot implements Engine.
func (e *PlainEngine) BNot(x Share) Share {
	return e.word1(x, func(dst, a Vec) { NotVec(64, dst, a) })
}

// BShl implements Engine.
func (e *PlainEngine) BShl(x Share, m uint) Share {
	return e.word1(x, func(dst, a Vec) { ShlWords(dst, a, m) })
}

// BShr implements Engine.
func (e *PlainEngine) BShr(x Share, m uint) Share {
	return e.word1(x, func(dst, a Vec) { ShrWords(dst, a, m) })
}

// BRotl implements Engine.
func (e *PlainEngine) BRotl(x Share, m uint) Share {
	return e.word1(x, func(dst, a Vec) { RotlWords(dst, a, m) })
}

// Mul implements Engine.
func (e *PlainEngine) Mul(_ context.Context, x, y []Share) ([]Share, error) {
	return perGroup(len(x), func(g int) Share { return e.binary(x[g][0], y[g][0], MulVec) }), nil
}

// Dot implements Engine.
func (e *PlainEngine) Dot(_ context.Context, x, y []Share) ([]Share, error) {
	return perGroup(len(x), func(g int) Share {
		r := NewVec(e.k, 1)
		DotVec(e.k, r, x[g][0], y[g][0])
		return e.one(r)
	}), nil
}

// Trunc implements Engine: exactly floor(x / 2^m).
func (e *PlainEngine) Trunc(ctx context.Context, x []Share, m []uint) ([]Share, error) {
	return e.Shr(ctx, x, m)
}

// Shr implements Engine.
func (e *PlainEngine) Shr(_ context.Context, x []Share, m []uint) ([]Share, error) {
	return perGroup(len(x), func(g int) Share {
		return e.unary(x[g], func(k int, dst, a Vec) { SarConst(k, dst, a, m[g]) })
	}), nil
}

// IDiv implements Engine.
func (e *PlainEngine) IDiv(_ context.Context, x []Share, d []Vec) ([]Share, error) {
	return perGroup(len(x), func(g int) Share { return e.binary(x[g][0], d[g], FloorDivVec) }), nil
}

// LTZ implements Engine.
func (e *PlainEngine) LTZ(_ context.Context, x []Share) ([]Share, error) {
	return perGroup(len(x), func(g int) Share { return e.unary(x[g], LtzVec) }), nil
}

// EQZ implements Engine.
func (e *PlainEngine) EQZ(_ context.Context, x []Share) ([]Share, error) {
	return perGroup(len(x), func(g int) Share { return e.unary(x[g], EqzVec) }), nil
}

// Open implements Engine.
func (e *PlainEngine) Open(_ context.Context, x []Share) ([]Vec, error) {
	return perGroup(len(x), func(g int) Vec { return rgCopy(e.k, x[g][0]) }), nil
}

// permute returns v reordered: element i of the result is v[perm[i]].
func exPermute(v Vec, perm []int) Vec {
	r := Vec{Lo: make([]uint64, len(perm))}
	if v.Hi != nil {
		r.Hi = make([]uint64, len(perm))
	}
	for i, j := range perm {
		r.Lo[i] = v.Lo[j]
		if v.Hi != nil {
			r.Hi[i] = v.Hi[j]
		}
	}
	return r
}

// Sort implements Engine: a stable sort by signed key.
func (e *PlainEngine) Sort(_ context.Context, key Share, vals []Share) (Share, []Share, error) {
	kv := key[0]
	n := kv.Len()
	for _, v := range vals {
		if v.Len() != n {
			return nil, nil, fmt.Errorf("vectors of different lengths %d and %d", n, v.Len())
		}
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	sort.SliceStable(perm, func(i, j int) bool {
		return rgLoad(e.k, kv, perm[i]).slt(rgLoad(e.k, kv, perm[j]))
	})
	rs := make([]Share, len(vals))
	for g, v := range vals {
		rs[g] = e.one(exPermute(v[0], perm))
	}
	return e.one(exPermute(kv, perm)), rs, nil
}

// Shuffle implements Engine.
func (e *PlainEngine) Shuffle(_ context.Context, x []Share) ([]Share, error) {
	if len(x) == 0 {
		return nil, nil
	}
	n := x[0].Len()
	for _, v := range x {
		if v.Len() != n {
			return nil, fmt.Errorf("vectors of different lengths %d and %d", n, v.Len())
		}
	}
	perm := e.rng.Perm(n)
	rs := make([]Share, len(x))
	for g, v := range x {
		rs[g] = e.one(exPermute(v[0], perm))
	}
	return rs, nil
}

// BAnd implements Engine.
func (e *PlainEngine) BAnd(_ context.Context, x, y []Share) ([]Share, error) {
	return perGroup(len(x), func(g int) Share { return e.words(x[g][0], y[g][0], AndVec) }), nil
}

// BOpen implements Engine: the unsigned word as a ring element.
func (e *PlainEngine) BOpen(_ context.Context, x []Share) ([]Vec, error) {
	return perGroup(len(x), func(g int) Vec { return rgCopy(e.k, Vec{Lo: x[g][0].Lo}) }), nil
}

// A2B implements Engine.
func (e *PlainEngine) A2B(_ context.Context, x []Share, w []uint) ([]Share, error) {
	return perGroup(len(x), func(g int) Share {
		return e.word1(x[g], func(dst, a Vec) { ExtractWordVec(e.k, dst, a, int(w[g])) })
	}), nil
}

// B2A implements Engine.
func (e *PlainEngine) B2A(_ context.Context, x []Share) ([]Share, error) {
	return perGroup(len(x), func(g int) Share { return e.unary(x[g], WordToRingVec) }), nil
}

// Emulate runs p in the clear on data with the given parameters (NAME to
// VALUE text, see ParseParams).
func Emulate(ctx context.Context, p *Program, data *Dataset, params map[string]string) (*Result, error) {
	pv, err := ParseParams(p, params)
	if err != nil {
		return nil, err
	}
	m := NewMachine(p, NewPlainEngine(p.Ring, p.FracBits, data), pv)
	return m.Run(ctx)
}

var _ Engine = (*PlainEngine)(nil)
