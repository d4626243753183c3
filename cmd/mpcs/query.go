package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/mpcs/mpcs/coordinator"
	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/coordinator/client"
	"github.com/mpcs/mpcs/coordinator/client/tlsutil"
	"github.com/mpcs/mpcs/vm"
)

func init() {
	register(queryCmd)
	register(resultsCmd)
}

// analystFlags are the flags of the analyst clients.
type analystFlags struct {
	url    string
	key    string
	cacert string
	json   bool
}

func (f *analystFlags) add(cmd *cobra.Command) {
	def := os.Getenv("MPCS_COORDINATOR")
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	cmd.Flags().StringVar(&f.url, "coordinator", def, "the coordinator's URL (or $MPCS_COORDINATOR)")
	cmd.Flags().StringVar(&f.key, "api-key", "", "an analyst or operator API key (or $MPCS_API_KEY)")
	cmd.Flags().StringVar(&f.cacert, "cacert", "", "a PEM certificate to trust for an https coordinator")
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON")
}

func (f *analystFlags) client() (*client.Coordinator, error) {
	key := f.key
	if key == "" {
		key = os.Getenv("MPCS_API_KEY")
	}
	if key == "" {
		return nil, cli.Usage("an API key is required: --api-key KEY or $MPCS_API_KEY")
	}
	if !strings.HasPrefix(f.url, "http://") && !strings.HasPrefix(f.url, "https://") {
		return nil, cli.Usage("--coordinator %q: give an http:// or https:// URL", f.url)
	}
	// The requests that wait for a result are held at most a minute.
	hc, err := tlsutil.Trust{CAFile: f.cacert}.HTTPClient(2 * time.Minute)
	if err != nil {
		return nil, cli.Usage("%v", err)
	}
	return client.NewCoordinator(f.url, key, hc), nil
}

// apiFailure maps a coordinator error to an exit status: its refusals of
// the request (4xx) are misuse, the rest failures.
func apiFailure(err error) error {
	if st := client.StatusOf(err); st/100 == 4 && st != http.StatusTooManyRequests {
		return cli.Usage("%v", err)
	}
	return cli.Failed(err)
}

// waitQuery waits until a query is done or failed; a failed query is not an
// error here (printQuery reports it).
func waitQuery(ctx context.Context, c *client.Coordinator, id string) (*api.Query, error) {
	q, err := c.WaitQuery(ctx, id)
	if err != nil && q != nil && q.Status == "failed" {
		return q, nil
	}
	return q, err
}

// printQuery prints a query as JSON or text; a failed query is an error.
func printQuery(w io.Writer, q *api.Query, asJSON bool) error {
	if asJSON {
		b, _ := json.MarshalIndent(q, "", "  ")
		fmt.Fprintf(w, "%s\n", b)
	} else if err := coordinator.WriteQuery(w, *q); err != nil {
		return cli.Failed(err)
	}
	if q.Status == "failed" {
		return cli.Failed(fmt.Errorf("query %s failed: %s", q.ID, q.Error))
	}
	return nil
}

func queryCmd() *cobra.Command {
	var f analystFlags
	var dataset, program, hash string
	var params []string
	var upload, noWait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "query --dataset D (--program PROG.mpcb | --hash H) [--param NAME=VALUE]...",
		Short: "Submit a query to the coordinator and print its results",
		Long: "Submit a query: the three parties run the program (by its hash, which must be on\n" +
			"their allowlists) over the dataset's admitted rows and reveal only its outputs.\n" +
			"--program computes the hash from a compiled file; with --upload the file is first\n" +
			"stored at the coordinator (operator key). By default it waits for the result.\n\n" +
			"Exit status: 0 done, 1 the query failed, 2 the request was refused (bad flags,\n" +
			"unknown dataset or program, not enough rows yet).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dataset == "" {
				return cli.Usage("--dataset is required")
			}
			if (program == "") == (hash == "") {
				return cli.Usage("give the program as --program FILE.mpcb or --hash H (one of them)")
			}
			if upload && program == "" {
				return cli.Usage("--upload needs --program FILE.mpcb")
			}
			q := api.CreateQuery{Dataset: dataset, ProgramHash: strings.ToLower(hash), Params: map[string]string{}}
			for _, p := range params {
				k, v, ok := strings.Cut(p, "=")
				if !ok || k == "" {
					return cli.Usage("--param %q: write NAME=VALUE", p)
				}
				q.Params[k] = v
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			if program != "" {
				b, err := os.ReadFile(program)
				if err != nil {
					return cli.Usage("%v", err)
				}
				p, err := vm.Decode(b)
				if err != nil {
					return cli.Usage("%s: %v", program, err)
				}
				q.ProgramHash = hex.EncodeToString(p.Hash[:])
				if upload {
					if _, err := c.UploadProgram(ctx, b); err != nil {
						return apiFailure(err)
					}
				}
			}
			wait := 30 * time.Second
			if noWait {
				wait = 0
			}
			res, err := c.CreateQuery(ctx, q, wait)
			if err != nil {
				return apiFailure(err)
			}
			if !noWait && res.Status != "done" && res.Status != "failed" {
				id := res.ID
				if res, err = waitQuery(ctx, c, id); err != nil {
					return cli.Failed(fmt.Errorf("waiting for query %s: %w", id, err))
				}
			}
			return printQuery(cmd.OutOrStdout(), res, f.json)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&dataset, "dataset", "", "the dataset to query")
	cmd.Flags().StringVar(&program, "program", "", "the compiled program (.mpcb); its hash names it")
	cmd.Flags().StringVar(&hash, "hash", "", "the program's hash (as mpcc compile prints it)")
	cmd.Flags().StringArrayVar(&params, "param", nil, "a program parameter NAME=VALUE (repeatable)")
	cmd.Flags().BoolVar(&upload, "upload", false, "store --program at the coordinator first (operator key)")
	cmd.Flags().BoolVar(&noWait, "no-wait", false, "print the query as submitted instead of waiting for its result")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "give up waiting after this long (0: never)")
	return cmd
}

func resultsCmd() *cobra.Command {
	var f analystFlags
	var dataset string
	var limit int
	var wait bool
	cmd := &cobra.Command{
		Use:   "results [QUERY_ID]",
		Short: "Print a query's results, or list the latest queries",
		Long: "With a query id, print that query's state and outputs (--wait: wait until it\n" +
			"finishes). Without one, list the latest queries (--dataset to filter).\n\n" +
			"Exit status: 0, 1 when the query failed, 2 for misuse or an unknown query.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			if len(args) == 1 {
				if dataset != "" {
					return cli.Usage("--dataset lists queries; it does not go with a query id")
				}
				var q *api.Query
				if wait {
					q, err = waitQuery(ctx, c, args[0])
				} else {
					q, err = c.Query(ctx, args[0], 0)
				}
				if err != nil {
					return apiFailure(err)
				}
				return printQuery(out, q, f.json)
			}
			if limit < 1 || limit > 1000 {
				return cli.Usage("--limit must be 1 to 1000")
			}
			qs, err := c.Queries(ctx, dataset, limit)
			if err != nil {
				return apiFailure(err)
			}
			if f.json {
				b, _ := json.MarshalIndent(qs, "", "  ")
				fmt.Fprintf(out, "%s\n", b)
				return nil
			}
			if err := coordinator.WriteQueryList(out, qs); err != nil {
				return cli.Failed(err)
			}
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&dataset, "dataset", "", "list only this dataset's queries")
	cmd.Flags().IntVar(&limit, "limit", 20, "how many queries to list")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the query is done or failed")
	return cmd
}
