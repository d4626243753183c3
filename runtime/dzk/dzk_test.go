package dzk

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
)

// batch is one simulated batch of replicated multiplications.
type batch struct {
	p             Params
	kPV, kPN, kVV Key
	prover        ProverInput
	prev          PrevInput
	next          NextInput
}

func mask(k int, x U128) U128 {
	if k == 64 {
		x.Hi = 0
	}
	return x
}

// newBatch draws n gates with honest messages z.
func newBatch(rng *rand.Rand, n, k int) *batch {
	bt := &batch{p: Params{N: n, K: k, Batch: rng.Uint64()}}
	for _, key := range []*Key{&bt.kPV, &bt.kPN, &bt.kVV} {
		for i := range key {
			key[i] = byte(rng.Uint32())
		}
	}
	in := &bt.prover
	for range n {
		a, b, a1, b1 := mask(k, rndU(rng)), mask(k, rndU(rng)), mask(k, rndU(rng)), mask(k, rndU(rng))
		fp, fn := mask(k, rndU(rng)), mask(k, rndU(rng))
		// z = x_i·y_i + x_i·y_{i+1} + x_{i+1}·y_i + Fn - Fp
		z := mask(k, a.Mul(b).Add(a.Mul(b1)).Add(a1.Mul(b)).Add(fn).Sub(fp))
		in.A, in.B, in.A1, in.B1 = append(in.A, a), append(in.B, b), append(in.A1, a1), append(in.B1, b1)
		bt.prev.C = append(bt.prev.C, mask(k, PrevClaim(z, a, b, fp)))
		bt.next.C = append(bt.next.C, mask(k, NextClaim(fn)))
	}
	bt.prev.A, bt.prev.B = in.A, in.B
	bt.next.A1, bt.next.B1 = in.A1, in.B1
	return bt
}

// tamperConn adds delta to coefficient coef of the message number msg sent
// through it (counting from 0).
type tamperConn struct {
	Conn
	msg, count int
	pos        int
	delta      byte
}

func (c *tamperConn) Send(p []byte) error {
	if c.count == c.msg {
		p = append([]byte(nil), p...)
		p[c.pos%len(p)] += c.delta
	}
	c.count++
	return c.Conn.Send(p)
}

type result struct {
	errP, errVp, errVn       error
	bytesP, bytesVp, bytesVn int64
	msgs                     int64
}

// run executes the three roles in goroutines; wrap may replace the prover's
// end of its link to Vn.
func run(bt *batch, wrap func(Conn) Conn) result {
	pToVn, vnToP := MemPipe()
	vpToVn, vnToVp := MemPipe()
	var res result
	var wg sync.WaitGroup
	var pc Conn = pToVn
	if wrap != nil {
		pc = wrap(pc)
	}
	wg.Go(func() {
		res.errP = Prove(bt.p, bt.kPV, bt.kPN, bt.prover, pc)
	})
	wg.Go(func() {
		res.errVp = VerifyPrev(bt.p, bt.kPV, bt.kVV, bt.prev, vpToVn)
	})
	wg.Go(func() {
		res.errVn = VerifyNext(bt.p, bt.kPN, bt.kVV, bt.next, vnToP, vnToVp)
		if res.errVn != nil && !errors.Is(res.errVn, ErrReject) {
			pToVn.Close()
		}
	})
	wg.Wait()
	res.bytesP, res.bytesVp, res.bytesVn = pToVn.Bytes.Load(), vpToVn.Bytes.Load(), vnToP.Bytes.Load()+vnToVp.Bytes.Load()
	res.msgs = pToVn.Msgs.Load() + vpToVn.Msgs.Load() + vnToP.Msgs.Load() + vnToVp.Msgs.Load()
	return res
}

func TestHonest(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for _, k := range []int{128, 64} {
		for _, n := range []int{1, 2, 3, 5, 7, 31, 64, 65, 100, 1000, 4097} {
			bt := newBatch(rng, n, k)
			res := run(bt, nil)
			if res.errP != nil || res.errVp != nil || res.errVn != nil {
				t.Fatalf("k=%d n=%d: honest batch rejected: %v %v %v", k, n, res.errP, res.errVp, res.errVn)
			}
			if n == 1000 && k == 128 {
				t.Logf("n=%d: levels %d, prover sent %d B, Vp %d B, Vn %d B, %d messages",
					n, Levels(n), res.bytesP, res.bytesVp, res.bytesVn, res.msgs)
			}
		}
	}
}

func rejected(res result) bool {
	return errors.Is(res.errVp, ErrReject) && errors.Is(res.errVn, ErrReject)
}

// TestWrongZ changes one gate's message z by 1, 2^127 (2^63 for k = 64)
// or a random value, with fresh randomness every trial.
func TestWrongZ(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	trials := 300
	if testing.Short() {
		trials = 60
	}
	for trial := range trials {
		k := 128
		if trial%4 == 3 {
			k = 64
		}
		n := 1 + rng.IntN(70)
		bt := newBatch(rng, n, k)
		var e U128
		switch trial % 3 {
		case 0:
			e = U128{Lo: 1}
		case 1:
			e = U128{Hi: 1 << 63}
			if k == 64 {
				e = U128{Lo: 1 << 63}
			}
		default:
			e = mask(k, rndU(rng))
			if e.Lo|e.Hi == 0 {
				e.Lo = 1
			}
		}
		j := rng.IntN(n)
		// A wrong z shows in Vp's part of the claim.
		bt.prev.C = append([]U128(nil), bt.prev.C...)
		bt.prev.C[j] = mask(k, bt.prev.C[j].Add(e))
		if res := run(bt, nil); !rejected(res) {
			t.Fatalf("trial %d (n=%d k=%d gate %d e=%v): not caught: %v %v", trial, n, k, j, e, res.errVp, res.errVn)
		}
	}
}

// TestWrongProof alters the prover's message of every level in turn.
func TestWrongProof(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 15))
	for _, n := range []int{1, 2, 9, 100} {
		for _, k := range []int{128, 64} {
			for lvl := range Levels(n) {
				for _, delta := range []byte{1, 0x80} {
					bt := newBatch(rng, n, k)
					pos := rng.IntN(1 << 20)
					if delta == 0x80 {
						pos = pos/(k/8)*(k/8) + k/8 - 1 // top byte of a coefficient: adds 2^(k-1)
					}
					res := run(bt, func(c Conn) Conn {
						return &tamperConn{Conn: c, msg: lvl, pos: pos, delta: delta}
					})
					if !rejected(res) {
						t.Fatalf("n=%d k=%d level %d: tampered message not caught: %v %v", n, k, lvl, res.errVp, res.errVn)
					}
				}
			}
		}
	}
}
