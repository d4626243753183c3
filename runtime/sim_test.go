package runtime

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/vm"
)

// simUnsupported reports an opcode of p whose rounds the opcode table can
// only estimate: ASORT, whose quicksort levels depend on the shuffle. The
// tests here that compare rounds with the table leave such programs to
// TestSimSortAll (proto_sort_test.go), which runs them whole.
func simUnsupported(p *vm.Program) (vm.Opcode, bool) {
	for _, in := range p.Code {
		if in.Op == vm.ASORT {
			return in.Op, true
		}
	}
	return 0, false
}

// simCompare runs p in the reference executor and as three parties and
// requires the same outputs (exactly: every protocol of the engine is exact)
// or the same error.
func simCompare(t *testing.T, p *vm.Program, csv string, params map[string]string) SimStats {
	t.Helper()
	if csv == "" {
		csv = "_\n"
	}
	data, err := vm.ReadCSV(strings.NewReader(csv), p)
	require.NoError(t, err)
	pv, err := vm.ParseParams(p, params)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	want, werr := vm.NewMachine(p, vm.NewPlainEngine(p.Ring, p.FracBits, data), pv).Run(ctx)
	nets := NewMemNetworks()
	defer func() {
		for _, n := range nets {
			n.Close()
		}
	}()
	got, st, gerr := Sim(ctx, p, data, pv, nets)
	if werr != nil {
		require.Error(t, gerr, "the reference run failed with %v", werr)
		require.Equal(t, werr.Error(), gerr.Error())
		return st
	}
	require.NoError(t, gerr)
	require.Equal(t, string(want.JSON()), string(got.JSON()))
	require.Equal(t, want.Rounds, st.MachineRounds)
	return st
}

// runTest reads the sections of a compiler run test (testdata/run/*.txtar).
func runTest(t *testing.T, file string) map[string]string {
	t.Helper()
	ar, err := txtar.ParseFile(file)
	require.NoError(t, err)
	sec := map[string]string{}
	for _, f := range ar.Files {
		sec[f.Name] = string(f.Data)
	}
	return sec
}

// runParams returns the parameters of a run test's "params" section (one
// name=value a line).
func runParams(sec map[string]string) map[string]string {
	params := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(sec["params"]), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			params[k] = v
		}
	}
	return params
}

// TestSimRun runs the compiler's run tests (testdata/run/*.txtar) as three
// parties and compares with the reference executor.
func TestSimRun(t *testing.T) {
	files, _ := filepath.Glob("../compiler/testdata/run/*.txtar")
	require.NotEmpty(t, files)
	for _, file := range files {
		for _, ring := range []int{128, 64} {
			t.Run(filepath.Base(file)+"/ring"+strconv.Itoa(ring), func(t *testing.T) {
				sec := runTest(t, file)
				if strings.Contains(sec["options"], "ring128only") && ring == 64 {
					t.Skip("program needs the 128-bit ring")
				}
				p, err := compiler.Compile("prog.mpcs", []byte(sec["prog.mpcs"]), compiler.Options{Ring: ring})
				require.NoError(t, err)
				if op, ok := simUnsupported(p); ok {
					t.Skipf("uses %s: TestSimSortAll runs it", op)
				}
				st := simCompare(t, p, sec["data.csv"], runParams(sec))
				t.Logf("rounds %d (opcode table %d), %d bytes", st.Rounds, st.MachineRounds, st.BytesSent)
				// the disassembler's round counts are the protocols' real ones
				require.Equal(t, st.MachineRounds, st.Rounds, "measured rounds vs the opcode table")
			})
		}
	}
}

// TestSimPrograms runs the shipped programs that use no operation the
// engine lacks.
func TestSimPrograms(t *testing.T) {
	progs, _ := filepath.Glob("../programs/*/*.mpcs")
	require.NotEmpty(t, progs)
	for _, prog := range progs {
		for _, ring := range []int{128, 64} {
			t.Run(filepath.Base(prog)+"/ring"+strconv.Itoa(ring), func(t *testing.T) {
				p, err := compiler.CompileFile(prog, compiler.Options{Ring: ring})
				require.NoError(t, err)
				if op, ok := simUnsupported(p); ok {
					t.Skipf("uses %s", op)
				}
				csv, err := os.ReadFile(filepath.Join(filepath.Dir(prog), "sample.csv"))
				require.NoError(t, err)
				st := simCompare(t, p, string(csv), nil)
				t.Logf("rounds %d, %d bytes", st.Rounds, st.BytesSent)
			})
		}
	}
}

// TestSimLines runs the outputs of the run tests one program per line, so
// that a program that sorts somewhere still gets its other lines checked.
func TestSimLines(t *testing.T) {
	files, _ := filepath.Glob("../compiler/testdata/run/*.txtar")
	for _, file := range files {
		sec := runTest(t, file)
		if _, isErr := sec["error"]; isErr {
			continue
		}
		lines := strings.Split(sec["prog.mpcs"], "\n")
		var head []string
		for _, l := range lines {
			if !strings.HasPrefix(l, "output(") {
				head = append(head, l)
			}
		}
		for _, ring := range []int{128, 64} {
			p0, err := compiler.Compile("prog.mpcs", []byte(sec["prog.mpcs"]), compiler.Options{Ring: ring})
			if err != nil || strings.Contains(sec["options"], "ring128only") && ring == 64 {
				continue
			}
			if _, ok := simUnsupported(p0); !ok {
				continue // covered whole by TestSimRun
			}
			for i, l := range lines {
				if !strings.HasPrefix(l, "output(") {
					continue
				}
				src := strings.Join(head, "\n") + "\n" + l + "\n"
				p, err := compiler.Compile("prog.mpcs", []byte(src), compiler.Options{Ring: ring})
				if err != nil {
					continue // the line needs an earlier output-defined name
				}
				if _, ok := simUnsupported(p); ok {
					continue
				}
				t.Run(filepath.Base(file)+"/"+strconv.Itoa(i)+"/ring"+strconv.Itoa(ring), func(t *testing.T) {
					simCompare(t, p, sec["data.csv"], runParams(sec))
				})
			}
		}
	}
}

// TestSimSortRuns: a program that sorts secrets runs as three parties (it
// failed with "not yet implemented" before ASORT was written).
func TestSimSortRuns(t *testing.T) {
	src := "x = input(\"x\", sfix)\noutput(\"q\", sort(x))\n"
	p, err := compiler.Compile("q.mpcs", []byte(src), compiler.Options{Ring: 64})
	require.NoError(t, err)
	st := simCompare(t, p, "x\n2\n1\n", nil)
	require.Positive(t, st.Rounds)
}
