package vm

import (
	"context"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSortStable(t *testing.T) {
	for _, k := range []int{64, 128} {
		b := newExProg(k)
		b.bigs(0, []*big.Int{big.NewInt(3), big.NewInt(-1), RingMax(k), big.NewInt(3), RingMin(k), big.NewInt(-1), big.NewInt(0)})
		b.ints(1, 0, 1, 2, 3, 4, 5, 6)
		b.ints(2, 10, 11, 12, 13, 14, 15, 16)
		b.emit(PTOA, 0, 0)
		b.emit(PTOA, 1, 1)
		b.emit(PTOA, 2, 2)
		b.emit(ASORT, 3, 0, 4, 1, 5, 2)
		b.emit(ASORT, 6, 0) // no value vectors
		b.emit(AOPEN, 0, 3, 1, 4, 2, 5, 3, 6)
		b.out("key", TSint, true, 0)
		b.out("v1", TSint, true, 1)
		b.out("v2", TSint, true, 2)
		b.out("k2", TSint, true, 3)
		res := b.mustRun(t)
		key := exOutInts(t, res, "key")
		want := []string{RingMin(k).String(), "-1", "-1", "0", "3", "3", RingMax(k).String()}
		if !slices.Equal(key, want) {
			t.Fatalf("key = %v, want %v", key, want)
		}
		if !slices.Equal(exOutInts(t, res, "k2"), want) {
			t.Fatalf("k2 = %v", exOutInts(t, res, "k2"))
		}
		exWantInts(t, res, "v1", 4, 1, 5, 6, 0, 3, 2) // stable: 1 before 5, 0 before 3
		exWantInts(t, res, "v2", 14, 11, 15, 16, 10, 13, 12)
		if want := int64(ASORT.RoundsFor(k)*2 + 1); res.Rounds != want {
			t.Fatalf("rounds = %d, want %d", res.Rounds, want)
		}
	}
}

func TestShuffle(t *testing.T) {
	const n = 50
	xs, ys := make([]int64, n), make([]int64, n)
	for i := range xs {
		xs[i], ys[i] = int64(i), int64(i)*10
	}
	b := newExProg(128)
	b.ints(0, xs...)
	b.ints(1, ys...)
	b.emit(PTOA, 0, 0)
	b.emit(PTOA, 1, 1)
	b.emit(ASHUF, 2, 0, 3, 1)
	b.emit(AOPEN, 2, 2, 3, 3)
	b.out("x", TSint, true, 2)
	b.out("y", TSint, true, 3)
	run := func(seed byte) (x, y []int64) {
		e := NewPlainEngine(128, 24, nil)
		e.Seed([32]byte{seed})
		res, err := NewMachine(b.p, e, nil).Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Outputs {
			var v []int64
			for i := range o.Value.Lo {
				v = append(v, ElemBig(128, o.Value, i).Int64())
			}
			if o.Name == "x" {
				x = v
			} else {
				y = v
			}
		}
		return x, y
	}
	x, y := run(1)
	for i := range x {
		if y[i] != 10*x[i] {
			t.Fatalf("vectors permuted differently: %v %v", x, y)
		}
	}
	sorted := slices.Clone(x)
	slices.Sort(sorted)
	if !slices.Equal(sorted, xs) {
		t.Fatalf("not a permutation: %v", x)
	}
	if slices.Equal(x, xs) {
		t.Fatalf("identity permutation of 50 elements")
	}
	x2, _ := run(1)
	if !slices.Equal(x, x2) {
		t.Fatalf("same seed, different permutation")
	}
}

func TestIDivVectorDivisor(t *testing.T) {
	b := newExProg(64)
	b.ints(0, 7, -7, 7, -7)
	b.ints(1, 2, 2, -2, -2)
	b.emit(PTOA, 0, 0)
	b.emit(AIDIV, 1, 0, 1)
	b.emit(AOPEN, 2, 1)
	b.out("q", TSint, true, 2)
	exWantInts(t, b.mustRun(t), "q", 3, -4, -4, 3)
}

// ---- a two-component engine: 2-out-of-2 additive (A) and XOR (B) sharing ----

// exSplitEngine shows that a multi-component engine fits the interface: local
// linear operations work on the components (a public value touches only
// component 0), interactive ones open, compute in the clear and reshare.
// Every structural operation is the Machine's, on both components.
type exSplitEngine struct {
	k     int
	plain *PlainEngine
	rng   *rand.Rand
}

func exNewSplitEngine(k, f int) Engine {
	return &exSplitEngine{k: k, plain: NewPlainEngine(k, f, nil), rng: rand.New(rand.NewPCG(7, uint64(k)))}
}

func (e *exSplitEngine) rnd(n int, words bool) Vec {
	v := NewVec(e.k, n)
	if words {
		v = NewWords(n)
	}
	for i := range v.Lo {
		v.Lo[i] = e.rng.Uint64()
		if v.Hi != nil {
			v.Hi[i] = e.rng.Uint64()
		}
	}
	return v
}

func (e *exSplitEngine) splitA(s Share) Share {
	r := e.rnd(s.Len(), false)
	d := NewVec(e.k, s.Len())
	SubVec(e.k, d, s[0], r)
	return Share{r, d}
}

func (e *exSplitEngine) joinA(s Share) Share {
	v := NewVec(e.k, s.Len())
	AddVec(e.k, v, s[0], s[1])
	return Share{v}
}

func (e *exSplitEngine) splitB(s Share) Share {
	r := e.rnd(s.Len(), true)
	d := NewWords(s.Len())
	XorVec(64, d, s[0], r)
	return Share{r, d}
}

func (e *exSplitEngine) joinB(s Share) Share {
	v := NewWords(s.Len())
	XorVec(64, v, s[0], s[1])
	return Share{v}
}

func (e *exSplitEngine) mapA(xs []Share) []Share {
	r := make([]Share, len(xs))
	for i, x := range xs {
		r[i] = e.joinA(x)
	}
	return r
}

func (e *exSplitEngine) mapB(xs []Share) []Share {
	r := make([]Share, len(xs))
	for i, x := range xs {
		r[i] = e.joinB(x)
	}
	return r
}

func (e *exSplitEngine) outA(rs []Share, err error) ([]Share, error) {
	for i := range rs {
		rs[i] = e.splitA(rs[i])
	}
	return rs, err
}

func (e *exSplitEngine) outB(rs []Share, err error) ([]Share, error) {
	for i := range rs {
		rs[i] = e.splitB(rs[i])
	}
	return rs, err
}

func (e *exSplitEngine) Input(ctx context.Context, in int, c Column) (Share, error) {
	s, err := e.plain.Input(ctx, in, c)
	if err != nil {
		return nil, err
	}
	if c.Type == TSbits {
		return e.splitB(s), nil
	}
	return e.splitA(s), nil
}

func (e *exSplitEngine) PToA(p Vec) Share {
	return Share{rgCopy(e.k, p), NewVec(e.k, p.Len())}
}

func (e *exSplitEngine) PToB(p Vec) Share {
	return Share{Vec{Lo: slices.Clone(p.Lo)}, NewWords(p.Len())}
}

func (e *exSplitEngine) comp2(x, y Share, f func(k int, dst, a, b Vec)) Share {
	n, _ := BroadcastLen(x.Len(), y.Len())
	r := Share{NewVec(e.k, n), NewVec(e.k, n)}
	f(e.k, r[0], x[0], y[0])
	f(e.k, r[1], x[1], y[1])
	return r
}

func (e *exSplitEngine) AAdd(x, y Share) Share { return e.comp2(x, y, AddVec) }
func (e *exSplitEngine) ASub(x, y Share) Share { return e.comp2(x, y, SubVec) }
func (e *exSplitEngine) ANeg(x Share) Share {
	r := Share{NewVec(e.k, x.Len()), NewVec(e.k, x.Len())}
	NegVec(e.k, r[0], x[0])
	NegVec(e.k, r[1], x[1])
	return r
}

// AAddP adds p to component 0 only.
func (e *exSplitEngine) AAddP(x Share, p Vec) Share {
	n, _ := BroadcastLen(x.Len(), p.Len())
	r := Share{NewVec(e.k, n), NewVec(e.k, n)}
	AddVec(e.k, r[0], x[0], p)
	AddVec(e.k, r[1], x[1], NewVec(e.k, 1))
	return r
}

func (e *exSplitEngine) ASubP(x Share, p Vec) Share {
	np := NewVec(e.k, p.Len())
	NegVec(e.k, np, p)
	return e.AAddP(x, np)
}

func (e *exSplitEngine) APSub(p Vec, x Share) Share { return e.AAddP(e.ANeg(x), p) }

func (e *exSplitEngine) AMulP(x Share, p Vec) Share { return e.comp2(x, Share{p, p}, MulVec) }

func (e *exSplitEngine) ASum(x Share) Share {
	r := Share{NewVec(e.k, 1), NewVec(e.k, 1)}
	SumVec(e.k, r[0], x[0])
	SumVec(e.k, r[1], x[1])
	return r
}

func (e *exSplitEngine) BXor(x, y Share) Share {
	return e.splitB(e.plain.BXor(e.joinB(x), e.joinB(y)))
}
func (e *exSplitEngine) BXorP(x Share, p Vec) Share { return e.splitB(e.plain.BXorP(e.joinB(x), p)) }
func (e *exSplitEngine) BAndP(x Share, p Vec) Share { return e.splitB(e.plain.BAndP(e.joinB(x), p)) }
func (e *exSplitEngine) BNot(x Share) Share         { return e.splitB(e.plain.BNot(e.joinB(x))) }
func (e *exSplitEngine) BShl(x Share, m uint) Share { return e.splitB(e.plain.BShl(e.joinB(x), m)) }
func (e *exSplitEngine) BShr(x Share, m uint) Share { return e.splitB(e.plain.BShr(e.joinB(x), m)) }
func (e *exSplitEngine) BRotl(x Share, m uint) Share {
	return e.splitB(e.plain.BRotl(e.joinB(x), m))
}

func (e *exSplitEngine) Mul(ctx context.Context, x, y []Share) ([]Share, error) {
	return e.outA(e.plain.Mul(ctx, e.mapA(x), e.mapA(y)))
}
func (e *exSplitEngine) Dot(ctx context.Context, x, y []Share) ([]Share, error) {
	return e.outA(e.plain.Dot(ctx, e.mapA(x), e.mapA(y)))
}
func (e *exSplitEngine) Trunc(ctx context.Context, x []Share, m []uint) ([]Share, error) {
	return e.outA(e.plain.Trunc(ctx, e.mapA(x), m))
}
func (e *exSplitEngine) Shr(ctx context.Context, x []Share, m []uint) ([]Share, error) {
	return e.outA(e.plain.Shr(ctx, e.mapA(x), m))
}
func (e *exSplitEngine) IDiv(ctx context.Context, x []Share, d []Vec) ([]Share, error) {
	return e.outA(e.plain.IDiv(ctx, e.mapA(x), d))
}
func (e *exSplitEngine) LTZ(ctx context.Context, x []Share) ([]Share, error) {
	return e.outA(e.plain.LTZ(ctx, e.mapA(x)))
}
func (e *exSplitEngine) EQZ(ctx context.Context, x []Share) ([]Share, error) {
	return e.outA(e.plain.EQZ(ctx, e.mapA(x)))
}
func (e *exSplitEngine) Open(ctx context.Context, x []Share) ([]Vec, error) {
	return e.plain.Open(ctx, e.mapA(x))
}
func (e *exSplitEngine) Sort(ctx context.Context, key Share, vals []Share) (Share, []Share, error) {
	k, v, err := e.plain.Sort(ctx, e.joinA(key), e.mapA(vals))
	if err != nil {
		return nil, nil, err
	}
	v, _ = e.outA(v, nil)
	return e.splitA(k), v, nil
}
func (e *exSplitEngine) Shuffle(ctx context.Context, x []Share) ([]Share, error) {
	return e.outA(e.plain.Shuffle(ctx, e.mapA(x)))
}
func (e *exSplitEngine) BAnd(ctx context.Context, x, y []Share) ([]Share, error) {
	return e.outB(e.plain.BAnd(ctx, e.mapB(x), e.mapB(y)))
}
func (e *exSplitEngine) BOpen(ctx context.Context, x []Share) ([]Vec, error) {
	return e.plain.BOpen(ctx, e.mapB(x))
}
func (e *exSplitEngine) A2B(ctx context.Context, x []Share, w []uint) ([]Share, error) {
	return e.outB(e.plain.A2B(ctx, e.mapA(x), w))
}
func (e *exSplitEngine) B2A(ctx context.Context, x []Share) ([]Share, error) {
	return e.outA(e.plain.B2A(ctx, e.mapB(x)))
}

// The same semantics through a two-component engine.
func TestTwoComponentEngine(t *testing.T) {
	testOpcodeSemantics(t, exNewSplitEngine)
}

// The Machine's structural operations on two-component shares.
func TestTwoComponentStructural(t *testing.T) {
	for _, k := range []int{64, 128} {
		b := newExProg(k)
		b.ints(0, 10, 20, 30, 40)
		b.ints(1, -1)
		b.ints(2, 2)
		b.ints(3, 99)
		b.emit(PTOA, 0, 0)
		b.emit(PTOA, 1, 3)
		b.emit(AADDP, 0, 0, 2) // 12 22 32 42: component 0 only
		b.emit(INDEX, xrA(2), xrA(0), 1)
		b.emit(CONCAT, xrA(3), xrA(0), xrA(1), xrA(2))
		b.emit(FILL, xrA(4), 2, xrA(1))
		b.emit(SLICE, xrA(5), xrA(3), 0, 0, 2)
		b.emit(SETIDX, xrA(6), xrA(0), 1, xrA(1))
		b.emit(MOV, xrA(7), xrA(6))
		b.emit(AMUL, 8, 7, 7)
		b.emit(PTOB, 0, 0)
		b.emit(INDEX, xrB(1), xrB(0), 1)
		b.emit(CONCAT, xrB(2), xrB(0), xrB(1))
		b.emit(AOPEN, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 8, 8)
		b.emit(BOPEN, 7, 2)
		b.out("idx", TSint, false, 2)
		b.out("cat", TSint, true, 3)
		b.out("fill", TSint, true, 4)
		b.out("rev", TSint, true, 5)
		b.out("set", TSint, true, 6)
		b.out("sq", TSint, true, 8)
		b.out("bcat", TSbits, true, 7)
		plain := b.mustRun(t)
		split, err := NewMachine(b.p, exNewSplitEngine(k, b.p.FracBits), nil).Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if string(plain.JSON()) != string(split.JSON()) {
			t.Fatalf("plain %s\nsplit %s", plain.JSON(), split.JSON())
		}
		exWantInts(t, split, "cat", 12, 22, 32, 42, 99, 42)
		exWantInts(t, split, "rev", 42, 99, 42, 32, 22, 12)
		exWantInts(t, split, "set", 12, 22, 32, 99)
		exWantInts(t, split, "sq", 144, 484, 1024, 9801)
	}
}
