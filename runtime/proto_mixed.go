package runtime

// Mixed-knowledge rounds: the building block of comparisons, truncation and
// conversions.
//
// Any replicated sharing splits, for a chosen party U, into a part U knows
// alone and a part both other parties know: for an arithmetic share
// x = a + b with a = x_U + x_{U+1} (U's two components) and b = x_{U+2}
// (held by U+1 and U+2); for a boolean one x = c ⊕ d likewise. Let N = U+1
// and R = U+2 = U-1. A function that is a sum of products u·v, with u known
// to U and v known to N and R, is computed in ONE round with a replicated
// result:
//
//	U sends  e_N = u + σ to N   (σ from the key of R and U, unknown to N)
//	         e_R = u + τ to R   (τ from the key of U and N, unknown to R)
//	N sends  B_N = Σ τ·v + ρ_N to R
//	R sends  B_R = Σ σ·v + ρ_U to N
//
// and the shares are y_U = ρ_U, y_N = ρ_N (PRG values the pairs know) and
// y_R = Σ u·v + C − ρ_U − ρ_N, which N computes as Σ e_N·v − B_R − ρ_N + C
// and R as Σ e_R·v − B_N − ρ_U + C (C is a term N and R know). N sees u
// masked by σ and B_R masked by ρ_U; R symmetrically; U receives nothing.
// The same holds over GF(2) with XOR for +/−.
//
// windowRound uses this over GF(2) on 4-bit windows of a k-bit addition
// a + b (or comparison): any function of the window's bits of a and b is a
// sum of products A_S·H_S(b) over the 15 monomials A_S = ∏_{i∈S} a_i of U's
// bits, and for the carry-lookahead functions (generate G, propagate P,
// in-window prefixes, equality) every H_S is a single monomial of b. So U
// sends 15 masked bits per window to each of N and R, N and R one bit per
// output, and the first layer of a comparison is done in one round without
// any AND gates. inject uses it over Z_2^k to convert bits known in mixed
// form (c ⊕ d, c at U, d at N and R) into arithmetic shares: c ⊕ d =
// d + c·(1 − 2d).

import (
	"context"
	"math/bits"
	"sync"
)

// Roles of a mixed round, relative to the party U that holds the u side.
const (
	roleU = iota
	roleN
	roleR
)

func (e *Engine) role(u int) int {
	switch e.me {
	case u:
		return roleU
	case Next(u):
		return roleN
	}
	return roleR
}

// mixedSplitA returns, for element i of the arithmetic share x, U's part
// a = x_U + x_N (at U) or the others' part b = x_R (at N and R).
func (e *Engine) mixedSplitA(u int, x0, x1 u128) u128 {
	switch e.role(u) {
	case roleU:
		return x0.add(x1)
	case roleN:
		return x1
	}
	return x0
}

// ---- window functions ----

// noTerm marks an absent monomial in windowFunc tables.
const noTerm = 0xFF

// windowFunc describes the outputs of a window round: output o is
// ⊕_S A_S·B_{t[o][S]} over the subsets S of the window's 4 bits (as masks,
// bit i = window bit i; S = 0 is the term the V parties know alone).
type windowFunc struct {
	t [][16]uint8
}

func (f *windowFunc) nOut() int { return len(f.t) }

// gTerms is the carry out of window bits 0..t: G = ⊕_{j≤t} a_j b_j
// ∏_{j<i≤t} (a_i ⊕ b_i); the monomial A_S (j = min S) multiplies
// B_{{j} ∪ ((j,t] \ S)}.
func gTerms(t int) [16]uint8 {
	var r [16]uint8
	full := uint8(2<<t - 1)
	for s := range 16 {
		r[s] = noTerm
		if s == 0 || uint8(s)&^full != 0 {
			continue
		}
		j := bits.TrailingZeros8(uint8(s))
		above := full &^ uint8(2<<j-1)
		r[s] = 1<<j | above&^uint8(s)
	}
	return r
}

// pTerms is the propagate of window bits 0..t: ∏ (a_i ⊕ b_i) = ⊕_S A_S
// B_{[0,t] \ S}.
func pTerms(t int) [16]uint8 {
	var r [16]uint8
	full := uint8(2<<t - 1)
	for s := range 16 {
		r[s] = noTerm
		if uint8(s)&^full == 0 {
			r[s] = full &^ uint8(s)
		}
	}
	return r
}

// xorTerms is a_t ⊕ b_t.
func xorTerms(t int) [16]uint8 {
	var r [16]uint8
	for s := range r {
		r[s] = noTerm
	}
	r[1<<t] = 0
	r[0] = 1 << t
	return r
}

var (
	// fnGP: the generate and propagate of whole windows (comparisons).
	fnGP = &windowFunc{t: [][16]uint8{gTerms(3), pTerms(3)}}
	// fnEq: all four bits equal, ∏ (a_i ⊕ b'_i) with b' = ¬b supplied by
	// the caller.
	fnEq = &windowFunc{t: [][16]uint8{pTerms(3)}}
	// fnPrefix: in-window prefixes G_{0..t}, P_{0..t} (t = 0..3) and the
	// propagate bits p_1..p_3 (p_0 = P_{0..0}), for a full adder.
	fnPrefix = &windowFunc{t: [][16]uint8{
		gTerms(0), gTerms(1), gTerms(2), gTerms(3),
		pTerms(0), pTerms(1), pTerms(2), pTerms(3),
		xorTerms(1), xorTerms(2), xorTerms(3)}}
)

// monomials sets m[S] = ∏_{i∈S} l[i] for S = 0..15 (m[0] all ones), on
// words of lanes.
func monomials(m *[16]uint64, l *[4]uint64) {
	m[0] = ^uint64(0)
	for s := 1; s < 16; s++ {
		m[s] = m[s&(s-1)] & l[bits.TrailingZeros8(uint8(s))]
	}
}

// eval computes output o from the U-side values ev[S] (masked monomials)
// and the V-side monomials bm[T]; withConst adds the V-only term.
func (f *windowFunc) eval(o int, ev, bm *[16]uint64, withConst bool) uint64 {
	t := &f.t[o]
	var y uint64
	if withConst && t[0] != noTerm {
		y = bm[t[0]&15]
	}
	for s := 1; s < 16; s++ {
		if tt := t[s]; tt != noTerm {
			y ^= ev[s] & bm[tt&15]
		}
	}
	return y
}

// ---- lanes: the windows of a value, one bit per window in each of 4 words ----

// laneTable maps an L-bit value (L = 4·nW) to four lane words of nW bits:
// bit i of window j goes to lane i, position j (natural) or the bit
// reversal of j over log2(nW) bits (reversed: a tree that pairs lane p
// with lane p + n/2 then combines adjacent windows).
type laneTable struct {
	L, nW int
	tab   [][256][4]uint32
}

var laneTables [2][6]struct {
	once sync.Once
	t    *laneTable
}

// lanesFor returns the lane table of L bits (4..128, a power of two).
func lanesFor(L int, rev bool) *laneTable {
	idx := bits.TrailingZeros(uint(L)) - 2
	r := 0
	if rev {
		r = 1
	}
	ent := &laneTables[r][idx]
	ent.once.Do(func() { ent.t = newLaneTable(L, rev) })
	return ent.t
}

func newLaneTable(L int, rev bool) *laneTable {
	nW := L / 4
	lg := bits.TrailingZeros(uint(nW))
	nb := (L + 7) / 8
	t := &laneTable{L: L, nW: nW, tab: make([][256][4]uint32, nb)}
	for q := 0; q < nb; q++ {
		for v := range 256 {
			var out [4]uint32
			for b := range 8 {
				pos := 8*q + b
				if v>>b&1 == 0 || pos >= L {
					continue
				}
				j, i := pos/4, pos%4
				p := j
				if rev && lg > 0 {
					p = int(bits.Reverse32(uint32(j)) >> (32 - lg))
				}
				out[i] |= 1 << p
			}
			t.tab[q][v] = out
		}
	}
	return t
}

// lanes returns the lane words of the low L bits of x.
func (t *laneTable) lanes(x u128) [4]uint32 {
	var r [4]uint32
	w := x.lo
	for q := range t.tab {
		if q == 8 {
			w = x.hi
		}
		v := &t.tab[q][uint8(w)]
		r[0] |= v[0]
		r[1] |= v[1]
		r[2] |= v[2]
		r[3] |= v[3]
		w >>= 8
	}
	return r
}

// ---- arithmetic injection ----

// injJob describes a mixed sum to share arithmetically: for every element
// i, Σ_j u_ij·v_ij + u0_i + c_i, where u and u0 are known to U, v and c to
// N and R. v_ij must be a multiple of 2^(k - width(i, j)), so that u_ij is
// needed modulo 2^width only.
type injJob struct {
	n, J  int
	width func(i, j int) uint
	hasU0 bool
	// At U:
	u  []u128 // n*J
	u0 []u128 // n (if hasU0)
	// At N and R:
	v []u128 // n*J
	c []u128 // n
}

// inject runs the job in one round and returns this party's arithmetic
// shares (components of ring k) of the n results.
func (e *Engine) inject(ctx context.Context, u int, job *injJob) ([2][]u128, error) {
	k := e.k
	n, J := job.n, job.J
	kw := k / 64
	eb := ringBytes(k)
	// the widths of the masked values, and whether all are k bits
	wd := make([]uint8, n*J)
	maskBits, full := 0, true
	for i := 0; i < n; i++ {
		for j := 0; j < J; j++ {
			w := job.width(i, j)
			wd[i*J+j] = uint8(w)
			maskBits += int(w)
			full = full && w == uint(k)
		}
	}
	maskBytes := bytesFor(maskBits)
	role := e.role(u)
	nParty, rParty := Next(u), Prev(u)
	var sh [2][]u128
	sh[0], sh[1] = make([]u128, n), make([]u128, n)
	ringRead := func(w []uint64, i int) u128 {
		if kw == 1 {
			return u128{w[i], 0}
		}
		return u128{w[2*i], w[2*i+1]}
	}
	putElems := func(xs []u128) []byte {
		w := make([]uint64, len(xs)*kw)
		for i, x := range xs {
			w[kw*i] = x.lo
			if kw == 2 {
				w[2*i+1] = x.hi
			}
		}
		return wordsToBytes(w, len(xs)*eb)
	}
	// maskReader reads the n*J values of a mask stream (or masked stream)
	// in order.
	type maskReader struct {
		w []uint64
		i int
		r bitReader
	}
	newReader := func(w []uint64) *maskReader { return &maskReader{w: w, r: bitReader{w: w}} }
	next := func(m *maskReader) u128 {
		var x u128
		if full {
			x = ringRead(m.w, m.i)
		} else {
			x = m.r.get128(uint(wd[m.i]))
		}
		m.i++
		return x
	}
	if role == roleU {
		kRU, kUN := e.keyWith(rParty).g[prgRand], e.keyWith(nParty).g[prgRand]
		sigma := newReader(kRU.bytesWords(maskBytes))
		rhoU := kRU.bytesWords(n * eb)
		tau := newReader(kUN.bytesWords(maskBytes))
		rhoN := kUN.bytesWords(n * eb)
		var rhoP []uint64
		if job.hasU0 {
			rhoP = kUN.bytesWords(n * eb)
		}
		var msgN, msgR []byte
		if full {
			eN, eR := make([]u128, n*J), make([]u128, n*J)
			for i, x := range job.u {
				eN[i] = e.mask(x.add(next(sigma)))
				eR[i] = e.mask(x.add(next(tau)))
			}
			msgN, msgR = putElems(eN), putElems(eR)
		} else {
			eN, eR := newBitWriter(maskBits), newBitWriter(maskBits)
			for i, x := range job.u {
				w := uint(wd[i])
				eN.put128(x.add(next(sigma)).low(w), w)
				eR.put128(x.add(next(tau)).low(w), w)
			}
			msgN, msgR = wordsToBytes(eN.w, maskBytes), wordsToBytes(eR.w, maskBytes)
		}
		if job.hasU0 {
			d := make([]u128, n)
			for i := range d {
				d[i] = e.mask(job.u0[i].sub(ringRead(rhoP, i)))
				sh[0][i] = e.mask(ringRead(rhoU, i).add(d[i]))
				sh[1][i] = e.mask(ringRead(rhoN, i).add(ringRead(rhoP, i)))
			}
			msgR = append(msgR, putElems(d)...)
		} else {
			for i := 0; i < n; i++ {
				sh[0][i] = ringRead(rhoU, i)
				sh[1][i] = ringRead(rhoN, i)
			}
		}
		var out [3][]byte
		out[nParty], out[rParty] = msgN, msgR
		if _, err := e.round(ctx, out, [3]int{-1, -1, -1}); err != nil {
			return sh, err
		}
		return sh, nil
	}
	key := e.keyWith(u).g[prgRand]
	mk := key.bytesWords(maskBytes)
	rho := key.bytesWords(n * eb)
	var rhoP []uint64
	if role == roleN && job.hasU0 {
		rhoP = key.bytesWords(n * eb)
	}
	other := rParty
	if role == roleR {
		other = nParty
	}
	// Σ_j m_ij·v_ij for the mask (or masked value) stream m.
	dot := func(w []uint64) []u128 {
		m := newReader(w)
		res := make([]u128, n)
		for i := 0; i < n; i++ {
			var s u128
			for j := 0; j < J; j++ {
				s = s.add(next(m).mul(job.v[i*J+j]))
			}
			res[i] = s
		}
		return res
	}
	corr := dot(mk)
	for i := range corr {
		corr[i] = e.mask(corr[i].add(ringRead(rho, i)))
	}
	var out [3][]byte
	out[other] = putElems(corr)
	want := [3]int{-1, -1, -1}
	want[u] = maskBytes
	if role == roleR && job.hasU0 {
		want[u] += n * eb
	}
	want[other] = n * eb
	in, err := e.round(ctx, out, want)
	if err != nil {
		return sh, err
	}
	fromU := in[u]
	got := dot(bytesToWords(fromU[:maskBytes]))
	ow := bytesToWords(in[other])
	for i := 0; i < n; i++ {
		yr := e.mask(got[i].sub(ringRead(ow, i)).sub(ringRead(rho, i)).add(job.c[i]))
		if role == roleN {
			yn := ringRead(rho, i)
			if job.hasU0 {
				yn = yn.add(ringRead(rhoP, i))
			}
			sh[0][i], sh[1][i] = e.mask(yn), yr
		} else {
			sh[0][i], sh[1][i] = yr, ringRead(rho, i)
		}
	}
	if role == roleR && job.hasU0 {
		dw := bytesToWords(fromU[maskBytes:])
		for i := 0; i < n; i++ {
			sh[1][i] = e.mask(sh[1][i].add(ringRead(dw, i)))
		}
	}
	return sh, nil
}
