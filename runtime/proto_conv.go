package runtime

// Conversions between arithmetic and boolean shares.
//
// A2B: with x = a + b (a known to U, b to N and R), the bits of a + b come
// from a parallel-prefix adder whose first layer is one window round: for
// every window of 4 bits it yields the in-window prefixes G_{0..t} and
// P_{0..t} and the propagate bits p_t = a_t ⊕ b_t, already as replicated
// boolean shares and without AND gates. A Sklansky adder then doubles the
// prefix span per round (8, 16, 32, 64 and for word 1 of a 128-bit ring
// 128): 1 + log2(L/4) rounds for L result bits, 5 for the low word and 6
// for the high word of a 128-bit value. The sum is p ⊕ (carries << 1),
// local. Word 1 of a 64-bit ring (the sign extension) spreads bit 63.
//
// B2A (a 64-bit word read as signed): the word is c ⊕ d (c known to U, d to
// N and R), so its value is Σ_j coef_j·(d_j + c_j·(1 − 2d_j)) with coef_j =
// 2^j and coef_63 = −2^63; the 64 products are injected in one round (U
// masks bit j modulo 2^(k−j) only, since it is multiplied by 2^j). One round
// instead of an adder's log-depth, at some bytes: B2A serves sbits
// comparisons and conversions on short vectors.

import (
	"context"

	"github.com/mpcs/mpcs/vm"
)

// spread16 moves bit j of the 16-bit x to bit 4j.
func spread16(x uint64) uint64 {
	x &= 0xFFFF
	x = (x | x<<24) & 0x000000FF000000FF
	x = (x | x<<12) & 0x000F000F000F000F
	x = (x | x<<6) & 0x0303030303030303
	x = (x | x<<3) & 0x1111111111111111
	return x
}

// lanesToBits places lanes l[t] (nW = L/4 windows, natural order) at bits
// 4j + t of an L-bit value.
func lanesToBits(l [4]uint32, nW int) u128 {
	var r u128
	for t := range 4 {
		r.lo |= spread16(uint64(l[t])) << t
		if nW > 16 {
			r.hi |= spread16(uint64(l[t]>>16)) << t
		}
	}
	return r
}

// andWords computes z = x ∧ y on n-word vectors of replicated boolean
// shares (one round).
func (e *Engine) andWords(ctx context.Context, x, y [2][]uint64) ([2][]uint64, error) {
	n := len(x[0])
	w := make([]uint64, n)
	for i := range w {
		w[i] = x[0][i]&(y[0][i]^y[1][i]) ^ x[1][i]&y[0][i]
	}
	xorWords(w, e.next.g[prgZero].wordSlice(n))
	xorWords(w, e.prev.g[prgZero].wordSlice(n))
	var out [3][]byte
	out[Prev(e.me)] = wordsToBytes(w, 8*n)
	want := [3]int{-1, -1, -1}
	want[Next(e.me)] = 8 * n
	in, err := e.round(ctx, out, want)
	if err != nil {
		return [2][]uint64{}, err
	}
	return [2][]uint64{w, bytesToWords(in[Next(e.me)])}, nil
}

// Sklansky masks: blockLow[h] has a bit at every multiple of 2h, upper[h]
// the upper halves of the 2h-bit blocks (within a 64-bit word, h < 64).
func sklanskyMasks(h uint) (blockLow, upper uint64) {
	for p := uint(0); p < 64; p += 2 * h {
		blockLow |= 1 << p
		upper |= (1<<h - 1) << (p + h)
	}
	return
}

// expandHalf is the inverse of compactHalf: the h-bit fields of the low 32
// bits of x go to the bottom of every 2h-bit group.
func expandHalf(x uint64, h uint) uint64 {
	switch h {
	case 16:
		x = (x | x<<16) & 0x0000FFFF0000FFFF
	case 8:
		x = (x | x<<16) & 0x0000FFFF0000FFFF
		x = (x | x<<8) & 0x00FF00FF00FF00FF
	case 4:
		x = (x | x<<16) & 0x0000FFFF0000FFFF
		x = (x | x<<8) & 0x00FF00FF00FF00FF
		x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	case 2:
		x = (x | x<<16) & 0x0000FFFF0000FFFF
		x = (x | x<<8) & 0x00FF00FF00FF00FF
		x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
		x = (x | x<<2) & 0x3333333333333333
	case 1:
		x = (x | x<<16) & 0x0000FFFF0000FFFF
		x = (x | x<<8) & 0x00FF00FF00FF00FF
		x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
		x = (x | x<<2) & 0x3333333333333333
		x = (x | x<<1) & 0x5555555555555555
	}
	return x
}

// A2B implements vm.Engine: word w of every element as boolean shares.
func (e *Engine) A2B(ctx context.Context, x []vm.Share, ws []uint) ([]vm.Share, error) {
	k := e.k
	u := mixedU
	L := 64
	for g, w := range ws {
		if k == 128 && w == 1 && x[g].Len() > 0 {
			L = 128
		}
	}
	x0, x1 := flatA(x)
	n := len(x0)
	nW := L / 4
	vals := make([]u128, n)
	for i := 0; i < n; i++ {
		vals[i] = e.mixedSplitA(u, x0[i], x1[i]).low(uint(L))
	}
	y, err := e.windowRound(ctx, u, lanesFor(L, false), vals, fnPrefix)
	if err != nil {
		return nil, err
	}
	// Bit layout: G[c][i], P[c][i], p[c][i] as L-bit values.
	nw := L / 64
	var G, P, pp [2][]uint64
	for c := range 2 {
		G[c], P[c], pp[c] = make([]uint64, n*nw), make([]uint64, n*nw), make([]uint64, n*nw)
		for i := 0; i < n; i++ {
			var o [11]uint32
			for j := range o {
				o[j] = uint32(y.lane(c, i, j))
			}
			g := lanesToBits([4]uint32{o[0], o[1], o[2], o[3]}, nW)
			p := lanesToBits([4]uint32{o[4], o[5], o[6], o[7]}, nW)
			q := lanesToBits([4]uint32{o[4], o[8], o[9], o[10]}, nW)
			G[c][i*nw], P[c][i*nw], pp[c][i*nw] = g.lo, p.lo, q.lo
			if nw == 2 {
				G[c][i*nw+1], P[c][i*nw+1], pp[c][i*nw+1] = g.hi, p.hi, q.hi
			}
		}
	}
	// Sklansky levels: for bits in the upper half of each 2h-block,
	// (G, P) <- (G ⊕ P·G_lo, P·P_lo) with lo the block's bit h-1. Only the
	// upper halves take part: they are compacted to 32 bits per word for
	// the G gate and 32 for the P gate, one word per word of the value.
	for h := uint(4); h < uint(L); h *= 2 {
		var xx, yy [2][]uint64
		if h < 64 {
			bl, _ := sklanskyMasks(h)
			r := repMask(2*h, h)
			ones := uint64(1)<<h - 1
			for c := range 2 {
				xx[c], yy[c] = make([]uint64, n*nw), make([]uint64, n*nw)
				for j := 0; j < n*nw; j++ {
					x := compactHalf(P[c][j]>>h&r, h)
					yg := compactHalf((G[c][j]>>(h-1)&bl)*ones, h)
					yp := compactHalf((P[c][j]>>(h-1)&bl)*ones, h)
					xx[c][j] = x | x<<32
					yy[c][j] = yg | yp<<32
				}
			}
		} else { // h = 64, L = 128: the low word's bit 63 to the whole high word
			for c := range 2 {
				xx[c], yy[c] = make([]uint64, 2*n), make([]uint64, 2*n)
				for i := 0; i < n; i++ {
					xx[c][2*i], xx[c][2*i+1] = P[c][2*i+1], P[c][2*i+1]
					yy[c][2*i] = -(G[c][2*i] >> 63)
					yy[c][2*i+1] = -(P[c][2*i] >> 63)
				}
			}
		}
		z, err := e.andWords(ctx, xx, yy)
		if err != nil {
			return nil, err
		}
		for c := range 2 {
			if h == 64 {
				for i := 0; i < n; i++ {
					G[c][2*i+1] ^= z[c][2*i]
					P[c][2*i+1] = z[c][2*i+1]
				}
				continue
			}
			_, up := sklanskyMasks(h)
			for j := 0; j < n*nw; j++ {
				G[c][j] ^= expandHalf(z[c][j]&0xFFFFFFFF, h) << h
				P[c][j] = P[c][j]&^up | expandHalf(z[c][j]>>32, h)<<h
			}
		}
	}
	// Sum bits s = p ⊕ (G << 1), then the requested word.
	rs := make([]vm.Share, len(x))
	off := 0
	for g, s := range x {
		r := newB(s.Len())
		for i := 0; i < s.Len(); i++ {
			j := (off + i) * nw
			for c := range 2 {
				lo := pp[c][j] ^ G[c][j]<<1
				var w uint64
				switch {
				case ws[g] == 0:
					w = lo
				case k == 64:
					w = -(lo >> 63)
				default:
					w = pp[c][j+1] ^ (G[c][j+1]<<1 | G[c][j]>>63)
				}
				r[c].Lo[i] = w
			}
		}
		off += s.Len()
		rs[g] = r
	}
	return rs, nil
}

// B2A implements vm.Engine: every word read as signed, in one round.
func (e *Engine) B2A(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	u := mixedU
	n := 0
	for _, s := range x {
		n += s.Len()
	}
	mixed := make([]uint64, 0, 64*n)
	for _, s := range x {
		for i := range s[0].Lo {
			var w uint64
			switch e.role(u) {
			case roleU:
				w = s[0].Lo[i] ^ s[1].Lo[i]
			case roleN:
				w = s[1].Lo[i]
			default:
				w = s[0].Lo[i]
			}
			for j := range 64 {
				mixed = append(mixed, w>>j&1)
			}
		}
	}
	one := u128{1, 0}
	coef := func(_, j int) u128 {
		if j == 63 {
			return e.mask(one.shl(63).neg())
		}
		return one.shl(uint(j))
	}
	sh, err := e.inject(ctx, u, e.bitsJob(u, n, 64, mixed, coef, nil))
	if err != nil {
		return nil, err
	}
	return e.toShares(sh, shareLens(x)), nil
}
