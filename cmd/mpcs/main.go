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
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/cmd/internal/cli"
)

// commands are the subcommand constructors registered by init functions.
var commands []func() *cobra.Command

// register adds a subcommand constructor; call it from an init function.
func register(f func() *cobra.Command) { commands = append(commands, f) }

// newRoot builds the mpcs command with every registered subcommand.
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "mpcs",
		Short: "Private statistics over three-party secure computation: services and clients",
	}
	cli.Root(root, stdout, stderr)
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
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "mpcs:", err)
	}
	return cli.Code(err)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
