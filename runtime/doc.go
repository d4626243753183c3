// Package runtime is what a party needs to run a program with the two
// others: the transport between the three parties, the correlated
// randomness, the secret-sharing protocols (an implementation of vm.Engine),
// and the in-process simulation of all three.
//
// # Sharing
//
// Three parties, honest majority, semi-honest security, ring Z_2^k with
// k = 64 or 128. A secret x is replicated-shared: x = x_0 + x_1 + x_2 and
// party i holds (x_i, x_{i+1}) as the two components of its vm.Share. A
// 64-bit word is shared the same way with XOR (the B register class). A
// public constant is added to x_0 only, which party 0 holds as component 0
// and party 2 as component 1; multiplication by a public value and every
// other linear operation act on each component. So all local operations are
// component loops over the vm ring kernels and cost no communication.
//
// # Randomness
//
// At session set-up party i draws a key with crypto/rand and sends it to
// party i+1 (prg.go): every pair of parties shares an AES-CTR generator the
// third party does not know, with separate streams for zero sharings, ring
// masks and boolean masks, and numbered streams (one per protocol
// invocation and purpose) for the bulk protocols (the standard library's
// AES-CTR, on the CPU's AES instructions). Zero sharings
// and random sharings are therefore free, and the only network traffic is
// that of the protocols themselves.
//
// # Protocols
//
// Engine (engine.go) implements every operation on secrets (see
// docs/protocols.md for each protocol, its rounds and bytes, and what it
// leaves public):
//
//   - proto_mul.go: multiplication, dot product and AND (Araki et al. 2016),
//     opening; one round, one element per party.
//   - proto_mixed.go: the mixed-knowledge round on which the rest builds.
//     Every sharing splits into a part one party U knows (x_U + x_{U+1})
//     and a part the two others know (x_{U+2}); a sum of products of a
//     U-known and an others-known value is computed in one round with a
//     replicated result. Over GF(2) on windows of up to 4 bits it gives the
//     first layer of a comparison with no AND gate; over Z_2^k it converts
//     bits to arithmetic shares and computes wrap corrections. U is rotated:
//     the elements are cut into three segments with U = 0, 1, 2
//     (proto_slice.go), so the parties carry equal loads.
//   - proto_core.go: the window round and the carry and AND trees,
//     bit-sliced: blocks of 64 elements are transposed (proto_slice.go) so
//     that every word operation is one gate for 64 elements;
//     proto_winfn.go holds the generated window evaluators.
//   - proto_cmp.go: LTZ and EQZ; proto_trunc.go: exact truncation (ASHR,
//     ATRUNC) and exact division by a public divisor (AIDIV);
//     proto_inject.go, proto_terms.go: the injection rounds that turn mixed
//     bits into arithmetic shares; proto_conv.go: A2B and B2A.
//   - proto_shuffle.go: the secret shuffle (three permutations, each known to
//     one pair of parties, so no single party knows their composition);
//     proto_sort.go: sorting by shuffle-then-sort (Hamada et al. 2012) with
//     opened comparisons on distinct keys, which reveal nothing beyond n.
//   - proto_bytes.go: messages as words without copies, and the pool of
//     recycled buffers.
//   - store.go: a party's share file; bench.go: the protocol benchmark of
//     mpcvm bench and LocalTLSNetworks.
//
// Every interactive method receives all argument groups of one instruction
// and sends, per peer and round, the groups' data concatenated
// (little-endian, no per-element framing) in one message or a few (a
// multiplication's in pieces of 1 MiB, so that the transfer overlaps the
// computation; a mixed round's U part apart from its N/R part), so a
// batched instruction costs the rounds of one. All traffic goes through
// Engine.sendMsg and Engine.recvMsg, the place where a later
// malicious-security layer will hash the transcript and check it.
//
// Every protocol is exact: results equal the reference executor
// (vm.PlainEngine) bit for bit — truncation and division for inputs in
// [-2^(k-2), 2^(k-2)), everything else for all inputs. In particular
// ATRUNC is exact, so a revealed fixed-point result carries no rounding
// leak (eprint 2024/1127). Division between secrets is compiled into the
// operations above (the prelude's _div, written in .mpcs). Sorting is exact
// for keys whose spread is below 2^(k-1-⌈log2 n⌉); its number of rounds
// depends on the random shuffle, so the opcode table can only estimate it.
//
// # Simulation
//
// Sim (sim.go) deals a clear dataset into shares (SplitDataset), runs the
// three parties' Machines concurrently over a Network (NewMemNetworks for one
// process), checks that the three results agree and reports the traffic.
package runtime
