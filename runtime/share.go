package runtime

// Dealing and reconstructing replicated shares, and an in-memory store of a
// party's input shares.
//
// A value x of Z_2^k is split as x = x_0 + x_1 + x_2 with x_0, x_1 uniform;
// party i receives (x_i, x_{i+1}) as the two components of its vm.Share. A
// 64-bit word is split the same way with XOR. Each party's Share is fresh
// storage.

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/mpcs/mpcs/vm"
)

// randomVec returns n uniform elements of ring k (64-bit words for k = 64).
func randomVec(k, n int, r io.Reader) (vm.Vec, error) {
	v := vm.NewVec(k, n)
	w := k / 64
	buf := make([]byte, 8*w*n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return vm.Vec{}, fmt.Errorf("reading randomness: %w", err)
	}
	for i := range n {
		v.Lo[i] = binary.LittleEndian.Uint64(buf[8*w*i:])
		if w == 2 {
			v.Hi[i] = binary.LittleEndian.Uint64(buf[16*i+8:])
		}
	}
	return v, nil
}

func orCryptoRand(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// SplitArith deals the ring vector x (ring k) into the three parties'
// arithmetic shares; rand supplies the randomness (crypto/rand if nil).
func SplitArith(k int, x vm.Vec, rnd io.Reader) ([3]vm.Share, error) {
	rnd = orCryptoRand(rnd)
	n := x.Len()
	x = normTo(k, x)
	var c [3]vm.Vec
	var err error
	for i := range 2 {
		if c[i], err = randomVec(k, n, rnd); err != nil {
			return [3]vm.Share{}, err
		}
	}
	c[2] = vm.NewVec(k, n)
	vm.SubVec(k, c[2], x, c[0])
	vm.SubVec(k, c[2], c[2], c[1])
	var s [3]vm.Share
	for p := range 3 {
		s[p] = vm.Share{vm.CloneVec(c[p]), vm.CloneVec(c[(p+1)%3])}
	}
	return s, nil
}

// SplitBool deals the 64-bit words x into the three parties' boolean
// shares; rand supplies the randomness (crypto/rand if nil).
func SplitBool(x vm.Vec, rnd io.Reader) ([3]vm.Share, error) {
	rnd = orCryptoRand(rnd)
	n := x.Len()
	var c [3]vm.Vec
	var err error
	for i := range 2 {
		if c[i], err = randomVec(64, n, rnd); err != nil {
			return [3]vm.Share{}, err
		}
	}
	c[2] = vm.NewWords(n)
	vm.Xor64(c[2].Lo, x.Lo, c[0].Lo)
	vm.Xor64(c[2].Lo, c[2].Lo, c[1].Lo)
	var s [3]vm.Share
	for p := range 3 {
		s[p] = vm.Share{vm.CloneVec(c[p]), vm.CloneVec(c[(p+1)%3])}
	}
	return s, nil
}

// Reconstruct returns the ring vector (ring k) whose arithmetic shares the
// three parties hold. It checks that the replicated components agree.
func Reconstruct(k int, s [3]vm.Share) (vm.Vec, error) {
	if err := checkReplicated(k, s, false); err != nil {
		return vm.Vec{}, err
	}
	r := vm.NewVec(k, s[0].Len())
	vm.AddVec(k, r, normTo(k, s[0][0]), normTo(k, s[1][0]))
	vm.AddVec(k, r, r, normTo(k, s[2][0]))
	return r, nil
}

// ReconstructBool returns the 64-bit words whose boolean shares the three
// parties hold. It checks that the replicated components agree.
func ReconstructBool(s [3]vm.Share) (vm.Vec, error) {
	if err := checkReplicated(64, s, true); err != nil {
		return vm.Vec{}, err
	}
	r := vm.NewWords(s[0].Len())
	vm.Xor64(r.Lo, s[0][0].Lo, s[1][0].Lo)
	vm.Xor64(r.Lo, r.Lo, s[2][0].Lo)
	return r, nil
}

func checkReplicated(k int, s [3]vm.Share, boolean bool) error {
	for p := range 3 {
		if len(s[p]) != 2 {
			return fmt.Errorf("party %d: share has %d components, want 2", p, len(s[p]))
		}
		if s[p][0].Len() != s[0][0].Len() || s[p][1].Len() != s[0][0].Len() {
			return fmt.Errorf("party %d: share lengths differ", p)
		}
	}
	for p := range 3 {
		// party p's component 1 is party p+1's component 0.
		a, b := s[p][1], s[(p+1)%3][0]
		for i := range a.Lo {
			same := a.Lo[i] == b.Lo[i]
			if !boolean && k == 128 {
				same = same && elemHi(a, i) == elemHi(b, i)
			}
			if !same {
				return fmt.Errorf("share component x_%d differs between parties %d and %d at element %d", (p+1)%3, p, (p+1)%3, i)
			}
		}
	}
	return nil
}

func elemHi(v vm.Vec, i int) uint64 {
	if v.Hi == nil {
		return 0
	}
	return v.Hi[i]
}

// normTo gives v the layout of ring k (Hi present iff k = 128).
func normTo(k int, v vm.Vec) vm.Vec {
	if k == 64 {
		return vm.Vec{Lo: v.Lo}
	}
	if v.Hi == nil {
		return vm.Vec{Lo: v.Lo, Hi: make([]uint64, len(v.Lo))}
	}
	return v
}

// SharedDataset is one party's shares of a dataset, held in memory; it is
// an InputSource.
type SharedDataset struct {
	Ring, FracBits int
	Rows           int
	Columns        []vm.Column
	Shares         []vm.Share // Shares[i] is this party's share of Columns[i]
}

// Column implements InputSource.
func (d *SharedDataset) Column(_ context.Context, c vm.Column, k, f int) (vm.Share, error) {
	for i, col := range d.Columns {
		if col.Name != c.Name || col.Type != c.Type {
			continue
		}
		if c.Type != vm.TSbits {
			if d.Ring != k {
				return nil, fmt.Errorf("the shares of %q are for a %d-bit ring, the program for %d bits", c.Name, d.Ring, k)
			}
			if c.Type == vm.TSfix && d.FracBits != f {
				return nil, fmt.Errorf("the shares of %q have %d fractional bits, the program %d", c.Name, d.FracBits, f)
			}
		}
		return d.Shares[i], nil
	}
	return nil, fmt.Errorf("no shares of a %s column %q", c.Type, c.Name)
}

// SplitDataset deals a clear dataset into the three parties' shares (sint
// and sfix columns arithmetically, sbits columns as boolean shares); rand
// supplies the randomness (crypto/rand if nil).
func SplitDataset(d *vm.Dataset, rnd io.Reader) ([3]*SharedDataset, error) {
	var out [3]*SharedDataset
	for p := range 3 {
		out[p] = &SharedDataset{Ring: d.Ring, FracBits: d.FracBits, Rows: d.Rows,
			Columns: append([]vm.Column(nil), d.Columns...)}
	}
	for i, c := range d.Columns {
		var s [3]vm.Share
		var err error
		if c.Type == vm.TSbits {
			s, err = SplitBool(d.Values[i], rnd)
		} else {
			s, err = SplitArith(d.Ring, d.Values[i], rnd)
		}
		if err != nil {
			return out, fmt.Errorf("column %q: %w", c.Name, err)
		}
		for p := range 3 {
			out[p].Shares = append(out[p].Shares, s[p])
		}
	}
	return out, nil
}
