package runtime

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// trConfigDir makes a dir with keys for parties 0..2 under keys/ and a
// garbage certificate keys/garbage.crt.
func trConfigDir(t *testing.T) string {
	dir := t.TempDir()
	for p := range 3 {
		_, _, err := GenerateKey(p, filepath.Join(dir, "keys"))
		require.NoError(t, err)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys", "garbage.crt"), []byte("not a certificate\n"), 0o644))
	return dir
}

func trWriteConfig(t *testing.T, dir, text string) string {
	path := filepath.Join(dir, "deploy.toml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	return path
}

const trGoodConfig = `
# deploy.toml
[[party]]
id = 2
address = "127.0.0.1:7102"
cert = "keys/party2.crt"

[[party]]
id = 0
address = "127.0.0.1:7100"
cert = "keys/party0.crt"   # relative paths are relative to the config file
key = "keys/party0.key"    # only the party itself needs its key

[[party]]
id = 1
address = "localhost:7101"
cert = "keys/party1.crt"
`

func TestLoadConfig(t *testing.T) {
	dir := trConfigDir(t)
	path := trWriteConfig(t, dir, trGoodConfig)
	// Load from another working directory: paths stay relative to the file.
	t.Chdir(t.TempDir())
	cfg, err := LoadConfig(path)
	require.NoError(t, err)
	require.Len(t, cfg.Party, 3)
	for i, p := range cfg.Party {
		require.Equal(t, i, p.ID, "parties are sorted by id")
	}
	require.Equal(t, "127.0.0.1:7100", cfg.Lookup(0).Address)
	require.Equal(t, "keys/party0.key", cfg.Lookup(0).Key)
	require.Equal(t, "", cfg.Lookup(1).Key)
	require.Equal(t, filepath.Join(dir, "keys", "party0.crt"), cfg.Resolve(cfg.Lookup(0).Cert))
	require.Nil(t, cfg.Lookup(3))
	require.Equal(t, DefaultConnectTimeout, cfg.ConnectTimeout())
	require.Equal(t, 60*time.Second, cfg.IdleTimeout())
	require.NoError(t, cfg.Validate())

	path = trWriteConfig(t, dir, trGoodConfig+"\n[timeouts]\nconnect = \"3s\"\nidle = \"2m\"\n\n[coordinator]\nurl = \"https://x\"\n")
	cfg, err = LoadConfig(path)
	require.NoError(t, err, "other top-level tables are someone else's")
	require.Equal(t, 3*time.Second, cfg.ConnectTimeout())
	require.Equal(t, 2*time.Minute, cfg.IdleTimeout())
}

func TestLoadConfigErrors(t *testing.T) {
	dir := trConfigDir(t)
	party := func(id int, addr, cert string) string {
		return "[[party]]\nid = " + strconv.Itoa(id) + "\naddress = \"" + addr + "\"\ncert = \"" + cert + "\"\n"
	}
	ok := [3]string{
		party(0, "127.0.0.1:7100", "keys/party0.crt"),
		party(1, "127.0.0.1:7101", "keys/party1.crt"),
		party(2, "127.0.0.1:7102", "keys/party2.crt"),
	}
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"missing party", ok[0] + ok[1], []string{"deploy.toml: party 2 is missing"}},
		{"no parties", "", []string{"party 0 is missing", "party 1 is missing", "party 2 is missing"}},
		{"duplicate id", ok[0] + ok[1] + ok[2] + party(1, "127.0.0.1:7103", "keys/party1.crt"),
			[]string{"party 1 is listed more than once"}},
		{"id out of range", ok[0] + ok[1] + party(3, "127.0.0.1:7102", "keys/party2.crt"),
			[]string{"[[party]] id = 3: must be 0, 1 or 2", "party 2 is missing"}},
		{"missing id", ok[0] + ok[1] + "[[party]]\naddress = \"x:1\"\ncert = \"keys/party2.crt\"\n",
			[]string{"deploy.toml: [[party]] #3: id is missing"}},
		{"missing address and cert", ok[0] + ok[1] + "[[party]]\nid = 2\n",
			[]string{"[[party]] #3 (id 2): address is missing", "[[party]] #3 (id 2): cert is missing"}},
		{"same address", ok[0] + ok[1] + party(2, "127.0.0.1:7100", "keys/party2.crt"),
			[]string{`party 2: address = "127.0.0.1:7100" is also the address of party 0`}},
		{"bad address", ok[0] + ok[1] + party(2, "127.0.0.1", "keys/party2.crt"),
			[]string{`party 2: address = "127.0.0.1": want host:port`}},
		{"bad port", ok[0] + ok[1] + party(2, "127.0.0.1:99999", "keys/party2.crt"),
			[]string{`party 2: address = "127.0.0.1:99999": port "99999" is not a number in 1..65535`}},
		{"cert file missing", ok[0] + ok[1] + party(2, "127.0.0.1:7102", "keys/nope.crt"),
			[]string{`party 2: cert = "keys/nope.crt": open ` + filepath.Join(dir, "keys", "nope.crt") + `: no such file or directory`}},
		{"cert garbage", ok[0] + ok[1] + party(2, "127.0.0.1:7102", "keys/garbage.crt"),
			[]string{`party 2: cert = "keys/garbage.crt": ` + filepath.Join(dir, "keys", "garbage.crt") + `: no PEM CERTIFICATE block`}},
		{"key given as cert", ok[0] + ok[1] + party(2, "127.0.0.1:7102", "keys/party2.key"),
			[]string{`party 2: cert = "keys/party2.key"`, "no PEM CERTIFICATE block"}},
		{"same cert twice", ok[0] + ok[1] + party(2, "127.0.0.1:7102", "keys/party1.crt"),
			[]string{`party 2: cert = "keys/party1.crt" is the same certificate as party 1's`}},
		{"unknown key", ok[0] + ok[1] + ok[2] + "adress = \"x\"\n",
			[]string{`deploy.toml: unknown key "party.adress"`}},
		{"bad timeout", ok[0] + ok[1] + ok[2] + "[timeouts]\nconnect = \"soon\"\n",
			[]string{"deploy.toml", "soon"}},
		{"negative timeout", ok[0] + ok[1] + ok[2] + "[timeouts]\nidle = \"-1s\"\n",
			[]string{`deploy.toml: [timeouts] idle = "-1s": must be positive`}},
		{"unknown timeout", ok[0] + ok[1] + ok[2] + "[timeouts]\nread = \"1s\"\n",
			[]string{`unknown key "timeouts.read"`}},
		{"toml syntax", "[[party]\n", []string{"deploy.toml"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := trWriteConfig(t, dir, tc.text)
			_, err := LoadConfig(path)
			require.Error(t, err)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			require.True(t, strings.HasPrefix(err.Error(), path), "errors name the file: %v", err)
		})
	}
	_, err := LoadConfig(filepath.Join(dir, "missing.toml"))
	require.ErrorContains(t, err, "missing.toml: no such file")
}

func TestConfigValidateInCode(t *testing.T) {
	dir := trConfigDir(t)
	cfg := &Config{Dir: dir}
	for p := range 3 {
		cfg.Party = append(cfg.Party, PartyConfig{ID: p, Address: "10.0.0." + strconv.Itoa(p+1) + ":7100", Cert: "keys/party" + strconv.Itoa(p) + ".crt"})
	}
	require.NoError(t, cfg.Validate())
	cfg.Timeouts.Idle = -time.Second
	require.ErrorContains(t, cfg.Validate(), `deployment config: [timeouts] idle = "-1s": must be positive`)
}

func TestLoadExampleConfig(t *testing.T) {
	cfg, err := LoadConfig(filepath.Join("testdata", "transport", "deploy.toml"))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:7101", cfg.Lookup(1).ListenAddress())
	require.Equal(t, "127.0.0.1:7102", cfg.Lookup(2).Listen)
	require.Equal(t, 10*time.Second, cfg.ConnectTimeout())
	require.Equal(t, 60*time.Second, cfg.IdleTimeout())
	for p := range 3 {
		_, err := tls.LoadX509KeyPair(cfg.Resolve(cfg.Lookup(p).Cert), cfg.Resolve(cfg.Lookup(p).Key))
		require.NoError(t, err)
	}
}
