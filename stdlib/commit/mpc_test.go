package commit_test

// Tests of the .mpcs module stdlib/commit.mpcs against this package (and so
// against crypto/sha3), in the reference executor (vm.Emulate) and with the
// three-party protocol (runtime.Sim).

import (
	"context"
	"crypto/sha3"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/stdlib/commit"
	"github.com/mpcs/mpcs/vm"
)

// column is one CSV column of a test dataset.
type column struct {
	name  string
	cells []string
}

func compile(t testing.TB, src string, ring int) *vm.Program {
	t.Helper()
	p, err := compiler.Compile("test.mpcs", []byte(src), compiler.Options{Ring: ring})
	if d, ok := compiler.IsDiagnostics(err); ok {
		t.Fatalf("%s\n%s", d.Render(), src)
	}
	require.NoError(t, err)
	return p
}

func dataset(t testing.TB, p *vm.Program, cols []column) *vm.Dataset {
	t.Helper()
	if len(cols) == 0 {
		return nil
	}
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.name)
	}
	b.WriteByte('\n')
	for r := range cols[0].cells {
		for i, c := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(c.cells[r])
		}
		b.WriteByte('\n')
	}
	d, err := vm.ReadCSV(strings.NewReader(b.String()), p)
	require.NoError(t, err)
	return d
}

// engine selects where a program runs.
type engine int

const (
	emulator engine = iota
	threeParty
)

func (e engine) String() string { return [...]string{"emulate", "sim"}[e] }

func run(t testing.TB, e engine, p *vm.Program, d *vm.Dataset) (*vm.Result, runtime.SimStats) {
	t.Helper()
	if e == emulator {
		res, err := vm.Emulate(context.Background(), p, d, nil)
		require.NoError(t, err)
		return res, runtime.SimStats{}
	}
	res, st, err := runtime.Sim(context.Background(), p, d, nil, runtime.NewMemNetworks())
	require.NoError(t, err)
	return res, st
}

// words returns output name's 64-bit words, n of them (a scalar output is
// broadcast).
func words(t testing.TB, res *vm.Result, name string, n int) []uint64 {
	t.Helper()
	o, ok := res.Output(name)
	require.True(t, ok, "no output %s", name)
	if !o.Vector {
		w := make([]uint64, n)
		for i := range w {
			w[i] = o.Value.Lo[0]
		}
		return w
	}
	require.Len(t, o.Value.Lo, n)
	return o.Value.Lo
}

// digests reads the outputs h0..h3 as n digests.
func digests(t testing.TB, res *vm.Result, n int) [][commit.Size]byte {
	var w [4][]uint64
	for j := range 4 {
		w[j] = words(t, res, fmt.Sprintf("h%d", j), n)
	}
	out := make([][commit.Size]byte, n)
	for i := range out {
		out[i] = commit.DigestFromWords([4]uint64{w[0][i], w[1][i], w[2][i], w[3][i]})
	}
	return out
}

// hashProgram hashes the message of nbytes bytes in columns w0, w1, ...
func hashProgram(nbytes int) string {
	var ws []string
	for i := range (nbytes + 7) / 8 {
		ws = append(ws, fmt.Sprintf("input(\"w%d\", sbits)", i))
	}
	tuple := "()"
	switch len(ws) {
	case 0:
	case 1:
		tuple = "(" + ws[0] + ",)"
	default:
		tuple = "(" + strings.Join(ws, ", ") + ")"
	}
	return fmt.Sprintf(`from commit import sha3_256
h = sha3_256(%s, %d)
output("h0", h[0])
output("h1", h[1])
output("h2", h[2])
output("h3", h[3])
`, tuple, nbytes)
}

// messageColumns lays out messages of one length as the columns w0, w1, ...
func messageColumns(msgs [][]byte) []column {
	if len(msgs) == 0 || len(msgs[0]) == 0 {
		return nil
	}
	cols := make([]column, (len(msgs[0])+7)/8)
	for j := range cols {
		cols[j].name = fmt.Sprintf("w%d", j)
	}
	for _, m := range msgs {
		for j, w := range commit.Words(m) {
			cols[j].cells = append(cols[j].cells, commit.WordCell(w))
		}
	}
	return cols
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// FIPS 202 test vectors (the empty message, "abc" and 200 bytes of 0xA3,
// two blocks), each in a batch with random messages of the same length,
// in the emulator and with three parties.
func TestSHA3VectorsMPC(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, v := range fipsVectors {
		for _, e := range []engine{emulator, threeParty} {
			for _, ring := range []int{128, 64} {
				t.Run(fmt.Sprintf("%s/%s/ring%d", v.name, e, ring), func(t *testing.T) {
					msgs := [][]byte{v.msg}
					if len(v.msg) > 0 {
						for range 4 {
							msgs = append(msgs, randomBytes(r, len(v.msg)))
						}
					}
					p := compile(t, hashProgram(len(v.msg)), ring)
					res, st := run(t, e, p, dataset(t, p, messageColumns(msgs)))
					got := digests(t, res, len(msgs))
					assert.Equal(t, v.hex, fmt.Sprintf("%x", got[0]))
					for i, m := range msgs {
						assert.Equal(t, sha3.Sum256(m), got[i], "message %d", i)
					}
					if e == threeParty {
						blocks := len(v.msg)/136 + 1
						// 24 AND rounds per block and one to open the digest
						assert.Equal(t, int64(24*blocks+1), st.Rounds)
					}
				})
			}
		}
	}
}

// Lengths around the word and block boundaries (padding in the last word,
// 0x86 when a single padding byte is left, a block of padding alone).
func TestSHA3Lengths(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 7, 8, 9, 47, 48, 127, 134, 135, 136, 137, 143, 271, 272, 273, 300} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			msgs := make([][]byte, 3)
			for i := range msgs {
				msgs[i] = randomBytes(r, n)
			}
			p := compile(t, hashProgram(n), 128)
			// junk in the last word's unused bytes must not matter
			cols := messageColumns(msgs)
			if n%8 != 0 {
				last := &cols[len(cols)-1]
				for i := range last.cells {
					w := commit.Words(msgs[i])
					w[len(w)-1] |= ^uint64(0) << (8 * (n % 8))
					last.cells[i] = commit.WordCell(w[len(w)-1])
				}
			}
			res, _ := run(t, emulator, p, dataset(t, p, cols))
			got := digests(t, res, len(msgs))
			for i, m := range msgs {
				assert.Equal(t, sha3.Sum256(m), got[i], "message %d", i)
			}
		})
	}
}

// keccakF is a plain Keccak-f[1600] (FIPS 202 §3), checked below by a
// sponge against crypto/sha3.
func keccakF(a [25]uint64) [25]uint64 {
	rot := func(x uint64, n int) uint64 { return x<<n | x>>(64-n) }
	rc := [24]uint64{}
	lfsr := uint8(1)
	for i := range 24 {
		for j := range 7 {
			if lfsr&1 == 1 {
				rc[i] ^= 1 << (1<<j - 1)
			}
			hi := lfsr & 0x80
			lfsr <<= 1
			if hi != 0 {
				lfsr ^= 0x71
			}
		}
	}
	rho := [25]int{0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14}
	for r := range 24 {
		var c, d [5]uint64
		for x := range 5 {
			c[x] = a[x] ^ a[x+5] ^ a[x+10] ^ a[x+15] ^ a[x+20]
		}
		for x := range 5 {
			d[x] = c[(x+4)%5] ^ rot(c[(x+1)%5], 1)
		}
		var b [25]uint64
		for x := range 5 {
			for y := range 5 {
				v := a[x+5*y] ^ d[x]
				if n := rho[x+5*y]; n != 0 {
					v = rot(v, n)
				}
				b[y+5*((2*x+3*y)%5)] = v
			}
		}
		for y := range 5 {
			for x := range 5 {
				a[x+5*y] = b[x+5*y] ^ (^b[(x+1)%5+5*y] & b[(x+2)%5+5*y])
			}
		}
		a[0] ^= rc[r]
	}
	return a
}

func TestKeccakReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range []int{0, 5, 135, 136, 200} {
		m := randomBytes(r, n)
		padded := append(append([]byte(nil), m...), 0x06)
		for len(padded)%136 != 0 {
			padded = append(padded, 0)
		}
		padded[len(padded)-1] |= 0x80
		var s [25]uint64
		for k := 0; k < len(padded); k += 136 {
			for i, w := range commit.Words(padded[k : k+136]) {
				s[i] ^= w
			}
			s = keccakF(s)
		}
		assert.Equal(t, sha3.Sum256(m), commit.DigestFromWords([4]uint64(s[:4])), "length %d", n)
	}
}

// keccak_f1600 on random states equals the reference, and its cost is 24
// instructions with rounds, each one BAND of 25 groups.
func TestKeccakF1600(t *testing.T) {
	var in []string
	for i := range 25 {
		in = append(in, fmt.Sprintf("input(\"a%d\", sbits)", i))
	}
	src := "from commit import keccak_f1600\nb = keccak_f1600((" + strings.Join(in, ", ") + "))\n"
	for i := range 25 {
		src += fmt.Sprintf("output(\"b%d\", b[%d])\n", i, i)
	}
	p := compile(t, src, 128)
	var bands int
	for pc, in := range p.Code {
		if p.Rounds(pc) == 0 || in.Op == vm.BOPEN {
			continue
		}
		require.Equal(t, vm.BAND, in.Op, "instruction %d at %s", pc, p.Position(pc))
		assert.Equal(t, 1, p.Rounds(pc))
		assert.Len(t, in.Args, 3*25, "chi: 25 ANDs in one instruction (pc %d)", pc)
		bands++
	}
	assert.Equal(t, 24, bands)

	r := rand.New(rand.NewPCG(11, 12))
	const rows = 50
	states := make([][25]uint64, rows)
	cols := make([]column, 25)
	for j := range cols {
		cols[j].name = fmt.Sprintf("a%d", j)
	}
	for i := range states {
		for j := range 25 {
			if i > 0 { // row 0: the zero state
				states[i][j] = r.Uint64()
			}
			cols[j].cells = append(cols[j].cells, commit.WordCell(states[i][j]))
		}
	}
	d := dataset(t, p, cols)
	for _, e := range []engine{emulator, threeParty} {
		res, st := run(t, e, p, d)
		out := make([][]uint64, 25)
		for j := range 25 {
			out[j] = words(t, res, fmt.Sprintf("b%d", j), rows)
		}
		for i := range rows {
			want := keccakF(states[i])
			for j := range 25 {
				require.Equal(t, want[j], out[j][i], "%s: row %d lane %d", e, i, j)
			}
		}
		if e == threeParty {
			assert.Equal(t, int64(25), st.Rounds) // 24 and the opening
		}
	}
	// the known first lanes of Keccak-f[1600] of the zero state
	assert.Equal(t, uint64(0xF1258F7940E1DDE7), keccakF([25]uint64{})[0])
}

// checkProgram checks the column value (sint or sfix) against the nonce
// columns n0..n3 and the commitment columns c0..c3, secret or revealed
// (public); with digest it also outputs the digest it computed.
func checkProgram(typ string, public, digest bool) string {
	s := fmt.Sprintf(`from commit import check, sha3_256
v = input("value", %s)
n = (input("n0", sbits), input("n1", sbits), input("n2", sbits), input("n3", sbits))
c = (input("c0", sbits), input("c1", sbits), input("c2", sbits), input("c3", sbits))
`, typ)
	if public {
		s += "c = (reveal(c[0]), reveal(c[1]), reveal(c[2]), reveal(c[3]))\n"
	}
	s += "output(\"ok\", check(v, n, c))\n"
	if digest {
		s += `h = sha3_256((n[0], n[1], n[2], n[3], sbits(v), sbits(v, 1)), 48)
output("h0", h[0])
output("h1", h[1])
output("h2", h[2])
output("h3", h[3])
`
	}
	return s
}

// submission is one row of a checked dataset.
type submission struct {
	value      *big.Int // raw, at the column's scale
	nonce      [commit.NonceSize]byte
	commitment [commit.Size]byte
	want       bool // whether check must accept it
}

func honest(value *big.Int, nonce [commit.NonceSize]byte) submission {
	return submission{value: value, nonce: nonce, commitment: commit.Compute(value, nonce), want: true}
}

func checkColumns(subs []submission, typ string, frac int) []column {
	cols := []column{{name: "value"}}
	for j := range 4 {
		cols = append(cols, column{name: fmt.Sprintf("n%d", j)})
	}
	for j := range 4 {
		cols = append(cols, column{name: fmt.Sprintf("c%d", j)})
	}
	for _, s := range subs {
		cell := commit.IntCell(s.value)
		if typ == "sfix" {
			cell = commit.FixCell(s.value, frac)
		}
		cols[0].cells = append(cols[0].cells, cell)
		nc, cc := commit.Cells(s.nonce, s.commitment)
		for j := range 4 {
			cols[1+j].cells = append(cols[1+j].cells, nc[j])
			cols[5+j].cells = append(cols[5+j].cells, cc[j])
		}
	}
	return cols
}

// randomValue draws a raw value of the k-bit ring: small, medium or full
// width, either sign.
func randomValue(r *rand.Rand, k int) *big.Int {
	var v *big.Int
	switch r.IntN(3) {
	case 0:
		v = big.NewInt(r.Int64N(2001) - 1000)
	case 1:
		v = big.NewInt(r.Int64() >> r.IntN(40))
	default:
		v = new(big.Int).SetUint64(r.Uint64())
		if k == 128 {
			v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(r.Uint64()))
		}
		v.Rsh(v, uint(r.IntN(8)))
	}
	lim := new(big.Int).Lsh(big.NewInt(1), uint(k-1))
	v.Mod(v, new(big.Int).Lsh(lim, 1))
	if v.Cmp(lim) >= 0 {
		v.Sub(v, new(big.Int).Lsh(lim, 1))
	}
	if r.IntN(2) == 0 && v.Cmp(vm.RingMin(k)) != 0 {
		v.Neg(v)
	}
	return v
}

func randomNonce(r *rand.Rand) [commit.NonceSize]byte {
	return [commit.NonceSize]byte(randomBytes(r, commit.NonceSize))
}

// submissions returns n honest random rows, the special values, and forged
// rows: a value one bit off (low bit, a high bit, the sign), a nonce one bit
// off, a commitment one bit off in each of its words, and an all-zero
// commitment.
func submissions(r *rand.Rand, k, n int) []submission {
	var subs []submission
	for _, v := range []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(-1), big.NewInt(-2),
		vm.RingMin(k), vm.RingMax(k), vm.RingMin(64), vm.RingMax(64),
		big.NewInt(1 << 24), big.NewInt(-(1 << 24))} {
		subs = append(subs, honest(v, randomNonce(r)))
	}
	for len(subs) < n {
		subs = append(subs, honest(randomValue(r, k), randomNonce(r)))
	}
	subs = subs[:n]
	flip := func(v *big.Int, bit int) *big.Int {
		return new(big.Int).Xor(v, new(big.Int).Lsh(big.NewInt(1), uint(bit)))
	}
	forge := func(s submission, edit func(*submission)) {
		s.want = false
		edit(&s)
		subs = append(subs, s)
	}
	for i, s := range subs[:min(10, len(subs))] {
		forge(s, func(s *submission) { s.value = flip(s.value, 0) })
		forge(s, func(s *submission) { s.value = flip(s.value, k-2) })
		forge(s, func(s *submission) { s.nonce[i%32] ^= 1 << (i % 8) })
		forge(s, func(s *submission) { s.nonce[31-i%32] ^= 0x80 })
		forge(s, func(s *submission) { s.commitment[8*(i%4)+i%8] ^= 1 << (i % 8) })
		forge(s, func(s *submission) { s.commitment = [commit.Size]byte{} })
	}
	// value's sign bit (within the ring: only for non-negative values below
	// the top, so that it stays in range as a different signed value)
	forge(honest(big.NewInt(5), randomNonce(r)), func(s *submission) { s.value = big.NewInt(-5) })
	// the commitment of the 64-bit truncation of a 128-bit value
	if k == 128 {
		v := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(7))
		s := honest(v, randomNonce(r))
		forge(s, func(s *submission) { s.commitment = commit.Compute(big.NewInt(7), s.nonce) })
	}
	// each commitment word alone wrong (the other three right)
	// (bit 62, and bit 63: a difference word that is the most negative
	// signed integer)
	for j := range 4 {
		forge(honest(randomValue(r, k), randomNonce(r)), func(s *submission) { s.commitment[8*j+7] ^= 0x40 })
		forge(honest(randomValue(r, k), randomNonce(r)), func(s *submission) { s.commitment[8*j+7] ^= 0x80 })
	}
	r.Shuffle(len(subs), func(i, j int) { subs[i], subs[j] = subs[j], subs[i] })
	return subs
}

// 1,000 random pairs and the special and forged rows in one batch: the MPC
// digest equals commit.Compute and check accepts exactly the honest rows,
// for sint and sfix columns, both rings, secret and public commitments.
func TestCheck(t *testing.T) {
	for _, ring := range []int{128, 64} {
		for _, typ := range []string{"sint", "sfix"} {
			for _, public := range []bool{false, true} {
				name := fmt.Sprintf("ring%d/%s/public=%v", ring, typ, public)
				t.Run(name, func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(ring), map[bool]uint64{false: 1, true: 2}[public]))
					p := compile(t, checkProgram(typ, public, true), ring)
					subs := submissions(r, ring, 1000)
					d := dataset(t, p, checkColumns(subs, typ, p.FracBits))
					engines := []engine{emulator}
					if typ == "sfix" {
						engines = append(engines, threeParty)
					}
					for _, e := range engines {
						res, _ := run(t, e, p, d)
						ok := words(t, res, "ok", len(subs))
						h := digests(t, res, len(subs))
						for i, s := range subs {
							require.Equal(t, commit.Compute(s.value, s.nonce), h[i], "%s: row %d digest", e, i)
							require.Equal(t, s.want, ok[i] == 1, "%s: row %d (value %s)", e, i, s.value)
						}
					}
				})
			}
		}
	}
}

// The rounds of check with three parties: at most 60 for a batch of any size
// (39 in the 128-bit ring, 38 in the 64-bit ring, plus one to open the
// result).
func TestCheckRounds(t *testing.T) {
	want := map[int]int64{128: 40, 64: 39}
	for _, ring := range []int{128, 64} {
		for _, public := range []bool{false, true} {
			p := compile(t, checkProgram("sfix", public, false), ring)
			r := rand.New(rand.NewPCG(13, 14))
			for _, n := range []int{1, 37} {
				subs := submissions(r, ring, n)
				res, st := run(t, threeParty, p, dataset(t, p, checkColumns(subs, "sfix", p.FracBits)))
				ok := words(t, res, "ok", len(subs))
				for i, s := range subs {
					require.Equal(t, s.want, ok[i] == 1, "row %d", i)
				}
				rounds := want[ring]
				if public {
					rounds++ // the reveal of the commitment columns
				}
				assert.Equal(t, rounds, st.Rounds, "ring %d, public %v, %d rows", ring, public, len(subs))
				assert.LessOrEqual(t, st.Rounds, int64(61))
			}
		}
	}
}

// The example program of docs/commit.md runs as documented: it counts the
// authentic rows and averages over them only.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/commit.md")
	require.NoError(t, err)
	text := string(doc)
	i := strings.Index(text, "## Using `check` in a program")
	require.GreaterOrEqual(t, i, 0)
	text = text[i:]
	i = strings.Index(text, "```python\n")
	require.GreaterOrEqual(t, i, 0)
	text = text[i+len("```python\n"):]
	src := text[:strings.Index(text, "```")]

	for _, ring := range []int{128, 64} {
		p := compile(t, src, ring)
		r := rand.New(rand.NewPCG(15, uint64(ring)))
		var subs []submission
		for range 30 {
			raw := big.NewInt(r.Int64N(2_000_000<<p.FracBits) - 1_000_000<<p.FracBits)
			subs = append(subs, honest(raw, randomNonce(r)))
		}
		for i := range 7 { // forged: another value, the nonce or the commitment
			s := subs[i]
			s.want = false
			switch i % 3 {
			case 0:
				s.value = new(big.Int).Add(s.value, big.NewInt(1))
			case 1:
				s.nonce[5] ^= 4
			default:
				s.commitment[20] ^= 1
			}
			subs[i] = s
		}
		n, sum := int64(0), new(big.Int)
		for _, s := range subs {
			if s.want {
				n++
				sum.Add(sum, s.value)
			}
		}
		cols := checkColumns(subs, "sfix", p.FracBits)
		names := []string{"balance", "nonce0", "nonce1", "nonce2", "nonce3", "commit0", "commit1", "commit2", "commit3"}
		for j := range cols {
			cols[j].name = names[j]
		}
		d := dataset(t, p, cols)
		for _, e := range []engine{emulator, threeParty} {
			res, _ := run(t, e, p, d)
			o, ok := res.Output("authentic")
			require.True(t, ok)
			assert.Equal(t, big.NewInt(n).String(), vm.ElemBig(ring, o.Value, 0).String(), "%s ring %d", e, ring)
			o, ok = res.Output("mean")
			require.True(t, ok)
			want := new(big.Int).Div(sum, big.NewInt(n)) // floor
			assert.Equal(t, want.String(), vm.ElemBig(ring, o.Value, 0).String(), "%s ring %d", e, ring)
		}
	}
}
