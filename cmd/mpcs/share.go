package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/mpcs/mpcs/coordinator/client"
	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
	"github.com/mpcs/mpcs/stdlib/commit"
)

func init() { register(shareCmd) }

// trustFlags are a server's --NAME-fingerprint and --NAME-ca flags.
type trustFlags struct{ fingerprint, ca string }

func (t *trustFlags) register(cmd *cobra.Command, name, what string) {
	cmd.Flags().StringVar(&t.fingerprint, name+"-fingerprint", "", "pin the "+what+"'s TLS certificate by its SHA-256 (hex)")
	cmd.Flags().StringVar(&t.ca, name+"-ca", "", "PEM file of certificates trusted for the "+what+" (default: the system's roots)")
}

func (t *trustFlags) trust() tlsutil.Trust {
	return tlsutil.Trust{Fingerprint: t.fingerprint, CAFile: t.ca}
}

func shareCmd() *cobra.Command {
	var dataset, coordURL, notaryURL, sourceID, nonceFlag, credentials string
	var notaryTrust, coordTrust trustFlags
	var asJSON bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "share --dataset D --coordinator URL --notary URL --source-id ID",
		Short: "Contribute your value to a dataset: attest, register, share with the three parties",
		Long: "Contribute one private value as a data provider:\n" +
			"  1. the notary fetches your value from its source (your record ID there) and signs\n" +
			"     a commitment to it with a nonce chosen here;\n" +
			"  2. the coordinator checks the attestation and issues a submission ticket;\n" +
			"  3. the value and the nonce are split into secret shares on this machine, and each\n" +
			"     of the three parties receives only its own shares, over TLS pinned to its\n" +
			"     certificate;\n" +
			"  4. when the three have stored them, the coordinator is told, and a receipt printed.\n" +
			"No party and not the coordinator ever sees the value. The credentials for the source\n" +
			"can also come from the MPCS_CREDENTIALS environment variable.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []struct{ name, v string }{{"dataset", dataset}, {"coordinator", coordURL}, {"notary", notaryURL}, {"source-id", sourceID}} {
				if f.v == "" {
					return cli.Usage("--%s is required", f.name)
				}
			}
			var nonce *[commit.NonceSize]byte
			if nonceFlag != "auto" {
				b, err := hex.DecodeString(nonceFlag)
				if err != nil || len(b) != commit.NonceSize {
					return cli.Usage("--nonce must be auto or %d bytes in hex", commit.NonceSize)
				}
				nonce = (*[commit.NonceSize]byte)(b)
			}
			if credentials == "" {
				credentials = os.Getenv("MPCS_CREDENTIALS")
			}
			nc, err := client.NewNotary(notaryURL, notaryTrust.trust())
			if err != nil {
				return cli.Usage("%v", err)
			}
			chc, err := coordTrust.trust().HTTPClient(60 * time.Second)
			if err != nil {
				return cli.Usage("coordinator: %v", err)
			}
			p := &client.Provider{
				Coordinator: client.NewCoordinator(coordURL, "", chc),
				Notary:      nc,
				Parties:     &client.Parties{},
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel func()
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			rec, err := p.Share(ctx, client.Contribution{Dataset: dataset, SourceID: sourceID, Credentials: credentials, Nonce: nonce})
			if err != nil {
				return cli.Failed(err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(rec)
			}
			fmt.Fprintf(out, "receipt: %s of %s contributed to dataset %q\n", rec.SourceID, rec.Source, rec.Dataset)
			fmt.Fprintf(out, "  ticket      %s\n", rec.Ticket)
			cols := make([]string, 0, len(rec.Commitments))
			for c := range rec.Commitments {
				cols = append(cols, c)
			}
			sort.Strings(cols)
			for _, c := range cols {
				fmt.Fprintf(out, "  commitment  %s = %s\n", c, rec.Commitments[c])
			}
			for _, r := range rec.Parties {
				fmt.Fprintf(out, "  party %d     stored %s (%s)\n", r.Party, r.Stored.Format(time.RFC3339), r.Status)
			}
			fmt.Fprintf(out, "  in %s; the row is admitted once the parties have checked it against the commitment\n", rec.Elapsed.Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataset, "dataset", "", "the dataset to contribute to")
	f.StringVar(&coordURL, "coordinator", "", "the coordinator's URL")
	f.StringVar(&notaryURL, "notary", "", "the notary's URL (https)")
	f.StringVar(&sourceID, "source-id", "", "your record's id at the notary's source")
	f.StringVar(&nonceFlag, "nonce", "auto", "the commitment's nonce: auto (32 random bytes) or 64 hex digits")
	f.StringVar(&credentials, "credentials", "", "credentials for the source, forwarded by the notary (or MPCS_CREDENTIALS)")
	f.BoolVar(&asJSON, "json", false, "print the receipt as JSON")
	f.DurationVar(&timeout, "timeout", 2*time.Minute, "give up after this long (0: never)")
	notaryTrust.register(cmd, "notary", "notary")
	coordTrust.register(cmd, "coordinator", "coordinator")
	return cmd
}
