package vm

// Opcode is one bytecode instruction kind.
//
// Every register holds a vector whose length is known only at run time; a
// scalar is a vector of length 1. Registers come in four classes:
//
//	P  public ring values (int, fix, bool and their vectors; signed
//	   two's-complement in Z_2^k; fix is the integer x·2^F)
//	A  arithmetic shares of ring values (sint, sfix, sbool as 0/1)
//	B  boolean shares of 64-bit words (sbits)
//	I  public 64-bit loop counters and lengths (reserved; the compiler
//	   currently keeps them in P)
//
// Elementwise binary operations take two equal-length vectors, or one of
// length 1 that is broadcast; any other pair of lengths is a run-time error.
// An instruction reads all its operands before it writes any result, so a
// destination may equal a source.
//
// Interactive instructions (Rounds > 0) carry one or more argument groups and
// execute all groups in the same network rounds: this is what the compiler's
// round batching produces. Local instructions have fixed operands only, except
// CONCAT, whose group is its list of sources.
//
// The operand picture of each opcode is in opInfo below; the comment beside
// each opcode gives its meaning, with `=` marking the written operand.
type Opcode uint8

const (
	NOP Opcode = iota // no operation

	// ---- structure and control (any class unless stated) ----
	MOV    // r= r            copy
	LEN    // p= r            length of r as a public scalar
	SLICE  // r= r [p] [p] [p] r[start:stop:step] with Python semantics; absent bounds are None
	INDEX  // r= r p          r[i], negative i counts from the end; out of range is an error
	SETIDX // r= r p r         copy of r with r[i] = scalar (negative i from the end); in place when dst == src
	CONCAT // r= r...         concatenation, all of one class
	FILL   // r= p r          vector of length n filled with a scalar
	RANGE  // p= p p p        public vector range(start, stop, step); step 0 is an error
	CONST  // p= k            load a constant
	JMP    // j               jump
	JZ     // p j             jump if the public scalar is 0
	JNZ    // p j             jump if the public scalar is not 0
	ASSERT // p s             stop with message s if the public scalar is 0
	CHKLEN // r r             error unless both have the same length
	INPUT  // r= in           the secret column of input schema entry in (A or B register)
	PARAM  // p= par          the value of parameter par (its default if not supplied)
	OUTPUT // out p           publish a public value as output out

	// ---- public arithmetic (P; signed two's complement mod 2^k) ----
	PADD  // p= p p
	PSUB  // p= p p
	PMUL  // p= p p
	PNEG  // p= p
	PDIV  // p= p p           floor division (Python //); divisor 0 is an error
	PMOD  // p= p p           Python %, sign of the divisor; divisor 0 is an error
	PFDIV // p= p p           fixed-point division floor(a·2^F / b); divisor 0 is an error
	PPOW  // p= p p           a**e for integer e >= 0 (mod 2^k)
	PSHL  // p= p p           a << s (s in [0, k))
	PSHR  // p= p p           arithmetic a >> s (floor division by 2^s)
	PAND  // p= p p           bitwise
	POR   // p= p p
	PXOR  // p= p p
	PNOT  // p= p             bitwise complement
	PLT   // p= p p           1 if a < b (signed) else 0
	PLE   // p= p p
	PEQ   // p= p p
	PNE   // p= p p
	PSEL  // p= p p p         elementwise c != 0 ? a : b
	PSUM  // p= p             sum of a vector (scalar)

	// ---- secret arithmetic, local (A) ----
	PTOA  // a= p             public value as a (trivial) sharing
	AADD  // a= a a
	ASUB  // a= a a
	ANEG  // a= a
	AADDP // a= a p
	ASUBP // a= a p           a - p
	APSUB // a= p a           p - a
	AMULP // a= a p
	ASUM  // a= a             sum of a vector (scalar)

	// ---- secret arithmetic, interactive (A; batched groups) ----
	AMUL   // {a= a a}        product
	ADOT   // {a= a a}        dot product: scalar Σ x_i·y_i
	ATRUNC // {a= a m}        fixed-point rescale: floor(x / 2^m) (a probabilistic protocol may give one more)
	ASHR   // {a= a m}        exact floor(x / 2^m)
	AIDIV  // {a= a p}        exact floor(x / d) for a public nonzero scalar d
	ALTZ   // {a= a}          1 if x < 0 (signed) else 0
	AEQZ   // {a= a}          1 if x == 0 else 0
	AOPEN  // {p= a}          reveal
	ASORT  // a= a {a= a}     sort the key ascending, carrying the value vectors along (stable)
	ASHUF  // {a= a}          apply one secret uniformly random permutation to every vector

	// ---- boolean shares (B; 64-bit words) ----
	PTOB  // b= p             public value's low 64 bits as a (trivial) sharing
	BXOR  // b= b b
	BXORP // b= b p
	BANDP // b= b p
	BNOT  // b= b
	BSHL  // b= b m           logical shift left by m in [0, 64)
	BSHR  // b= b m           logical shift right by m
	BROTL // b= b m           rotate left by m
	BAND  // {b= b b}         interactive AND
	BOPEN // {p= b}           reveal (as an unsigned 64-bit value)
	A2B   // {b= a m}         word m (0 = low 64 bits, 1 = bits 64..127, sign-extended for k = 64) of x
	B2A   // {a= b}           signed 64-bit word as a ring element

	numOpcodes // sentinel: must stay last
)

// Class is a register class.
type Class uint8

// The register classes.
const (
	ClassP Class = iota // public ring values
	ClassA              // arithmetic shares
	ClassB              // boolean shares
	ClassI              // public 64-bit integers (reserved)
	NumClasses
)

func (c Class) String() string { return [...]string{"p", "a", "b", "i", "?"}[min(int(c), 4)] }

// Reg names a register: its class and its index within the class.
type Reg struct {
	Class Class
	Index uint32
}

// OperandKind says what an operand refers to.
type OperandKind uint8

// Operand kinds of the opcode pictures.
const (
	KP      OperandKind = iota // P register
	KA                         // A register
	KB                         // B register
	KR                         // register of any class (class-tagged in the encoding)
	KOptP                      // optional P register (absent = None)
	KConst                     // index into the constants
	KString                    // index into the string table
	KJump                      // instruction index
	KImm                       // small non-negative immediate
	KInput                     // index into the input schema
	KParam                     // index into the parameters
	KOutput                    // index into the outputs
)

// Mode says whether an operand is read, written, or both.
type Mode uint8

// Operand modes.
const (
	Use Mode = iota
	Def
	UseDef
)

// Arg is one operand of an opcode picture.
type Arg struct {
	Kind OperandKind
	Mode Mode
}

// OpInfo is the metadata of an opcode: the operands of its fixed prefix, the
// operands of its repeated group, and its network cost.
type OpInfo struct {
	Name string
	// Fixed operands come first, exactly once.
	Fixed []Arg
	// Group operands follow, repeated: at least MinGroups times.
	Group     []Arg
	MinGroups int
	// Rounds of communication for one execution (all groups together), as
	// a function of the ring size k and the largest immediate operand m of
	// the instruction (0 if none); nil means local.
	Rounds func(k, m int) int
	// SameClass requires every KR operand of the instruction to be of one class.
	SameClass bool
}

// Interactive reports whether the opcode communicates.
func (o Opcode) Interactive() bool { return o < numOpcodes && opInfo[o].Rounds != nil }

// Info returns the metadata of o; ok is false for an unknown opcode.
func (o Opcode) Info() (info *OpInfo, ok bool) {
	if o >= numOpcodes {
		return nil, false
	}
	return &opInfo[o], true
}

// RoundsFor returns the most rounds one execution of o costs in ring k
// (whatever its immediates); Instr.Rounds gives an instruction's own.
func (o Opcode) RoundsFor(k int) int {
	if o >= numOpcodes || opInfo[o].Rounds == nil {
		return 0
	}
	return opInfo[o].Rounds(k, k-1)
}

func (o Opcode) String() string {
	if o >= numOpcodes {
		return "OP?"
	}
	return opInfo[o].Name
}

// NumOpcodes is the number of defined opcodes.
const NumOpcodes = int(numOpcodes)

// OpcodeByName maps a mnemonic to its opcode.
func OpcodeByName(name string) (Opcode, bool) {
	op, ok := opByName[name]
	return op, ok
}

var opByName = func() map[string]Opcode {
	m := make(map[string]Opcode, numOpcodes)
	for i := Opcode(0); i < numOpcodes; i++ {
		m[opInfo[i].Name] = i
	}
	return m
}()

func log2(k int) int {
	n := 0
	for 1<<n < k {
		n++
	}
	return n
}

// Round costs of the three-party protocols (runtime, docs/protocols.md), as
// functions of the ring size k and of the instruction's largest immediate
// operand m (the shift of ATRUNC/ASHR, the word of A2B). Comparisons split
// into boolean shares locally, take a first layer of 4-bit windows in one
// round, then a log-depth carry tree.
func one(int, int) int        { return 1 }
func ltzRounds(k, _ int) int  { return log2(k) }
func eqzRounds(k, _ int) int  { return log2(k) }
func b2aRounds(int, int) int  { return 1 }
func divRounds(k, _ int) int  { return 1 + log2(k) }
func shufRounds(int, int) int { return 2 }
func sortRounds(k, _ int) int { return 4 * log2(k) } // data-dependent: quicksort levels; an estimate
func a2bRounds(k, m int) int {
	if m == 1 && k == 128 {
		return 6
	}
	return 5
}

// shrRounds: exact truncation by m bits compares m low bits: 2 + ⌈log2 ⌈m/4⌉⌉,
// at least 3 (the injection takes the round after the one that makes its
// bits; with one window, after the window round).
func shrRounds(_, m int) int {
	if m <= 0 {
		return 0
	}
	return max(3, 2+log2((m+3)/4))
}

var (
	rP  = Arg{KP, Use}
	wP  = Arg{KP, Def}
	rA  = Arg{KA, Use}
	wA  = Arg{KA, Def}
	rB  = Arg{KB, Use}
	wB  = Arg{KB, Def}
	rR  = Arg{KR, Use}
	wR  = Arg{KR, Def}
	oP  = Arg{KOptP, Use}
	imm = Arg{KImm, Use}
)

func args(a ...Arg) []Arg { return a }

var opInfo = [numOpcodes]OpInfo{
	NOP:    {Name: "NOP"},
	MOV:    {Name: "MOV", Fixed: args(wR, rR), SameClass: true},
	LEN:    {Name: "LEN", Fixed: args(wP, rR)},
	SLICE:  {Name: "SLICE", Fixed: args(wR, rR, oP, oP, oP), SameClass: true},
	INDEX:  {Name: "INDEX", Fixed: args(wR, rR, rP), SameClass: true},
	SETIDX: {Name: "SETIDX", Fixed: args(wR, rR, rP, rR), SameClass: true},
	CONCAT: {Name: "CONCAT", Fixed: args(wR), Group: args(rR), MinGroups: 1, SameClass: true},
	FILL:   {Name: "FILL", Fixed: args(wR, rP, rR), SameClass: true},
	RANGE:  {Name: "RANGE", Fixed: args(wP, rP, rP, rP)},
	CONST:  {Name: "CONST", Fixed: args(wP, Arg{KConst, Use})},
	JMP:    {Name: "JMP", Fixed: args(Arg{KJump, Use})},
	JZ:     {Name: "JZ", Fixed: args(rP, Arg{KJump, Use})},
	JNZ:    {Name: "JNZ", Fixed: args(rP, Arg{KJump, Use})},
	ASSERT: {Name: "ASSERT", Fixed: args(rP, Arg{KString, Use})},
	CHKLEN: {Name: "CHKLEN", Fixed: args(rR, rR)},
	INPUT:  {Name: "INPUT", Fixed: args(wR, Arg{KInput, Use})},
	PARAM:  {Name: "PARAM", Fixed: args(wP, Arg{KParam, Use})},
	OUTPUT: {Name: "OUTPUT", Fixed: args(Arg{KOutput, Use}, rP)},

	PADD:  {Name: "PADD", Fixed: args(wP, rP, rP)},
	PSUB:  {Name: "PSUB", Fixed: args(wP, rP, rP)},
	PMUL:  {Name: "PMUL", Fixed: args(wP, rP, rP)},
	PNEG:  {Name: "PNEG", Fixed: args(wP, rP)},
	PDIV:  {Name: "PDIV", Fixed: args(wP, rP, rP)},
	PMOD:  {Name: "PMOD", Fixed: args(wP, rP, rP)},
	PFDIV: {Name: "PFDIV", Fixed: args(wP, rP, rP)},
	PPOW:  {Name: "PPOW", Fixed: args(wP, rP, rP)},
	PSHL:  {Name: "PSHL", Fixed: args(wP, rP, rP)},
	PSHR:  {Name: "PSHR", Fixed: args(wP, rP, rP)},
	PAND:  {Name: "PAND", Fixed: args(wP, rP, rP)},
	POR:   {Name: "POR", Fixed: args(wP, rP, rP)},
	PXOR:  {Name: "PXOR", Fixed: args(wP, rP, rP)},
	PNOT:  {Name: "PNOT", Fixed: args(wP, rP)},
	PLT:   {Name: "PLT", Fixed: args(wP, rP, rP)},
	PLE:   {Name: "PLE", Fixed: args(wP, rP, rP)},
	PEQ:   {Name: "PEQ", Fixed: args(wP, rP, rP)},
	PNE:   {Name: "PNE", Fixed: args(wP, rP, rP)},
	PSEL:  {Name: "PSEL", Fixed: args(wP, rP, rP, rP)},
	PSUM:  {Name: "PSUM", Fixed: args(wP, rP)},

	PTOA:  {Name: "PTOA", Fixed: args(wA, rP)},
	AADD:  {Name: "AADD", Fixed: args(wA, rA, rA)},
	ASUB:  {Name: "ASUB", Fixed: args(wA, rA, rA)},
	ANEG:  {Name: "ANEG", Fixed: args(wA, rA)},
	AADDP: {Name: "AADDP", Fixed: args(wA, rA, rP)},
	ASUBP: {Name: "ASUBP", Fixed: args(wA, rA, rP)},
	APSUB: {Name: "APSUB", Fixed: args(wA, rP, rA)},
	AMULP: {Name: "AMULP", Fixed: args(wA, rA, rP)},
	ASUM:  {Name: "ASUM", Fixed: args(wA, rA)},

	AMUL:   {Name: "AMUL", Group: args(wA, rA, rA), MinGroups: 1, Rounds: one},
	ADOT:   {Name: "ADOT", Group: args(wA, rA, rA), MinGroups: 1, Rounds: one},
	ATRUNC: {Name: "ATRUNC", Group: args(wA, rA, imm), MinGroups: 1, Rounds: shrRounds},
	ASHR:   {Name: "ASHR", Group: args(wA, rA, imm), MinGroups: 1, Rounds: shrRounds},
	AIDIV:  {Name: "AIDIV", Group: args(wA, rA, rP), MinGroups: 1, Rounds: divRounds},
	ALTZ:   {Name: "ALTZ", Group: args(wA, rA), MinGroups: 1, Rounds: ltzRounds},
	AEQZ:   {Name: "AEQZ", Group: args(wA, rA), MinGroups: 1, Rounds: eqzRounds},
	AOPEN:  {Name: "AOPEN", Group: args(wP, rA), MinGroups: 1, Rounds: one},
	ASORT:  {Name: "ASORT", Fixed: args(wA, rA), Group: args(wA, rA), MinGroups: 0, Rounds: sortRounds},
	ASHUF:  {Name: "ASHUF", Group: args(wA, rA), MinGroups: 1, Rounds: shufRounds},

	PTOB:  {Name: "PTOB", Fixed: args(wB, rP)},
	BXOR:  {Name: "BXOR", Fixed: args(wB, rB, rB)},
	BXORP: {Name: "BXORP", Fixed: args(wB, rB, rP)},
	BANDP: {Name: "BANDP", Fixed: args(wB, rB, rP)},
	BNOT:  {Name: "BNOT", Fixed: args(wB, rB)},
	BSHL:  {Name: "BSHL", Fixed: args(wB, rB, imm)},
	BSHR:  {Name: "BSHR", Fixed: args(wB, rB, imm)},
	BROTL: {Name: "BROTL", Fixed: args(wB, rB, imm)},
	BAND:  {Name: "BAND", Group: args(wB, rB, rB), MinGroups: 1, Rounds: one},
	BOPEN: {Name: "BOPEN", Group: args(wP, rB), MinGroups: 1, Rounds: one},
	A2B:   {Name: "A2B", Group: args(wB, rA, imm), MinGroups: 1, Rounds: a2bRounds},
	B2A:   {Name: "B2A", Group: args(wA, rB), MinGroups: 1, Rounds: b2aRounds},
}
