package vm

// The Engine is the part of the interpreter that knows how secrets are held.
//
// One interpreter loop (Machine, exec.go) runs every program: it owns control
// flow, the public registers (P and I classes), parameters, outputs, length
// checks and the error positions. Whatever touches a secret register (the A
// and B classes) goes through an Engine. The plaintext reference executor
// (PlainEngine) and the three-party VM of package runtime are two Engines
// under the same Machine, so the same bytecode gives the same control flow,
// the same run-time errors and the same round count in both.
//
// # Representation
//
// A secret vector is a Share: a fixed number of Vec components of equal
// length, chosen by the engine. The plaintext engine uses one component (the
// clear value); a party of replicated three-party sharing uses two (party i
// holds x_i and x_{i+1} of x = x_0 + x_1 + x_2); a scheme with MACs may add
// more. A-class components are ring vectors (Hi set when k = 128); B-class
// components are 64-bit words (Lo only).
//
// Because every supported sharing is linear, the structural operations on
// secrets — MOV, LEN, SLICE, INDEX, SETIDX, CONCAT, FILL, CHKLEN — act on each
// component independently, and the Machine performs them itself on every
// component. An engine therefore never implements slicing or indexing; it
// only has to keep all components of one Share the same length.
//
// # Contract
//
//   - The Machine checks lengths before it calls an engine: operands of an
//     elementwise operation have equal lengths or length 1 (broadcast, as in
//     the ring kernels); the vectors of Sort and Shuffle have equal lengths;
//     shift amounts and word numbers are in range; AIDIV divisors are non-zero.
//     The engine may rely on these checks.
//   - Results must be fresh storage: a returned Share or Vec must not share
//     memory with an operand, another result, or anything the engine keeps,
//     because the Machine mutates registers in place (SETIDX).
//   - Operands must not be modified or retained.
//   - Local operations cannot fail. An interactive operation receives every
//     argument group of one instruction in one call and must do them all in
//     the same network rounds (Opcode.RoundsFor); it returns one result per
//     group, in order. Its error (a network failure, a detected cheat, a
//     cancelled context) stops the run; the Machine wraps it in a
//     *RuntimeError with the instruction's source position.
//   - Adding or subtracting a public value (PTOA, AADDP, ASUBP, APSUB, PTOB,
//     BXORP, BNOT) touches, in replicated sharing, only the component(s)
//     holding the designated share x_0; multiplying by a public value
//     (AMULP, BANDP) touches every component. That is the engine's business:
//     the Machine just passes the public Vec.
//
// # Writing a networked engine
//
// Local methods are component loops over the exported ring kernels (AddVec,
// MulVec, XorVec, ...). Each interactive method concatenates the groups'
// messages into one message per peer and round, so a batched instruction of
// fifty multiplications costs one round trip, as the compiler intended.
//
// A minimal engine for tests can embed PlainEngine and override methods.

import "context"

// Share is one party's representation of a secret vector: Engine-defined
// components, all of the same length (see the package comment above).
type Share []Vec

// Len returns the length of the secret vector.
func (s Share) Len() int {
	if len(s) == 0 {
		return 0
	}
	return s[0].Len()
}

// Engine performs every operation on secret registers (see above).
type Engine interface {
	// Input loads the secret column of input schema entry in (column c).
	// The result is an A-class share for sint and sfix and a B-class share
	// for sbits. All parties must agree on the length.
	Input(ctx context.Context, in int, c Column) (Share, error)

	// PToA shares a public ring vector trivially (A class).
	PToA(p Vec) Share
	// PToB shares the low 64 bits of each element of a public ring vector
	// trivially (B class).
	PToB(p Vec) Share

	// Local arithmetic on A shares, modulo 2^k, elementwise with
	// broadcasting of length-1 operands.
	AAdd(x, y Share) Share
	ASub(x, y Share) Share
	ANeg(x Share) Share
	AAddP(x Share, p Vec) Share
	ASubP(x Share, p Vec) Share // x - p
	APSub(p Vec, x Share) Share // p - x
	AMulP(x Share, p Vec) Share
	ASum(x Share) Share // a scalar (length 1)

	// Local operations on B shares (64-bit words). Shift and rotation
	// amounts are in [0, 64).
	BXor(x, y Share) Share
	BXorP(x Share, p Vec) Share // p's low 64 bits
	BAndP(x Share, p Vec) Share // p's low 64 bits
	BNot(x Share) Share
	BShl(x Share, m uint) Share
	BShr(x Share, m uint) Share
	BRotl(x Share, m uint) Share

	// Interactive operations: one call per instruction, slices indexed by
	// argument group, results in group order. The semantics are those of
	// the opcodes (opcodes.go); PlainEngine is the reference.

	// Mul (AMUL): x·y elementwise.
	Mul(ctx context.Context, x, y []Share) ([]Share, error)
	// Dot (ADOT): the scalar Σ x_i·y_i.
	Dot(ctx context.Context, x, y []Share) ([]Share, error)
	// Trunc (ATRUNC): floor(x / 2^m) or, for a probabilistic protocol, one
	// more; m in [0, k).
	Trunc(ctx context.Context, x []Share, m []uint) ([]Share, error)
	// Shr (ASHR): exactly floor(x / 2^m); m in [0, k).
	Shr(ctx context.Context, x []Share, m []uint) ([]Share, error)
	// IDiv (AIDIV): floor(x / d) for a public divisor d with no zero
	// element, elementwise with broadcasting (d is usually a scalar).
	IDiv(ctx context.Context, x []Share, d []Vec) ([]Share, error)
	// LTZ (ALTZ): 1 where x < 0 (signed), else 0.
	LTZ(ctx context.Context, x []Share) ([]Share, error)
	// EQZ (AEQZ): 1 where x == 0, else 0.
	EQZ(ctx context.Context, x []Share) ([]Share, error)
	// Open (AOPEN): reveal to every party, as public ring vectors.
	Open(ctx context.Context, x []Share) ([]Vec, error)
	// Sort (ASORT): sort key ascending (signed, stable) and permute every
	// value vector along; all have the same length.
	Sort(ctx context.Context, key Share, vals []Share) (Share, []Share, error)
	// Shuffle (ASHUF): one uniformly random secret permutation applied to
	// every vector; all have the same length.
	Shuffle(ctx context.Context, x []Share) ([]Share, error)
	// BAnd (BAND): x & y on 64-bit words.
	BAnd(ctx context.Context, x, y []Share) ([]Share, error)
	// BOpen (BOPEN): reveal 64-bit words as public ring vectors holding the
	// unsigned word (the high half is 0 when k = 128).
	BOpen(ctx context.Context, x []Share) ([]Vec, error)
	// A2B: word w (0 or 1) of every element as 64-bit words (w = 0 the low
	// 64 bits; w = 1 bits 64..127 for k = 128, the sign extension for
	// k = 64).
	A2B(ctx context.Context, x []Share, w []uint) ([]Share, error)
	// B2A: every 64-bit word read as signed, as a ring element.
	B2A(ctx context.Context, x []Share) ([]Share, error)
}
