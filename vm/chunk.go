package vm

import "context"

// Chunking keeps a party's memory bounded on long vectors: an elementwise
// interactive instruction whose groups hold more than ChunkElems elements in
// all is run in passes of at most that many elements (zero-copy slices of
// the operands), and the results are reassembled. Each pass costs the
// instruction's rounds again, so a run's rounds grow with ⌈n / ChunkElems⌉
// for vectors longer than a chunk; below it nothing changes. Sort and
// Shuffle need the whole vector and are never chunked; a dot product adds
// its partial sums locally.

// DefaultChunkElems is the default pass size: 2^20 elements.
const DefaultChunkElems = 1 << 20

// chunkEngine wraps an Engine and splits long interactive calls.
type chunkEngine struct {
	Engine
	limit  int
	passes int // passes of the last interactive call
}

// piece is the slice [lo, hi) of group g.
type piece struct{ g, lo, hi int }

// plan splits groups of the given lengths into passes of at most limit
// elements; a group of length 1 (broadcast) is never split.
func (c *chunkEngine) plan(lens []int) [][]piece {
	var passes [][]piece
	var cur []piece
	fill := 0
	for g, n := range lens {
		for lo := 0; ; {
			hi := min(n, lo+c.limit-fill)
			cur = append(cur, piece{g, lo, hi})
			fill += hi - lo
			lo = hi
			if fill >= c.limit {
				passes = append(passes, cur)
				cur, fill = nil, 0
			}
			if lo >= n {
				break
			}
		}
	}
	if len(cur) > 0 {
		passes = append(passes, cur)
	}
	return passes
}

func total(lens []int) int {
	t := 0
	for _, n := range lens {
		t += n
	}
	return t
}

func shareLens(xs ...[]Share) []int {
	lens := make([]int, len(xs[0]))
	ls := make([]int, len(xs))
	for g := range lens {
		for i, x := range xs {
			ls[i] = x[g].Len()
		}
		// the Machine has checked the lengths: equal, or 1 (broadcast)
		lens[g], _ = BroadcastLen(ls...)
	}
	return lens
}

// sliceShare returns the elements [lo, hi) of s, or s itself when it is a
// broadcast scalar.
func sliceShare(s Share, lo, hi int) Share {
	if s.Len() == 1 {
		return s
	}
	out := make(Share, len(s))
	for i, v := range s {
		out[i] = sliceVec(v, lo, hi)
	}
	return out
}

func sliceVec(v Vec, lo, hi int) Vec {
	if v.Len() == 1 {
		return v
	}
	out := Vec{Lo: v.Lo[lo:hi:hi]}
	if v.Hi != nil {
		out.Hi = v.Hi[lo:hi:hi]
	}
	return out
}

// run executes f pass by pass: f receives the pieces' operands by index
// and returns one result per piece, which are concatenated per group.
func runShares(c *chunkEngine, lens []int, f func(ps []piece) ([]Share, error)) ([]Share, error) {
	passes := c.plan(lens)
	c.passes = len(passes)
	parts := make([][]Share, len(lens))
	for _, ps := range passes {
		rs, err := f(ps)
		if err != nil {
			return nil, err
		}
		for i, p := range ps {
			parts[p.g] = append(parts[p.g], rs[i])
		}
	}
	out := make([]Share, len(lens))
	for g, ps := range parts {
		out[g] = concatShares(ps)
	}
	return out, nil
}

// concatShares joins the pieces of one group, without a copy when there is
// only one.
func concatShares(ps []Share) Share {
	if len(ps) == 1 {
		return ps[0]
	}
	return exConcatShares(ps)
}

func (c *chunkEngine) unary(ctx context.Context, x []Share, f func(context.Context, []Share) ([]Share, error)) ([]Share, error) {
	lens := shareLens(x)
	if total(lens) <= c.limit {
		c.passes = 1
		return f(ctx, x)
	}
	return runShares(c, lens, func(ps []piece) ([]Share, error) {
		sub := make([]Share, len(ps))
		for i, p := range ps {
			sub[i] = sliceShare(x[p.g], p.lo, p.hi)
		}
		return f(ctx, sub)
	})
}

func (c *chunkEngine) binary(ctx context.Context, x, y []Share, f func(context.Context, []Share, []Share) ([]Share, error)) ([]Share, error) {
	lens := shareLens(x, y)
	if total(lens) <= c.limit {
		c.passes = 1
		return f(ctx, x, y)
	}
	return runShares(c, lens, func(ps []piece) ([]Share, error) {
		sx, sy := make([]Share, len(ps)), make([]Share, len(ps))
		for i, p := range ps {
			sx[i], sy[i] = sliceShare(x[p.g], p.lo, p.hi), sliceShare(y[p.g], p.lo, p.hi)
		}
		return f(ctx, sx, sy)
	})
}

// withArgs is unary for calls with one extra argument per group.
func withArgs[T any](c *chunkEngine, ctx context.Context, x []Share, a []T, slice func(T, int, int) T,
	f func(context.Context, []Share, []T) ([]Share, error)) ([]Share, error) {
	lens := shareLens(x)
	if total(lens) <= c.limit {
		c.passes = 1
		return f(ctx, x, a)
	}
	return runShares(c, lens, func(ps []piece) ([]Share, error) {
		sx, sa := make([]Share, len(ps)), make([]T, len(ps))
		for i, p := range ps {
			sx[i], sa[i] = sliceShare(x[p.g], p.lo, p.hi), slice(a[p.g], p.lo, p.hi)
		}
		return f(ctx, sx, sa)
	})
}

func same[T any](v T, _, _ int) T { return v }

func (c *chunkEngine) Mul(ctx context.Context, x, y []Share) ([]Share, error) {
	return c.binary(ctx, x, y, c.Engine.Mul)
}

// MulTrunc runs the fused AMUL + ATRUNC (the engine is a MulTruncer) pass
// by pass, as Mul and Trunc would be.
func (c *chunkEngine) MulTrunc(ctx context.Context, x, y []Share, m []uint) ([]Share, error) {
	mt := c.Engine.(MulTruncer)
	lens := shareLens(x, y)
	if total(lens) <= c.limit {
		c.passes = 1
		return mt.MulTrunc(ctx, x, y, m)
	}
	return runShares(c, lens, func(ps []piece) ([]Share, error) {
		sx, sy, sm := make([]Share, len(ps)), make([]Share, len(ps)), make([]uint, len(ps))
		for i, p := range ps {
			sx[i], sy[i], sm[i] = sliceShare(x[p.g], p.lo, p.hi), sliceShare(y[p.g], p.lo, p.hi), m[p.g]
		}
		return mt.MulTrunc(ctx, sx, sy, sm)
	})
}

func (c *chunkEngine) BAnd(ctx context.Context, x, y []Share) ([]Share, error) {
	return c.binary(ctx, x, y, c.Engine.BAnd)
}

func (c *chunkEngine) LTZ(ctx context.Context, x []Share) ([]Share, error) {
	return c.unary(ctx, x, c.Engine.LTZ)
}

func (c *chunkEngine) EQZ(ctx context.Context, x []Share) ([]Share, error) {
	return c.unary(ctx, x, c.Engine.EQZ)
}

func (c *chunkEngine) B2A(ctx context.Context, x []Share) ([]Share, error) {
	return c.unary(ctx, x, c.Engine.B2A)
}

func (c *chunkEngine) Trunc(ctx context.Context, x []Share, m []uint) ([]Share, error) {
	return withArgs(c, ctx, x, m, same[uint], c.Engine.Trunc)
}

func (c *chunkEngine) Shr(ctx context.Context, x []Share, m []uint) ([]Share, error) {
	return withArgs(c, ctx, x, m, same[uint], c.Engine.Shr)
}

func (c *chunkEngine) A2B(ctx context.Context, x []Share, w []uint) ([]Share, error) {
	return withArgs(c, ctx, x, w, same[uint], c.Engine.A2B)
}

func (c *chunkEngine) IDiv(ctx context.Context, x []Share, d []Vec) ([]Share, error) {
	return withArgs(c, ctx, x, d, sliceVec, c.Engine.IDiv)
}

// opens runs Open or BOpen pass by pass.
func (c *chunkEngine) opens(ctx context.Context, x []Share, f func(context.Context, []Share) ([]Vec, error)) ([]Vec, error) {
	lens := shareLens(x)
	if total(lens) <= c.limit {
		c.passes = 1
		return f(ctx, x)
	}
	wrapped, err := runShares(c, lens, func(ps []piece) ([]Share, error) {
		sub := make([]Share, len(ps))
		for i, p := range ps {
			sub[i] = sliceShare(x[p.g], p.lo, p.hi)
		}
		vs, err := f(ctx, sub)
		out := make([]Share, len(vs))
		for i, v := range vs {
			out[i] = Share{v}
		}
		return out, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Vec, len(wrapped))
	for i, s := range wrapped {
		out[i] = s[0]
	}
	return out, nil
}

func (c *chunkEngine) Open(ctx context.Context, x []Share) ([]Vec, error) {
	return c.opens(ctx, x, c.Engine.Open)
}

func (c *chunkEngine) BOpen(ctx context.Context, x []Share) ([]Vec, error) {
	return c.opens(ctx, x, c.Engine.BOpen)
}

// Dot sums the partial dot products of the passes locally.
func (c *chunkEngine) Dot(ctx context.Context, x, y []Share) ([]Share, error) {
	lens := shareLens(x, y)
	if total(lens) <= c.limit {
		c.passes = 1
		return c.Engine.Dot(ctx, x, y)
	}
	passes := c.plan(lens)
	c.passes = len(passes)
	out := make([]Share, len(lens))
	for _, ps := range passes {
		sx, sy := make([]Share, len(ps)), make([]Share, len(ps))
		for i, p := range ps {
			sx[i], sy[i] = sliceShare(x[p.g], p.lo, p.hi), sliceShare(y[p.g], p.lo, p.hi)
		}
		rs, err := c.Engine.Dot(ctx, sx, sy)
		if err != nil {
			return nil, err
		}
		for i, p := range ps {
			if out[p.g] == nil {
				out[p.g] = rs[i]
			} else {
				out[p.g] = c.Engine.AAdd(out[p.g], rs[i])
			}
		}
	}
	return out, nil
}

func (c *chunkEngine) Sort(ctx context.Context, key Share, vals []Share) (Share, []Share, error) {
	c.passes = 1
	return c.Engine.Sort(ctx, key, vals)
}

func (c *chunkEngine) Shuffle(ctx context.Context, x []Share) ([]Share, error) {
	c.passes = 1
	return c.Engine.Shuffle(ctx, x)
}
