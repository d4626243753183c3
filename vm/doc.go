// Package vm owns the bytecode of mpcs and runs it.
//
// The instruction set (opcodes.go) is one table both the compiler and the
// VM use: every opcode has an operand picture (fixed operands, then a group
// that interactive instructions repeat: one instruction, however many
// groups, is one network round), its rounds per ring size, and a comment
// stating its meaning. A Program (program.go) is a register machine over
// vectors whose length is known only at run time, so the same bytecode serves
// 10 or 10 million rows.
//
// The file format (encode.go, decode.go) is canonical and hashed; Decode
// treats its input as hostile (it arrives from a coordinator a party does not
// fully trust) and Verify (verify.go) checks every operand before anything
// runs. Disassemble and Assemble (disasm.go, asm.go) are the debugging
// surface and round-trip byte for byte.
//
// The Machine (exec.go) runs a program: control flow, public registers and
// the structural operations on vectors (slice, index, concat, fill) are its
// own; everything that touches secret values goes through an Engine
// (engine.go). The plaintext engine (engine_plain.go) computes on cleartext
// and is the reference executor (Emulate); the three-party engine in package
// runtime computes on replicated shares. Both run the same interpreter, so a
// differential test of the two compares protocols, not interpreters.
//
// Ring kernels work on structure-of-arrays vectors of Z_2^64 or Z_2^128
// elements (Vec). ring_generic.go is the elementwise reference with
// broadcasting; kernels.go is the slice-level API (Add64, Mul128, CrossMul64,
// ...) the protocols use, with a pure-Go path (kernels_generic.go) and AVX2
// and AVX-512 paths generated with avo (vm/_asm, `make generate`) chosen at
// start-up with cpuid, or by UseKernels (mpcvm --kernels); the purego build
// tag leaves only the pure-Go path. Fuzz tests hold every path equal to the
// generic one.
package vm
