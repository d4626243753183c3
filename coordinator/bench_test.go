package coordinator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mpcs/mpcs/coordinator/api"
)

// BenchmarkRegistrations registers 1,000 providers at once and reports them
// submitted (the coordinator's share of a provider's contribution; the
// shares go to the parties and are not part of it), with the p50 and p99
// latency of one provider's two calls.
func BenchmarkRegistrations(b *testing.B) {
	const n = 1000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b, nil)
		e.dataset("devcon", 1)
		atts := make([][]byte, n)
		for j := range atts {
			atts[j], _ = json.Marshal(api.Register{Attestation: e.attestation("devcon", fmt.Sprint("p", j))})
		}
		lat := make([]time.Duration, n)
		var wg sync.WaitGroup
		b.StartTimer()
		for j := range n {
			wg.Go(func() {
				start := time.Now()
				var reg api.Registration
				if code, _ := e.request("POST", "/v1/datasets/devcon/providers", "", string(atts[j]), &reg); code != http.StatusCreated {
					b.Errorf("register: %d", code)
					return
				}
				if code, _ := e.request("POST", "/v1/datasets/devcon/providers/"+reg.Ticket.Body.ID+"/submitted", "", "", nil); code != http.StatusOK {
					b.Errorf("submitted: %d", code)
				}
				lat[j] = time.Since(start)
			})
		}
		wg.Wait()
		b.StopTimer()
		sort.Slice(lat, func(x, y int) bool { return lat[x] < lat[y] })
		b.ReportMetric(float64(lat[n/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(lat[n*99/100].Milliseconds()), "p99-ms")
		e.stopServer()
	}
}
