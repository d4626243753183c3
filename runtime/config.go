package runtime

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Default timeouts of a deployment.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultIdleTimeout    = 60 * time.Second
)

// Config is a deployment: the three parties' addresses and certificates.
// Its file is TOML:
//
//	# deploy.toml
//	[[party]]
//	id = 0
//	address = "127.0.0.1:7100"
//	cert = "keys/party0.crt"   # relative paths are relative to the config file
//	key = "keys/party0.key"    # only the party itself needs its key
//	# listen = "0.0.0.0:7100"  # optional: bind this instead of address
//	api = "127.0.0.1:7200"     # mpcvm serve: the party's client API (HTTPS)
//
//	[[party]]
//	id = 1
//	...
//
//	[timeouts]
//	connect = "10s"   # start-up: how long to wait for the other parties
//	idle = "60s"      # how long a Recv waits for a message
//
//	[coordinator]
//	public_key = "<hex Ed25519>"  # mpcvm serve: verifies tickets, admissions, jobs
//
//	[serve]                       # mpcvm serve (docs/party.md)
//	data_dir = "data"             # party N keeps its state in data_dir/partyN
//	allowlist = "allow"           # folder of .mpcb programs this party runs
//	ring = 128                    # the datasets' ring and fractional bits
//	frac_bits = 24
//	admission_program = "allow/admission.mpcb"
//	# max_jobs = 64               # jobs running at once; more get 503
//	# job_timeout = "30m"         # how long one job may run
//
// Unknown keys in [[party]], [timeouts] and [serve] are errors. Of
// [coordinator] the parties read only public_key (the coordinator's own
// settings may share the table); other top-level tables are left to the
// components that own them.
type Config struct {
	Party       []PartyConfig     `toml:"party"`
	Timeouts    Timeouts          `toml:"timeouts"`
	Coordinator CoordinatorConfig `toml:"coordinator"`
	Serve       ServeConfig       `toml:"serve"`

	// Dir is the directory relative cert and key paths are resolved
	// against; LoadConfig sets it to the config file's directory, "" means
	// the working directory.
	Dir string `toml:"-"`
	// File names the config in error messages; LoadConfig sets it.
	File string `toml:"-"`
	// Logger receives connection events of the TLS network (rejected
	// handshakes, reconnections); nil means slog.Default().
	Logger *slog.Logger `toml:"-"`
}

// PartyConfig is one [[party]] entry.
type PartyConfig struct {
	ID      int    `toml:"id"`
	Address string `toml:"address"` // host:port the party listens on
	Cert    string `toml:"cert"`    // PEM certificate, pinned by the others
	Key     string `toml:"key"`     // PEM private key; only the party itself needs it
	// Listen, if set, is the address the party binds instead of Address
	// (e.g. "0.0.0.0:7100" behind NAT or in a container).
	Listen string `toml:"listen"`
	// API is the host:port of the party's client API (HTTPS, TLS 1.3, with
	// the party's certificate), served by mpcvm serve; optional otherwise.
	API string `toml:"api"`
}

// CoordinatorConfig is what the parties need of the [coordinator] table.
type CoordinatorConfig struct {
	// PublicKey is the coordinator's Ed25519 public key in hex: it signs
	// submission tickets, admissions and jobs.
	PublicKey string `toml:"public_key"`
}

// ServeConfig is the [serve] table: the settings of mpcvm serve
// (docs/party.md). Relative paths are relative to the config file.
type ServeConfig struct {
	DataDir          string        `toml:"data_dir"`          // party N's state is in DataDir/partyN
	Allowlist        string        `toml:"allowlist"`         // folder of the .mpcb programs the party runs
	Ring             int           `toml:"ring"`              // ring of the datasets: 64 or 128
	FracBits         int           `toml:"frac_bits"`         // fractional bits of the datasets' sfix values
	AdmissionProgram string        `toml:"admission_program"` // the compiled commitment check
	MaxJobs          int           `toml:"max_jobs"`          // jobs at once (0: DefaultMaxJobs)
	JobTimeout       time.Duration `toml:"job_timeout"`       // one job at most (0: DefaultJobTimeout)
	// Security is the model jobs and admissions run under: "malicious"
	// (the default) or "semi-honest" (docs/security.md). The three parties
	// must agree.
	Security string `toml:"security"`
}

// SecurityModel returns the parsed Security (Malicious when empty).
func (s *ServeConfig) SecurityModel() Security {
	if s.Security == "" {
		return Malicious
	}
	sec, _ := ParseSecurity(s.Security) // checked by LoadConfig
	return sec
}

// Defaults of [serve].
const (
	DefaultMaxJobs    = 64
	DefaultJobTimeout = 30 * time.Minute
)

// ListenAddress is Listen, or Address if Listen is empty.
func (p *PartyConfig) ListenAddress() string {
	if p.Listen != "" {
		return p.Listen
	}
	return p.Address
}

// Timeouts of the transport; zero fields mean the defaults.
type Timeouts struct {
	Connect time.Duration `toml:"connect"`
	Idle    time.Duration `toml:"idle"`
}

// trRawParty detects missing keys.
type trRawParty struct {
	ID      *int    `toml:"id"`
	Address *string `toml:"address"`
	Cert    *string `toml:"cert"`
	Key     string  `toml:"key"`
	Listen  string  `toml:"listen"`
	API     string  `toml:"api"`
}

type trRawConfig struct {
	Party    []trRawParty `toml:"party"`
	Timeouts struct {
		Connect *time.Duration `toml:"connect"`
		Idle    *time.Duration `toml:"idle"`
	} `toml:"timeouts"`
	Coordinator CoordinatorConfig `toml:"coordinator"`
	Serve       ServeConfig       `toml:"serve"`
}

// LoadConfig reads and validates the deployment config at path. The
// returned Config lists the parties in order of id.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("deployment config: %w", err)
	}
	var raw trRawConfig
	md, err := toml.Decode(string(data), &raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	for _, k := range md.Undecoded() {
		if len(k) > 0 && (k[0] == "party" || k[0] == "timeouts" || k[0] == "serve") {
			errs = append(errs, fmt.Errorf("%s: unknown key %q", path, k.String()))
		}
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg := &Config{File: path, Dir: dir, Coordinator: raw.Coordinator, Serve: raw.Serve}
	for i, rp := range raw.Party {
		where := fmt.Sprintf("%s: [[party]] #%d", path, i+1)
		if rp.ID == nil {
			errs = append(errs, fmt.Errorf("%s: id is missing", where))
			continue
		}
		if rp.Address == nil {
			errs = append(errs, fmt.Errorf("%s (id %d): address is missing", where, *rp.ID))
		}
		if rp.Cert == nil {
			errs = append(errs, fmt.Errorf("%s (id %d): cert is missing", where, *rp.ID))
		}
		cfg.Party = append(cfg.Party, PartyConfig{ID: *rp.ID, Address: trDeref(rp.Address), Cert: trDeref(rp.Cert), Key: rp.Key, Listen: rp.Listen, API: rp.API})
	}
	for _, t := range []struct {
		name string
		v    *time.Duration
		dst  *time.Duration
	}{{"connect", raw.Timeouts.Connect, &cfg.Timeouts.Connect}, {"idle", raw.Timeouts.Idle, &cfg.Timeouts.Idle}} {
		if t.v == nil {
			continue
		}
		if *t.v <= 0 {
			errs = append(errs, fmt.Errorf("%s: [timeouts] %s = %q: must be positive", path, t.name, t.v.String()))
			continue
		}
		*t.dst = *t.v
	}
	if cfg.Timeouts.Connect == 0 {
		cfg.Timeouts.Connect = DefaultConnectTimeout
	}
	if cfg.Timeouts.Idle == 0 {
		cfg.Timeouts.Idle = DefaultIdleTimeout
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	slices.SortFunc(cfg.Party, func(a, b PartyConfig) int { return a.ID - b.ID })
	return cfg, nil
}

func trDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Validate checks the config: exactly the parties 0, 1 and 2, valid and
// distinct addresses, readable and parseable certificates, distinct and
// unexpired, and non-negative timeouts. It reports every problem it finds,
// each naming the file, the party and the field.
func (c *Config) Validate() error {
	_, err := c.trCerts()
	return err
}

// Lookup returns the entry of party id, or nil.
func (c *Config) Lookup(id int) *PartyConfig {
	for i := range c.Party {
		if c.Party[i].ID == id {
			return &c.Party[i]
		}
	}
	return nil
}

// Resolve returns path resolved against c.Dir (absolute paths unchanged).
func (c *Config) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(c.Dir, path)
}

// ConnectTimeout is Timeouts.Connect or its default.
func (c *Config) ConnectTimeout() time.Duration {
	if c.Timeouts.Connect > 0 {
		return c.Timeouts.Connect
	}
	return DefaultConnectTimeout
}

// IdleTimeout is Timeouts.Idle or its default.
func (c *Config) IdleTimeout() time.Duration {
	if c.Timeouts.Idle > 0 {
		return c.Timeouts.Idle
	}
	return DefaultIdleTimeout
}

func (c *Config) name() string {
	if c.File != "" {
		return c.File
	}
	return "deployment config"
}

// trCerts validates c and returns the parsed certificate of each party.
func (c *Config) trCerts() ([3]*x509.Certificate, error) {
	var certs [3]*x509.Certificate
	var errs []error
	file := c.name()
	errf := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(file+": "+format, args...))
	}
	seen := map[int]bool{}
	addrs := map[string]int{}
	for _, p := range c.Party {
		if p.ID < 0 || p.ID > 2 {
			errf("[[party]] id = %d: must be 0, 1 or 2", p.ID)
			continue
		}
		if seen[p.ID] {
			errf("party %d is listed more than once", p.ID)
			continue
		}
		seen[p.ID] = true
		if err := trCheckAddress(p.Address); err != nil {
			errf("party %d: address = %q: %v", p.ID, p.Address, err)
		} else if q, dup := addrs[strings.ToLower(p.Address)]; dup {
			errf("party %d: address = %q is also the address of party %d", p.ID, p.Address, q)
		} else {
			addrs[strings.ToLower(p.Address)] = p.ID
		}
		if p.Listen != "" {
			if _, _, err := net.SplitHostPort(p.Listen); err != nil {
				errf("party %d: listen = %q: want host:port: %v", p.ID, p.Listen, err)
			}
		}
		if p.Cert == "" {
			errf("party %d: cert is empty", p.ID)
			continue
		}
		cert, err := trReadCert(c.Resolve(p.Cert))
		if err != nil {
			errf("party %d: cert = %q: %v", p.ID, p.Cert, err)
			continue
		}
		if now := time.Now(); now.After(cert.NotAfter) {
			errf("party %d: cert = %q: expired on %s", p.ID, p.Cert, cert.NotAfter.Format(time.DateOnly))
		}
		for q, other := range certs {
			if other != nil && bytes.Equal(other.Raw, cert.Raw) {
				errf("party %d: cert = %q is the same certificate as party %d's", p.ID, p.Cert, q)
			}
		}
		certs[p.ID] = cert
	}
	for id := range 3 {
		if !seen[id] {
			errf("party %d is missing: the config needs one [[party]] for each of ids 0, 1 and 2", id)
		}
	}
	if c.Timeouts.Connect < 0 {
		errf("[timeouts] connect = %q: must be positive", c.Timeouts.Connect.String())
	}
	if c.Timeouts.Idle < 0 {
		errf("[timeouts] idle = %q: must be positive", c.Timeouts.Idle.String())
	}
	for _, p := range c.Party {
		if p.API == "" {
			continue
		}
		if err := trCheckAddress(p.API); err != nil {
			errf("party %d: api = %q: %v", p.ID, p.API, err)
		} else if q, dup := addrs[strings.ToLower(p.API)]; dup {
			errf("party %d: api = %q is also the MPC address of party %d", p.ID, p.API, q)
		}
	}
	errs = append(errs, c.Serve.check(file)...)
	return certs, errors.Join(errs...)
}

func trCheckAddress(addr string) error {
	if addr == "" {
		return errors.New("empty; want host:port")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port: %v", err)
	}
	if host == "" {
		return errors.New("the host is empty; want host:port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not a number in 1..65535", port)
	}
	return nil
}

// trReadCert reads the first certificate of a PEM file.
func trReadCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("%s: no PEM CERTIFICATE block", path)
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return cert, nil
	}
}

// CertFingerprint returns the SHA-256 of the DER of the certificate in a
// PEM file, in hex: what the parties pin.
func CertFingerprint(path string) (string, error) {
	cert, err := trReadCert(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(cert.Raw)
	return fmt.Sprintf("%x", sum), nil
}

// check reports the values of [serve] that are present and wrong (whether
// the table is complete is checked by the server, which needs it).
func (s *ServeConfig) check(file string) []error {
	var errs []error
	if s.Ring != 0 && s.Ring != 64 && s.Ring != 128 {
		errs = append(errs, fmt.Errorf("%s: [serve] ring = %d: must be 64 or 128", file, s.Ring))
	}
	if s.FracBits < 0 || (s.Ring != 0 && 2*s.FracBits >= s.Ring) {
		errs = append(errs, fmt.Errorf("%s: [serve] frac_bits = %d: must be at least 0 and less than half the ring", file, s.FracBits))
	}
	if s.MaxJobs < 0 {
		errs = append(errs, fmt.Errorf("%s: [serve] max_jobs = %d: must be positive", file, s.MaxJobs))
	}
	if s.JobTimeout < 0 {
		errs = append(errs, fmt.Errorf("%s: [serve] job_timeout = %q: must be positive", file, s.JobTimeout.String()))
	}
	if _, err := ParseSecurity(s.Security); s.Security != "" && err != nil {
		errs = append(errs, fmt.Errorf("%s: [serve] security: %w", file, err))
	}
	return errs
}
