package main

import (
	"fmt"
	"log/slog"
	"net"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/mpcs/mpcs/coordinator/notary"
)

func init() { register(notaryCmd) }

func notaryCmd() *cobra.Command {
	var config string
	cmd := &cobra.Command{
		Use:   "notary --config NOTARY.toml",
		Short: "Run the notary: fetch providers' values from the source, sign commitments to them",
		Long: "Run the notary's HTTPS API (POST /v1/attest). The notary fetches a provider's value\n" +
			"itself from the HTTPS JSON source of its config, commits to it with the provider's\n" +
			"nonce and signs the attestation with its Ed25519 key (created if missing).\n" +
			"See docs/demo.md for the config and the attestation format.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if config == "" {
				return cli.Usage("--config NOTARY.toml is required")
			}
			cfg, err := notary.LoadConfig(config)
			if err != nil {
				return cli.Usage("%v", err)
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			n, created, err := notary.Open(cfg, log)
			if err != nil {
				return cli.Usage("%v", err)
			}
			fp, err := n.TLSFingerprint()
			if err != nil {
				return cli.Usage("%v", err)
			}
			l, err := net.Listen("tcp", cfg.Listen)
			if err != nil {
				return cli.Failed(err)
			}
			out := cmd.OutOrStdout()
			if created {
				fmt.Fprintf(out, "notary: created a new signing key in %s\n", cfg.Resolve(cfg.Key))
			}
			fmt.Fprintf(out, "notary public key: %s\n", n.PublicKey())
			fmt.Fprintf(out, "notary TLS certificate sha256: %s\n", fp)
			fmt.Fprintf(out, "notary listening on https://%s (source %s, column %s)\n", l.Addr(), cfg.Source.Name, cfg.Source.Column)
			if err := n.Serve(cmd.Context(), l); err != nil {
				return cli.Failed(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&config, "config", "", "the notary's TOML config")
	return cmd
}
