package runtime

// Secret shuffle (ASHUF): one uniformly random permutation, unknown to every
// single party, applied to every vector of the instruction.
//
// The permutation is the composition π = π_20 ∘ π_12 ∘ π_01 of three
// permutations, π_ab drawn from the PRG that the pair {a, b} shares (so
// agreeing on it costs nothing); every party misses one of the three, so to
// each party π is uniform (the resharing-based shuffle of Laur, Willemson,
// Zhang, "Round-efficient oblivious database manipulation", ISC 2011, here
// on replicated three-party sharing). A pair applies its permutation to a
// 2-out-of-2 sharing it holds, then hands its sharing on to the next pair:
//
//	0, 1:  A = x_0 + x_1 at 0, B = x_2 at 1   (no communication: the pair
//	       holds all three components between them)
//	       0: C = π_01(A) + z_1 → party 2      (z_1, like π_01, from k_01)
//	       1: E = π_12(π_01(B) − z_1) + z_2 → party 0   (z_2 from k_12)
//	1, 2 → 2, 0 (after round 1): party 2 holds π_12(C) − z_2, party 0 holds
//	       E; their sum is π_12(π_01(x)).
//	2, 0:  2: F = π_20(π_12(C) − z_2),  0: G = π_20(E);  F + G = π(x).
//	       y_1 from k_01, y_2 from k_12 (party 1 holds both: no message)
//	       0 sends G − y_1 → 2,  2 sends F − y_2 → 0,  both set
//	       y_0 = (G − y_1) + (F − y_2).
//
// Party 1's message E depends on nothing it receives, so it goes in round 1
// with party 0's C: two rounds, four ring elements sent per element and
// vector (C, E, G − y_1, F − y_2), party 1 receiving nothing. Every message
// is masked by a PRG value its receiver does not know (C by z_1, E by z_2,
// G − y_1 by y_1, F − y_2 by y_2), so each message a party receives is uniform
// and independent of everything else it sees; the result (y_0, y_1, y_2) is a
// fresh replicated sharing of π(x).
//
// Permutations act as gathers, π(v)_i = v_{π(i)}, like vm.PlainEngine's.
// All vectors of one instruction use the same three permutations and travel
// in one message per peer and round, concatenated.

import (
	"context"
	"fmt"
	"math/bits"

	"github.com/mpcs/mpcs/vm"
)

// ---- ring vectors ----
//
// The shuffle works on the concatenation of all vectors of an instruction,
// one ring vector (vm.Vec of ring k) per share component, with the vm
// kernels for its arithmetic.

// gatherBlocks sets dst = π(src) blockwise: the vectors are blocks of
// len(perm) elements, and dst[g·n + i] = src[g·n + perm[i]].
func gatherBlocks(dst, src vm.Vec, perm []int) {
	n := len(perm)
	if n == 0 {
		return
	}
	for off := 0; off < len(dst.Lo); off += n {
		dl, sl := dst.Lo[off:off+n], src.Lo[off:off+n]
		for i, j := range perm {
			dl[i] = sl[j]
		}
		if dst.Hi != nil {
			dh, sh := dst.Hi[off:off+n], src.Hi[off:off+n]
			for i, j := range perm {
				dh[i] = sh[j]
			}
		}
	}
}

// randRing returns m ring elements from the PRG stream g (the low words,
// then the high words).
func (e *Engine) randRing(g *keyStream, m int) vm.Vec {
	r := vm.NewVec(e.k, m)
	g.words(r.Lo)
	if r.Hi != nil {
		g.words(r.Hi)
	}
	return r
}

// encodeRing returns v as a message: every element as k/8 little-endian
// bytes, low word first.
func (e *Engine) encodeRing(v vm.Vec) []byte {
	b := newMsg(v.Len() * ringBytes(e.k))
	putRing(e.k, b, v)
	return b
}

// decodeRing is the inverse of encodeRing for m elements (for k = 64 a view
// of b where the machine allows it).
func (e *Engine) decodeRing(b []byte, m int) vm.Vec {
	if e.k == 64 {
		return vm.Vec{Lo: wordsIn(b, m)}
	}
	r := vm.NewVec(e.k, m)
	getRing(e.k, r, b)
	return r
}

// concatComp concatenates component c of the shares xs (each of length n)
// into one ring vector; with c2 >= 0 it is the sum of components c and c2.
func (e *Engine) concatComp(xs []vm.Share, n, c, c2 int) vm.Vec {
	r := vm.NewVec(e.k, len(xs)*n)
	for g, s := range xs {
		blk, a := subVec(r, g*n, (g+1)*n), e.norm(s[c])
		if c2 >= 0 {
			vm.AddVec(e.k, blk, a, e.norm(s[c2]))
			continue
		}
		copy(blk.Lo, a.Lo)
		copy(blk.Hi, a.Hi)
	}
	return r
}

// ---- permutations from a pairwise PRG ----

// prgInts reads uniform integers from a PRG stream; both holders of the key
// read the same words in the same order.
type prgInts struct {
	g   *keyStream
	buf []uint64
	i   int
}

// uniform returns a uniform integer in [0, bound) (bound >= 1), by Lemire's
// multiply-and-reject method.
func (r *prgInts) uniform(bound uint64) uint64 {
	for {
		if r.i == len(r.buf) {
			r.g.words(r.buf)
			r.i = 0
		}
		x := r.buf[r.i]
		r.i++
		hi, lo := bits.Mul64(x, bound)
		if lo >= bound || lo >= -bound%bound {
			return hi
		}
	}
}

// randPerm draws a uniformly random permutation of [0, n) from the PRG
// stream g (Fisher–Yates).
func randPerm(g *keyStream, n int) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	if n < 2 {
		return p
	}
	r := &prgInts{g: g, buf: make([]uint64, min(n, 4096))}
	r.i = len(r.buf)
	for i := n - 1; i > 0; i-- {
		j := int(r.uniform(uint64(i + 1)))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// ---- the protocol ----

// shuffle is Engine.Shuffle (ASHUF); see the top of this file.
func (e *Engine) shuffle(ctx context.Context, xs []vm.Share) ([]vm.Share, error) {
	if len(xs) == 0 {
		return nil, nil
	}
	n := xs[0].Len()
	for _, s := range xs {
		if s.Len() != n || len(s) != 2 || s[1].Len() != n {
			return nil, fmt.Errorf("ASHUF: vectors of different lengths %d and %d", n, s.Len())
		}
	}
	if n < 2 {
		// nothing to permute (n is public): fresh copies.
		out := make([]vm.Share, len(xs))
		for g, s := range xs {
			out[g] = vm.Share{vm.CloneVec(e.norm(s[0])), vm.CloneVec(e.norm(s[1]))}
		}
		return out, nil
	}
	y0, y1, err := e.shuffleBuf(ctx, xs, n)
	if err != nil {
		return nil, err
	}
	out := make([]vm.Share, len(xs))
	for g := range xs {
		out[g] = vm.Share{subVec(y0, g*n, (g+1)*n), subVec(y1, g*n, (g+1)*n)}
	}
	return out, nil
}

// shuffleBuf runs the two rounds for the vectors xs of length n >= 2 and
// returns this party's components of the result, the vectors concatenated.
func (e *Engine) shuffleBuf(ctx context.Context, xs []vm.Share, n int) (vm.Vec, vm.Vec, error) {
	m := len(xs) * n
	eb := ringBytes(e.k)
	want := [3]int{-1, -1, -1}
	var out [3][]byte
	switch e.me {
	case 0:
		// k_01 is this party's next key, k_20 its previous one.
		k01, k20 := e.next.g[prgRand], e.prev.g[prgRand]
		a := e.concatComp(xs, n, 0, 1) // x_0 + x_1
		p01 := randPerm(k01, n)
		z1 := e.randRing(k01, m)
		c := vm.NewVec(e.k, m)
		gatherBlocks(c, a, p01)
		vm.AddVec(e.k, c, c, z1)
		out[2] = e.encodeRing(c)
		want[1] = m * eb
		in, err := e.round(ctx, out, want)
		if err != nil {
			return vm.Vec{}, vm.Vec{}, err
		}
		ev := e.decodeRing(in[1], m)
		p20 := randPerm(k20, n)
		y1 := e.randRing(k01, m)
		g := vm.NewVec(e.k, m)
		gatherBlocks(g, ev, p20)
		vm.SubVec(e.k, g, g, y1) // G − y_1
		out = [3][]byte{2: e.encodeRing(g)}
		want = [3]int{-1, -1, m * eb}
		if in, err = e.round(ctx, out, want); err != nil {
			return vm.Vec{}, vm.Vec{}, err
		}
		vm.AddVec(e.k, g, g, e.decodeRing(in[2], m)) // y_0
		return g, y1, nil
	case 1:
		k01, k12 := e.prev.g[prgRand], e.next.g[prgRand]
		b := e.concatComp(xs, n, 1, -1) // x_2
		p01 := randPerm(k01, n)
		z1 := e.randRing(k01, m)
		d := vm.NewVec(e.k, m)
		gatherBlocks(d, b, p01)
		vm.SubVec(e.k, d, d, z1)
		p12 := randPerm(k12, n)
		z2 := e.randRing(k12, m)
		ev := vm.NewVec(e.k, m)
		gatherBlocks(ev, d, p12)
		vm.AddVec(e.k, ev, ev, z2)
		out[0] = e.encodeRing(ev)
		if _, err := e.round(ctx, out, want); err != nil {
			return vm.Vec{}, vm.Vec{}, err
		}
		y1 := e.randRing(k01, m)
		y2 := e.randRing(k12, m)
		// round 2 carries nothing for this party, but every party counts it.
		if _, err := e.round(ctx, [3][]byte{}, want); err != nil {
			return vm.Vec{}, vm.Vec{}, err
		}
		return y1, y2, nil
	default:
		k12, k20 := e.prev.g[prgRand], e.next.g[prgRand]
		want[0] = m * eb
		in, err := e.round(ctx, out, want)
		if err != nil {
			return vm.Vec{}, vm.Vec{}, err
		}
		c := e.decodeRing(in[0], m)
		p12 := randPerm(k12, n)
		z2 := e.randRing(k12, m)
		c2 := vm.NewVec(e.k, m)
		gatherBlocks(c2, c, p12)
		vm.SubVec(e.k, c2, c2, z2)
		p20 := randPerm(k20, n)
		f := vm.NewVec(e.k, m)
		gatherBlocks(f, c2, p20)
		y2 := e.randRing(k12, m)
		vm.SubVec(e.k, f, f, y2) // F − y_2
		out = [3][]byte{0: e.encodeRing(f)}
		want = [3]int{m * eb, -1, -1}
		if in, err = e.round(ctx, out, want); err != nil {
			return vm.Vec{}, vm.Vec{}, err
		}
		vm.AddVec(e.k, f, f, e.decodeRing(in[0], m)) // y_0
		return y2, f, nil
	}
}
