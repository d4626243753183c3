package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/mpcs/mpcs/runtime"
)

// serveCmd is mpcvm serve: the long-running party server (docs/party.md).
func serveCmd(stderr io.Writer) *cobra.Command {
	var party int
	var config, logLevel, logFormat string
	cmd := &cobra.Command{
		Use:   "serve --party=N --config DEPLOY.toml",
		Short: "Run party N's long-running server: provider submissions, admissions and jobs",
		Long: "Run party N as a long-running server (docs/party.md): its client API (HTTPS on the\n" +
			"party's api address) accepts providers' submissions, the coordinator's signed admission\n" +
			"batches and jobs for allowlisted programs; the three parties compute over pinned mutual\n" +
			"TLS. The [serve] and [coordinator] tables of the deployment config configure it. Stops on\n" +
			"interrupt (Ctrl-C) or SIGTERM.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if party < 0 || party > 2 {
				return cli.Usage("--party must be 0, 1 or 2")
			}
			if config == "" {
				return cli.Usage("--config DEPLOY.toml is required")
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return cli.Usage("--log-level %q: want debug, info, warn or error", logLevel)
			}
			opts := &slog.HandlerOptions{Level: level}
			var h slog.Handler
			switch strings.ToLower(logFormat) {
			case "json":
				h = slog.NewJSONHandler(stderr, opts)
			case "text":
				h = slog.NewTextHandler(stderr, opts)
			default:
				return cli.Usage("--log-format %q: want json or text", logFormat)
			}
			log := slog.New(h)
			cfg, err := runtime.LoadConfig(config)
			if err != nil {
				return cli.Usage("%v", err)
			}
			cfg.Logger = log
			srv, err := runtime.NewServer(cfg, party, log)
			if err != nil {
				return cli.Usage("%v", err)
			}
			if err := srv.Run(cmd.Context()); err != nil {
				return cli.Failed(fmt.Errorf("party %d: %w", party, err))
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&party, "party", -1, "this party's index: 0, 1 or 2")
	cmd.Flags().StringVar(&config, "config", "", "deployment config (TOML) with [serve] and [coordinator]")
	cmd.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	cmd.Flags().StringVar(&logFormat, "log-format", "json", "log format: json or text")
	return cmd
}
