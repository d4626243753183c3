package notary

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/mpcs/mpcs/compiler"
)

// Defaults of a Config.
const (
	DefaultListen   = "127.0.0.1:7300"
	DefaultValidity = time.Hour
	DefaultTimeout  = 10 * time.Second
)

// Config is the notary's TOML config file:
//
//	# notary.toml
//	listen = "127.0.0.1:7300"     # HTTPS address of the attestation API
//	key = "notary.key"            # Ed25519 signing key, PEM; created (0600) if missing
//	tls_cert = "notary.crt"       # HTTPS certificate and key; a self-signed pair
//	tls_key = "notary-tls.key"    #   is created if both are missing
//	validity = "1h"               # how long an attestation is valid
//	ring = 128                    # the deployment's ring (64 or 128) ...
//	frac_bits = 24                # ... and fractional bits of sfix columns
//
//	[source]
//	name = "demo-bank"                                # recorded in every attestation
//	url = "https://127.0.0.1:7400/accounts/{id}"      # {id}: the provider's source id
//	json_path = "balance"                             # dotted path to the number
//	column = "balance"                                # the dataset column it fills
//	type = "sfix"                                     # sfix (default) or sint
//	datasets = ["devcon"]                             # datasets it attests for (empty: any)
//	ca = "datasource.crt"                             # PEM of trusted certificates, or
//	# fingerprint = "ab12..."                         # the source's pinned SHA-256 fingerprint
//	timeout = "10s"
//
// Relative paths are relative to the config file. Unknown keys are errors.
type Config struct {
	Listen   string        `toml:"listen"`
	Key      string        `toml:"key"`
	TLSCert  string        `toml:"tls_cert"`
	TLSKey   string        `toml:"tls_key"`
	Validity time.Duration `toml:"validity"`
	Ring     int           `toml:"ring"`
	FracBits int           `toml:"frac_bits"`
	Source   SourceConfig  `toml:"source"`

	// Dir is the folder relative paths are resolved against (the config
	// file's; "" is the working directory).
	Dir string `toml:"-"`
}

// SourceConfig is the [source] table: where and how the notary fetches a
// provider's value.
type SourceConfig struct {
	Name        string        `toml:"name"`
	URL         string        `toml:"url"`
	JSONPath    string        `toml:"json_path"`
	Column      string        `toml:"column"`
	Type        string        `toml:"type"`
	Datasets    []string      `toml:"datasets"`
	CA          string        `toml:"ca"`
	Fingerprint string        `toml:"fingerprint"`
	Timeout     time.Duration `toml:"timeout"`
}

// LoadConfig reads and checks a config file, filling in defaults.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("notary config: %w", err)
	}
	var c Config
	md, err := toml.Decode(string(data), &c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("%s: unknown keys: %s", path, strings.Join(keys, ", "))
	}
	if c.Dir, err = filepath.Abs(filepath.Dir(path)); err != nil {
		return nil, err
	}
	if err := c.Check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &c, nil
}

// Check fills in defaults and reports every problem of c.
func (c *Config) Check() error {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Key == "" {
		c.Key = "notary.key"
	}
	if c.TLSCert == "" && c.TLSKey == "" {
		c.TLSCert, c.TLSKey = "notary.crt", "notary-tls.key"
	}
	if c.Validity == 0 {
		c.Validity = DefaultValidity
	}
	if c.Ring == 0 {
		c.Ring = 128
	}
	if c.FracBits == 0 {
		c.FracBits = compiler.DefaultFracBits(c.Ring)
	}
	s := &c.Source
	if s.Type == "" {
		s.Type = "sfix"
	}
	if s.Timeout == 0 {
		s.Timeout = DefaultTimeout
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.TLSCert == "" || c.TLSKey == "" {
		bad("tls_cert and tls_key go together: give both or neither")
	}
	if c.Validity < 0 {
		bad("validity = %s: must be positive", c.Validity)
	}
	if c.Ring != 64 && c.Ring != 128 {
		bad("ring = %d: must be 64 or 128", c.Ring)
	}
	if c.FracBits < 0 || c.FracBits >= c.Ring/2 {
		bad("frac_bits = %d: must be in 0..%d", c.FracBits, c.Ring/2-1)
	}
	if s.Name == "" {
		bad("[source] name is missing")
	}
	if s.URL == "" {
		bad("[source] url is missing")
	} else if u, err := url.Parse(strings.ReplaceAll(s.URL, "{id}", "x")); err != nil || u.Host == "" {
		bad("[source] url = %q: not an absolute URL", s.URL)
	} else if u.Scheme != "https" {
		bad("[source] url = %q: the notary fetches values over HTTPS only", s.URL)
	} else if !strings.Contains(s.URL, "{id}") {
		bad("[source] url = %q: has no {id} for the provider's source id", s.URL)
	}
	if s.JSONPath == "" {
		bad("[source] json_path is missing")
	}
	if s.Column == "" {
		bad("[source] column is missing")
	}
	if s.Type != "sfix" && s.Type != "sint" {
		bad("[source] type = %q: must be sfix or sint", s.Type)
	}
	if s.CA != "" && s.Fingerprint != "" {
		bad("[source] give ca or fingerprint, not both")
	}
	if s.Timeout < 0 {
		bad("[source] timeout = %s: must be positive", s.Timeout)
	}
	return errors.Join(errs...)
}

// Resolve returns path resolved against c.Dir.
func (c *Config) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) || c.Dir == "" {
		return path
	}
	return filepath.Join(c.Dir, path)
}
