package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/mpcs/mpcs/coordinator"
)

func init() { register(coordinatorCmd) }

func coordinatorCmd() *cobra.Command {
	var config string
	var jsonLog bool
	cmd := &cobra.Command{
		Use:   "coordinator --config COORDINATOR.toml",
		Short: "Run the coordinator: the HTTP/JSON API, the admission loop and the statistics page",
		Long: "Run the coordinator (docs/coordinator.md): datasets, provider registration with the\n" +
			"notary's attestation, admission batches and queries sent to the three parties, and\n" +
			"the live statistics page at /. It serves until interrupted.\n\n" +
			"Make its signing key first with `mpcs coordinator keygen --out FILE`.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" {
				return cli.Usage("--config COORDINATOR.toml is required")
			}
			cfg, err := coordinator.LoadConfig(config)
			if err != nil {
				return cli.Usage("%v", err)
			}
			var h slog.Handler = slog.NewTextHandler(cmd.ErrOrStderr(), nil)
			if jsonLog {
				h = slog.NewJSONHandler(cmd.ErrOrStderr(), nil)
			}
			srv, err := coordinator.New(cmd.Context(), cfg, coordinator.Options{Logger: slog.New(h)})
			if err != nil {
				return cli.Failed(err)
			}
			if err := srv.Run(cmd.Context()); err != nil {
				return cli.Failed(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the coordinator's TOML config")
	cmd.Flags().BoolVar(&jsonLog, "log-json", false, "log JSON lines instead of text")
	cmd.AddCommand(coordinatorKeygenCmd(), coordinatorPubkeyCmd())
	return cmd
}

func coordinatorKeygenCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "keygen --out FILE",
		Short: "Create the coordinator's Ed25519 signing key (the parties hold its public key)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return cli.Usage("--out FILE is required")
			}
			key, err := coordinator.GenerateSigningKey(out)
			if err != nil {
				return cli.Usage("%v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "coordinator signing key %s\npublic key %s\n", out, coordinator.PublicKeyHex(key))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the key file to create (mode 0600; never overwritten)")
	return cmd
}

func coordinatorPubkeyCmd() *cobra.Command {
	var key, config string
	cmd := &cobra.Command{
		Use:   "pubkey (--key FILE | --config COORDINATOR.toml)",
		Short: "Print the public key of the coordinator's signing key, for the parties' config",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := key
			if config != "" {
				cfg, err := coordinator.LoadConfig(config)
				if err != nil {
					return cli.Usage("%v", err)
				}
				path = cfg.SigningKeyPath()
			}
			if path == "" {
				return cli.Usage("--key FILE or --config COORDINATOR.toml is required")
			}
			k, err := coordinator.LoadSigningKey(path)
			if err != nil {
				if os.IsNotExist(err) {
					return cli.Usage("%v (make one with `mpcs coordinator keygen --out %s`)", err, path)
				}
				return cli.Usage("%v", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), coordinator.PublicKeyHex(k))
			return nil
		},
	}
	cmd.Flags().StringVar(&key, "key", "", "the signing key file")
	cmd.Flags().StringVar(&config, "config", "", "take the key file from this config")
	return cmd
}
