// Command mpcs runs the private-statistics service and its clients: the
// coordinator, the notary, the provider client (share), the analyst clients
// (query, results) and the one-command demo. Each subcommand lives in its
// own file and registers its constructor from an init function:
//
//	func init() { register(queryCmd) }
//
// This file holds only the root command and the exit statuses. Subcommands
// write to cmd.OutOrStdout() / cmd.ErrOrStderr() so tests can capture them.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit statuses, as mpcvm's: 1 when the operation fails (a query fails, a
// server stops with an error), 2 for misuse (bad flags, files, config).
const (
	exitRun   = 1
	exitUsage = 2
)

// exitError carries the exit status of an error.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usage is an error of misuse (exit status 2).
func usage(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

// failed is an error of the operation itself (exit status 1).
func failed(err error) error { return &exitError{exitRun, err} }

// commands are the subcommand constructors registered by init functions.
var commands []func() *cobra.Command

// register adds a subcommand constructor; call it from an init function.
func register(f func() *cobra.Command) { commands = append(commands, f) }

// newRoot builds the mpcs command with every registered subcommand.
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "mpcs",
		Short:         "Private statistics over three-party secure computation: services and clients",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &exitError{exitUsage, err} })
	for _, f := range commands {
		root.AddCommand(f())
	}
	return root
}

// run executes mpcs with args and returns the exit status, printing an
// error to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		code := exitUsage
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		fmt.Fprintln(stderr, "mpcs:", err)
		return code
	}
	return 0
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
