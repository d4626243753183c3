package compiler

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/mpcs/mpcs/vm"
)

// FuzzCompile: the compiler never panics, and whatever it accepts passes
// Verify and survives an encode/decode round trip.
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.txtar")
	for _, file := range files {
		ar, err := txtar.ParseFile(file)
		if err != nil {
			continue
		}
		for _, s := range ar.Files {
			if s.Name == "prog.mpcs" {
				f.Add(string(s.Data))
			}
		}
	}
	errs, _ := filepath.Glob("testdata/errors/*.mpcs")
	for _, file := range errs {
		b, _ := os.ReadFile(file)
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Compile("fuzz.mpcs", []byte(src), Options{})
		if err != nil {
			if _, ok := IsDiagnostics(err); !ok {
				t.Fatalf("non-diagnostic error: %v", err)
			}
			return
		}
		if err := vm.Verify(p); err != nil {
			t.Fatalf("compiled program fails Verify: %v", err)
		}
		b, err := vm.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := vm.Decode(b); err != nil {
			t.Fatalf("compiled program does not decode: %v", err)
		}
	})
}
