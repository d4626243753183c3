// Package dzk is an evaluated alternative to the engine's verified
// multiplications (runtime/security_mul.go), kept to measure it: it sends
// about as little as the semi-honest protocol, but `go test ./runtime/dzk
// -run XXX -bench Roles` measured about 3.5 µs of CPU per product for the
// three roles together at n = 2^20 (prover 2.1, verifiers 1.2 and 0.18),
// over 100× a semi-honest product, so the engine does not use it
// (docs/security.md).
//
// It verifies a batch of replicated-secret-sharing multiplications
// (Araki et al., CCS 2016) against a malicious prover with a distributed
// zero-knowledge proof, after Boyle, Gilboa, Ishai and Nof, "Practical fully
// secure three-party computation via sublinear distributed zero-knowledge
// proofs" (CCS 2019), over Galois rings as in their "Efficient fully secure
// computation via distributed zero-knowledge proofs" (Asiacrypt 2020).
//
// Party i (the prover) sent z_j = a_j·b_j + a_j·b'_j + a'_j·b_j + α_j for
// every gate j, with a = x_i, b = y_i, a' = x_{i+1}, b' = y_{i+1}. Party i-1
// (Vp) knows a, b and Cp_j = z_j - a_j·b_j + Fp_j; party i+1 (Vn) knows a',
// b' and Cn_j = -Fn_j. The claim is Cp_j + Cn_j = a_j·b'_j + b_j·a'_j for all j.
//
// Protocol (Prove, VerifyPrev, VerifyNext):
//
//   - θ_j ∈ S, the elements of GR(2^128, D) = Z_2^128[X]/(X^41+X^3+1) with
//     0/1 coefficients, come from a seed of the Vp–Vn key that Vn reveals to
//     the prover after all z were sent. The batch becomes one inner-product
//     claim <U, W> with U = (θ⊙a, μ | θ⊙b, 0), W = (b', ν | a', 0); μ (known to
//     prover and Vp) and ν (prover and Vn) are uniform masks, and the prover
//     sends Vn its share of μν.
//   - Each level halves the vectors: the prover sends Vn additive shares of
//     q0 and q2 of q(X) = <U_L + X(U_R-U_L), W_L + X(W_R-W_L)> (Vp's shares
//     come from the prover–Vp PRG, so Vp receives nothing); q1 is derived
//     from the shared claim, so q(0)+q(1) = claim holds by construction. Vn
//     answers with r ∈ S \ {0,1} drawn from the Vp–Vn key, which Vp draws
//     too; everybody folds U, W and the claim shares with r. Odd lengths are
//     padded with zero. The first level pairs a_j with b_j and is computed
//     from the base-ring data with table-driven θ-weighted sums; after it U
//     is materialized as θ_j·(a_j + r·(b_j - a_j)), while W, which has no θ,
//     stays a base-ring combination of products of challenges for a few
//     levels.
//   - At length 1 Vp and Vn exchange (u, claim share) and (w, claim share)
//     and accept iff u·w equals the sum of the claim shares.
//
// Soundness: a wrong z (any nonzero error) survives the θ step with
// probability at most 2^-41, and each of the L = Levels(n) halving levels
// lets a wrong claim through with probability at most 2/(2^41-2), so a
// cheating prover is accepted with probability at most (2L+1)/(2^41-2):
// about 2^-35.8 for n = 2^16 (L = 18) and 2^-35.5 for n = 2^20 (L = 22).
//
// What is revealed: Vn sees the prover's shares, each masked by the
// prover–Vp PRG; at the end u and w are uniform (μ and ν enter with unit
// weights) and each claim share is masked by the other verifier's PRG
// shares, so the verifiers learn only whether the check passed. The
// verifiers are assumed to follow the protocol for soundness; the prover
// learns θ and the challenges only after committing to what they answer.
//
// Rings: K = 128 is native. K = 64 runs the same computation (reduction mod
// 2^64 is a ring homomorphism), sends 8-byte coefficients and compares mod
// 2^64. AND gates would map to the same protocol over GF(2^d) with
// bit-packed words (θ-weighted sums become AND+parity per 64 gates, folds
// carry-less multiplications); not implemented here.
package dzk
