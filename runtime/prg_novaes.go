//go:build !amd64 || purego

package runtime

// Without amd64 assembly the numbered streams use the standard library's
// AES-CTR on every kernel path.

func ctrKernelFor(string) *ctrKernel { return nil }

func ctrKernels() []*ctrKernel { return nil }
