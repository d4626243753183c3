package runtime

// Verified multiplications for the malicious mode: Beaver multiplication
// with triples checked by cut-and-choose and bucket sacrifice (Araki,
// Barak, Furukawa, Lichter, Lindell, Nof, Ohara, Watzman, Weinstein,
// "Optimized honest-majority MPC for malicious adversaries", S&P 2017; the
// same check over Z_2^k needs no extra bits: Eerikson, Keller, Orlandi,
// Pullonen, Puura, Simkin, "Use your brain! Arithmetic 3PC for any modulus
// with active security", ITC 2020).
//
// For an instruction of n products (AMUL, ADOT) or n words of 64 ANDs
// (BAND):
//
//  1. N = B·n + C triples: a and b replicated sharings drawn from the
//     pairwise PRGs (consistent by construction), c = a·b by the
//     semi-honest protocol. A deviating party controls only its message,
//     so c = a·b + δ for an error δ of its choice.
//  2. A seed that did not exist when the triples were fixed: a random
//     shared value, opened. It permutes the triples; the first C are
//     opened and must have c = a·b, the others form n buckets of B.
//  3. Each bucket's first triple (a, b, c) is checked against each other
//     one (x, y, z): open ρ = a − x and σ = b − y; then t = c − z − σ·x −
//     ρ·y − ρσ = δ_c − δ_z. t is never opened: it must be 0, so each party
//     digests what the next party's component of t must be (the zero check
//     of Engine.verify).
//  4. The products with the buckets' first triples: open d = X − a and
//     e = Y − b; X·Y = c + d·b + e·a + d·e.
//
// The opens of steps 2–4 are checked like every open. A set of bad triples
// survives only if none is opened and they fill whole buckets with equal
// errors: probability max_j C(n, j) / C(N, j·B) over j ≥ 1, which
// bucketParams keeps below 2^-40 for each batch of at most 2^14 products
// (B = 4 there). Rounds: 3 (triples, seed, opens) per part of at most 2^18
// products; ring elements sent per party and product: B + 2(B − 1) + 2.

import (
	"context"
	"crypto/aes"
	"math"
	"math/bits"
	"sync"

	"github.com/mpcs/mpcs/vm"
)

// bucketBatch is the most products whose triples are permuted together:
// 2^14 products take 2^16 triples (B = 4), a few MiB that stay in cache
// while they are gathered; a larger batch would need fewer triples per
// product (B = 3 from about 2^19) but gather them from main memory, which
// costs more than the extra triple.
const bucketBatch = 1 << 14

// statSecurity is the statistical security parameter of the checks: a
// deviation goes unnoticed with probability at most 2^-statSecurity.
const statSecurity = 40

// bucketParams returns the bucket size B and the number C of opened
// triples that verify n products with the fewest triples n·B + C, for n
// rounded down to a power of two (the bound only falls as n grows, so the
// answer holds for n; a few dozen searches serve every length).
func bucketParams(n int) (B, C int) {
	n = 1 << (bits.Len(uint(n)) - 1)
	if bc, ok := bucketCache.Load(n); ok {
		return bc.([2]int)[0], bc.([2]int)[1]
	}
	defer func() { bucketCache.Store(n, [2]int{B, C}) }()
	best := math.MaxInt
	for b := 2; b <= statSecurity+2; b++ {
		// the least C for this b (the bound falls as C grows)
		lo, hi := 0, 1<<20
		if bucketBound(n, b, hi) > -statSecurity {
			continue
		}
		for lo < hi {
			mid := (lo + hi) / 2
			if bucketBound(n, b, mid) <= -statSecurity {
				hi = mid
			} else {
				lo = mid + 1
			}
		}
		if cost := n*b + lo; cost < best {
			best, B, C = cost, b, lo
		}
	}
	return B, C
}

// bucketCache holds bucketParams' answers (a search of a few ms).
var bucketCache sync.Map

// bucketBound is log2 of the probability that bad triples pass n buckets
// of b with c opened: max over j ≥ 1 of C(n, j) / C(n·b + c, j·b).
func bucketBound(n, b, c int) float64 {
	worst := math.Inf(-1)
	for j := 1; j <= min(n, 64); j++ {
		worst = max(worst, log2Binom(n, j)-log2Binom(n*b+c, j*b))
	}
	return worst
}

func log2Binom(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return (a - b - c) / math.Ln2
}

// verifiedEngine is what the VM drives under Malicious: the Engine with
// multiplications, dot products and ANDs replaced by verified ones. It
// embeds the vm.Engine interface, not *Engine, so that the VM finds no
// unverified fast path (vm.MulTruncer).
type verifiedEngine struct {
	vm.Engine
	e *Engine
}

// Open implements vm.Engine (AOPEN): the program reveals a value, so every
// check so far runs first (a deviation must not steer which values the
// program reveals, nor reveal a wrong one), and the open's own check
// before the value is used.
func (v verifiedEngine) Open(ctx context.Context, x []vm.Share) ([]vm.Vec, error) {
	return v.checkedOpen(ctx, func() ([]vm.Vec, error) { return v.e.Open(ctx, x) })
}

// BOpen implements vm.Engine (BOPEN), checked as Open.
func (v verifiedEngine) BOpen(ctx context.Context, x []vm.Share) ([]vm.Vec, error) {
	return v.checkedOpen(ctx, func() ([]vm.Vec, error) { return v.e.BOpen(ctx, x) })
}

func (v verifiedEngine) checkedOpen(ctx context.Context, open func() ([]vm.Vec, error)) ([]vm.Vec, error) {
	if err := v.e.verify(ctx); err != nil {
		return nil, err
	}
	r, err := open()
	if err != nil {
		return nil, err
	}
	if err := v.e.verify(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Mul implements vm.Engine (AMUL), verified.
func (v verifiedEngine) Mul(ctx context.Context, x, y []vm.Share) ([]vm.Share, error) {
	return v.e.verifiedMul(ctx, x, y, false)
}

// Dot implements vm.Engine (ADOT), verified: the products, then their sum.
func (v verifiedEngine) Dot(ctx context.Context, x, y []vm.Share) ([]vm.Share, error) {
	ps, err := v.e.verifiedMul(ctx, x, y, false)
	if err != nil {
		return nil, err
	}
	for g, p := range ps {
		ps[g] = v.e.ASum(p)
	}
	return ps, nil
}

// BAnd implements vm.Engine (BAND), verified.
func (v verifiedEngine) BAnd(ctx context.Context, x, y []vm.Share) ([]vm.Share, error) {
	return v.e.verifiedMul(ctx, x, y, true)
}

// shareOps are the operations of one sharing (arithmetic or boolean) that
// the verified multiplication uses.
type shareOps struct {
	e       *Engine
	boolean bool
}

func (o shareOps) add(x, y vm.Share) vm.Share {
	if o.boolean {
		return o.e.BXor(x, y)
	}
	return o.e.AAdd(x, y)
}

func (o shareOps) sub(x, y vm.Share) vm.Share {
	if o.boolean {
		return o.e.BXor(x, y)
	}
	return o.e.ASub(x, y)
}

func (o shareOps) mulP(x vm.Share, p vm.Vec) vm.Share {
	if o.boolean {
		return o.e.BAndP(x, p)
	}
	return o.e.AMulP(x, p)
}

func (o shareOps) addP(x vm.Share, p vm.Vec) vm.Share {
	if o.boolean {
		return o.e.BXorP(x, p)
	}
	return o.e.AAddP(x, p)
}

// mulPub returns a·b of public vectors.
func (o shareOps) mulPub(a, b vm.Vec) vm.Vec {
	if o.boolean {
		r := vm.NewWords(a.Len())
		vm.AndVec(64, r, a, b)
		return r
	}
	r := vm.NewVec(o.e.k, a.Len())
	vm.MulVec(o.e.k, r, a, b)
	return r
}

// rand returns n random shared elements from the numbered streams (call,
// sub): component 0 from the key shared with Prev(me), component 1 from
// the one shared with Next(me), so every component is drawn alike by both
// of its holders.
func (o shareOps) rand(call uint64, sub uint32, n int) vm.Share {
	e := o.e
	if o.boolean {
		return vm.Share{{Lo: e.prev.stream(call, sub).wordSlice(n)}, {Lo: e.next.stream(call, sub).wordSlice(n)}}
	}
	return vm.Share{e.randRing(e.prev.stream(call, sub), n), e.randRing(e.next.stream(call, sub), n)}
}

// semiMul is the semi-honest multiplication, its messages of kind "mul" or
// "and" for fault injection.
func (o shareOps) semiMul(ctx context.Context, a, b vm.Share) (vm.Share, error) {
	e := o.e
	var rs []vm.Share
	var err error
	if o.boolean {
		e.kind = "and"
		rs, err = e.BAnd(ctx, []vm.Share{a}, []vm.Share{b})
	} else {
		e.kind = "mul"
		rs, err = e.Mul(ctx, []vm.Share{a}, []vm.Share{b})
	}
	e.kind = ""
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

func (o shareOps) open(ctx context.Context, xs []vm.Share) ([]vm.Vec, error) {
	if o.boolean {
		return o.e.open(ctx, xs, 64, true)
	}
	return o.e.open(ctx, xs, o.e.k, false)
}

// flatten concatenates the groups of x, each broadcast to lens[g].
func (o shareOps) flatten(x []vm.Share, lens []int) vm.Share {
	n := 0
	for _, l := range lens {
		n += l
	}
	k := o.e.k
	if o.boolean {
		k = 64
	}
	r := vm.Share{vm.NewVec(k, n), vm.NewVec(k, n)}
	off := 0
	for g, s := range x {
		for c := range 2 {
			v := s[c]
			if !o.boolean {
				v = o.e.norm(v)
			}
			copyBroadcast(subVec(r[c], off, off+lens[g]), v)
		}
		off += lens[g]
	}
	return r
}

// copyBroadcast copies src into dst, repeating a length-1 src.
func copyBroadcast(dst, src vm.Vec) {
	if src.Len() == dst.Len() {
		copy(dst.Lo, src.Lo)
		copy(dst.Hi, src.Hi)
		return
	}
	for i := range dst.Lo {
		dst.Lo[i] = src.Lo[0]
	}
	for i := range dst.Hi {
		dst.Hi[i] = src.Hi[0]
	}
}

// gatherTriples returns the triples idx of (a, b, c). The indexes of one
// call stay within one batch's triples, a few MiB that stay in cache.
func gatherTriples(a, b, c vm.Share, idx []int32) (ga, gb, gc vm.Share) {
	return gather(a, idx), gather(b, idx), gather(c, idx)
}

// gather returns the elements idx of s.
func gather(s vm.Share, idx []int32) vm.Share {
	r := make(vm.Share, 2)
	for c := range 2 {
		v := vm.Vec{Lo: make([]uint64, len(idx))}
		for i, j := range idx {
			v.Lo[i] = s[c].Lo[j]
		}
		if s[c].Hi != nil {
			v.Hi = make([]uint64, len(idx))
			for i, j := range idx {
				v.Hi[i] = s[c].Hi[j]
			}
		}
		r[c] = v
	}
	return r
}

// permutation returns a uniformly random permutation of [0, n) drawn from
// g (Fisher–Yates; indexes by multiply-shift, bias below n/2^64).
func permutation(g *keyStream, n int) []int32 {
	p := make([]int32, n)
	for i := range p {
		p[i] = int32(i)
	}
	r := make([]uint64, min(n, 4096))
	for i := n - 1; i > 0; i-- {
		if (n-1-i)%len(r) == 0 {
			g.words(r)
		}
		j, _ := bits.Mul64(r[(n-1-i)%len(r)], uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// verifiedMul multiplies (or ANDs) the groups of x and y with verified
// triples (see the top of this file).
func (e *Engine) verifiedMul(ctx context.Context, x, y []vm.Share, boolean bool) ([]vm.Share, error) {
	o := shareOps{e: e, boolean: boolean}
	lens := make([]int, len(x))
	n := 0
	for g := range x {
		lens[g] = blen(x[g].Len(), y[g].Len())
		n += lens[g]
	}
	if n == 0 {
		rs := make([]vm.Share, len(x))
		for g := range rs {
			rs[g] = o.flatten(nil, nil)
		}
		return rs, nil
	}
	X, Y := o.flatten(x, lens), o.flatten(y, lens)
	// long vectors in parts, one after the other (3 rounds each), so that
	// only one part's triples are in memory at once
	part := verifiedPartBytes / 16
	if boolean || e.k == 64 {
		part = verifiedPartBytes / 8
	}
	kz := e.k
	if boolean {
		kz = 64
	}
	z := vm.Share{vm.NewVec(kz, n), vm.NewVec(kz, n)}
	for lo := 0; lo < n; lo += part {
		hi := min(n, lo+part)
		zp, err := e.verifiedMulFlat(ctx, o, vm.Share{subVec(X[0], lo, hi), subVec(X[1], lo, hi)},
			vm.Share{subVec(Y[0], lo, hi), subVec(Y[1], lo, hi)})
		if err != nil {
			return nil, err
		}
		for c := range 2 {
			copy(z[c].Lo[lo:hi], zp[c].Lo)
			if z[c].Hi != nil {
				copy(z[c].Hi[lo:hi], zp[c].Hi)
			}
		}
	}
	return groupShares(z[0], z[1], lens), nil
}

// verifiedPartBytes bounds the products (in bytes of one component: 2^18
// products at k = 128, 2^19 words of ANDs) one verified multiplication
// handles at once: their triples and copies take a few hundred MiB. A
// smaller part takes less memory and more rounds. (A variable for the
// tests.)
var verifiedPartBytes = 1 << 22

// verifiedMulFlat multiplies the flat shares X and Y with verified triples.
func (e *Engine) verifiedMulFlat(ctx context.Context, o shareOps, X, Y vm.Share) (vm.Share, error) {
	boolean := o.boolean
	n := X.Len()
	// the products in batches of at most bucketBatch, each with triples
	// of its own (a deviation anywhere aborts the run, so each batch's
	// bound is the run's)
	nb := (n + bucketBatch - 1) / bucketBatch
	B, C := bucketParams(n / nb)
	N := n*B + nb*C
	call := e.newCall()

	// 1. the triples
	a, b := o.rand(call, 1, N), o.rand(call, 2, N)
	c, err := o.semiMul(ctx, a, b)
	if err != nil {
		return nil, err
	}
	// 2. the seed, opened after the triples are fixed
	sw := shareOps{e: e, boolean: true}.rand(call, 3, 2)
	seedW, err := e.open(ctx, []vm.Share{sw}, 64, true)
	if err != nil {
		return nil, err
	}
	blk, err := aes.NewCipher(wordsToBytes(seedW[0].Lo, 16))
	if err != nil {
		return nil, err
	}
	// batch j holds products [lo_j, hi_j) and triples [t_j, t_j + m_j·B + C),
	// permuted among themselves: its first C are opened, then its buckets
	main := make([]int32, n)
	other := make([][]int32, B-1)
	for s := range other {
		other[s] = make([]int32, n)
	}
	cut := make([]int32, 0, nb*C)
	t := 0
	for j := range nb {
		lo, hi := j*n/nb, (j+1)*n/nb
		m := hi - lo
		perm := permutation(newKeyStream(blk, uint64(j), 0), m*B+C)
		for _, p := range perm[:C] {
			cut = append(cut, int32(t)+p)
		}
		for i := range m {
			main[lo+i] = int32(t) + perm[C+i*B]
			for s := range other {
				other[s][lo+i] = int32(t) + perm[C+i*B+1+s]
			}
		}
		t += m*B + C
	}
	// 3–4. one round of opens: d, e, then ρ, σ of every sacrifice, then the
	// opened triples
	am, bm, cm := gatherTriples(a, b, c, main)
	opens := []vm.Share{o.sub(X, am), o.sub(Y, bm)}
	others := make([][3]vm.Share, B-1)
	for s, idx := range other {
		xs, ys, zs := gatherTriples(a, b, c, idx)
		others[s] = [3]vm.Share{xs, ys, zs}
		opens = append(opens, o.sub(am, xs), o.sub(bm, ys))
	}
	ca, cb, cc := gatherTriples(a, b, c, cut)
	a, b, c = nil, nil, nil
	opens = append(opens, ca, cb, cc)
	pub, err := o.open(ctx, opens)
	if err != nil {
		return nil, err
	}
	// the opened triples
	if C > 0 && !e.isCheater() {
		ab := o.mulPub(pub[len(pub)-3], pub[len(pub)-2])
		if !vecEqual(ab, pub[len(pub)-1]) {
			return nil, &CheatError{Step: "triple", Detector: e.me}
		}
	}
	// the sacrifices: t = c − z − σ·x − ρ·y − ρσ must be 0
	for s, t := range others {
		rho, sigma := pub[2+2*s], pub[3+2*s]
		v := o.sub(o.sub(o.sub(cm, t[2]), o.mulP(t[0], sigma)), o.mulP(t[1], rho))
		v = o.addP(v, o.negPub(o.mulPub(rho, sigma)))
		e.noteZero(v, boolean)
	}
	// the products: c + d·b + e·a + d·e
	d, ee := pub[0], pub[1]
	return o.addP(o.add(o.add(cm, o.mulP(bm, d)), o.mulP(am, ee)), o.mulPub(d, ee)), nil
}

// negPub returns −p (p itself for the boolean sharing).
func (o shareOps) negPub(p vm.Vec) vm.Vec {
	if o.boolean {
		return p
	}
	r := vm.NewVec(o.e.k, p.Len())
	vm.NegVec(o.e.k, r, p)
	return r
}

// vecEqual reports whether a and b hold the same elements.
func vecEqual(a, b vm.Vec) bool {
	if a.Len() != b.Len() {
		return false
	}
	for i := range a.Lo {
		if a.Lo[i] != b.Lo[i] {
			return false
		}
	}
	for i := range a.Hi {
		if a.Hi[i] != b.Hi[i] {
			return false
		}
	}
	return true
}
