// Package cli holds what the mpcc, mpcvm and mpcs commands share: their exit
// statuses (0 success, 1 the program or operation failed, 2 misuse), the
// error that carries a status through cobra, argument checks and reading
// bytecode.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/vm"
)

// Exit statuses of the commands.
const (
	ExitFailed = 1 // errors in the program, or the operation failed
	ExitUsage  = 2 // misuse: bad flags, files, bytecode, config
)

// ExitError carries an exit status through cobra.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Usage is an error of misuse (exit status 2).
func Usage(format string, args ...any) error {
	return &ExitError{ExitUsage, fmt.Errorf(format, args...)}
}

// Misuse marks err as misuse (exit status 2).
func Misuse(err error) error { return &ExitError{ExitUsage, err} }

// Failed marks err as a failure of the program or operation (exit status 1).
func Failed(err error) error { return &ExitError{ExitFailed, err} }

// Code is the exit status of an error returned by a command: 0 for nil,
// the carried status, or 2 for an error without one (cobra's own).
func Code(err error) int {
	if err == nil {
		return 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitUsage
}

// ExactArgs requires n positional arguments (misuse otherwise).
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return Usage("%s takes %d argument(s), got %d (see %s --help)", cmd.Name(), n, len(args), cmd.CommandPath())
		}
		return nil
	}
}

// Root sets what every root command shares: its output streams, no usage
// text or error printing by cobra, and flag errors as misuse.
func Root(root *cobra.Command, stdout, stderr io.Writer) *cobra.Command {
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return Misuse(err) })
	return root
}

// Main runs root until it returns or the process is interrupted (SIGINT,
// SIGTERM cancel the command's context), prints an error as "name: error"
// and exits with its status.
func Main(name string, root *cobra.Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		if msg := strings.TrimRight(err.Error(), "\n"); msg != "" {
			fmt.Fprintln(os.Stderr, name+":", msg)
		}
		os.Exit(Code(err))
	}
}

// ReadBytecode reads and decodes a compiled program; a missing or malformed
// file is misuse.
func ReadBytecode(path string) (*vm.Program, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, Usage("%v", err)
	}
	p, err := vm.Decode(b)
	if err != nil {
		return nil, Usage("%s: %v (compile .mpcs programs with mpcc compile)", path, err)
	}
	return p, nil
}
