//go:build !faultinject

package runtime

import "github.com/mpcs/mpcs/vm"

// FaultInjection reports whether this build can inject faults (build with
// -tags faultinject).
const FaultInjection = false

// WithCheat records c; without the faultinject build tag nothing acts on it.
func WithCheat(c Cheat) EngineOption { return func(o *engineOptions) { o.cheat = c } }

func (e *Engine) isCheater() bool { return false }

func (e *Engine) tamper(msg []byte) []byte { return msg }

func (e *Engine) tamperInput(vm.Share) {}
