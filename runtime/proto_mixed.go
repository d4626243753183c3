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
// The window round (proto_core.go) uses this over GF(2) on windows of w <= 4
// bits of an addition a + b (or comparison): any function of the window's
// bits of a and b is a sum of products A_S·H_S(b) over the 2^w - 1
// monomials A_S = ∏_{i∈S} a_i of U's bits, and for the carry-lookahead
// functions (generate G, propagate P, in-window prefixes, equality) every
// H_S is a single monomial of b. So U sends 2^w - 1 masked bits per window
// to each of N and R, N and R one bit per output, and the first layer of a
// comparison is done in one round without any AND gates. The general
// injection (proto_terms.go) uses it over Z_2^k to convert bits known in
// mixed form (c ⊕ d, c at U, d at N and R) into arithmetic shares:
// c ⊕ d = d + c·(1 − 2d); the injection of comparisons and truncation
// (proto_inject.go) is a variant in which U sends to N only, in the round
// that makes d. U is not one fixed party: every protocol cuts its
// elements into three segments with U = 0, 1, 2 (proto_slice.go).

import (
	"context"
	"math/bits"
)

// Roles of a mixed round, relative to the party U that holds the u side.
const (
	roleU = iota
	roleN
	roleR
)

// role returns this party's role in a mixed round whose U is party u.
func (e *Engine) role(u int) int {
	switch e.me {
	case u:
		return roleU
	case Next(u):
		return roleN
	}
	return roleR
}

// recvMixed receives the messages of a mixed round, in the order the peers
// send them: from the previous party its U part of the segment where this
// party is N (uN bytes), from the next party its U part of the segment where
// this party is R (uR bytes), then B_N from the previous party and B_R from
// the next (bN, bR bytes).
func (e *Engine) recvMixed(ctx context.Context, uN, uR, bN, bR int) (msgUN, msgUR, fromN, fromR []byte, err error) {
	prev, next := Prev(e.me), Next(e.me)
	if msgUN, err = e.recv(ctx, prev, uN); err != nil {
		return
	}
	if msgUR, err = e.recv(ctx, next, uR); err != nil {
		return
	}
	if fromN, err = e.recv(ctx, prev, bN); err != nil {
		return
	}
	fromR, err = e.recv(ctx, next, bR)
	return
}

// ---- window functions ----

// noTerm marks an absent monomial in the term tables.
const noTerm = 0xFF

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
