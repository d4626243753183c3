package programs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/vm"
)

// TestPrograms compiles every program for both rings, runs it on its sample
// data in the reference executor (as `mpcc emulate`) and as three parties
// over in-memory networks (as `mpcvm sim`), and compares both with the
// expected outputs (fixed point within 2^-(F-8) relative: a few hundred
// units in the last place covers the divisions and the 64-bit ring's 16
// fractional bits). The runs must also agree exactly, semi-honest and
// malicious: every protocol is exact.
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
				want, err := os.ReadFile(filepath.Join(dir, "expected.json"))
				require.NoError(t, err)
				tol := 256 / float64(uint64(1)<<p.FracBits)

				res, err := vm.Emulate(context.Background(), p, data, nil)
				require.NoError(t, err)
				if d := vm.DiffJSON(want, res.JSON(), tol); d != "" {
					t.Errorf("emulate: %s\nwant %s\ngot  %s", d, want, res.JSON())
				}

				if testing.Short() {
					return
				}
				nets := runtime.NewMemNetworks()
				defer func() {
					for _, n := range nets {
						n.Close()
					}
				}()
				sim, _, err := runtime.Sim(context.Background(), p, data, nil, nets)
				require.NoError(t, err)
				if d := vm.DiffJSON(want, sim.JSON(), tol); d != "" {
					t.Errorf("sim: %s\nwant %s\ngot  %s", d, want, sim.JSON())
				}
				require.Equal(t, string(res.JSON()), string(sim.JSON()), "three parties and the reference executor differ")

				// and under the malicious model: every step verified, the
				// same result
				mal, _, err := runtime.Sim(context.Background(), p, data, nil, runtime.NewMemNetworks(), runtime.WithSecurity(runtime.Malicious))
				require.NoError(t, err)
				require.Equal(t, string(res.JSON()), string(mal.JSON()), "the malicious model changed the result")
			})
		}
	}
}

// TestPayGapMinCohort checks the minimum-cohort guard of paygap: with
// min_cohort = 3 the three managers' statistics are released, with 100
// nothing is (every statistic is the marker -1).
func TestPayGapMinCohort(t *testing.T) {
	p, err := compiler.CompileFile("paygap/paygap.mpcs", compiler.Options{})
	require.NoError(t, err)
	f, err := os.Open("paygap/sample.csv")
	require.NoError(t, err)
	defer f.Close()
	data, err := vm.ReadCSV(f, p)
	require.NoError(t, err)

	res, err := vm.Emulate(context.Background(), p, data, map[string]string{"min_cohort": "3"})
	require.NoError(t, err)
	means, _ := res.Output("mean_by_role")
	managers := vm.FixFloat(vm.ElemBig(res.Ring, means.Value, 3), res.FracBits)
	require.InDelta(t, (145.3+132.9+136.6)/3, managers, 1e-5, "management's mean is released with min_cohort = 3")

	res, err = vm.Emulate(context.Background(), p, data, map[string]string{"min_cohort": "100"})
	require.NoError(t, err)
	for _, o := range res.Outputs {
		if o.Name == "providers" {
			continue
		}
		for i := range o.Value.Lo {
			require.Equal(t, -1.0, vm.FixFloat(vm.ElemBig(res.Ring, o.Value, i), res.FracBits), "%s[%d] is not released", o.Name, i)
		}
	}
}
