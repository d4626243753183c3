package main

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
	"github.com/mpcs/mpcs/coordinator/notary/datasource"
	"github.com/mpcs/mpcs/runtime"
)

func init() { register(datasourceCmd) }

func datasourceCmd() *cobra.Command {
	var listen, cert, key, token string
	cmd := &cobra.Command{
		Use:   "datasource --listen ADDR --cert FILE --key FILE",
		Short: "Run the demo's sample HTTPS JSON source (GET /accounts/{id} → balance)",
		Long: "Serve a sample bank over HTTPS: GET /accounts/{id} answers\n" +
			`{"id": ID, "balance": "12.34", "currency": "ETH"}` + " with a deterministic, heavy-tailed\n" +
			"balance for every id. The certificate and key are created (self-signed) if missing;\n" +
			"the notary trusts the certificate file or its fingerprint.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cert == "" || key == "" {
				return cli.Usage("--cert and --key are required (they are created if missing)")
			}
			if err := tlsutil.SelfSigned(cert, key, "mpcs sample data source", tlsutil.LocalHosts); err != nil {
				return cli.Usage("%v", err)
			}
			tlsCfg, err := tlsutil.ServerConfig(cert, key)
			if err != nil {
				return cli.Usage("%v", err)
			}
			fp, err := runtime.CertFingerprint(cert)
			if err != nil {
				return cli.Usage("%v", err)
			}
			l, err := net.Listen("tcp", listen)
			if err != nil {
				return cli.Failed(err)
			}
			srv := &http.Server{Handler: &datasource.Source{Token: token}, TLSConfig: tlsCfg,
				ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
			abs, _ := filepath.Abs(cert)
			fmt.Fprintf(cmd.OutOrStdout(), "data source listening on https://%s/accounts/{id} (certificate %s, sha256 %s)\n", l.Addr(), abs, fp)
			if err := tlsutil.Serve(cmd.Context(), srv, l); err != nil {
				return cli.Failed(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:7400", "address to listen on")
	cmd.Flags().StringVar(&cert, "cert", "", "PEM certificate (created if missing)")
	cmd.Flags().StringVar(&key, "key", "", "PEM key (created if missing)")
	cmd.Flags().StringVar(&token, "token", "", "require this bearer token (the provider's credentials)")
	return cmd
}
