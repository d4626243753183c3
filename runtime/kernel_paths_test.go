package runtime

import (
	"testing"

	"github.com/mpcs/mpcs/vm"
)

// TestKernelPaths reruns the protocol tests and the whole-program
// comparisons on every ring-kernel path this CPU offers (generic, AVX2,
// AVX-512): the three-party results must equal the reference on each.
func TestKernelPaths(t *testing.T) {
	if testing.Short() {
		t.Skip("reruns the protocol suite per kernel path")
	}
	tests := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"MulDot", TestMulDot}, {"BAndOpen", TestBAndOpen}, {"LTZ", TestLTZ}, {"EQZ", TestEQZ},
		{"ShrTrunc", TestShrTrunc}, {"IDiv", TestIDiv}, {"A2B", TestA2B}, {"B2A", TestB2A},
		{"Randomized", TestRandomized}, {"SimRun", TestSimRun}, {"SortCosts", TestSortCosts},
	}
	for _, path := range vm.AvailableKernels() {
		t.Run(path, func(t *testing.T) {
			restore, err := vm.UseKernels(path)
			if err != nil {
				t.Fatal(err)
			}
			defer restore()
			for _, tc := range tests {
				t.Run(tc.name, tc.fn)
			}
		})
	}
}
