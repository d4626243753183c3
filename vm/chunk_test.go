package vm_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/vm"
)

// TestChunkedRunsAgree runs every compiled language test and a long-vector
// program with passes of a few elements and with the default chunk size: the
// outputs must be identical, and the rounds grow by the number of passes.
func TestChunkedRunsAgree(t *testing.T) {
	files, _ := filepath.Glob("../compiler/testdata/run/*.txtar")
	type prog struct{ name, src, csv string }
	var progs []prog
	for _, f := range files {
		ar, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var p prog
		p.name = filepath.Base(f)
		for _, s := range ar.Files {
			switch s.Name {
			case "prog.mpcs":
				p.src = string(s.Data)
			case "data.csv":
				p.csv = string(s.Data)
			case "error":
				p.src = ""
			}
		}
		if p.src != "" {
			progs = append(progs, p)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var csv strings.Builder
	csv.WriteString("x,y\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&csv, "%d,%d.%d\n", rng.IntN(2000)-1000, rng.IntN(200)-100, rng.IntN(100))
	}
	progs = append(progs, prog{"long", `x = input("x", sint)
y = input("y", sfix)
output("mul", x * x)
output("dot", sum(x * y))
output("cmp", (x > 0) & (y < 1))
output("div", y / (x + 1001))
output("idiv", x // 7)
output("bits", sbits(x) & sbits(y))
output("back", sint(sbits(x)))
output("max", max(y))
`, csv.String()})
	for _, p := range progs {
		for _, ring := range []int{64, 128} {
			bc, err := compiler.Compile("p.mpcs", []byte(p.src), compiler.Options{Ring: ring})
			if err != nil {
				t.Fatalf("%s: %v", p.name, err)
			}
			run := func(chunk int) *vm.Result {
				data := p.csv
				if data == "" {
					data = "_\n"
				}
				ds, err := vm.ReadCSV(strings.NewReader(data), bc)
				if err != nil {
					t.Fatal(err)
				}
				m := vm.NewMachine(bc, vm.NewPlainEngine(bc.Ring, bc.FracBits, ds), nil)
				m.ChunkElems = chunk
				res, err := m.Run(context.Background())
				if err != nil {
					t.Fatalf("%s ring %d chunk %d: %v", p.name, ring, chunk, err)
				}
				return res
			}
			whole, small := run(0), run(7)
			if string(whole.JSON()) != string(small.JSON()) {
				t.Errorf("%s ring %d: chunked run differs\nwhole %s\nchunk %s", p.name, ring, whole.JSON(), small.JSON())
			}
			if p.name == "long" && small.Rounds <= whole.Rounds {
				t.Errorf("%s: chunked rounds %d should exceed %d", p.name, small.Rounds, whole.Rounds)
			}
		}
	}
}

// A group pairing an empty vector with a broadcast scalar has length 0, not
// 1: chunking such an instruction (its groups over the pass size) must
// neither panic nor change the result.
func TestChunkedEmptyWithBroadcast(t *testing.T) {
	src := `x = input("x", sint)
e = x[0:0]
y = x * x
output("empty", e * x[0])
output("dot", sum(e * x[0:0]))
output("y", y)
`
	p, err := compiler.Compile("p.mpcs", []byte(src), compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ds, err := vm.ReadCSV(strings.NewReader("x\n3\n-2\n5\n"), p)
	if err != nil {
		t.Fatal(err)
	}
	var results []string
	for _, chunk := range []int{0, 1, 2} {
		m := vm.NewMachine(p, vm.NewPlainEngine(p.Ring, p.FracBits, ds), nil)
		m.ChunkElems = chunk
		res, err := m.Run(context.Background())
		if err != nil {
			t.Fatalf("chunk %d: %v", chunk, err)
		}
		results = append(results, string(res.JSON()))
	}
	want := `{"outputs": {"empty": [], "dot": 0, "y": [9, 4, 25]}}`
	for i, r := range results {
		if r != want {
			t.Errorf("chunk size %d: got %s, want %s", []int{0, 1, 2}[i], r, want)
		}
	}
}
