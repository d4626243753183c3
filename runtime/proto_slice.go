package runtime

// Bit-slicing and the segments of the mixed rounds.
//
// Bit-slicing. The boolean circuits of comparisons and truncation run on
// blocks of 64 elements transposed so that word j of a block holds bit j of
// the 64 elements (bit i of the word is element i). Every AND and XOR on
// such words then evaluates the same gate for 64 elements at once, and a
// carry tree pairs windows by indexing words, without shifting or
// compacting. transpose64 converts (Hacker's Delight, 7-3: log2(64) stages
// of block swaps); transposeLow stops at the rows it needs.
//
// Segments. A mixed round gives one party U the cheap side (it only sends)
// and the two others more work; so that the three parties carry the same
// load, the elements of an instruction are cut into three segments of whole
// blocks and segment s is computed with U = party s. Every party sends, in
// one message per peer and round, its parts of all three segments.
//
// On the wire a vector of blocks (per words each) is its words in order,
// except that the last block of a vector contributes only the bits of its
// r valid elements per word (blockBytes).

// transpose64 transposes the 64×64 bit matrix a in place: afterwards bit i
// of a[j] is what bit j of a[i] was.
func transpose64(a *[64]uint64) {
	transposeStage(a, 32, 0x00000000FFFFFFFF, 64)
	transposeStage(a, 16, 0x0000FFFF0000FFFF, 64)
	transposeStage(a, 8, 0x00FF00FF00FF00FF, 64)
	transposeStage(a, 4, 0x0F0F0F0F0F0F0F0F, 64)
	transposeStage(a, 2, 0x3333333333333333, 64)
	transposeStage(a, 1, 0x5555555555555555, 64)
}

// transposeStage swaps, for every pair of rows (k, k+j) with k&j == 0 and
// k < rows, the high halves (of every 2j-bit group) of row k with the low
// halves of row k+j; m selects the low halves.
func transposeStage(a *[64]uint64, j uint, m uint64, rows int) {
	for base := 0; base < rows; base += int(2 * j) {
		for k := base; k < base+int(j); k++ {
			t := (a[k]>>j ^ a[k+int(j)]) & m
			a[k] ^= t << j
			a[k+int(j)] ^= t
		}
	}
}

// transposeLow is transpose64 for the first L rows of the result only
// (1 <= L <= 64): a[0..L) end up as in transpose64, the other rows are
// garbage.
func transposeLow(a *[64]uint64, L int) {
	if L > 32 {
		transpose64(a)
		return
	}
	// Rows k < 32 take the low halves of rows k+32 as their high halves,
	// and so on down: only the rows that lead to the first L are kept.
	j := uint(32)
	m := uint64(0x00000000FFFFFFFF)
	for ; j >= 1 && L <= int(j); j /= 2 {
		hi := ^m
		for k := 0; k < int(j); k++ {
			a[k] = a[k]&m | (a[k+int(j)]<<j)&hi
		}
		m ^= m << (j / 2)
	}
	for ; j >= 1; j /= 2 {
		transposeStage(a, j, m, roundUp(L, int(2*j)))
		m ^= m << (j / 2)
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// ---- segments ----

// segment is the elements [lo, hi) of a mixed round computed with U = the
// segment's index; its blocks are [b0, b1) of the whole vector.
type segment struct {
	lo, hi int
	b0, b1 int
}

func (s segment) n() int         { return s.hi - s.lo }
func (s segment) blocks() int    { return s.b1 - s.b0 }
func (s segment) tailLanes() int { return lanesOf(s.n()) }

// lanesOf returns the elements in the last block of n elements (64 if n is
// a multiple of 64, 0 for n = 0).
func lanesOf(n int) int {
	if n == 0 {
		return 0
	}
	return (n-1)%64 + 1
}

// segmentsOf cuts n elements into the three segments: whole blocks, as even
// as possible, the partial block (if any) last.
func segmentsOf(n int) [3]segment {
	nb := (n + 63) / 64
	var s [3]segment
	for i := range 3 {
		s[i].b0, s[i].b1 = nb*i/3, nb*(i+1)/3
		s[i].lo, s[i].hi = min(64*s[i].b0, n), min(64*s[i].b1, n)
	}
	return s
}

// ---- blocks on the wire ----

// blockBytes is the size on the wire of nb blocks of per words whose last
// block holds r elements.
func blockBytes(nb, per, r int) int {
	if nb == 0 {
		return 0
	}
	return 8*per*(nb-1) + (per*r+7)/8
}

// putBlocks encodes nb blocks of per words (w) at dst, the last block cut
// to r elements.
func putBlocks(dst []byte, w []uint64, nb, per, r int) {
	if nb == 0 {
		return
	}
	full := per * (nb - 1)
	putWords(dst, w[:full])
	tail := w[full : full+per]
	if r == 64 {
		putWords(dst[8*full:], tail)
		return
	}
	bw := bitWriter{w: make([]uint64, (per*r+63)/64)}
	for _, x := range tail {
		bw.put(x, uint(r))
	}
	b := wordsToBytes(bw.w, (per*r+7)/8)
	copy(dst[8*full:], b)
}

// getBlocks decodes nb blocks of per words from src into w (the lanes of
// the last block beyond r are zero).
func getBlocks(w []uint64, src []byte, nb, per, r int) {
	if nb == 0 {
		return
	}
	full := per * (nb - 1)
	getWords(w[:full], src)
	tail := w[full : full+per]
	if r == 64 {
		getWords(tail, src[8*full:])
		return
	}
	br := bitReader{w: bytesToWords(src[8*full : 8*full+(per*r+7)/8])}
	for i := range tail {
		tail[i] = br.get(uint(r))
	}
}

// blockWords returns the nb·per words of a received block vector: a view of
// src where possible (all blocks full), else a decoded copy.
func blockWords(src []byte, nb, per, r int) []uint64 {
	if r == 64 || nb == 0 {
		return wordsIn(src, nb*per)
	}
	w := make([]uint64, nb*per)
	getBlocks(w, src, nb, per, r)
	return w
}

// laneMask is the mask of the r valid lanes of a block.
func laneMask(r int) uint64 {
	if r >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(r) - 1
}
