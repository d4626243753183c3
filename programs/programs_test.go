package programs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/vm"
)

// TestPrograms compiles every program for both rings, runs it on its sample
// data in the reference executor and compares with the expected outputs
// (fixed point within 2^-(F-8) relative: a few hundred units in the last place
// covers the divisions and the 64-bit ring's 16 fractional bits).
func TestPrograms(t *testing.T) {
	progs, _ := filepath.Glob("*/*.mpcs")
	require.NotEmpty(t, progs)
	for _, prog := range progs {
		dir := filepath.Dir(prog)
		for _, ring := range []int{128, 64} {
			t.Run(filepath.Base(prog)+"/"+map[int]string{128: "ring128", 64: "ring64"}[ring], func(t *testing.T) {
				p, err := compiler.CompileFile(prog, compiler.Options{Ring: ring})
				if d, ok := compiler.IsDiagnostics(err); ok {
					t.Fatal(d.Render())
				}
				require.NoError(t, err)
				f, err := os.Open(filepath.Join(dir, "sample.csv"))
				require.NoError(t, err)
				defer f.Close()
				data, err := vm.ReadCSV(f, p)
				require.NoError(t, err)
				res, err := vm.Emulate(context.Background(), p, data, nil)
				require.NoError(t, err)
				want, err := os.ReadFile(filepath.Join(dir, "expected.json"))
				require.NoError(t, err)
				tol := 256 / float64(uint64(1)<<p.FracBits)
				if d := vm.DiffJSON(want, res.JSON(), tol); d != "" {
					t.Errorf("%s\nwant %s\ngot  %s", d, want, res.JSON())
				}
			})
		}
	}
}
