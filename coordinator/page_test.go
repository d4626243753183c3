package coordinator

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/vm"
)

// findChromium returns a headless-capable Chromium or Chrome, or "".
func findChromium() string {
	if p := os.Getenv("MPCS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestPageInChromium loads the statistics page in headless Chromium against
// a coordinator whose database holds a stored result of the published
// Devcon query (the reference executor's outputs on the sample data), and
// checks that the numbers render. The screenshot goes to
// testdata/artifacts/page.png.
func TestPageInChromium(t *testing.T) {
	chromium := findChromium()
	if chromium == "" {
		t.Skip("no Chromium found (install Debian's chromium package, or set MPCS_CHROMIUM): the page test needs a headless browser")
	}
	var hash string
	e := newEnv(t, func(c *Config, e *env) {
		bytecode, h := devcon(t)
		hash = h
		f := filepath.Join(t.TempDir(), "devcon.mpcb")
		require.NoError(t, os.WriteFile(f, bytecode, 0o644))
		cols := []partyapi.Column{{Name: "balance", Type: "sfix"}}
		c.Datasets = []Dataset{
			{Name: "devcon", Columns: cols, NotaryKeys: []string{e.notaryKey()}, MinRows: 5},
			{Name: "lab-survey", Columns: cols, NotaryKeys: []string{e.notaryKey()}, MinRows: 50},
		}
		paygap, err := compiler.CompileFile("../programs/paygap/paygap.mpcs", compiler.Options{})
		require.NoError(t, err)
		pb, err := vm.Encode(paygap)
		require.NoError(t, err)
		pf := filepath.Join(t.TempDir(), "paygap.mpcb")
		require.NoError(t, os.WriteFile(pf, pb, 0o644))
		c.Datasets = append(c.Datasets, Dataset{Name: "paygap", NotaryKeys: []string{e.notaryKey()}, MinRows: 20,
			Columns: []partyapi.Column{{Name: "salary", Type: "sfix"}, {Name: "gender", Type: "sint"}, {Name: "role", Type: "sint"}}})
		c.Published = []Published{{Dataset: "devcon", ProgramFile: f}, {Dataset: "lab-survey", ProgramFile: f}, {Dataset: "paygap", ProgramFile: pf}}
	})

	// Seed: ten admitted rows and a stored result of the published query.
	var expected struct {
		Outputs json.RawMessage `json:"outputs"`
	}
	b, err := os.ReadFile("../programs/devcon/expected.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &expected))
	st := e.srv.st
	_, err = st.db.Exec(`UPDATE datasets SET admitted_rows = 10 WHERE name = 'devcon'`)
	require.NoError(t, err)
	_, err = st.db.Exec(`UPDATE datasets SET admitted_rows = 12 WHERE name = 'lab-survey'`)
	require.NoError(t, err)
	pub := e.srv.published["devcon"]
	now := e.clock.now().Add(-90 * time.Second)
	require.NoError(t, st.insertQuery(bg, queryRow{ID: "q-seeded", Dataset: "devcon", ProgramHash: hash, ParamsJSON: pub.paramsJSON, CacheKey: "seeded", Rows: 10, Published: true}, now))
	require.NoError(t, st.finishQuery(bg, "q-seeded", expected.Outputs, 1, 1, now))
	// The pay-gap study's outputs on its sample: scalars and two vectors.
	b, err = os.ReadFile("../programs/paygap/expected.json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &expected))
	_, err = st.db.Exec(`UPDATE datasets SET admitted_rows = 36 WHERE name = 'paygap'`)
	require.NoError(t, err)
	pg := e.srv.published["paygap"]
	require.NoError(t, st.insertQuery(bg, queryRow{ID: "q-seeded-2", Dataset: "paygap", ProgramHash: pg.hash, ParamsJSON: pg.paramsJSON, CacheKey: "seeded-2", Rows: 36, Published: true}, now))
	require.NoError(t, st.finishQuery(bg, "q-seeded-2", expected.Outputs, 1, 1, now))

	stats, err := e.anon.Stats(bg, "devcon")
	require.NoError(t, err)
	require.Equal(t, "ready", stats.Status)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1200, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	const devconCard = `section[data-dataset="devcon"]`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(e.http.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(devconCard+`[data-status="ready"] .tile`)),
		chromedp.WaitVisible(chromedp.CSS(`section[data-dataset="lab-survey"] .waiting-note`)),
	))
	tiles, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](
		`Object.fromEntries([...document.querySelectorAll('`+devconCard+` .tile')].map(t => [t.dataset.stat, t.querySelector('.value').textContent]))`))
	require.NoError(t, err)
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return strings.TrimSpace(s)
	}
	gauge := text(devconCard + ` .gauge-value`)
	badge := text(devconCard + ` .badge`)
	updated := text(devconCard + ` .meta`)
	numberLine := text(devconCard + ` .numberline svg`)
	waiting := text(`section[data-dataset="lab-survey"] .waiting-note`)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`section[data-dataset="paygap"] .histogram`))))
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](
		`Object.fromEntries([...document.querySelectorAll('section[data-dataset="paygap"] .histogram')].map(f => [f.dataset.output, f.querySelectorAll('rect').length]))`))
	require.NoError(t, err)
	others := text(`section[data-dataset="paygap"] .others`)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)

	assert.Equal(t, map[string]string{"providers": "10", "mean": "21.92", "median": "2.6", "max": "150"}, tiles)
	assert.Equal(t, "0.787", gauge)
	assert.Equal(t, "live", strings.ToLower(badge))
	assert.Contains(t, updated, "Updated")
	assert.Contains(t, updated, "10 rows")
	for _, s := range []string{"median 2.6", "mean 21.92", "max 150"} {
		assert.Contains(t, numberLine, s)
	}
	assert.Contains(t, waiting, "12 of the 50 providers needed")
	assert.Equal(t, map[string]int{"mean_by_role": 4, "median_by_role": 4}, bars)
	assert.Contains(t, others, "mean_men")
	assert.Contains(t, others, "86.79")
	assert.Contains(t, others, "median_ratio_women_to_men")

	require.NoError(t, os.MkdirAll("testdata/artifacts", 0o755))
	require.NoError(t, os.WriteFile("testdata/artifacts/page.png", shot, 0o644))
	t.Logf("screenshot: coordinator/testdata/artifacts/page.png (%d bytes)", len(shot))
}
