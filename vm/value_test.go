package vm

import (
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"
)

func TestResultJSON(t *testing.T) {
	k, f := 128, 24
	one := int64(1) << f
	big128 := func(xs ...*big.Int) Vec { return exBigVec(k, xs) }
	r := &Result{Ring: k, FracBits: f, Outputs: []OutputValue{
		{Name: "n", Type: TInt, Value: VecOf(k, 42)},
		{Name: "max", Type: TSint, Value: big128(RingMax(k))},
		{Name: "min", Type: TSint, Value: big128(RingMin(k))},
		{Name: "mean", Type: TSfix, Value: VecOf(k, 5*one/2)},
		{Name: "neg", Type: TFix, Value: VecOf(k, -one/8)},
		{Name: "whole", Type: TSfix, Value: VecOf(k, 3*one)},
		{Name: "tiny", Type: TSfix, Value: VecOf(k, 1)},
		{Name: "third", Type: TSfix, Value: VecOf(k, one/3)},
		{Name: "huge", Type: TSfix, Value: big128(RingMax(k))},
		{Name: "ok", Type: TBool, Value: VecOf(k, 1)},
		{Name: "bad", Type: TSbool, Value: VecOf(k, 0)},
		{Name: "h", Type: TSbits, Value: VecOf(k, 255)},
		{Name: "v", Type: TSint, Vector: true, Value: VecOf(k, 1, -2, 3)},
		{Name: "fv", Type: TSfix, Vector: true, Value: VecOf(k, one/2, -one)},
		{Name: "bv", Type: TSbool, Vector: true, Value: VecOf(k, 1, 0)},
		{Name: "hv", Type: TSbits, Vector: true, Value: Vec{Lo: []uint64{0, ^uint64(0)}, Hi: []uint64{0, 0}}},
		{Name: "one", Type: TInt, Vector: true, Value: VecOf(k, 7)},
		{Name: "empty", Type: TSint, Vector: true, Value: VecOf(k)},
		{Name: "we\"ird", Type: TInt, Value: VecOf(k, 0)},
	}}
	want := `{"outputs": {"n": 42, ` +
		`"max": 170141183460469231731687303715884105727, ` +
		`"min": -170141183460469231731687303715884105728, ` +
		`"mean": 2.5, "neg": -0.125, "whole": 3, "tiny": 5.960464477539063e-8, ` +
		`"third": 0.3333333134651184, "huge": 1.0141204801825835e+31, ` +
		`"ok": true, "bad": false, "h": "0x00000000000000ff", ` +
		`"v": [1, -2, 3], "fv": [0.5, -1], "bv": [true, false], ` +
		`"hv": ["0x0000000000000000", "0xffffffffffffffff"], "one": [7], "empty": [], "we\"ird": 0}}`
	got := string(r.JSON())
	if got != want {
		t.Fatalf("JSON\n got %s\nwant %s", got, want)
	}
	var parsed map[string]map[string]any
	if err := json.Unmarshal([]byte(got), &parsed); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	// big integers are exact JSON integers
	dec := json.NewDecoder(strings.NewReader(got))
	dec.UseNumber()
	var nums map[string]map[string]any
	if err := dec.Decode(&nums); err != nil {
		t.Fatal(err)
	}
	if s := nums["outputs"]["min"].(json.Number).String(); s != RingMin(128).String() {
		t.Fatalf("min = %s", s)
	}

	text := r.Text()
	for _, line := range []string{"n = 42\n", "mean = 2.5\n", "h = 0x00000000000000ff\n", "v = [1, -2, 3]\n", "hv = [0x0000000000000000, 0xffffffffffffffff]\n", "empty = []\n"} {
		if !strings.Contains(text, line) {
			t.Errorf("text lacks %q:\n%s", line, text)
		}
	}
}

func TestResultJSON64(t *testing.T) {
	k, f := 64, 16
	r := &Result{Ring: k, FracBits: f, Outputs: []OutputValue{
		{Name: "min", Type: TInt, Value: VecOf(k, -1<<63)},
		{Name: "m1", Type: TSint, Value: VecOf(k, -1)},
		{Name: "fix", Type: TSfix, Value: VecOf(k, -3<<15)},
		{Name: "fmin", Type: TSfix, Value: VecOf(k, -1<<63)},
		{Name: "w", Type: TSbits, Value: VecOf(k, -1)},
	}}
	want := `{"outputs": {"min": -9223372036854775808, "m1": -1, "fix": -1.5, "fmin": -140737488355328, "w": "0xffffffffffffffff"}}`
	if got := string(r.JSON()); got != want {
		t.Fatalf("JSON\n got %s\nwant %s", got, want)
	}
}

func TestFormatFix(t *testing.T) {
	for _, c := range []struct {
		x    int64
		f    int
		want string
	}{
		{0, 24, "0"}, {1 << 24, 24, "1"}, {-(1 << 23), 24, "-0.5"}, {1, 0, "1"},
		{3, 1, "1.5"}, {1, 30, "9.313225746154785e-10"}, {1, 20, "9.5367431640625e-7"},
		{1, 19, "0.0000019073486328125"},
	} {
		if got := FormatFix(big.NewInt(c.x), c.f); got != c.want {
			t.Errorf("FormatFix(%d, %d) = %s, want %s", c.x, c.f, got, c.want)
		}
	}
}

// End to end: a CSV dataset, a program, the JSON result.
func TestEmulateEndToEnd(t *testing.T) {
	for _, k := range []int{64, 128} {
		b := newExProg(k)
		in := b.input("income", TSfix)
		thr := b.param("threshold", TFix, 0)
		b.emit(INPUT, xrA(0), in)
		b.emit(PARAM, 0, thr)
		b.emit(ASUM, 1, 0)                // total
		b.emit(LEN, 1, xrA(0))            // n
		b.emit(PTOA, 2, 1)                // n as a secret
		b.emit(ASUBP, 3, 0, 0)            // x - threshold
		b.emit(ALTZ, 4, 3)                // below
		b.emit(ASUM, 5, 4)                // count below
		b.emit(AOPEN, 2, 1, 3, 5)         // total, count
		b.ints(4, int64(1)<<b.p.FracBits) // 1.0
		b.emit(PMUL, 5, 1, 4)             // n as fix
		b.emit(PFDIV, 6, 2, 5)            // mean
		b.out("n", TInt, false, 1)
		b.out("mean", TSfix, false, 6)
		b.out("below", TSint, false, 3)
		f, err := exOpenTestdata("people.csv")
		if err != nil {
			t.Fatal(err)
		}
		data, err := ReadCSV(f, b.p)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.run(data, map[string]string{"threshold": "1000"})
		if err != nil {
			t.Fatal(err)
		}
		// (52000.5 + 61000 - 1200.25 + 0.125) / 4 = 27950.09375
		if got, want := string(res.JSON()), `{"outputs": {"n": 4, "mean": 27950.09375, "below": 2}}`; got != want {
			t.Fatalf("k=%d: %s, want %s", k, got, want)
		}
		if want := int64(ALTZ.RoundsFor(k) + AOPEN.RoundsFor(k)); res.Rounds != want {
			t.Fatalf("rounds %d, want %d", res.Rounds, want)
		}
		if res.Instructions != int64(len(b.p.Code)) {
			t.Fatalf("instructions %d", res.Instructions)
		}
	}
}

func exOpenTestdata(name string) (*os.File, error) { return os.Open("testdata/exec/" + name) }
