package vm

// Output values and their formatting.
//
// JSON gives {"outputs": {NAME: VALUE, ...}} with the outputs in program
// order (a JSON object's key order carries no meaning, but keeping it makes
// results diffable):
//
//	int, sint    JSON integer, exact over the whole signed ring (128-bit too)
//	fix, sfix    JSON number: x / 2^F rounded to the nearest float64 and
//	             printed as the shortest decimal that reads back as that
//	             float64 (2.5, -0.125, 1e-7)
//	bool, sbool  true / false (any non-zero value is true)
//	sbits        "0x%016x" string of the 64-bit word
//	vectors      JSON arrays of the above
//
// Text gives one "name = value" line per output with the same value syntax
// (strings unquoted).

import (
	"encoding/json"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// OutputValue is one output a run wrote.
type OutputValue struct {
	Name   string
	Type   Type // the type before it was revealed (as in Program.Outputs)
	Vector bool
	Value  Vec // the public value, in the result's ring
}

// Result is what a run produced.
type Result struct {
	Ring, FracBits int
	// Outputs holds the outputs the run wrote, in program order. An output
	// that control flow skipped is absent.
	Outputs []OutputValue
	// Rounds is the sum of the network rounds of the interactive
	// instructions executed; Instructions counts every executed instruction.
	Rounds       int64
	Instructions int64
}

// Output returns the output named name.
func (r *Result) Output(name string) (OutputValue, bool) {
	for _, o := range r.Outputs {
		if o.Name == name {
			return o, true
		}
	}
	return OutputValue{}, false
}

// JSON renders the outputs as {"outputs": {NAME: VALUE, ...}}.
func (r *Result) JSON() []byte {
	var b strings.Builder
	b.WriteString(`{"outputs": {`)
	for i, o := range r.Outputs {
		if i > 0 {
			b.WriteString(", ")
		}
		name, _ := json.Marshal(o.Name)
		b.Write(name)
		b.WriteString(": ")
		r.writeValue(&b, o, true)
	}
	b.WriteString("}}")
	return []byte(b.String())
}

// Text renders the outputs as "name = value" lines.
func (r *Result) Text() string {
	var b strings.Builder
	for _, o := range r.Outputs {
		b.WriteString(o.Name)
		b.WriteString(" = ")
		r.writeValue(&b, o, false)
		b.WriteByte('\n')
	}
	return b.String()
}

// Format renders an output's value as in Text.
func (r *Result) Format(o OutputValue) string {
	var b strings.Builder
	r.writeValue(&b, o, false)
	return b.String()
}

func (r *Result) writeValue(b *strings.Builder, o OutputValue, quote bool) {
	if !o.Vector && o.Value.Len() == 1 {
		b.WriteString(FormatElem(r.Ring, r.FracBits, o.Type, o.Value, 0, quote))
		return
	}
	b.WriteByte('[')
	for i := range o.Value.Lo {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(FormatElem(r.Ring, r.FracBits, o.Type, o.Value, i, quote))
	}
	b.WriteByte(']')
}

// FormatElem formats element i of the public value v of an output of type t
// (secret types format as the public type they reveal as) in ring k with F
// fractional bits. quote puts sbits words in JSON string quotes.
func FormatElem(k, f int, t Type, v Vec, i int, quote bool) string {
	switch t {
	case TFix, TSfix:
		return FormatFix(ElemBig(k, v, i), f)
	case TBool, TSbool:
		if rgLoad(k, v, i).isZero() {
			return "false"
		}
		return "true"
	case TSbits:
		s := "0x" + exLeftPad(strconv.FormatUint(v.Lo[i], 16), 16)
		if quote {
			return `"` + s + `"`
		}
		return s
	default:
		return ElemBig(k, v, i).String()
	}
}

func exLeftPad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat("0", n-len(s)) + s
}

// FixFloat returns x / 2^f rounded to the nearest float64 (ties to even).
func FixFloat(x *big.Int, f int) float64 {
	fl := new(big.Float).SetPrec(uint(max(x.BitLen(), 64))).SetInt(x)
	fl.SetMantExp(fl, -f)
	v, _ := fl.Float64()
	return v
}

// FormatFix renders the fixed-point value x / 2^f as the shortest decimal
// that round-trips through float64, in JSON number syntax.
func FormatFix(x *big.Int, f int) string {
	v := FixFloat(x, f)
	if math.IsInf(v, 0) || math.IsNaN(v) { // cannot happen for k <= 128
		return "0"
	}
	// As encoding/json: exponent form only for very small or large values.
	abs := math.Abs(v)
	fmtc := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmtc = 'e'
	}
	s := strconv.FormatFloat(v, fmtc, -1, 64)
	if fmtc == 'e' {
		// clean up e-09 to e-9
		n := len(s)
		if n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s = s[:n-2] + s[n-1:]
		}
	}
	return s
}
