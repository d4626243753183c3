// Command mpcc compiles .mpcs programs to bytecode, checks them, shows their
// bytecode and runs them on cleartext sample data.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/vm"
)

func main() { cli.Main("mpcc", newRoot(os.Stdout, os.Stderr)) }

type compileFlags struct {
	out      string
	includes []string
	ring     int
	frac     int
}

func (f *compileFlags) options() compiler.Options {
	return compiler.Options{Ring: f.ring, FracBits: f.frac, IncludeDirs: f.includes}
}

func (f *compileFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&f.includes, "include", "I", nil, "add a module search path (after the standard library and the program's folder)")
	cmd.Flags().IntVar(&f.ring, "ring", 128, "ring size k: 128 or 64")
	cmd.Flags().IntVar(&f.frac, "frac-bits", 0, "fractional bits F of fixed point (default 24 for k=128, 16 for k=64)")
}

// compile compiles a program, rendering diagnostics to stderr.
func compile(path string, f *compileFlags, stderr io.Writer) (*vm.Program, error) {
	p, err := compiler.CompileFile(path, f.options())
	if d, ok := compiler.IsDiagnostics(err); ok {
		fmt.Fprint(stderr, d.Render())
		n := len(d.List)
		plural := ""
		if n != 1 {
			plural = "s"
		}
		return nil, cli.Failed(fmt.Errorf("%d error%s", n, plural))
	}
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, cli.Usage("%v", err)
		}
		return nil, cli.Misuse(err)
	}
	return p, nil
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "mpcc",
		Short: "Compile .mpcs statistics programs for three-party secure computation",
	}
	cli.Root(root, stdout, stderr)

	var cf compileFlags
	compileCmd := &cobra.Command{
		Use:   "compile PROG.mpcs [-o OUT.mpcb]",
		Short: "Compile a program to bytecode",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := compile(args[0], &cf, stderr)
			if err != nil {
				return err
			}
			b, err := vm.Encode(p)
			if err != nil {
				return err
			}
			out := cf.out
			if out == "" {
				out = strings.TrimSuffix(args[0], filepath.Ext(args[0])) + ".mpcb"
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return cli.Usage("%v", err)
			}
			fmt.Fprintf(stdout, "%s: %d instructions, %d bytes, hash %x\n", out, len(p.Code), len(b), p.Hash)
			return nil
		},
	}
	cf.register(compileCmd)
	compileCmd.Flags().StringVarP(&cf.out, "output", "o", "", "output file (default: PROG.mpcb)")

	var chk compileFlags
	checkCmd := &cobra.Command{
		Use:   "check PROG.mpcs",
		Short: "Report the program's errors without writing bytecode",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := compile(args[0], &chk, stderr); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: ok\n", args[0])
			return nil
		},
	}
	chk.register(checkCmd)

	disasmCmd := &cobra.Command{
		Use:   "disasm PROG.mpcb",
		Short: "Print the bytecode of a compiled program",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := cli.ReadBytecode(args[0])
			if err != nil {
				return err
			}
			fmt.Fprint(stdout, vm.Disassemble(p))
			return nil
		},
	}

	var ef compileFlags
	var data string
	var params []string
	var asJSON bool
	emulateCmd := &cobra.Command{
		Use:   "emulate PROG.mpcs|PROG.mpcb --data ROWS.csv",
		Short: "Run a program on cleartext rows with the reference executor",
		Long: "Run a program on cleartext rows (a CSV with a header of column names, one row per\n" +
			"data provider) with the plaintext reference executor: the same bytecode, ring and\n" +
			"fixed-point semantics as the three-party VM, for debugging on sample data.",
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if data == "" {
				return cli.Usage("--data ROWS.csv is required")
			}
			var p *vm.Program
			var err error
			if strings.HasSuffix(args[0], ".mpcb") {
				p, err = cli.ReadBytecode(args[0])
			} else {
				p, err = compile(args[0], &ef, stderr)
			}
			if err != nil {
				return err
			}
			kv, err := vm.ParseParamList(params)
			if err != nil {
				return cli.Usage("--param: %v", err)
			}
			f, err := os.Open(data)
			if err != nil {
				return cli.Usage("%v", err)
			}
			defer f.Close()
			ds, err := vm.ReadCSV(f, p)
			if err != nil {
				return cli.Misuse(fmt.Errorf("%s: %w", data, err))
			}
			res, err := vm.Emulate(context.Background(), p, ds, kv)
			if err != nil {
				var re *vm.RuntimeError
				if errors.As(err, &re) {
					return cli.Failed(err)
				}
				return cli.Misuse(err)
			}
			if asJSON {
				fmt.Fprintln(stdout, string(res.JSON()))
			} else {
				fmt.Fprint(stdout, res.Text())
			}
			return nil
		},
	}
	ef.register(emulateCmd)
	emulateCmd.Flags().StringVar(&data, "data", "", "CSV file of rows (header of column names)")
	emulateCmd.Flags().StringArrayVar(&params, "param", nil, "parameter value NAME=VALUE (repeatable)")
	emulateCmd.Flags().BoolVar(&asJSON, "json", false, `print {"outputs": {...}} as JSON`)

	root.AddCommand(compileCmd, checkCmd, disasmCmd, emulateCmd)
	return root
}
