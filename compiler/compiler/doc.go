// Package compiler turns .mpcs programs into bytecode for the three-party VM.
//
// The pipeline:
//
//  1. Parse (package lang) every module: the program, the embedded standard
//     library modules it imports (package stdlib; then the program's folder
//     and -I paths), and the prelude of builtins written in .mpcs
//     (prelude.mpcs: max, min and ** with a run-time exponent).
//  2. Resolve (resolve.go): scopes and imports; unknown names (with a
//     suggestion), unknown types, break/continue/return placement, duplicate
//     definitions, and recursion through the static call graph.
//  3. Check and lower (elab.go, expr.go, calls.go, builtins.go, loops.go): one
//     type-directed walk from the program's top level. Every value has a
//     static type (LANGUAGE.md §3) and is public or secret; the walk enforces
//     the secrecy rule (conditions, loop bounds, indices and lengths must be
//     public) and reports every error with a hint of what to write instead.
//     Functions are specialized for the types of their arguments by inlining
//     them at each call site, which also lets round batching work across
//     stdlib calls. Public constants stay symbolic and are folded as they
//     combine; they reach a register only when an instruction needs them.
//     Loops whose trip count is known and small are unrolled; all others are
//     loops in the bytecode, so code size never depends on the data size.
//     Variables carried around loops and across branches get their types
//     joined first (a speculative walk with code and diagnostics discarded).
//     The output is an IR (ir.go): a flat list of vector instructions over
//     virtual registers with the opcodes of package vm, and labels.
//  4. Optimize (opt.go): common subexpressions per basic block, dead code,
//     then round batching: each block is list-scheduled so that all ready
//     interactive instructions of one kind merge into one instruction, i.e.
//     one network round (100 independent products are one AMUL).
//  5. Allocate registers (regalloc.go): linear scan over live intervals per
//     register class; registers hold whole vectors, so reuse bounds memory.
//  6. Emit (emit.go) a vm.Program and check it with vm.Verify.
package compiler
