package coordinator

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mpcs/mpcs/runtime"
	"github.com/mpcs/mpcs/runtime/partyapi"
)

// Config is the coordinator's configuration (coordinator.toml). Paths in
// the file are relative to the file's folder. See docs/coordinator.md.
type Config struct {
	// Listen is the HTTP address, e.g. "127.0.0.1:8080".
	Listen string `toml:"listen"`
	// TLSCert and TLSKey, when set, make the coordinator serve HTTPS.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// Database is "sqlite:///abs/path.db", "sqlite://rel/path.db" or a
	// PostgreSQL URL "postgres://user:pass@host/db?sslmode=...".
	Database string `toml:"database"`
	// SQLiteSync is SQLite's synchronous mode: "normal" (default; in WAL
	// mode a commit survives a crash of the coordinator, a power loss may
	// roll back the last ones) or "full" (every commit is synced to disk:
	// about 1 ms more per write).
	SQLiteSync string `toml:"sqlite_synchronous"`
	// SigningKey is the file of the coordinator's Ed25519 key (PEM, made
	// by `mpcs coordinator keygen`); the parties hold its public key.
	SigningKey string `toml:"signing_key"`
	// AnalystKeys may submit queries and read results; OperatorKeys may in
	// addition create datasets and upload programs.
	AnalystKeys  []string `toml:"analyst_keys"`
	OperatorKeys []string `toml:"operator_keys"`
	// TrustProxy takes the client address for rate limits from the last
	// X-Forwarded-For entry (set it only behind a reverse proxy).
	TrustProxy bool `toml:"trust_proxy"`

	// Ring and FracBits tell providers how to encode their values; a
	// query's program must be compiled for the same (default 128 and 24,
	// as mpcc compile).
	Ring     int `toml:"ring"`
	FracBits int `toml:"frac_bits"`

	// TicketTTL is how long a submission ticket is valid.
	TicketTTL Duration `toml:"ticket_ttl"`
	// JobTimeout bounds one query at the parties.
	JobTimeout Duration `toml:"job_timeout"`
	// MaxQueries is how many queries run at once; more wait queued.
	MaxQueries int `toml:"max_queries"`
	// MaxProgramBytes bounds an uploaded program.
	MaxProgramBytes int64 `toml:"max_program_bytes"`
	// PublishRetry is how long a failed published query waits before it
	// is run again on the same rows.
	PublishRetry Duration `toml:"publish_retry"`

	RateLimit RateLimit   `toml:"rate_limit"`
	Admission Admission   `toml:"admission"`
	Parties   []Party     `toml:"party"`
	Datasets  []Dataset   `toml:"dataset"`
	Published []Published `toml:"published"`

	dir string // folder of the config file, for relative paths
}

// RateLimit is the token-bucket rate per client, in requests per second.
// Requests with a valid API key count against the key, others against the
// client's IP address. Zero rates mean "no limit".
type RateLimit struct {
	PerIP      float64 `toml:"per_ip"`
	PerIPBurst int     `toml:"per_ip_burst"`
	// Registrations is a stricter rate per IP for POST .../providers.
	Registrations      float64 `toml:"registrations"`
	RegistrationsBurst int     `toml:"registrations_burst"`
	PerKey             float64 `toml:"per_key"`
	PerKeyBurst        int     `toml:"per_key_burst"`
}

// Admission sets how submitted rows are sent to the parties for admission.
type Admission struct {
	Interval  Duration `toml:"interval"`
	BatchSize int      `toml:"batch_size"`
}

// Party is one computation party's client API.
type Party struct {
	ID int `toml:"id"`
	// URL is the party's client API as the coordinator reaches it (https).
	URL string `toml:"url"`
	// ProviderURL is the URL handed to providers, when it differs from URL.
	ProviderURL string `toml:"provider_url"`
	// Fingerprint is the hex SHA-256 of the party's TLS certificate (DER);
	// Cert is a PEM file to take it from instead.
	Fingerprint string `toml:"fingerprint"`
	Cert        string `toml:"cert"`
}

// Dataset is a dataset created at start when it does not exist yet.
type Dataset struct {
	Name       string            `toml:"name"`
	Columns    []partyapi.Column `toml:"columns"`
	NotaryKeys []string          `toml:"notary_keys"`
	MinRows    int64             `toml:"min_rows"`
}

// Published is the query the web page shows for a dataset: re-run when new
// rows are admitted, its latest result served by /v1/datasets/{name}/stats.
type Published struct {
	Dataset string `toml:"dataset"`
	// ProgramHash names an uploaded program; ProgramFile is a .mpcb file
	// stored at start (its hash is checked against ProgramHash when both
	// are given).
	ProgramHash string            `toml:"program_hash"`
	ProgramFile string            `toml:"program_file"`
	Params      map[string]string `toml:"params"`
}

// Duration is a time.Duration written as "5s", "2m" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes a Go duration.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// LoadConfig reads and validates a TOML config file.
func LoadConfig(path string) (*Config, error) {
	var c Config
	md, err := toml.DecodeFile(path, &c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if un := md.Undecoded(); len(un) > 0 {
		keys := make([]string, len(un))
		for i, k := range un {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("%s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	c.dir = filepath.Dir(path)
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// Defaults of the optional settings.
const (
	DefaultListen          = "127.0.0.1:8080"
	DefaultTicketTTL       = time.Hour
	DefaultJobTimeout      = 5 * time.Minute
	DefaultMaxQueries      = 16
	DefaultMaxProgramBytes = 16 << 20
	DefaultBatchInterval   = 2 * time.Second
	DefaultBatchSize       = 500
	DefaultPublishRetry    = 30 * time.Second
)

var hexKeyRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate fills defaults and checks the config.
func (c *Config) Validate() error {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("tls_cert and tls_key go together")
	}
	if c.Database == "" {
		return errors.New(`database is required, e.g. "sqlite:///var/lib/mpcs/coordinator.db"`)
	}
	if _, _, err := parseDatabaseURL(c.Database); err != nil {
		return err
	}
	switch c.SQLiteSync = strings.ToLower(c.SQLiteSync); c.SQLiteSync {
	case "":
		c.SQLiteSync = "normal"
	case "normal", "full":
	default:
		return fmt.Errorf(`sqlite_synchronous must be "normal" or "full", not %q`, c.SQLiteSync)
	}
	if c.SigningKey == "" {
		return errors.New("signing_key is required (make one with `mpcs coordinator keygen --out FILE`)")
	}
	for _, k := range append(append([]string(nil), c.AnalystKeys...), c.OperatorKeys...) {
		if len(k) < 16 {
			return errors.New("API keys must be at least 16 characters")
		}
	}
	if c.Ring == 0 {
		c.Ring = 128 // mpcc's default
	}
	if c.Ring != 64 && c.Ring != 128 {
		return fmt.Errorf("ring must be 64 or 128, not %d", c.Ring)
	}
	if c.FracBits == 0 {
		c.FracBits = 16
		if c.Ring == 128 {
			c.FracBits = 24
		}
	}
	if c.FracBits < 0 || c.FracBits >= c.Ring/2 {
		return fmt.Errorf("frac_bits %d out of range for ring %d", c.FracBits, c.Ring)
	}
	if c.TicketTTL.Duration == 0 {
		c.TicketTTL.Duration = DefaultTicketTTL
	}
	if c.JobTimeout.Duration == 0 {
		c.JobTimeout.Duration = DefaultJobTimeout
	}
	if c.MaxQueries == 0 {
		c.MaxQueries = DefaultMaxQueries
	}
	if c.MaxProgramBytes == 0 {
		c.MaxProgramBytes = DefaultMaxProgramBytes
	}
	if c.PublishRetry.Duration == 0 {
		c.PublishRetry.Duration = DefaultPublishRetry
	}
	if c.TicketTTL.Duration < 0 || c.JobTimeout.Duration < 0 || c.MaxQueries < 0 || c.MaxProgramBytes < 0 {
		return errors.New("ticket_ttl, job_timeout, max_queries and max_program_bytes must be positive")
	}
	rl := &c.RateLimit
	if rl.PerIP < 0 || rl.PerKey < 0 || rl.Registrations < 0 {
		return errors.New("rate_limit: rates must not be negative")
	}
	if rl.PerIPBurst == 0 {
		rl.PerIPBurst = max(1, int(2*rl.PerIP))
	}
	if rl.PerKeyBurst == 0 {
		rl.PerKeyBurst = max(1, int(2*rl.PerKey))
	}
	if rl.RegistrationsBurst == 0 {
		rl.RegistrationsBurst = max(1, int(2*rl.Registrations))
	}
	if c.Admission.Interval.Duration == 0 {
		c.Admission.Interval.Duration = DefaultBatchInterval
	}
	if c.Admission.BatchSize == 0 {
		c.Admission.BatchSize = DefaultBatchSize
	}
	if c.Admission.Interval.Duration < 0 || c.Admission.BatchSize < 0 {
		return errors.New("admission: interval and batch_size must be positive")
	}
	if len(c.Parties) != 3 {
		return fmt.Errorf("three [[party]] tables are needed, found %d", len(c.Parties))
	}
	seen := [3]bool{}
	for i := range c.Parties {
		p := &c.Parties[i]
		if p.ID < 0 || p.ID > 2 || seen[p.ID] {
			return fmt.Errorf("party ids must be 0, 1 and 2, once each (found %d)", p.ID)
		}
		seen[p.ID] = true
		if !strings.HasPrefix(p.URL, "https://") {
			return fmt.Errorf("party %d: url must be https://... (the parties' API is TLS 1.3 only)", p.ID)
		}
		p.URL = strings.TrimRight(p.URL, "/")
		if p.ProviderURL == "" {
			p.ProviderURL = p.URL
		}
		p.ProviderURL = strings.TrimRight(p.ProviderURL, "/")
		if p.Cert != "" {
			fp, err := runtime.CertFingerprint(c.path(p.Cert))
			if err != nil {
				return fmt.Errorf("party %d: %w", p.ID, err)
			}
			if p.Fingerprint != "" && !strings.EqualFold(p.Fingerprint, fp) {
				return fmt.Errorf("party %d: fingerprint does not match cert %s", p.ID, p.Cert)
			}
			p.Fingerprint = fp
		}
		p.Fingerprint = strings.ToLower(strings.ReplaceAll(p.Fingerprint, ":", ""))
		if !hexKeyRE.MatchString(p.Fingerprint) {
			return fmt.Errorf("party %d: fingerprint must be the hex SHA-256 of its certificate (or give cert = FILE)", p.ID)
		}
	}
	// Keep the parties in id order.
	ordered := make([]Party, 3)
	for _, p := range c.Parties {
		ordered[p.ID] = p
	}
	c.Parties = ordered
	for i := range c.Datasets {
		d := &c.Datasets[i]
		if err := validateDataset(d.Name, d.Columns, d.NotaryKeys, d.MinRows); err != nil {
			return fmt.Errorf("dataset %q: %w", d.Name, err)
		}
	}
	pubs := map[string]bool{}
	for i := range c.Published {
		p := &c.Published[i]
		if p.Dataset == "" {
			return errors.New("published: dataset is required")
		}
		if pubs[p.Dataset] {
			return fmt.Errorf("published: dataset %q has two published queries", p.Dataset)
		}
		pubs[p.Dataset] = true
		if p.ProgramHash == "" && p.ProgramFile == "" {
			return fmt.Errorf("published %q: program_hash or program_file is required", p.Dataset)
		}
		p.ProgramHash = strings.ToLower(p.ProgramHash)
		if p.ProgramHash != "" && !hexKeyRE.MatchString(p.ProgramHash) {
			return fmt.Errorf("published %q: program_hash must be 64 hex digits", p.Dataset)
		}
		if p.Params == nil {
			p.Params = map[string]string{}
		}
	}
	return nil
}

// path resolves a path of the config file relative to its folder.
func (c *Config) path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

var (
	datasetNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	columnNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
)

// validateDataset checks a dataset definition.
func validateDataset(name string, cols []partyapi.Column, notaryKeys []string, minRows int64) error {
	if !datasetNameRE.MatchString(name) {
		return errors.New("name must be 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit")
	}
	if len(cols) == 0 {
		return errors.New("at least one column is needed")
	}
	seen := map[string]bool{}
	for _, c := range cols {
		if !columnNameRE.MatchString(c.Name) {
			return fmt.Errorf("column name %q is not an identifier", c.Name)
		}
		if seen[c.Name] {
			return fmt.Errorf("column %q appears twice", c.Name)
		}
		seen[c.Name] = true
		switch c.Type {
		case "sint", "sfix", "sbits":
		default:
			return fmt.Errorf("column %q: type must be sint, sfix or sbits, not %q", c.Name, c.Type)
		}
	}
	if len(notaryKeys) == 0 {
		return errors.New("at least one notary key is needed")
	}
	for _, k := range notaryKeys {
		if !hexKeyRE.MatchString(k) {
			return fmt.Errorf("notary key %q is not a hex Ed25519 public key (64 lower-case hex digits)", k)
		}
	}
	if minRows < 1 {
		return errors.New("min_rows must be at least 1")
	}
	return nil
}

// GenerateSigningKey writes a new Ed25519 key to path (PEM PKCS #8, mode
// 0600; it refuses to overwrite) and returns it.
func GenerateSigningKey(path string) (ed25519.PrivateKey, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s already exists; remove it first to make a new key", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return nil, err
	}
	return key, nil
}

// LoadSigningKey reads an Ed25519 key written by GenerateSigningKey.
func LoadSigningKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no PEM PRIVATE KEY block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return key, nil
}

// PublicKeyHex is the hex of key's public key, as the parties' configs
// hold it.
func PublicKeyHex(key ed25519.PrivateKey) string {
	return hex.EncodeToString(key.Public().(ed25519.PublicKey))
}

// SigningKeyPath is the signing key file, resolved against the config's
// folder.
func (c *Config) SigningKeyPath() string { return c.path(c.SigningKey) }

// databaseURL is Database with a relative SQLite path resolved against the
// config's folder.
func (c *Config) databaseURL() string {
	d, path, err := parseDatabaseURL(c.Database)
	if err != nil || d != dialectSQLite || filepath.IsAbs(path) {
		return c.Database
	}
	return "sqlite://" + c.path(path)
}
