package runtime

// The three-party engine: one party's implementation of vm.Engine over
// replicated secret sharing (see doc.go for the design and
// docs/protocols.md for the protocols).

import (
	"context"
	"errors"
	"fmt"

	"github.com/mpcs/mpcs/vm"
)

// InputSource gives a party its stored shares of the dataset's columns (the
// share store and the CLI implement it; SharedDataset is an in-memory one).
type InputSource interface {
	// Column returns this party's share of the secret column c for a run in
	// ring k with f fractional bits: two components, this party's x_i and
	// x_{i+1}. Components are ring vectors of ring k (Hi set when k = 128)
	// for sint and sfix columns and 64-bit words (Lo only) for sbits. The
	// source checks that its shares were made for k and f.
	Column(ctx context.Context, c vm.Column, k, f int) (vm.Share, error)
}

// EngineStats counts a party's traffic.
type EngineStats struct {
	Rounds        int64 // rounds this party took part in
	Messages      int64 // messages sent
	BytesSent     int64 // payload bytes sent
	BytesReceived int64 // payload bytes received
}

// Engine is one party of the three-party computation. It implements
// vm.Engine; create it with NewEngine, run programs with vm.NewMachine.
// An Engine serves one session and is not safe for concurrent use.
type Engine struct {
	conn   Conn
	me     int
	k, f   int
	inputs InputSource

	// next is the PRG shared with party Next(me) (key k_{me,me+1}, drawn by
	// this party); prev the one shared with Prev(me) (key k_{me-1,me}).
	next, prev *pairPRG

	stats, setup EngineStats

	calls uint64 // protocol invocations that used numbered streams

	zeroA vm.Vec // a ring 0 of length 1 (read only)
	zeroB vm.Vec // a word 0 of length 1 (read only)

	opts engineOptions
	tr   *transcript // the digests of the malicious mode (nil: semi-honest)
	kind string      // the kind of message being sent (fault injection)
}

var _ vm.Engine = (*Engine)(nil)

// NewEngine sets up a party's engine on the session conn: it draws the key
// this party shares with the next party, sends it there with its security
// model, and receives the key of the previous party (one round). k is the
// ring size (64 or 128), f the fractional bits; inputs may be nil for
// programs without inputs.
func NewEngine(ctx context.Context, conn Conn, k, f int, inputs InputSource, opts ...EngineOption) (*Engine, error) {
	if k != 64 && k != 128 {
		return nil, fmt.Errorf("unsupported ring size %d (want 64 or 128)", k)
	}
	if f < 0 || f >= k {
		return nil, fmt.Errorf("fractional bits %d out of range for a %d-bit ring", f, k)
	}
	me := conn.Party()
	if me < 0 || me > 2 {
		return nil, fmt.Errorf("party index %d out of range", me)
	}
	e := &Engine{conn: conn, me: me, k: k, f: f, inputs: inputs,
		zeroA: vm.NewVec(k, 1), zeroB: vm.NewWords(1)}
	for _, o := range opts {
		o(&e.opts)
	}
	key, err := newPRGKey()
	if err != nil {
		return nil, err
	}
	var out [3][]byte
	out[Next(me)] = append(append([]byte(nil), key...), byte(e.opts.sec))
	want := [3]int{-1, -1, -1}
	want[Prev(me)] = prgKeyLen + 1
	in, err := e.roundAs(ctx, "setup", out, want)
	if err != nil {
		return nil, fmt.Errorf("session set-up: %w", err)
	}
	if got := Security(in[Prev(me)][prgKeyLen]); got != e.opts.sec {
		return nil, fmt.Errorf("session set-up: party %d runs %s, this party %s", Prev(me), got, e.opts.sec)
	}
	if e.next, err = newPairPRG(key); err != nil {
		return nil, err
	}
	if e.prev, err = newPairPRG(in[Prev(me)][:prgKeyLen]); err != nil {
		return nil, err
	}
	if e.opts.sec == Malicious {
		// the digests are keyed by the pairs' PRGs, and check the keys too
		e.tr = newTranscript(e.next, e.prev)
		e.tr.inNext.write(key)
		e.tr.inOwn.write(in[Prev(me)][:prgKeyLen])
	}
	e.setup, e.stats = e.stats, EngineStats{}
	return e, nil
}

// Party returns this party's index.
func (e *Engine) Party() int { return e.me }

// Security returns the session's security model.
func (e *Engine) Security() Security { return e.opts.sec }

// Ring returns the ring size k.
func (e *Engine) Ring() int { return e.k }

// Stats returns the traffic since set-up.
func (e *Engine) Stats() EngineStats { return e.stats }

// SetupStats returns the traffic of the session set-up.
func (e *Engine) SetupStats() EngineStats { return e.setup }

// roundChunk is the largest message round sends in one piece; a longer one
// (a very long vector) goes as consecutive pieces of this size, which the
// receiver, knowing the length, reassembles.
var roundChunk = 1 << 26

// round is the one place messages go through (a later malicious-security
// layer hashes the transcript here, and in send and recv): it sends out[p]
// to every party p with out[p] != nil, then receives from every party p
// with want[p] >= 0 a message of exactly want[p] bytes. Every call is one
// network round.
func (e *Engine) round(ctx context.Context, out [3][]byte, want [3]int) ([3][]byte, error) {
	e.stats.Rounds++
	for p, msg := range out {
		if msg == nil || p == e.me {
			continue
		}
		if err := e.sendMsg(p, msg); err != nil {
			return [3][]byte{}, err
		}
	}
	var in [3][]byte
	for p, n := range want {
		if n < 0 || p == e.me {
			continue
		}
		msg, err := e.recvMsg(ctx, p, n)
		if err != nil {
			return [3][]byte{}, err
		}
		in[p] = msg
	}
	return in, nil
}

// roundAs is round for messages of the given kind (fault injection names
// them).
func (e *Engine) roundAs(ctx context.Context, kind string, out [3][]byte, want [3]int) ([3][]byte, error) {
	e.kind = kind
	defer func() { e.kind = "" }()
	return e.round(ctx, out, want)
}

// The bulk protocols send several messages to a peer within one round, so
// that the peer can work on the first while the next is computed: a round
// is beginRound followed by sends and receives (send before receive, as in
// round). A message of zero bytes is not sent at all (both sides know the
// sizes).

// beginRound counts one network round.
func (e *Engine) beginRound() { e.stats.Rounds++ }

// send sends msg to party p (nothing if it is empty); the Conn owns msg
// afterwards.
func (e *Engine) send(p int, msg []byte) error {
	if len(msg) == 0 {
		return nil
	}
	return e.sendMsg(p, msg)
}

// recv receives a message of exactly n bytes from party p (nil if n is 0).
func (e *Engine) recv(ctx context.Context, p, n int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	return e.recvMsg(ctx, p, n)
}

// sendMsg sends msg to p, in pieces of at most roundChunk bytes.
func (e *Engine) sendMsg(p int, msg []byte) error {
	msg = e.tamper(msg)
	n := int64(len(msg))
	for {
		piece := msg
		if len(piece) > roundChunk {
			piece = msg[:roundChunk:roundChunk]
		}
		if err := e.conn.Send(p, piece); err != nil {
			return fmt.Errorf("sending to party %d: %w", p, err)
		}
		e.stats.Messages++
		msg = msg[len(piece):]
		if len(msg) == 0 {
			break
		}
	}
	e.stats.BytesSent += n
	return nil
}

// recvMsg receives a message of n bytes from p, reassembling pieces.
func (e *Engine) recvMsg(ctx context.Context, p, n int) ([]byte, error) {
	var msg []byte
	for first := true; first || len(msg) < n; first = false {
		piece, err := e.conn.Recv(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("receiving from party %d: %w", p, err)
		}
		e.stats.BytesReceived += int64(len(piece))
		if len(piece) != min(n-len(msg), roundChunk) {
			return nil, fmt.Errorf("party %d sent %d bytes where %d were expected (do the parties run the same program on inputs of the same lengths?)", p, len(msg)+len(piece), n)
		}
		if first && len(piece) == n {
			msg = piece
		} else {
			if msg == nil {
				msg = newMsg(n)[:0]
			}
			msg = append(msg, piece...)
		}
	}
	return msg, nil
}

// newCall numbers a protocol invocation for the numbered PRG streams
// (prg.go); every party numbers its invocations alike.
func (e *Engine) newCall() uint64 {
	e.calls++
	return e.calls
}

// ErrNoInputs is returned by Input when the engine has no InputSource.
var ErrNoInputs = errors.New("this party has no input shares")

// ---- representation helpers ----

// x0Comp returns the component of this party's share that holds the
// designated share x_0 (0 at party 0, 1 at party 2), or -1 (party 1).
func (e *Engine) x0Comp() int {
	switch e.me {
	case 0:
		return 0
	case 2:
		return 1
	}
	return -1
}

func (e *Engine) newA(n int) vm.Share { return vm.Share{vm.NewVec(e.k, n), vm.NewVec(e.k, n)} }

func newB(n int) vm.Share { return vm.Share{vm.NewWords(n), vm.NewWords(n)} }

// norm gives a vector the layout of ring k (normTo).
func (e *Engine) norm(p vm.Vec) vm.Vec { return normTo(e.k, p) }

func blen(a, b int) int {
	n, _ := vm.BroadcastLen(a, b)
	return n
}

// ---- inputs and public values ----

// Input implements vm.Engine.
func (e *Engine) Input(ctx context.Context, _ int, c vm.Column) (vm.Share, error) {
	if e.inputs == nil {
		return nil, fmt.Errorf("cannot read input %q: %w", c.Name, ErrNoInputs)
	}
	s, err := e.inputs.Column(ctx, c, e.k, e.f)
	if err != nil {
		return nil, err
	}
	if len(s) != 2 || s[0].Len() != s[1].Len() {
		return nil, fmt.Errorf("input %q: malformed share (want two components of equal length)", c.Name)
	}
	out := make(vm.Share, 2)
	for i, v := range s {
		if c.Type == vm.TSbits {
			out[i] = vm.Vec{Lo: append([]uint64(nil), v.Lo...)}
			continue
		}
		if (e.k == 128) != (v.Hi != nil) || (v.Hi != nil && len(v.Hi) != len(v.Lo)) {
			return nil, fmt.Errorf("input %q: share is not laid out for the %d-bit ring", c.Name, e.k)
		}
		out[i] = vm.CloneVec(v)
	}
	e.tamperInput(out)
	e.noteInput(out)
	return out, nil
}

// PToA implements vm.Engine.
func (e *Engine) PToA(p vm.Vec) vm.Share {
	r := e.newA(p.Len())
	if c := e.x0Comp(); c >= 0 {
		p = e.norm(p)
		copy(r[c].Lo, p.Lo)
		copy(r[c].Hi, p.Hi)
	}
	return r
}

// PToB implements vm.Engine.
func (e *Engine) PToB(p vm.Vec) vm.Share {
	r := newB(p.Len())
	if c := e.x0Comp(); c >= 0 {
		copy(r[c].Lo, p.Lo)
	}
	return r
}

// ---- local arithmetic (A class) ----

func (e *Engine) comp2(x, y vm.Share, f func(k int, dst, a, b vm.Vec)) vm.Share {
	r := e.newA(blen(x.Len(), y.Len()))
	f(e.k, r[0], x[0], y[0])
	f(e.k, r[1], x[1], y[1])
	return r
}

// AAdd implements vm.Engine.
func (e *Engine) AAdd(x, y vm.Share) vm.Share { return e.comp2(x, y, vm.AddVec) }

// ASub implements vm.Engine.
func (e *Engine) ASub(x, y vm.Share) vm.Share { return e.comp2(x, y, vm.SubVec) }

// ANeg implements vm.Engine.
func (e *Engine) ANeg(x vm.Share) vm.Share {
	r := e.newA(x.Len())
	vm.NegVec(e.k, r[0], x[0])
	vm.NegVec(e.k, r[1], x[1])
	return r
}

// AAddP implements vm.Engine: p is added to x_0 only.
func (e *Engine) AAddP(x vm.Share, p vm.Vec) vm.Share { return e.pubOp(x, p, vm.AddVec, false) }

// ASubP implements vm.Engine (x - p).
func (e *Engine) ASubP(x vm.Share, p vm.Vec) vm.Share { return e.pubOp(x, p, vm.SubVec, false) }

// APSub implements vm.Engine (p - x).
func (e *Engine) APSub(p vm.Vec, x vm.Share) vm.Share { return e.pubOp(x, p, vm.SubVec, true) }

// pubOp applies f to every component of x and p, with p in the component
// that holds x_0 and 0 in the other (pFirst: p is f's first operand).
func (e *Engine) pubOp(x vm.Share, p vm.Vec, f func(k int, dst, a, b vm.Vec), pFirst bool) vm.Share {
	p = e.norm(p)
	r := e.newA(blen(x.Len(), p.Len()))
	for c := range 2 {
		q := e.zeroA
		if c == e.x0Comp() {
			q = p
		}
		if pFirst {
			f(e.k, r[c], q, x[c])
		} else {
			f(e.k, r[c], x[c], q)
		}
	}
	return r
}

// AMulP implements vm.Engine: every component is multiplied.
func (e *Engine) AMulP(x vm.Share, p vm.Vec) vm.Share {
	return e.comp2(x, vm.Share{e.norm(p), e.norm(p)}, vm.MulVec)
}

// ASum implements vm.Engine.
func (e *Engine) ASum(x vm.Share) vm.Share {
	r := e.newA(1)
	vm.SumVec(e.k, r[0], x[0])
	vm.SumVec(e.k, r[1], x[1])
	return r
}

// ---- local operations on boolean shares (B class) ----

func words(v vm.Vec) vm.Vec { return vm.Vec{Lo: v.Lo} }

func (e *Engine) bcomp2(x, y vm.Share, f func(k int, dst, a, b vm.Vec)) vm.Share {
	r := newB(blen(x.Len(), y.Len()))
	f(64, r[0], x[0], y[0])
	f(64, r[1], x[1], y[1])
	return r
}

// BXor implements vm.Engine.
func (e *Engine) BXor(x, y vm.Share) vm.Share { return e.bcomp2(x, y, vm.XorVec) }

// BXorP implements vm.Engine: p is XORed into x_0 only.
func (e *Engine) BXorP(x vm.Share, p vm.Vec) vm.Share {
	r := newB(blen(x.Len(), p.Len()))
	for c := range 2 {
		q := e.zeroB
		if c == e.x0Comp() {
			q = words(p)
		}
		vm.XorVec(64, r[c], x[c], q)
	}
	return r
}

// BAndP implements vm.Engine: every component is masked.
func (e *Engine) BAndP(x vm.Share, p vm.Vec) vm.Share {
	return e.bcomp2(x, vm.Share{words(p), words(p)}, vm.AndVec)
}

// BNot implements vm.Engine: x_0 is complemented.
func (e *Engine) BNot(x vm.Share) vm.Share {
	r := newB(x.Len())
	for c := range 2 {
		if c == e.x0Comp() {
			vm.NotVec(64, r[c], x[c])
		} else {
			copy(r[c].Lo, x[c].Lo)
		}
	}
	return r
}

func (e *Engine) bshift(x vm.Share, m uint, f func(dst, a vm.Vec, m uint)) vm.Share {
	r := newB(x.Len())
	f(r[0], x[0], m)
	f(r[1], x[1], m)
	return r
}

// BShl implements vm.Engine.
func (e *Engine) BShl(x vm.Share, m uint) vm.Share { return e.bshift(x, m, vm.ShlWords) }

// BShr implements vm.Engine.
func (e *Engine) BShr(x vm.Share, m uint) vm.Share { return e.bshift(x, m, vm.ShrWords) }

// BRotl implements vm.Engine.
func (e *Engine) BRotl(x vm.Share, m uint) vm.Share { return e.bshift(x, m, vm.RotlWords) }

// ---- sorting and shuffling ----

// Sort implements vm.Engine (ASORT): shuffle, then a quicksort whose
// comparisons are opened (proto_sort.go).
func (e *Engine) Sort(ctx context.Context, key vm.Share, vals []vm.Share) (vm.Share, []vm.Share, error) {
	return e.sort(ctx, key, vals)
}

// Shuffle implements vm.Engine (ASHUF): three pairwise-known permutations
// composed, two rounds (proto_shuffle.go).
func (e *Engine) Shuffle(ctx context.Context, x []vm.Share) ([]vm.Share, error) {
	return e.shuffle(ctx, x)
}
