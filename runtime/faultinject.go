//go:build faultinject

package runtime

// Fault injection (built with -tags faultinject): one party corrupts one of
// its messages, or its input shares, so that tests can check that the
// malicious mode catches every kind of deviation. Release builds compile
// the hooks to nothing (faultinject_off.go).

import (
	"sync"

	"github.com/mpcs/mpcs/vm"
)

// FaultInjection reports whether this build can inject faults.
const FaultInjection = true

// WithCheat makes the engine whose party is c.Party deviate as c says.
func WithCheat(c Cheat) EngineOption { return func(o *engineOptions) { o.cheat = c } }

// cheatNow counts a message or input of kind and reports whether it is the
// one to corrupt (the cheat's N counts down to it).
func (e *Engine) cheatNow(kind string) bool {
	c := &e.opts.cheat
	if c.Op != kind || c.Party != e.me || c.N <= 0 {
		return false
	}
	c.N--
	return c.N == 0
}

// isCheater reports whether this party is the one made to cheat.
func (e *Engine) isCheater() bool { return e.opts.cheat.Op != "" && e.opts.cheat.Party == e.me }

// lastSent holds a cheating engine's last message of its cheat's kind (to
// replay), by engine.
var lastSent sync.Map

// tamper returns msg, or in its place, when it is the message to corrupt, a
// copy with one bit flipped in its middle (so that it stays well-formed) or
// the previous message of its kind (a replay, where the lengths agree).
func (e *Engine) tamper(msg []byte) []byte {
	if e.opts.cheat.Op == "" || len(msg) == 0 || e.kind != e.opts.cheat.Op {
		return msg
	}
	var prev []byte
	if p, ok := lastSent.Load(e); ok {
		prev = p.([]byte)
	}
	if e.opts.cheat.Replay {
		lastSent.Store(e, append([]byte(nil), msg...))
	}
	if !e.cheatNow(e.kind) {
		return msg
	}
	if e.opts.cheat.Replay && len(prev) == len(msg) {
		return prev
	}
	m := append([]byte(nil), msg...)
	m[len(m)/2] ^= 1
	return m
}

// tamperInput corrupts this party's first component of an input column
// when it is the one to corrupt (the component the previous party also
// holds).
func (e *Engine) tamperInput(s vm.Share) {
	if e.opts.cheat.Op == "" || s[0].Len() == 0 || !e.cheatNow("input") {
		return
	}
	s[0].Lo[s[0].Len()/2] ^= 1
}
