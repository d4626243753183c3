package vm

import (
	"math/big"
	"os"
	"strings"
	"testing"
)

func exSchema(cols ...Column) *Program {
	return &Program{Ring: 128, FracBits: 24, Inputs: cols}
}

func TestReadCSV(t *testing.T) {
	p := exSchema(Column{"salary", TSint}, Column{"balance", TSfix}, Column{"word", TSbits})
	src := "id, salary ,balance,word,note\n" +
		"1,100,2.5,0xff,hello\n" +
		"2,-170141183460469231731687303715884105728,-0.5,18446744073709551615,\"a,b\"\n" +
		"\n" +
		"3,+7, 1e-3 ,0XDEADbeef,x\n"
	d, err := ReadCSV(strings.NewReader(src), p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != 3 || len(d.Values) != 3 {
		t.Fatalf("rows %d, cols %d", d.Rows, len(d.Values))
	}
	sal, _ := d.Lookup("salary", TSint)
	for i, w := range []string{"100", RingMin(128).String(), "7"} {
		if g := ElemBig(128, sal, i).String(); g != w {
			t.Errorf("salary[%d] = %s, want %s", i, g, w)
		}
	}
	bal, _ := d.Lookup("balance", TSfix)
	// 1e-3 · 2^24 = 16777.216 -> 16777
	for i, w := range []int64{5 << 23, -(1 << 23), 16777} {
		if g := ElemBig(128, bal, i).Int64(); g != w {
			t.Errorf("balance[%d] = %d, want %d", i, g, w)
		}
	}
	word, _ := d.Lookup("word", TSbits)
	if word.Hi != nil || word.Lo[0] != 0xff || word.Lo[1] != ^uint64(0) || word.Lo[2] != 0xdeadbeef {
		t.Errorf("word = %#x", word.Lo)
	}
}

func TestReadCSVFile(t *testing.T) {
	f, err := os.Open("testdata/exec/people.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d, err := ReadCSV(f, &Program{Ring: 64, FracBits: 16, Inputs: []Column{{"age", TSint}, {"income", TSfix}}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != 4 {
		t.Fatalf("rows = %d", d.Rows)
	}
}

func TestReadCSVErrors(t *testing.T) {
	p := exSchema(Column{"x", TSint}, Column{"f", TSfix}, Column{"w", TSbits})
	for _, c := range []struct{ src, msg string }{
		{"", "csv: empty input: no header row"},
		{"x,f\n1,2\n", `csv: column "w" not found in the header (columns: x, f)`},
		{"x,f,w,x\n1,2,3,4\n", `csv: column "x" appears more than once in the header`},
		{"x,f,w\n1,2,3\n4,5\n", "csv: line 3: 2 fields, but the header has 3"},
		{"x,f,w\n1,2,3\n,5,6\n", `csv: line 3: column "x": empty cell`},
		{"x,f,w\n1.5,2,3\n", `csv: line 2: column "x": bad integer "1.5"`},
		{"x,f,w\n0x10,2,3\n", `csv: line 2: column "x": bad integer "0x10"`},
		{"x,f,w\n170141183460469231731687303715884105728,2,3\n", `csv: line 2: column "x": value 170141183460469231731687303715884105728 out of range for the 128-bit ring`},
		{"x,f,w\n1,abc,3\n", `csv: line 2: column "f": bad decimal number "abc"`},
		{"x,f,w\n1,1/3,3\n", `csv: line 2: column "f": bad decimal number "1/3"`},
		{"x,f,w\n1,1e99999,3\n", `csv: line 2: column "f": bad decimal number "1e99999"`},
		{"x,f,w\n1,1e32,3\n", `csv: line 2: column "f": value 1e32 out of range for the 128-bit ring`},
		{"x,f,w\n1,2,-1\n", `csv: line 2: column "w": bad 64-bit word "-1" (want unsigned decimal or 0x hex)`},
		{"x,f,w\n1,2,18446744073709551616\n", `csv: line 2: column "w": value 18446744073709551616 does not fit in 64 bits`},
		{"x,f,w\n1,2,0x1ffffffffffffffff\n", `csv: line 2: column "w": bad 64-bit word "0x1ffffffffffffffff" (want unsigned decimal or 0x hex)`},
		{"x,f,w\n1,2,\"3\n", `csv: parse error on line 2, column 8: extraneous or missing " in quoted-field`},
	} {
		_, err := ReadCSV(strings.NewReader(c.src), p)
		if err == nil || err.Error() != c.msg {
			t.Errorf("ReadCSV(%q):\n  got  %v\n  want %s", c.src, err, c.msg)
		}
	}
	// the 64-bit ring's range
	_, err := ReadCSV(strings.NewReader("x\n9223372036854775808\n"), &Program{Ring: 64, Inputs: []Column{{"x", TSint}}})
	if err == nil || !strings.Contains(err.Error(), "out of range for the 64-bit ring") {
		t.Errorf("err = %v", err)
	}
	if _, err := ReadCSV(strings.NewReader("x\n-9223372036854775808\n"), &Program{Ring: 64, Inputs: []Column{{"x", TSint}}}); err != nil {
		t.Errorf("min int64: %v", err)
	}
}

func TestRoundFix(t *testing.T) {
	for _, c := range []struct {
		s    string
		f    int
		want string
	}{
		{"2.5", 0, "3"}, {"-2.5", 0, "-3"}, {"1.5", 0, "2"}, {"0.5", 0, "1"}, {"-0.5", 0, "-1"},
		{"2.4999", 0, "2"}, {"-2.4999", 0, "-2"},
		{"0.1", 24, "1677722"}, // 1677721.6
		{"-0.1", 24, "-1677722"},
		{"3.25", 2, "13"},
		{"1e-3", 16, "66"},               // 65.536
		{"0.00000762939453125", 16, "1"}, // exactly 0.5 · 2^-16 ... = 2^-17: half -> away
		{"2.5e6", 0, "2500000"},
		{".5", 1, "1"},
		{"7.", 0, "7"},
	} {
		x, err := ParseValue(128, c.f, TSfix, c.s)
		if err != nil {
			t.Errorf("%s: %v", c.s, err)
			continue
		}
		if x.String() != c.want {
			t.Errorf("round(%s · 2^%d) = %s, want %s", c.s, c.f, x, c.want)
		}
	}
	r := big.NewRat(-1, 3)
	if got := RoundFix(r, 0).String(); got != "0" {
		t.Errorf("RoundFix(-1/3) = %s", got)
	}
}

func TestParseParams(t *testing.T) {
	p := &Program{Ring: 64, FracBits: 16, Params: []Param{{"n", TInt, 0}, {"t", TFix, 0}, {"on", TBool, 0}}}
	v, err := ParseParams(p, map[string]string{"n": " -42 ", "t": "0.25", "on": "TRUE"})
	if err != nil {
		t.Fatal(err)
	}
	if ElemBig(64, v[0], 0).Int64() != -42 || ElemBig(64, v[1], 0).Int64() != 1<<14 || ElemBig(64, v[2], 0).Int64() != 1 {
		t.Fatalf("values %v", v)
	}
	if v, _ := ParseParams(p, map[string]string{"on": "0"}); v[0].Lo != nil || ElemBig(64, v[2], 0).Int64() != 0 {
		t.Fatalf("absent params must stay nil: %v", v)
	}
	for _, c := range []struct {
		m   map[string]string
		msg string
	}{
		{map[string]string{"x": "1"}, `unknown parameter "x" (parameters: n, t, on)`},
		{map[string]string{"n": "1.5"}, `parameter "n": bad integer "1.5"`},
		{map[string]string{"n": "9223372036854775808"}, `parameter "n": value 9223372036854775808 out of range for the 64-bit ring`},
		{map[string]string{"t": "x"}, `parameter "t": bad decimal number "x"`},
		{map[string]string{"on": "yes"}, `parameter "on": bad boolean "yes" (want true, false, 1 or 0)`},
	} {
		_, err := ParseParams(p, c.m)
		if err == nil || err.Error() != c.msg {
			t.Errorf("ParseParams(%v) = %v, want %s", c.m, err, c.msg)
		}
	}
	m, err := ParseParamList([]string{"n=3", "t = 1.5"})
	if err != nil || m["n"] != "3" || m["t"] != " 1.5" {
		t.Fatalf("ParseParamList = %v, %v", m, err)
	}
	if _, err := ParseParamList([]string{"n"}); err == nil {
		t.Fatal("no error for a missing =")
	}
	if _, err := ParseParamList([]string{"n=1", "n=2"}); err == nil {
		t.Fatal("no error for a repeated name")
	}
}
