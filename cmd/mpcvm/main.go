// Command mpcvm runs compiled .mpcs programs as one of three parties over
// replicated secret shares: key generation, sharing a dataset, running a
// program over the network, and an in-process simulation of all three.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mpcs/mpcs/cmd/internal/cli"

	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/vm"
)

func main() { cli.Main("mpcvm", newRoot(os.Stdout, os.Stderr)) }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "mpcvm",
		Short: "Run compiled .mpcs programs as one of three parties over secret shares",
	}
	cli.Root(root, stdout, stderr)
	var kernels string
	root.PersistentFlags().StringVar(&kernels, "kernels", "auto", "ring kernels: auto, generic, avx2 or avx512")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if _, err := vm.UseKernels(kernels); err != nil {
			return cli.Usage("--kernels: %v", err)
		}
		return nil
	}
	root.AddCommand(keygenCmd(stdout), shareCmd(stdout), runCmd(stdout, stderr), simCmd(stdout), benchCmd(stdout), serveCmd(stderr))
	return root
}

func keygenCmd(stdout io.Writer) *cobra.Command {
	var party int
	var out string
	cmd := &cobra.Command{
		Use:   "keygen --party N --out DIR",
		Short: "Create a party's TLS key and self-signed certificate",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if party < 0 || party > 2 {
				return cli.Usage("--party must be 0, 1 or 2")
			}
			if out == "" {
				return cli.Usage("--out DIR is required")
			}
			certPath, keyPath, err := runtime.GenerateKey(party, out)
			if err != nil {
				return cli.Usage("%v", err)
			}
			fp, err := runtime.CertFingerprint(certPath)
			if err != nil {
				return cli.Usage("%v", err)
			}
			fmt.Fprintf(stdout, "party %d: certificate %s (sha256 %x), key %s\n", party, certPath, fp, keyPath)
			return nil
		},
	}
	cmd.Flags().IntVar(&party, "party", -1, "party index: 0, 1 or 2")
	cmd.Flags().StringVar(&out, "out", "", "folder for the key and certificate")
	return cmd
}

func shareCmd(stdout io.Writer) *cobra.Command {
	var out string
	var ring, frac int
	cmd := &cobra.Command{
		Use:   "share ROWS.csv --out DIR",
		Short: "Split a CSV of rows into the three parties' share files DIR/party0 ... DIR/party2",
		Long: "Split a CSV (a header of column names, one row per data provider; decimal numbers,\n" +
			"0x words for sbits columns) into replicated secret shares, one file per party:\n" +
			"DIR/partyN/" + runtime.ShareFileName + ". Give each party only its own folder.",
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return cli.Usage("--out DIR is required")
			}
			if frac == 0 {
				frac = defaultFrac(ring)
			}
			if ring != 64 && ring != 128 {
				return cli.Usage("--ring must be 64 or 128")
			}
			f, err := os.Open(args[0])
			if err != nil {
				return cli.Usage("%v", err)
			}
			defer f.Close()
			files, err := runtime.ShareCSV(f, ring, frac, nil)
			if err != nil {
				return cli.Usage("%s: %v", args[0], err)
			}
			for p, sf := range files {
				path := filepath.Join(out, "party"+strconv.Itoa(p), runtime.ShareFileName)
				if err := runtime.WriteShareFile(path, sf); err != nil {
					return cli.Usage("%v", err)
				}
			}
			fmt.Fprintf(stdout, "%d rows, %d columns shared into %s/party{0,1,2}/%s\n",
				files[0].Rows, len(files[0].Columns), out, runtime.ShareFileName)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "output folder")
	cmd.Flags().IntVar(&ring, "ring", 128, "ring size of the program that will read the shares: 128 or 64")
	cmd.Flags().IntVar(&frac, "frac-bits", 0, "fractional bits of sfix columns (default 24 for ring 128, 16 for ring 64)")
	return cmd
}

func defaultFrac(ring int) int {
	if ring == 64 {
		return 16
	}
	return 24
}

// runFlags are the flags shared by run and sim.
type runFlags struct {
	params   []string
	json     bool
	security string
	cheat    string
}

func (f *runFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.params, "param", nil, "parameter value NAME=VALUE (repeatable)")
	cmd.Flags().BoolVar(&f.json, "json", false, "print JSON")
	cmd.Flags().StringVar(&f.security, "security", "semi-honest", "security model: semi-honest, or malicious (every step verified; a deviating party makes the run abort with no output; docs/security.md)")
	if runtime.FaultInjection {
		cmd.Flags().StringVar(&f.cheat, "cheat", "", "make party PARTY corrupt its N-th message of kind OP, or replay the one before: PARTY:OP[:N[:replay]] (fault-injection build)")
	}
}

// engineOptions returns the engine options the flags ask for.
func (f *runFlags) engineOptions() ([]runtime.EngineOption, error) {
	sec, err := runtime.ParseSecurity(f.security)
	if err != nil {
		return nil, cli.Usage("--security: %v", err)
	}
	opts := []runtime.EngineOption{runtime.WithSecurity(sec)}
	if f.cheat != "" {
		c, err := runtime.ParseCheat(f.cheat)
		if err != nil {
			return nil, cli.Usage("--cheat: %v", err)
		}
		opts = append(opts, runtime.WithCheat(c))
	}
	return opts, nil
}

func (f *runFlags) parse(p *vm.Program) ([]vm.Vec, map[string]string, error) {
	kv, err := vm.ParseParamList(f.params)
	if err != nil {
		return nil, nil, cli.Usage("--param: %v", err)
	}
	vals, err := vm.ParseParams(p, kv)
	if err != nil {
		return nil, nil, cli.Usage("%v", err)
	}
	return vals, kv, nil
}

func runCmd(stdout, stderr io.Writer) *cobra.Command {
	var party int
	var config, dataDir, session string
	var rf runFlags
	cmd := &cobra.Command{
		Use:   "run --party=N --config DEPLOY.toml PROG.mpcb --data-dir DIR",
		Short: "Run a program as party N with the two other parties",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if party < 0 || party > 2 {
				return cli.Usage("--party must be 0, 1 or 2")
			}
			if config == "" || dataDir == "" {
				return cli.Usage("--config and --data-dir are required")
			}
			p, err := cli.ReadBytecode(args[0])
			if err != nil {
				return err
			}
			params, kv, err := rf.parse(p)
			if err != nil {
				return err
			}
			opts, err := rf.engineOptions()
			if err != nil {
				return err
			}
			cfg, err := runtime.LoadConfig(config)
			if err != nil {
				return cli.Usage("%v", err)
			}
			shares, err := loadShares(dataDir, party)
			if err != nil {
				return err
			}
			id := sessionFor(p, kv, session)
			ctx := cmd.Context()
			net, err := runtime.ListenTLS(ctx, cfg, party)
			if err != nil {
				return cli.Failed(err)
			}
			defer net.Close()
			conn, err := net.Session(ctx, id)
			if err != nil {
				return cli.Failed(err)
			}
			defer conn.Close()
			eng, err := runtime.NewEngine(ctx, conn, p.Ring, p.FracBits, shares, opts...)
			if err != nil {
				return cli.Failed(err)
			}
			res, err := eng.Run(ctx, p, params)
			if err != nil {
				return cli.Failed(err)
			}
			sent, recv := conn.Stats()
			if rf.json {
				return printJSON(stdout, res, res.Rounds, sent)
			}
			fmt.Fprint(stdout, res.Text())
			fmt.Fprintf(stderr, "party %d: %d rounds, %d bytes sent, %d received\n", party, res.Rounds, sent, recv)
			return nil
		},
	}
	cmd.Flags().IntVar(&party, "party", -1, "this party's index: 0, 1 or 2")
	cmd.Flags().StringVar(&config, "config", "", "deployment config (TOML)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "this party's share folder (or the folder holding party0..party2)")
	cmd.Flags().StringVar(&session, "session", "", "session name shared by the three parties (default: derived from the program and parameters)")
	rf.register(cmd)
	return cmd
}

// sessionFor derives the session id the three parties agree on.
func sessionFor(p *vm.Program, params map[string]string, name string) runtime.SessionID {
	h := sha256.New()
	h.Write(p.Hash[:])
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, params[k])
	}
	fmt.Fprintf(h, "\x00session=%s", name)
	var id runtime.SessionID
	copy(id[:], h.Sum(nil))
	return id
}

// loadShares reads the party's share file from its folder, or from the
// partyN folder inside the given one.
func loadShares(dir string, party int) (*runtime.ShareFile, error) {
	paths := []string{
		filepath.Join(dir, runtime.ShareFileName),
		filepath.Join(dir, "party"+strconv.Itoa(party), runtime.ShareFileName),
	}
	for _, path := range paths {
		if _, err := os.Stat(path); err != nil {
			continue
		}
		sf, err := runtime.ReadShareFile(path)
		if err != nil {
			return nil, cli.Usage("%v", err)
		}
		if sf.Party != party {
			return nil, cli.Usage("%s holds party %d's shares, not party %d's", path, sf.Party, party)
		}
		return sf, nil
	}
	return nil, cli.Usage("no share file in %s (looked for %s)", dir, strings.Join(paths, ", "))
}

func simCmd(stdout io.Writer) *cobra.Command {
	var data string
	var rf runFlags
	cmd := &cobra.Command{
		Use:   "sim PROG.mpcb --data ROWS.csv",
		Short: "Run a program as all three parties in one process, with the real protocol",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if data == "" {
				return cli.Usage("--data ROWS.csv is required")
			}
			p, err := cli.ReadBytecode(args[0])
			if err != nil {
				return err
			}
			params, _, err := rf.parse(p)
			if err != nil {
				return err
			}
			f, err := os.Open(data)
			if err != nil {
				return cli.Usage("%v", err)
			}
			defer f.Close()
			ds, err := vm.ReadCSV(f, p)
			if err != nil {
				return cli.Usage("%s: %v", data, err)
			}
			opts, err := rf.engineOptions()
			if err != nil {
				return err
			}
			res, st, err := runtime.Sim(cmd.Context(), p, ds, params, runtime.NewMemNetworks(), opts...)
			if err != nil {
				return cli.Failed(err)
			}
			if rf.json {
				return printJSON(stdout, res, st.Rounds, st.BytesSent)
			}
			fmt.Fprint(stdout, res.Text())
			fmt.Fprintf(stdout, "# %d rounds, %d bytes, %s\n", st.Rounds, st.BytesSent, st.Elapsed.Round(1e3))
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", "", "CSV file of rows (header of column names)")
	rf.register(cmd)
	return cmd
}

// printJSON prints {"outputs": {...}, "rounds": R, "bytes": B}.
func printJSON(w io.Writer, res *vm.Result, rounds, bytes int64) error {
	var outs struct {
		Outputs json.RawMessage `json:"outputs"`
	}
	if err := json.Unmarshal(res.JSON(), &outs); err != nil {
		return cli.Failed(err)
	}
	fmt.Fprintf(w, "{\"outputs\": %s, \"rounds\": %d, \"bytes\": %d}\n", outs.Outputs, rounds, bytes)
	return nil
}

func benchCmd(stdout io.Writer) *cobra.Command {
	var n, ring, runs int
	var netKind, security string
	var ops []string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the protocols as three parties on this machine",
		Long: "Measure each protocol on n random elements as three parties in this process,\n" +
			"over pinned mutual TLS on localhost (--net tls, the default) or in-memory links\n" +
			"(--net mem), and print rounds, bytes per element, time and throughput (the\n" +
			"median of --runs timed runs, and their range).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ring != 64 && ring != 128 {
				return cli.Usage("--ring must be 64 or 128")
			}
			if n < 1 {
				return cli.Usage("--n must be positive")
			}
			if runs < 1 {
				return cli.Usage("--runs must be positive")
			}
			sec, err := runtime.ParseSecurity(security)
			if err != nil {
				return cli.Usage("--security: %v", err)
			}
			ctx := cmd.Context()
			var nets [3]runtime.Network
			switch netKind {
			case "mem":
				nets = runtime.NewMemNetworks()
			case "tls":
				dir, err := os.MkdirTemp("", "mpcvm-bench-")
				if err != nil {
					return cli.Failed(err)
				}
				defer os.RemoveAll(dir)
				if nets, err = runtime.LocalTLSNetworks(ctx, dir); err != nil {
					return cli.Failed(err)
				}
			default:
				return cli.Usage("--net must be tls or mem")
			}
			defer func() {
				for _, nw := range nets {
					nw.Close()
				}
			}()
			rows, err := runtime.Bench(ctx, nets, ring, n, runs, ops, runtime.WithSecurity(sec))
			if err != nil {
				return cli.Failed(err)
			}
			fmt.Fprintf(stdout, "%-8s %10s %7s %12s %12s %14s %16s  %s\n", "op", "n", "rounds", "bytes/elem", "time", "elem/s", "range", "kernels")
			for _, r := range rows {
				per := fmt.Sprintf("%.1f", r.BytesPerElem)
				if r.Op == "dot" {
					per = fmt.Sprintf("%.0f total", r.BytesPerElem)
				}
				fmt.Fprintf(stdout, "%-8s %10d %7d %12s %12s %14s %16s  %s\n", r.Op, r.N, r.Rounds, per,
					r.Time.Round(time.Microsecond), fmt.Sprintf("%.3gM", r.PerSecond/1e6),
					fmt.Sprintf("%.3g-%.3gM", r.MinPerSecond/1e6, r.MaxPerSecond/1e6), r.Kernels)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&n, "n", 1_000_000, "elements per operation")
	cmd.Flags().IntVar(&runs, "runs", 5, "timed runs per operation (after about a second of warm-up runs): time and elem/s are their median, range their slowest and fastest")
	cmd.Flags().IntVar(&ring, "ring", 128, "ring size: 128 or 64")
	cmd.Flags().StringVar(&netKind, "net", "tls", "links between the parties: tls (localhost) or mem")
	cmd.Flags().StringSliceVar(&ops, "op", nil, "operations to run (default all): mul, dot, and, fixmul, ltz, eqz, a2b, open")
	cmd.Flags().StringVar(&security, "security", "semi-honest", "security model: semi-honest or malicious")
	return cmd
}
