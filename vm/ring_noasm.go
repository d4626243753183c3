//go:build !amd64 || purego

package vm

// Without amd64 assembly (another architecture, or the purego tag) the
// generic kernels are the only path.

// archKernelSets returns the paths of this build after generic: none.
func archKernelSets() []*kernelSet { return nil }
