package compiler

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"

	"github.com/mpcs/mpcs/vm"
)

var update = flag.Bool("update", false, "rewrite golden files")

func compileString(t testing.TB, src string, opts Options) (*vm.Program, error) {
	t.Helper()
	return Compile("prog.mpcs", []byte(src), opts)
}

func mustCompile(t testing.TB, src string, opts Options) *vm.Program {
	t.Helper()
	p, err := compileString(t, src, opts)
	if d, ok := IsDiagnostics(err); ok {
		t.Fatalf("compile errors:\n%s", d.Render())
	}
	require.NoError(t, err)
	return p
}

func emulate(t testing.TB, p *vm.Program, csv string, params map[string]string) (*vm.Result, error) {
	t.Helper()
	if csv == "" {
		csv = "_\n"
	}
	data, err := vm.ReadCSV(strings.NewReader(csv), p)
	if err != nil {
		return nil, err
	}
	return vm.Emulate(context.Background(), p, data, params)
}

// outputs runs a program and decodes its JSON outputs.
func outputs(t testing.TB, src, csv string, opts Options) map[string]any {
	t.Helper()
	p := mustCompile(t, src, opts)
	res, err := emulate(t, p, csv, nil)
	require.NoError(t, err)
	var got struct{ Outputs map[string]any }
	require.NoError(t, json.Unmarshal(res.JSON(), &got))
	return got.Outputs
}

// TestErrors compiles every testdata/errors/*.mpcs file and checks that the
// diagnostics are exactly those announced by `### "regexp"` comments on the
// lines they are reported at (a line may announce several).
func TestErrors(t *testing.T) {
	files, _ := filepath.Glob("testdata/errors/*.mpcs")
	require.NotEmpty(t, files)
	want := regexp.MustCompile(`### "((?:[^"\\]|\\.)*)"`)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			require.NoError(t, err)
			expect := map[int][]*regexp.Regexp{}
			for i, line := range strings.Split(string(src), "\n") {
				for _, m := range want.FindAllStringSubmatch(line, -1) {
					expect[i+1] = append(expect[i+1], regexp.MustCompile(strings.ReplaceAll(m[1], `\"`, `"`)))
				}
			}
			_, err = Compile(file, src, Options{})
			d, ok := IsDiagnostics(err)
			require.True(t, ok, "expected diagnostics, got %v", err)
			rendered := d.Render()
			for _, e := range d.List {
				require.Equal(t, file, e.Pos.File, rendered)
				res := expect[e.Pos.Line]
				matched := -1
				for i, re := range res {
					if re.MatchString(e.Msg) {
						matched = i
						break
					}
				}
				if matched < 0 {
					t.Errorf("unexpected error %s: %s", e.Pos, e.Msg)
					continue
				}
				expect[e.Pos.Line] = append(res[:matched], res[matched+1:]...)
			}
			lines := make([]int, 0)
			for l, res := range expect {
				if len(res) > 0 {
					lines = append(lines, l)
				}
			}
			sort.Ints(lines)
			for _, l := range lines {
				for _, re := range expect[l] {
					t.Errorf("%s:%d: missing error matching %q\n%s", file, l, re, rendered)
				}
			}
			// every diagnostic renders with its line and a caret
			require.Contains(t, rendered, "^")
		})
	}
}

// TestGolden compiles testdata/golden/*.txtar (section prog.mpcs, optional
// section options with "ring 64") and compares the disassembly; run with
// -update to rewrite.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.txtar")
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			require.NoError(t, err)
			sections := map[string][]byte{}
			for _, f := range ar.Files {
				sections[f.Name] = f.Data
			}
			opts := Options{}
			if strings.Contains(string(sections["options"]), "ring 64") {
				opts.Ring = 64
			}
			p := mustCompile(t, string(sections["prog.mpcs"]), opts)
			got := vm.Disassemble(p)
			// the disassembly assembles back to the same bytes
			back, err := vm.Assemble(got)
			require.NoError(t, err)
			b1, err := vm.Encode(p)
			require.NoError(t, err)
			b2, err := vm.Encode(back)
			require.NoError(t, err)
			require.Equal(t, b1, b2)
			if *update {
				for i := range ar.Files {
					if ar.Files[i].Name == "disasm" {
						ar.Files[i].Data = []byte(got)
					}
				}
				if _, ok := sections["disasm"]; !ok {
					ar.Files = append(ar.Files, txtar.File{Name: "disasm", Data: []byte(got)})
				}
				require.NoError(t, os.WriteFile(file, txtar.Format(ar), 0o644))
				return
			}
			require.Equal(t, string(sections["disasm"]), got, "run go test ./compiler -run TestGolden -update to accept")
		})
	}
}

// TestRun runs testdata/run/*.txtar programs in the plaintext executor: the
// section prog.mpcs (whose asserts must hold), optional data.csv and
// params (NAME=VALUE lines), and optional want (the JSON outputs) or
// error (a regexp the run-time error must match).
func TestRun(t *testing.T) {
	files, _ := filepath.Glob("testdata/run/*.txtar")
	require.NotEmpty(t, files)
	for _, file := range files {
		for _, ring := range []int{128, 64} {
			t.Run(filepath.Base(file)+"/ring"+strconv.Itoa(ring), func(t *testing.T) {
				ar, err := txtar.ParseFile(file)
				require.NoError(t, err)
				sections := map[string]string{}
				for _, f := range ar.Files {
					sections[f.Name] = string(f.Data)
				}
				if strings.Contains(sections["options"], "ring128only") && ring == 64 {
					t.Skip("program needs the 128-bit ring")
				}
				p := mustCompile(t, sections["prog.mpcs"], Options{Ring: ring})
				params := map[string]string{}
				for _, l := range strings.Split(strings.TrimSpace(sections["params"]), "\n") {
					if k, v, ok := strings.Cut(l, "="); ok {
						params[k] = v
					}
				}
				res, err := emulate(t, p, sections["data.csv"], params)
				if want, ok := sections["error"]; ok {
					require.Error(t, err)
					require.Regexp(t, strings.TrimSpace(want), err.Error())
					return
				}
				require.NoError(t, err)
				if want, ok := sections["want"]; ok {
					// fixed point: within 4 units in the last place of F bits
					tol := 4 / float64(uint64(1)<<p.FracBits)
					if diff := vm.DiffJSON([]byte(want), res.JSON(), tol); diff != "" {
						t.Errorf("%s\nwant %s\ngot  %s", diff, want, res.JSON())
					}
				}
			})
		}
	}
}
