package runtime

// Multiplication, dot product, AND and opening (Araki, Furukawa, Lindell,
// Nof, Ohara, "High-throughput semi-honest secure three-party computation
// with an honest majority", CCS 2016).
//
// Party i holds (x_i, x_{i+1}) and (y_i, y_{i+1}); it computes its share of
// a 3-out-of-3 sharing of xy,
//
//	z_i = x_i·y_i + x_i·y_{i+1} + x_{i+1}·y_i + α_i,
//
// where α_i = F(k_{i,i+1}) - F(k_{i-1,i}) is a zero sharing from the pairwise
// PRGs, and sends z_i to party i-1, which then holds (z_{i-1}, z_i): one
// round, one ring element sent per party and product. A dot product sums the
// local terms first and sends one element whatever the length. AND is the
// same over GF(2) on 64-bit words. Opening sends x_i to party i+1, the one
// party that lacks it.
//
// Every call handles all argument groups of one instruction together: one
// message per peer, the groups' elements concatenated in order, each ring
// element as k/8 little-endian bytes (low word first).

import (
	"context"
	"encoding/binary"
	"math/bits"

	"github.com/mpcs/mpcs/vm"
)

// mulChunk is the number of elements whose PRG output is generated at once.
const mulChunk = 2048

// zeroGen reads the zero-sharing streams of both keys in chunks.
type zeroGen struct {
	e      *Engine
	fn, fp []byte
}

func (e *Engine) newZeroGen() *zeroGen {
	return &zeroGen{e: e, fn: make([]byte, 16*mulChunk), fp: make([]byte, 16*mulChunk)}
}

// next returns the next nw words of the two zero streams (nw <= 2*mulChunk),
// as bytes.
func (z *zeroGen) next(nw int) (fn, fp []byte) {
	fn, fp = z.fn[:8*nw], z.fp[:8*nw]
	z.e.next.g[prgZero].read(fn)
	z.e.prev.g[prgZero].read(fp)
	return fn, fp
}

func le64(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) }

func stride(v vm.Vec) int {
	if len(v.Lo) == 1 {
		return 0
	}
	return 1
}

// mulLocal sets z = x_i·y_i + x_i·y_{i+1} + x_{i+1}·y_i + α (elementwise, with
// broadcasting).
func (e *Engine) mulLocal(z vm.Vec, x, y vm.Share, zg *zeroGen) {
	n := z.Len()
	sx, sy := stride(x[0]), stride(y[0])
	if e.k == 64 {
		x0, x1, y0, y1 := x[0].Lo, x[1].Lo, y[0].Lo, y[1].Lo
		for s := 0; s < n; s += mulChunk {
			m := min(mulChunk, n-s)
			fn, fp := zg.next(m)
			zz := z.Lo[s : s+m]
			for j := range zz {
				i := s + j
				a0, a1 := x0[i*sx], x1[i*sx]
				b0, b1 := y0[i*sy], y1[i*sy]
				zz[j] = a0*(b0+b1) + a1*b0 + le64(fn, j) - le64(fp, j)
			}
		}
		return
	}
	x0l, x0h, x1l, x1h := x[0].Lo, x[0].Hi, x[1].Lo, x[1].Hi
	y0l, y0h, y1l, y1h := y[0].Lo, y[0].Hi, y[1].Lo, y[1].Hi
	for s := 0; s < n; s += mulChunk {
		m := min(mulChunk, n-s)
		fn, fp := zg.next(2 * m)
		for j := 0; j < m; j++ {
			i := s + j
			ix, iy := i*sx, i*sy
			al, ah := x0l[ix], x0h[ix]
			cl, ch := x1l[ix], x1h[ix]
			bl, bh := y0l[iy], y0h[iy]
			// s = y_i + y_{i+1}
			sl, c := bits.Add64(bl, y1l[iy], 0)
			sh := bh + y1h[iy] + c
			// a·s + c·b
			h1, l1 := bits.Mul64(al, sl)
			h1 += al*sh + ah*sl
			h2, l2 := bits.Mul64(cl, bl)
			h2 += cl*bh + ch*bl
			lo, c1 := bits.Add64(l1, l2, 0)
			hi := h1 + h2 + c1
			// + fn - fp
			lo, c1 = bits.Add64(lo, le64(fn, 2*j), 0)
			hi += le64(fn, 2*j+1) + c1
			lo, c1 = bits.Sub64(lo, le64(fp, 2*j), 0)
			hi -= le64(fp, 2*j+1) + c1
			z.Lo[i], z.Hi[i] = lo, hi
		}
	}
}

// putRing encodes the ring vector v at b (k/8 bytes per element).
func putRing(k int, b []byte, v vm.Vec) {
	if k == 64 {
		for i, x := range v.Lo {
			binary.LittleEndian.PutUint64(b[8*i:], x)
		}
		return
	}
	for i, x := range v.Lo {
		binary.LittleEndian.PutUint64(b[16*i:], x)
		binary.LittleEndian.PutUint64(b[16*i+8:], v.Hi[i])
	}
}

// getRing decodes len(v) ring elements from b into v.
func getRing(k int, v vm.Vec, b []byte) {
	if k == 64 {
		for i := range v.Lo {
			v.Lo[i] = binary.LittleEndian.Uint64(b[8*i:])
		}
		return
	}
	for i := range v.Lo {
		v.Lo[i] = binary.LittleEndian.Uint64(b[16*i:])
		v.Hi[i] = binary.LittleEndian.Uint64(b[16*i+8:])
	}
}

// reshare completes multiplications: own[g] holds this party's z_i of every
// group; it sends them to Prev(me) in one message and receives z_{i+1}
// from Next(me). It returns the shares (z_i, z_{i+1}).
func (e *Engine) reshare(ctx context.Context, own []vm.Vec) ([]vm.Share, error) {
	eb := ringBytes(e.k)
	total := 0
	for _, v := range own {
		total += v.Len()
	}
	msg := make([]byte, total*eb)
	off := 0
	for _, v := range own {
		putRing(e.k, msg[off:], v)
		off += v.Len() * eb
	}
	var out [3][]byte
	out[Prev(e.me)] = msg
	want := [3]int{-1, -1, -1}
	want[Next(e.me)] = total * eb
	in, err := e.round(ctx, out, want)
	if err != nil {
		return nil, err
	}
	b := in[Next(e.me)]
	rs := make([]vm.Share, len(own))
	off = 0
	for g, v := range own {
		r := vm.NewVec(e.k, v.Len())
		getRing(e.k, r, b[off:])
		off += v.Len() * eb
		rs[g] = vm.Share{v, r}
	}
	return rs, nil
}

// Mul implements vm.Engine (AMUL): one round, one ring element sent per
// party and product.
func (e *Engine) Mul(ctx context.Context, x, y []vm.Share) ([]vm.Share, error) {
	zg := e.newZeroGen()
	own := make([]vm.Vec, len(x))
	for g := range x {
		own[g] = vm.NewVec(e.k, blen(x[g].Len(), y[g].Len()))
		e.mulLocal(own[g], x[g], y[g], zg)
	}
	return e.reshare(ctx, own)
}

// Dot implements vm.Engine (ADOT): the local terms are summed before the
// re-sharing, so a dot product of any length costs one element per party.
func (e *Engine) Dot(ctx context.Context, x, y []vm.Share) ([]vm.Share, error) {
	own := make([]vm.Vec, len(x))
	for g := range x {
		n := blen(x[g].Len(), y[g].Len())
		if x[g].Len() == 0 || y[g].Len() == 0 {
			n = 0
		}
		own[g] = e.dotLocal(x[g], y[g], n)
	}
	return e.reshare(ctx, own)
}

// dotLocal returns Σ_j (x_i·y_i + x_i·y_{i+1} + x_{i+1}·y_i)_j + α as a
// length-1 vector.
func (e *Engine) dotLocal(x, y vm.Share, n int) vm.Vec {
	sx, sy := stride(x[0]), stride(y[0])
	var acc u128
	if e.k == 64 {
		x0, x1, y0, y1 := x[0].Lo, x[1].Lo, y[0].Lo, y[1].Lo
		var s uint64
		for i := 0; i < n; i++ {
			a0, a1 := x0[i*sx], x1[i*sx]
			b0, b1 := y0[i*sy], y1[i*sy]
			s += a0*(b0+b1) + a1*b0
		}
		acc.lo = s
	} else {
		for i := 0; i < n; i++ {
			a0, a1 := ringElem(x[0], i*sx), ringElem(x[1], i*sx)
			b0, b1 := ringElem(y[0], i*sy), ringElem(y[1], i*sy)
			acc = acc.add(a0.mul(b0.add(b1))).add(a1.mul(b0))
		}
	}
	w := e.k / 64
	fn := e.next.g[prgZero].wordSlice(w)
	fp := e.prev.g[prgZero].wordSlice(w)
	if w == 1 {
		acc = acc.add(u128{fn[0], 0}).sub(u128{fp[0], 0})
	} else {
		acc = acc.add(u128{fn[0], fn[1]}).sub(u128{fp[0], fp[1]})
	}
	r := vm.NewVec(e.k, 1)
	setRingElem(r, 0, acc)
	return r
}

// BAnd implements vm.Engine (BAND): the multiplication over GF(2)^64.
func (e *Engine) BAnd(ctx context.Context, x, y []vm.Share) ([]vm.Share, error) {
	own := make([]vm.Vec, len(x))
	zg := e.newZeroGen()
	for g := range x {
		n := blen(x[g].Len(), y[g].Len())
		z := vm.NewWords(n)
		sx, sy := stride(x[g][0]), stride(y[g][0])
		x0, x1, y0, y1 := x[g][0].Lo, x[g][1].Lo, y[g][0].Lo, y[g][1].Lo
		for s := 0; s < n; s += mulChunk {
			m := min(mulChunk, n-s)
			fn, fp := zg.next(m)
			for j := 0; j < m; j++ {
				i := s + j
				a0, a1 := x0[i*sx], x1[i*sx]
				b0, b1 := y0[i*sy], y1[i*sy]
				z.Lo[i] = a0&(b0^b1) ^ a1&b0 ^ le64(fn, j) ^ le64(fp, j)
			}
		}
		own[g] = z
	}
	return e.reshareWords(ctx, own)
}

// reshareWords is reshare for 64-bit words.
func (e *Engine) reshareWords(ctx context.Context, own []vm.Vec) ([]vm.Share, error) {
	total := 0
	for _, v := range own {
		total += v.Len()
	}
	msg := make([]byte, 8*total)
	off := 0
	for _, v := range own {
		putRing(64, msg[off:], v)
		off += 8 * v.Len()
	}
	var out [3][]byte
	out[Prev(e.me)] = msg
	want := [3]int{-1, -1, -1}
	want[Next(e.me)] = 8 * total
	in, err := e.round(ctx, out, want)
	if err != nil {
		return nil, err
	}
	b := in[Next(e.me)]
	rs := make([]vm.Share, len(own))
	off = 0
	for g, v := range own {
		r := vm.NewWords(v.Len())
		getRing(64, r, b[off:])
		off += 8 * v.Len()
		rs[g] = vm.Share{v, r}
	}
	return rs, nil
}

// Open implements vm.Engine (AOPEN): each party sends x_i to party i+1.
func (e *Engine) Open(ctx context.Context, x []vm.Share) ([]vm.Vec, error) {
	return e.open(ctx, x, e.k, false)
}

// BOpen implements vm.Engine (BOPEN): as Open with XOR; the words come back
// as unsigned ring elements.
func (e *Engine) BOpen(ctx context.Context, x []vm.Share) ([]vm.Vec, error) {
	return e.open(ctx, x, 64, true)
}

func (e *Engine) open(ctx context.Context, x []vm.Share, k int, boolean bool) ([]vm.Vec, error) {
	eb := ringBytes(k)
	total := 0
	for _, s := range x {
		total += s.Len()
	}
	msg := make([]byte, total*eb)
	off := 0
	for _, s := range x {
		putRing(k, msg[off:], s[0])
		off += s.Len() * eb
	}
	var out [3][]byte
	out[Next(e.me)] = msg
	want := [3]int{-1, -1, -1}
	want[Prev(e.me)] = total * eb
	in, err := e.round(ctx, out, want)
	if err != nil {
		return nil, err
	}
	b := in[Prev(e.me)]
	rs := make([]vm.Vec, len(x))
	off = 0
	for g, s := range x {
		n := s.Len()
		third := vm.NewVec(k, n)
		getRing(k, third, b[off:])
		off += n * eb
		r := vm.NewVec(e.k, n)
		if boolean {
			for i := range r.Lo {
				r.Lo[i] = s[0].Lo[i] ^ s[1].Lo[i] ^ third.Lo[i]
			}
		} else {
			vm.AddVec(e.k, r, s[0], s[1])
			vm.AddVec(e.k, r, r, third)
		}
		rs[g] = r
	}
	return rs, nil
}
