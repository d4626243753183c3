package runtime

// The window round and the log-depth trees of comparisons, on packed lanes.
//
// Layout. An element's window bits form 4 lanes of nW bits (the lane
// tables of proto_mixed.go). Lanes are processed SWAR: a word holds the lanes
// of E = 64/seg elements (seg = nW bits each), so one AND gate on a word
// evaluates E elements' windows at once. A vector of "blocks" stores, for
// every group of E elements, per words (one per output), block after block.
// On the wire a block vector is its words, except that the last, partial
// block contributes only its elements' bits: n·seg bits per output, no
// padding, no framing.
//
// Trees. After a window round every element holds its windows' generate and
// propagate bits (G, P), in bit-reversed window order so that lane p and
// lane p + s/2 are adjacent windows (the one at p the less significant). A
// level combines them,
//
//	G = G_hi ⊕ P_hi·G_lo,   P = P_hi·P_lo,
//
// with both ANDs in one gate of s bits (P_hi duplicated): one replicated AND
// round whose operands fill their segments, then the halves are compacted
// so that the next level's words are full again. The last level computes G
// only. After log2(nW) levels one bit per element remains: the carry out.
// The AND tree of an equality test is the same with one AND per pair.

import (
	"context"
)

// blocks is a vector of n elements' lanes, seg bits each, per words per
// block, for both components of a replicated share.
type blocks struct {
	n, seg, per int
	w           [2][]uint64
}

func nBlocks(n, seg int) int {
	e := 64 / seg
	return (n + e - 1) / e
}

// rep returns the mask with the low width bits of every period-bit group
// set (period divides 64).
func rep(period, width uint) uint64 {
	var m uint64
	for p := uint(0); p < 64; p += period {
		m |= (1<<width - 1) << p
	}
	return m
}

// repMask is rep(s, s/2) for the segment widths of the trees.
func repMask(s, h uint) uint64 {
	switch s {
	case 2:
		return 0x5555555555555555
	case 4:
		return 0x3333333333333333
	case 8:
		return 0x0F0F0F0F0F0F0F0F
	case 16:
		return 0x00FF00FF00FF00FF
	case 32:
		return 0x0000FFFF0000FFFF
	case 64:
		return 0x00000000FFFFFFFF
	}
	return rep(s, h)
}

// compactHalf takes fields of h bits at the bottom of every 2h-bit group
// (other bits zero) to the low 32 bits, contiguous, in order.
func compactHalf(x uint64, h uint) uint64 {
	switch h {
	case 1:
		x = (x | x>>1) & 0x3333333333333333
		fallthrough
	case 2:
		x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
		fallthrough
	case 4:
		x = (x | x>>4) & 0x00FF00FF00FF00FF
		fallthrough
	case 8:
		x = (x | x>>8) & 0x0000FFFF0000FFFF
		fallthrough
	case 16:
		x = (x | x>>16) & 0x00000000FFFFFFFF
	}
	return x
}

// compactBlocks turns block words of segments s whose low s/2 bits are used
// into block words of segments s/2 (half as many words).
func compactBlocks(w []uint64, s uint) []uint64 {
	h := s / 2
	out := make([]uint64, (len(w)+1)/2)
	for j := range out {
		lo := compactHalf(w[2*j], h)
		var hi uint64
		if 2*j+1 < len(w) {
			hi = compactHalf(w[2*j+1], h)
		}
		out[j] = lo | hi<<32
	}
	return out
}

// encodeBlocks packs block-major words into the wire stream: full blocks
// as they are, the last partial block cut to its elements' bits.
func encodeBlocks(w []uint64, n, seg, per int) []uint64 {
	e := 64 / seg
	full, r := n/e, n%e
	if r == 0 {
		return w[:full*per]
	}
	out := make([]uint64, wordsFor(per*n*seg))
	copy(out, w[:full*per])
	if r > 0 {
		bw := bitWriter{w: out, n: uint(full * per * 64)}
		for j := 0; j < per; j++ {
			bw.put(w[full*per+j], uint(r*seg))
		}
	}
	return out
}

// decodeBlocks is the inverse of encodeBlocks.
func decodeBlocks(s []uint64, n, seg, per int) []uint64 {
	e := 64 / seg
	full, r := n/e, n%e
	if r == 0 {
		return s[:full*per]
	}
	out := make([]uint64, (full+1)*per)
	copy(out, s[:full*per])
	if r > 0 {
		br := bitReader{w: s, n: uint(full * per * 64)}
		for j := 0; j < per; j++ {
			out[full*per+j] = br.get(uint(r * seg))
		}
	}
	return out
}

// laneBlocks maps n values to block lanes: 4 words per block, lane i of
// element e in bits [e·seg, (e+1)·seg) of word i.
func laneBlocks(lt *laneTable, vals []u128) []uint64 {
	seg := lt.nW
	e := 64 / seg
	out := make([]uint64, 4*nBlocks(len(vals), seg))
	for i, v := range vals {
		l := lt.lanes(v)
		b, sh := 4*(i/e), uint(i%e*seg)
		out[b] |= uint64(l[0]) << sh
		out[b+1] |= uint64(l[1]) << sh
		out[b+2] |= uint64(l[2]) << sh
		out[b+3] |= uint64(l[3]) << sh
	}
	return out
}

// windowRound evaluates f on the windows of n pairs — vals[i] is a_i at
// party u and b_i at the two others, L bits each, cut into windows by lt —
// in one round (see proto_mixed.go) and returns this party's replicated
// shares of the outputs, as blocks with per = f.nOut().
func (e *Engine) windowRound(ctx context.Context, u int, lt *laneTable, vals []u128, f *windowFunc) (blocks, error) {
	n, seg, nOut := len(vals), lt.nW, f.nOut()
	res := blocks{n: n, seg: seg, per: nOut}
	uBits, oBits := 15*n*seg, nOut*n*seg
	uBytes, oBytes := bytesFor(uBits), bytesFor(oBits)
	role := e.role(u)
	nParty, rParty := Next(u), Prev(u)
	lanes := laneBlocks(lt, vals)
	nb := len(lanes) / 4
	if role == roleU {
		kRU, kUN := e.keyWith(rParty).g[prgBits], e.keyWith(nParty).g[prgBits]
		mono := make([]uint64, 15*nb)
		var m [16]uint64
		for b := 0; b < nb; b++ {
			monomials(&m, (*[4]uint64)(lanes[4*b:]))
			copy(mono[15*b:], m[1:])
		}
		stream := encodeBlocks(mono, n, seg, 15)
		var out [3][]byte
		out[nParty] = wordsToBytes(stream, uBytes)
		out[rParty] = wordsToBytes(stream, uBytes)
		kRU.xor(out[nParty]) // σ
		kUN.xor(out[rParty]) // τ
		rhoU := kRU.bytesWords(oBytes)
		rhoN := kUN.bytesWords(oBytes)
		if _, err := e.round(ctx, out, [3]int{-1, -1, -1}); err != nil {
			return res, err
		}
		res.w[0] = decodeBlocks(rhoU, n, seg, nOut)
		res.w[1] = decodeBlocks(rhoN, n, seg, nOut)
		return res, nil
	}
	other := rParty
	if role == roleR {
		other = nParty
	}
	key := e.keyWith(u).g[prgBits]
	mk := key.bytesWords(uBytes)
	rho := key.bytesWords(oBytes)
	// eval computes the stream of Σ ev⊙B (+ C) for the masked monomials
	// stream ev.
	eval := func(evStream []uint64, withConst bool) []uint64 {
		ev := decodeBlocks(evStream, n, seg, 15)
		out := make([]uint64, nb*nOut)
		var bm, em [16]uint64
		for b := 0; b < nb; b++ {
			monomials(&bm, (*[4]uint64)(lanes[4*b:]))
			copy(em[1:], ev[15*b:15*b+15])
			for o := 0; o < nOut; o++ {
				out[b*nOut+o] = f.eval(o, &em, &bm, withConst)
			}
		}
		return encodeBlocks(out, n, seg, nOut)
	}
	corr := eval(mk, false)
	xorWords(corr, rho)
	var out [3][]byte
	out[other] = wordsToBytes(corr, oBytes)
	want := [3]int{-1, -1, -1}
	want[u] = uBytes
	want[other] = oBytes
	in, err := e.round(ctx, out, want)
	if err != nil {
		return res, err
	}
	yr := eval(bytesToWords(in[u]), true)
	xorWords(yr, rho)
	xorWords(yr, bytesToWords(in[other]))
	if role == roleN {
		res.w[0], res.w[1] = decodeBlocks(rho, n, seg, nOut), decodeBlocks(yr, n, seg, nOut) // y_N, y_R
	} else {
		res.w[0], res.w[1] = decodeBlocks(yr, n, seg, nOut), decodeBlocks(rho, n, seg, nOut) // y_R, y_U
	}
	return res, nil
}

// andBlocks computes z = x ∧ y for n elements of seg-bit lanes in block
// words (one word per block) with the replicated AND: a local 3-out-of-3
// share plus a zero sharing, sent to the previous party; one round.
func (e *Engine) andBlocks(ctx context.Context, n, seg int, x, y [2][]uint64) ([2][]uint64, error) {
	w := make([]uint64, len(x[0]))
	for j := range w {
		w[j] = x[0][j]&(y[0][j]^y[1][j]) ^ x[1][j]&y[0][j]
	}
	nb := bytesFor(n * seg)
	msg := wordsToBytes(encodeBlocks(w, n, seg, 1), nb)
	// zero sharing: F(k_{i,i+1}) ⊕ F(k_{i-1,i})
	e.next.g[prgZero].xor(msg)
	e.prev.g[prgZero].xor(msg)
	own := decodeBlocks(bytesToWords(msg), n, seg, 1)
	var out [3][]byte
	out[Prev(e.me)] = msg
	want := [3]int{-1, -1, -1}
	want[Next(e.me)] = nb
	in, err := e.round(ctx, out, want)
	if err != nil {
		return [2][]uint64{}, err
	}
	return [2][]uint64{own, decodeBlocks(bytesToWords(in[Next(e.me)]), n, seg, 1)}, nil
}

// carryTree reduces the (G, P) outputs of a window round (per = 2) to the
// carry out of every element: a replicated bit, bit i%64 of word i/64.
func (e *Engine) carryTree(ctx context.Context, gp blocks) ([2][]uint64, error) {
	n := gp.n
	var g, p [2][]uint64
	for c := range 2 {
		nb := len(gp.w[c]) / 2
		g[c], p[c] = make([]uint64, nb), make([]uint64, nb)
		for b := 0; b < nb; b++ {
			g[c][b], p[c][b] = gp.w[c][2*b], gp.w[c][2*b+1]
		}
	}
	for s := uint(gp.seg); s > 1; s /= 2 {
		h := s / 2
		r := repMask(s, h)
		var x, y [2][]uint64
		if h > 1 {
			for c := range 2 {
				x[c], y[c] = make([]uint64, len(g[c])), make([]uint64, len(g[c]))
				for j := range g[c] {
					ph := p[c][j] >> h & r
					x[c][j] = ph | ph<<h
					y[c][j] = g[c][j]&r | (p[c][j]&r)<<h
				}
			}
			z, err := e.andBlocks(ctx, n, int(s), x, y)
			if err != nil {
				return z, err
			}
			for c := range 2 {
				for j := range g[c] {
					g[c][j] = g[c][j]>>h&r ^ z[c][j]&r
					p[c][j] = z[c][j] >> h & r
				}
				g[c], p[c] = compactBlocks(g[c], s), compactBlocks(p[c], s)
			}
			continue
		}
		// last level: G only, one bit per element
		var gh [2][]uint64
		for c := range 2 {
			x[c] = compactBlocks(shiftMask(p[c], 1, r), 2)
			y[c] = compactBlocks(shiftMask(g[c], 0, r), 2)
			gh[c] = compactBlocks(shiftMask(g[c], 1, r), 2)
		}
		z, err := e.andBlocks(ctx, n, 1, x, y)
		if err != nil {
			return z, err
		}
		for c := range 2 {
			xorWords(gh[c], z[c])
			g[c] = gh[c]
		}
	}
	return g, nil
}

// shiftMask returns (w >> s) & m elementwise, as a new slice.
func shiftMask(w []uint64, s uint, m uint64) []uint64 {
	out := make([]uint64, len(w))
	for i, x := range w {
		out[i] = x >> s & m
	}
	return out
}

// andTree reduces the lanes of every element (per = 1) to their AND: a
// replicated bit per element, bit i%64 of word i/64.
func (e *Engine) andTree(ctx context.Context, eq blocks) ([2][]uint64, error) {
	cur := eq.w
	for s := uint(eq.seg); s > 1; s /= 2 {
		h := s / 2
		r := repMask(s, h)
		var x, y [2][]uint64
		for c := range 2 {
			x[c] = compactBlocks(shiftMask(cur[c], h, r), s)
			y[c] = compactBlocks(shiftMask(cur[c], 0, r), s)
		}
		z, err := e.andBlocks(ctx, eq.n, int(h), x, y)
		if err != nil {
			return z, err
		}
		cur = z
	}
	return cur, nil
}

// bitAt returns bit i of a dense bit vector.
func bitAt(w []uint64, i int) uint64 { return w[i/64] >> (i % 64) & 1 }

// lane returns output o's lanes of element i in a block vector
// component.
func (b *blocks) lane(c, i, o int) uint64 {
	e := 64 / b.seg
	w := b.w[c][(i/e)*b.per+o] >> (uint(i%e) * uint(b.seg))
	return w & (1<<uint(b.seg) - 1)
}
