package runtime

// The security model of a session and the checks of the malicious mode
// (docs/security.md).
//
// Under SemiHonest the parties follow the protocols and nothing is checked.
// Under Malicious every interactive step is verified, and checks run before
// and after every value the program reveals and at the end of the run
// (Engine.Run), so that no result leaves a run a party deviated in:
//
//   - Opens: party i learns x_{i-1} from party i-1; party i+1 holds the same
//     component and sends a digest of every value it would have sent to
//     party i, who compares it with the digest of what it received.
//   - Shared values: the key k_{i,i+1} and the component x_{i+1} of every
//     input column are held by party i and party i+1; party i sends their
//     digest to party i+1, which compares it with its own.
//   - Multiplications, dot products and ANDs: Beaver multiplication with
//     triples checked by cut-and-choose and bucket sacrifice
//     (security_mul.go); the sacrifices' values, which must be 0, are
//     digested like the opens (party i sends party i+1 the digest of what
//     party i+1's component must be).
//   - Conversions, comparisons, truncation and division (security_conv.go)
//     and sort and shuffle (security_sort.go) are built from those steps.
//
// The digests (GMAC keyed by the comparing pair's PRG, tags accumulated by
// SHA-256) cover the values in the order the run produced them, so one
// exchange of 32 bytes per digest and peer covers everything since the
// start. After the digests each party sends its verdict to both
// others, so that one honest party's detection stops every honest party: a
// deviation seen by anyone is an abort everywhere, with no output.

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"

	"github.com/mpcs/mpcs/vm"
)

// Security is the adversary model a session runs under.
type Security uint8

// The security models.
const (
	// SemiHonest assumes every party follows the protocol.
	SemiHonest Security = iota
	// Malicious tolerates one party deviating arbitrarily: a deviation is
	// detected and the run aborts with no output.
	Malicious
)

// String returns the model's command-line name.
func (s Security) String() string {
	if s == Malicious {
		return "malicious"
	}
	return "semi-honest"
}

// ParseSecurity parses "semi-honest" or "malicious".
func ParseSecurity(s string) (Security, error) {
	switch s {
	case "semi-honest":
		return SemiHonest, nil
	case "malicious":
		return Malicious, nil
	}
	return 0, fmt.Errorf("unknown security model %q (want semi-honest or malicious)", s)
}

// EngineOption configures NewEngine.
type EngineOption func(*engineOptions)

type engineOptions struct {
	sec   Security
	cheat Cheat
}

// WithSecurity sets the session's security model (SemiHonest by default).
// All three parties must choose the same; the set-up round checks it.
func WithSecurity(s Security) EngineOption { return func(o *engineOptions) { o.sec = s } }

// ErrCheating is the error (errors.Is) of a run that a deviating party
// made abort.
var ErrCheating = errors.New("a party deviated from the protocol")

// CheatError reports a detected deviation: the step whose check failed, the
// party that detected it and the parties one of which deviated (the
// protocol cannot always tell which of two holders of a value lied).
type CheatError struct {
	Step     string // "open", "shared" (keys and input shares), "triple", "verdict"
	Detector int    // the party whose check failed
	Suspects []int  // the parties one of which deviated
}

func (e *CheatError) Error() string {
	s := make([]string, len(e.Suspects))
	for i, p := range e.Suspects {
		s[i] = fmt.Sprintf("party %d", p)
	}
	what := map[string]string{
		"open":    "found the opened values inconsistent",
		"shared":  "found the keys or input shares it holds with another party inconsistent",
		"triple":  "found a wrong multiplication (a multiplication triple failed its check)",
		"verdict": "received a malformed verdict",
	}[e.Step]
	who := "a party deviated"
	if len(s) > 0 {
		who = strings.Join(s, " or ") + " deviated"
	}
	return fmt.Sprintf("aborted, no output: party %d %s (%s)", e.Detector, what, who)
}

// Is makes errors.Is(err, ErrCheating) hold.
func (e *CheatError) Is(target error) bool { return target == ErrCheating }

// verifiedOps are the interactive opcodes with a verified protocol: all of
// them today. An opcode added later without one is refused under Malicious
// (checkVerifiable) rather than run unchecked.
var verifiedOps = map[vm.Opcode]bool{vm.AOPEN: true, vm.BOPEN: true, vm.AMUL: true, vm.ADOT: true, vm.BAND: true,
	vm.A2B: true, vm.B2A: true, vm.ALTZ: true, vm.AEQZ: true, vm.ATRUNC: true, vm.ASHR: true, vm.AIDIV: true, vm.ASORT: true, vm.ASHUF: true}

// checkVerifiable refuses, under Malicious, a program with an interactive
// instruction that has no verified protocol.
func checkVerifiable(p *vm.Program) error {
	for i, in := range p.Code {
		if in.Op.Interactive() && !verifiedOps[in.Op] {
			pos := ""
			if i < len(p.Pos) && p.Pos[i].Line > 0 {
				pos = " at " + p.Position(i)
			}
			return fmt.Errorf("--security=malicious does not verify %s yet%s; run with --security=semi-honest (docs/security.md lists the verified steps)", in.Op, pos)
		}
	}
	return nil
}

// transcript accumulates the digests the malicious mode compares. Each is
// keyed by the PRG of the two parties that compare it, which the third
// party, whose messages they check, does not know.
type transcript struct {
	openSent *digest // component 1 of every open: what Next(me) sent Prev(me)
	openRecv *digest // what Prev(me) sent this party in opens
	inNext   *digest // key k_{me,me+1}, component 1 of every input (held by Next(me) too)
	inOwn    *digest // key k_{me-1,me}, component 0 of every input (held by Prev(me) too)
	zeroOut  *digest // of values that must be 0: what Next(me)'s component 1 must be
	zeroIn   *digest // of values that must be 0: component 1
}

// The purposes of the digests' keys, the same at both parties of a pair.
const (
	digestOpen uint32 = iota
	digestShared
	digestZero
)

// newTranscript keys the digests compared with Next(me) by next and those
// compared with Prev(me) by prev.
func newTranscript(next, prev *pairPRG) *transcript {
	return &transcript{
		openSent: newDigest(prev, digestOpen), openRecv: newDigest(next, digestOpen),
		inNext: newDigest(next, digestShared), inOwn: newDigest(prev, digestShared),
		zeroOut: newDigest(next, digestZero), zeroIn: newDigest(prev, digestZero),
	}
}

// digest is a running digest of the values two parties compare: GMAC (AES-
// GCM authenticating each piece as additional data under a fresh nonce)
// with a key from the pair's PRG — a universal hash the third party cannot
// make collide, as it does not know the key — whose tags SHA-256
// accumulates. Both parties must write the same pieces in the same order.
type digest struct {
	gcm cipher.AEAD
	n   uint64 // pieces written (the nonce)
	acc hash.Hash
	buf []byte
}

// digestCall is the call number of the digests' key streams (newCall never
// reaches it).
const digestCall = ^uint64(0)

func newDigest(p *pairPRG, purpose uint32) *digest {
	key := make([]byte, 16)
	p.stream(digestCall, purpose).fill(key)
	blk, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // a 16-byte key is always valid
	}
	gcm, err := cipher.NewGCM(blk)
	if err != nil {
		panic(err)
	}
	return &digest{gcm: gcm, acc: sha256.New()}
}

// write adds the piece b.
func (d *digest) write(b []byte) {
	var nonce [12]byte
	binary.LittleEndian.PutUint64(nonce[:], d.n)
	d.n++
	d.buf = d.gcm.Seal(d.buf[:0], nonce[:], nil, b)
	d.acc.Write(d.buf)
}

// words adds the piece w, little-endian.
func (d *digest) words(w []uint64) {
	if b := byteView(w); b != nil {
		d.write(b)
		return
	}
	d.write(wordsToBytes(w, 8*len(w)))
}

// vec adds a ring vector as two pieces: its low words, its high words
// (none for k = 64 and words).
func (d *digest) vec(v vm.Vec) {
	d.words(v.Lo)
	d.words(v.Hi)
}

// sum returns the digest of everything written.
func (d *digest) sum() []byte { return d.acc.Sum(nil) }

// noteInput records an input share.
func (e *Engine) noteInput(s vm.Share) {
	if e.tr == nil {
		return
	}
	e.tr.inOwn.vec(s[0])
	e.tr.inNext.vec(s[1])
}

// noteOpen records an open: sent is the component this party would send
// to Next(Next(me)) (its component 1), recv the words received from
// Prev(me) (planar: the low words, then any high words).
func (e *Engine) noteOpen(sent vm.Vec, recv []uint64) {
	if e.tr == nil {
		return
	}
	e.tr.openSent.vec(sent)
	n := sent.Len() // the same two pieces as sent's
	e.tr.openRecv.words(recv[:n])
	e.tr.openRecv.words(recv[n:])
}

// noteZero records a shared value that must be 0 (a sacrifice): x = x_i +
// x_{i+1} + x_{i+2} is 0 exactly when Next(me)'s component 1, x_{i+2},
// equals −(x_i + x_{i+1}) (XOR for the boolean sharing).
func (e *Engine) noteZero(x vm.Share, boolean bool) {
	if e.tr == nil {
		return
	}
	if boolean {
		w := make([]uint64, x[0].Len())
		vm.Xor64(w, x[0].Lo, x[1].Lo)
		e.tr.zeroOut.words(w)
		e.tr.zeroIn.words(x[1].Lo)
		return
	}
	v := vm.NewVec(e.k, x[0].Len())
	vm.AddVec(e.k, v, e.norm(x[0]), e.norm(x[1]))
	vm.NegVec(e.k, v, v)
	e.tr.zeroOut.vec(v)
	e.tr.zeroIn.vec(e.norm(x[1]))
}

// verdict bytes of the second verification round.
const (
	verdictOK byte = iota
	verdictOpen
	verdictShared
	verdictZero
)

// verify runs the malicious mode's checks (a no-op under SemiHonest): one
// round of digests, one of verdicts. It returns a *CheatError when any
// party found a disagreement.
func (e *Engine) verify(ctx context.Context) error {
	if e.tr == nil {
		return nil
	}
	nx, pv := Next(e.me), Prev(e.me)
	var out [3][]byte
	out[nx] = append(e.tr.inNext.sum(), e.tr.zeroOut.sum()...)
	out[pv] = e.tr.openSent.sum()
	want := [3]int{-1, -1, -1}
	want[nx], want[pv] = sha256.Size, 2*sha256.Size
	in, err := e.roundAs(ctx, "verify", out, want)
	if err != nil {
		return fmt.Errorf("verification: %w", err)
	}
	mine := verdictOK
	var found *CheatError
	switch {
	case e.isCheater():
		// a cheater does not report itself (fault injection)
	case subtle.ConstantTimeCompare(in[pv][:sha256.Size], e.tr.inOwn.sum()) != 1:
		mine = verdictShared
		found = &CheatError{Step: "shared", Detector: e.me, Suspects: []int{pv}}
	case subtle.ConstantTimeCompare(in[pv][sha256.Size:], e.tr.zeroIn.sum()) != 1:
		mine = verdictZero
		found = &CheatError{Step: "triple", Detector: e.me}
	case subtle.ConstantTimeCompare(in[nx], e.tr.openRecv.sum()) != 1:
		// Prev(me) sent the opened values, Next(me) the digest of the true ones.
		mine = verdictOpen
		found = &CheatError{Step: "open", Detector: e.me, Suspects: []int{pv, nx}}
	}
	out[nx], out[pv] = []byte{mine}, []byte{mine}
	want[nx], want[pv] = 1, 1
	in, err = e.roundAs(ctx, "verdict", out, want)
	if found != nil {
		return found
	}
	if err != nil {
		return fmt.Errorf("verification: %w", err)
	}
	for _, p := range []int{pv, nx} {
		switch in[p][0] {
		case verdictOK:
		case verdictShared:
			return &CheatError{Step: "shared", Detector: p, Suspects: []int{p, Prev(p)}}
		case verdictOpen:
			// p's report may itself be the lie
			return &CheatError{Step: "open", Detector: p, Suspects: []int{Prev(p), Next(p), p}}
		case verdictZero:
			return &CheatError{Step: "triple", Detector: p}
		default:
			return &CheatError{Step: "verdict", Detector: e.me, Suspects: []int{p}}
		}
	}
	return nil
}

// api returns the engine the VM drives: this one, or under Malicious its
// verified view.
func (e *Engine) api() vm.Engine {
	if e.tr != nil {
		return verifiedEngine{e, e}
	}
	return e
}

// Run runs p on this engine with the given parameter values and, under
// Malicious, verifies the run before returning its result: a result is
// returned only if every check passed at every honest party.
func (e *Engine) Run(ctx context.Context, p *vm.Program, params []vm.Vec) (*vm.Result, error) {
	if e.tr != nil {
		if err := checkVerifiable(p); err != nil {
			return nil, err
		}
	}
	res, err := vm.NewMachine(p, e.api(), params).Run(ctx)
	if err != nil {
		return nil, err
	}
	if err := e.verify(ctx); err != nil {
		return nil, err
	}
	return res, nil
}

// Cheat describes a deviation for fault-injection builds: party Party
// corrupts its N-th message (from 1) of kind Op, or for Op "input" its
// N-th input column; with Replay it sends, in place of that message, the
// previous message of the kind again.
type Cheat struct {
	Party  int
	Op     string
	N      int
	Replay bool
}

// CheatOps are the kinds of message or value a Cheat can corrupt.
var CheatOps = []string{"setup", "input", "open", "mul", "and", "verify", "verdict"}

// ParseCheat parses PARTY:OP[:N[:replay]] (N defaults to 1).
func ParseCheat(s string) (Cheat, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 4 {
		return Cheat{}, fmt.Errorf("cheat %q: want PARTY:OP[:N[:replay]]", s)
	}
	c := Cheat{Op: parts[1], N: 1}
	if _, err := fmt.Sscan(parts[0], &c.Party); err != nil || c.Party < 0 || c.Party > 2 || parts[0] != fmt.Sprint(c.Party) {
		return Cheat{}, fmt.Errorf("cheat %q: party must be 0, 1 or 2", s)
	}
	if !slices.Contains(CheatOps, c.Op) {
		return Cheat{}, fmt.Errorf("cheat %q: unknown kind %q (want one of %s)", s, c.Op, strings.Join(CheatOps, ", "))
	}
	if len(parts) >= 3 {
		if _, err := fmt.Sscan(parts[2], &c.N); err != nil || c.N < 1 || parts[2] != fmt.Sprint(c.N) {
			return Cheat{}, fmt.Errorf("cheat %q: N must be a positive integer", s)
		}
	}
	if len(parts) == 4 {
		if parts[3] != "replay" || c.Op == "input" || c.N < 2 {
			return Cheat{}, fmt.Errorf("cheat %q: the last field may only be replay, of a message after the first", s)
		}
		c.Replay = true
	}
	return c, nil
}
