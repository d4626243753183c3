package runtime

import (
	"context"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/mpcs/mpcs/vm"
)

// Fuzz targets of the fast paths, each against a simple version: the
// numbered keystreams against a plain AES-CTR, the generated window
// evaluators against the term tables, and the three-party comparisons and
// truncations (bit-sliced, with every fast injection path) against the
// reference executor.

func FuzzNumberedStream(f *testing.F) {
	f.Add(uint64(1), uint64(2), uint64(3), uint32(4), 100, 300)
	f.Fuzz(func(t *testing.T, k0, k1, call uint64, sub uint32, n1, n2 int) {
		var key [16]byte
		binary.LittleEndian.PutUint64(key[:], k0)
		binary.LittleEndian.PutUint64(key[8:], k1)
		p, err := newPairPRG(key[:])
		if err != nil {
			t.Fatal(err)
		}
		n1, n2 = (n1%5000+5000)%5000, (n2%5000+5000)%5000
		ks := p.stream(call, sub)
		var iv [16]byte
		binary.BigEndian.PutUint64(iv[:8], call)
		binary.BigEndian.PutUint32(iv[8:12], sub)
		ref := cipher.NewCTR(p.sub.blk, iv[:])
		for _, n := range []int{n1, n2, n1 + n2} {
			got, want := make([]byte, n), make([]byte, n)
			ks.fill(got)
			ref.XORKeyStream(want, want)
			if string(got) != string(want) {
				t.Fatalf("keystream differs (call %d sub %d, read of %d)", call, sub, n)
			}
		}
	})
}

func FuzzWindowEval(f *testing.F) {
	f.Add(uint64(1), 24, true)
	f.Fuzz(func(t *testing.T, seed uint64, L int, withConst bool) {
		L = 1 + (L%128+128)%128
		rng := testRNG(seed)
		fns := []*winFn{gpFn(L, cmpWindows(L)), eqFn(L, cmpWindows(L))}
		if L%4 == 0 {
			fns = append(fns, prefixFn(L))
		}
		for _, fn := range fns {
			rows, ev := make([]uint64, L), make([]uint64, fn.M)
			for i := range rows {
				rows[i] = rng.Uint64()
			}
			for i := range ev {
				ev[i] = rng.Uint64()
			}
			got, want := make([]uint64, len(fn.outs)), make([]uint64, len(fn.outs))
			fn.evalBlock(got, ev, rows, withConst)
			fn.evalTable(want, ev, rows, withConst)
			for o := range got {
				if got[o] != want[o] {
					t.Fatalf("L = %d kind %d output %d differs", L, fn.kind, o)
				}
			}
		}
	})
}

func FuzzComparisons(f *testing.F) {
	f.Add(uint64(7), uint16(100), uint8(24), false)
	f.Add(uint64(8), uint16(3), uint8(63), true)
	engines := map[int][3]*Engine{64: testEngines(f, 64, 16, [3]InputSource{}), 128: testEngines(f, 128, 24, [3]InputSource{})}
	f.Fuzz(func(t *testing.T, seed uint64, n16 uint16, m uint8, k64 bool) {
		k := 128
		if k64 {
			k = 64
		}
		es := engines[k]
		n := 1 + int(n16)%700
		mm := 1 + uint(m)%uint(k-1)
		rng := testRNG(seed)
		ctx := context.Background()
		pe := vm.NewPlainEngine(k, defaultF(k), nil)
		full, lim := testVec(k, n, true, rng), testVec(k, n, false, rng)
		fsh, lsh := dealA(t, k, []vm.Vec{full}, seed), dealA(t, k, []vm.Vec{lim}, seed+1)
		check := func(name string, in vm.Vec, got [3][]vm.Share, want []vm.Share, err error) {
			if err != nil {
				t.Fatal(err)
			}
			requireSameVec(t, k, want[0][0], reconA(t, k, got, 0), fmt.Sprintf("%s k=%d m=%d", name, k, mm), in)
		}
		got := on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) { return e.LTZ(ctx, fsh[e.me]) })
		want, err := pe.LTZ(ctx, plainShares([]vm.Vec{full}))
		check("LTZ", full, got, want, err)
		got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) { return e.EQZ(ctx, fsh[e.me]) })
		want, err = pe.EQZ(ctx, plainShares([]vm.Vec{full}))
		check("EQZ", full, got, want, err)
		got = on3(t, es, func(ctx context.Context, e *Engine) ([]vm.Share, error) { return e.Shr(ctx, lsh[e.me], []uint{mm}) })
		want, err = pe.Shr(ctx, plainShares([]vm.Vec{lim}), []uint{mm})
		check("Shr", lim, got, want, err)
	})
}
