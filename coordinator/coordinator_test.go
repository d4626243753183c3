package coordinator

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"

	"github.com/mpcs/mpcs/compiler"
	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/coordinator/client"
	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/vm"
)

var bg = context.Background()

func TestRoutesAreInOpenAPI(t *testing.T) {
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	b, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &doc))
	require.True(t, strings.HasPrefix(doc.OpenAPI, "3."), "OpenAPI 3")

	s := &Server{}
	inRouter := map[string]bool{}
	for _, rt := range s.routes() {
		key := strings.ToLower(rt.method) + " " + rt.path
		inRouter[key] = true
		ops, ok := doc.Paths[rt.path]
		if assert.True(t, ok, "route %s %s is not in openapi.yaml", rt.method, rt.path) {
			assert.Contains(t, ops, strings.ToLower(rt.method), "route %s %s is not in openapi.yaml", rt.method, rt.path)
		}
	}
	for path, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			assert.True(t, inRouter[m+" "+path], "openapi.yaml documents %s %s, which the router does not have", m, path)
		}
	}
	// The embedded copy is the file.
	assert.Equal(t, b, openAPI)
}

func TestDatasets(t *testing.T) {
	e := newEnv(t, nil)
	good := fmt.Sprintf(`{"name":"devcon","columns":[{"name":"balance","type":"sfix"}],"notary_keys":[%q],"min_rows":3}`, e.notaryKey())

	code, _ := e.post("/v1/datasets", "", good, nil)
	assert.Equal(t, http.StatusUnauthorized, code, "no key")
	code, _ = e.post("/v1/datasets", "wrong-key-0123456789", good, nil)
	assert.Equal(t, http.StatusUnauthorized, code, "unknown key")
	var ae api.Error
	code, _ = e.post("/v1/datasets", testAnalystKey, good, &ae)
	assert.Equal(t, http.StatusForbidden, code, "analyst key on an operator route")
	assert.Contains(t, ae.Error, "operator")

	for _, bad := range []string{`{"name":`, `[]`, `{"name":"x"} {}`, `{"name":"devcon","unknown":1}`, ``} {
		code, _ = e.post("/v1/datasets", testOperatorKey, bad, &ae)
		assert.Equal(t, http.StatusBadRequest, code, bad)
		assert.Contains(t, ae.Error, "malformed JSON", bad)
	}
	for _, bad := range []string{
		strings.Replace(good, `"devcon"`, `"Dev Con"`, 1),
		strings.Replace(good, `"sfix"`, `"float"`, 1),
		strings.Replace(good, `"min_rows":3`, `"min_rows":0`, 1),
		`{"name":"x","columns":[{"name":"balance","type":"sfix"}],"notary_keys":["abc"],"min_rows":3}`,
	} {
		code, _ = e.post("/v1/datasets", testOperatorKey, bad, &ae)
		assert.Equal(t, http.StatusBadRequest, code, bad)
	}

	var d api.Dataset
	code, _ = e.post("/v1/datasets", testOperatorKey, good, &d)
	require.Equal(t, http.StatusCreated, code)
	assert.Equal(t, "devcon", d.Name)
	assert.Equal(t, int64(3), d.MinRows)
	code, _ = e.post("/v1/datasets", testOperatorKey, good, &ae)
	assert.Equal(t, http.StatusConflict, code)

	got, err := e.anon.Dataset(bg, "devcon")
	require.NoError(t, err)
	assert.Equal(t, d.Columns, got.Columns)
	list, err := e.anon.Datasets(bg)
	require.NoError(t, err)
	require.Len(t, list, 1)
	_, err = e.anon.Dataset(bg, "nope")
	var apiErr *client.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusNotFound, apiErr.Status)

	// Unknown routes answer JSON.
	code, _ = e.request("GET", "/v1/nothing", "", "", &ae)
	assert.Equal(t, http.StatusNotFound, code)
	assert.Contains(t, ae.Error, "openapi.yaml")
}

func TestRegistration(t *testing.T) {
	e := newEnv(t, nil)
	e.dataset("devcon", 3)
	e.dataset("other", 3)

	reg := e.register("devcon", "alice")
	pub := e.srv.key.Public().(ed25519.PublicKey)
	require.NoError(t, reg.Ticket.Verify(pub), "the ticket is signed by the coordinator")
	assert.Equal(t, "devcon", reg.Ticket.Body.Dataset)
	assert.Len(t, reg.Ticket.Body.Commitments, 1)
	assert.True(t, reg.Ticket.Body.Expires.After(e.clock.now()))
	require.Len(t, reg.Parties, 3)
	for i, p := range reg.Parties {
		assert.Equal(t, i, p.Party)
		assert.Equal(t, e.parties[i].url(), p.URL)
		assert.Equal(t, e.parties[i].fingerprint(), p.Fingerprint)
	}
	assert.Equal(t, 128, reg.Ring)
	assert.Equal(t, 24, reg.FracBits)

	send := func(a any) (int, string) {
		b, _ := json.Marshal(a)
		var ae api.Error
		code, _ := e.post("/v1/datasets/devcon/providers", "", string(b), &ae)
		return code, ae.Error
	}
	// The commitments are copied from the attestation.
	a := e.attestation("devcon", "bob")
	var r api.Registration
	b, _ := json.Marshal(api.Register{Attestation: a})
	code, _ := e.post("/v1/datasets/devcon/providers", "", string(b), &r)
	require.Equal(t, http.StatusCreated, code)
	assert.Equal(t, a.Commitments, r.Ticket.Body.Commitments)

	// Reused source id.
	code, msg := send(api.Register{Attestation: e.attestation("devcon", "alice")})
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, msg, "already registered")
	// ... but the same person may join another dataset.
	e.register("other", "alice")

	// Forged: the value of the commitment changed after signing.
	forged := e.attestation("devcon", "carol")
	forged.Commitments["balance"] = strings.Repeat("00", 32)
	code, msg = send(api.Register{Attestation: forged})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, msg, "signature")
	// Signed by a notary the dataset does not accept.
	_, rogue, _ := ed25519.GenerateKey(rand.Reader)
	other := e.attestation("devcon", "carol")
	other.Sign(rogue)
	code, msg = send(api.Register{Attestation: other})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, msg, "not accepted")
	// Expired.
	exp := e.attestation("devcon", "carol")
	exp.Expires = e.clock.now().Add(-time.Second)
	exp.Sign(e.notary)
	code, msg = send(api.Register{Attestation: exp})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, msg, "expired")
	// For another dataset.
	code, msg = send(api.Register{Attestation: e.attestation("other", "carol")})
	assert.Equal(t, http.StatusForbidden, code)
	assert.Contains(t, msg, "another dataset")
	// Commitments that are not the dataset's columns.
	cols := e.attestation("devcon", "carol")
	cols.Commitments = map[string]string{"salary": strings.Repeat("ab", 32)}
	cols.Sign(e.notary)
	code, msg = send(api.Register{Attestation: cols})
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, msg, "balance")
	// Malformed JSON.
	var ae api.Error
	code, _ = e.post("/v1/datasets/devcon/providers", "", `{"attestation": {"version": 1,`, &ae)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = e.post("/v1/datasets/devcon/providers", "", `{"attestation": {}, "value": 5}`, &ae)
	assert.Equal(t, http.StatusBadRequest, code, "unknown fields are refused")
	// Unknown dataset.
	code, _ = e.post("/v1/datasets/nope/providers", "", string(b), &ae)
	assert.Equal(t, http.StatusNotFound, code)
	// carol was never registered by any of the failures.
	e.register("devcon", "carol")

	// A ticket that expired before its provider reported it submitted can
	// be replaced; the old ticket is then forgotten.
	dave := e.register("devcon", "dave")
	code, _ = send(api.Register{Attestation: e.attestation("devcon", "dave")})
	assert.Equal(t, http.StatusConflict, code, "the first ticket is still valid")
	e.clock.advance(2 * time.Hour)
	dave2 := e.register("devcon", "dave")
	assert.NotEqual(t, dave.Ticket.Body.ID, dave2.Ticket.Body.ID)
	code, _ = e.post("/v1/datasets/devcon/providers/"+dave.Ticket.Body.ID+"/submitted", "", "", &ae)
	assert.Equal(t, http.StatusNotFound, code)
	// A submitted one cannot.
	e.provide("devcon", "erin")
	e.clock.advance(2 * time.Hour)
	code, _ = send(api.Register{Attestation: e.attestation("devcon", "erin")})
	assert.Equal(t, http.StatusConflict, code)
}

func TestConcurrentRegistrationsOfOneSource(t *testing.T) {
	e := newEnv(t, nil)
	e.dataset("devcon", 1)
	var wg sync.WaitGroup
	codes := make([]int, 16)
	for i := range codes {
		wg.Go(func() {
			b, _ := json.Marshal(api.Register{Attestation: e.attestation("devcon", "mallory")})
			codes[i], _ = e.request("POST", "/v1/datasets/devcon/providers", "", string(b), nil)
		})
	}
	wg.Wait()
	sort.Ints(codes)
	assert.Equal(t, http.StatusCreated, codes[0])
	assert.Equal(t, http.StatusConflict, codes[1], "only one registration per source id")
	assert.Equal(t, http.StatusConflict, codes[len(codes)-1])
}

func TestSubmittedAndAdmission(t *testing.T) {
	e := newEnv(t, nil)
	e.dataset("devcon", 2)
	a := e.provide("devcon", "alice")
	b := e.provide("devcon", "bob")
	c := e.provide("devcon", "carol", 0, 1) // party 2 never got its shares
	reg := e.register("devcon", "dan")      // registered, never submitted
	e.parties[0].mu.Lock()
	e.parties[1].mu.Lock()
	e.parties[2].mu.Lock()
	for _, p := range e.parties {
		p.reject[b.Ticket.Body.ID] = "the value does not match its commitment"
	}
	e.parties[2].mu.Unlock()
	e.parties[1].mu.Unlock()
	e.parties[0].mu.Unlock()

	// Submitted with bad receipts.
	var ae api.Error
	code, _ := e.post("/v1/datasets/devcon/providers/"+reg.Ticket.Body.ID+"/submitted", "", `{"receipts":[{"ticket":"t-other","party":0}]}`, &ae)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = e.post("/v1/datasets/devcon/providers/"+reg.Ticket.Body.ID+"/submitted", "", `{"receipts":`, &ae)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = e.post("/v1/datasets/devcon/providers/t-unknown/submitted", "", "", &ae)
	assert.Equal(t, http.StatusNotFound, code)

	d, err := e.anon.Dataset(bg, "devcon")
	require.NoError(t, err)
	assert.Equal(t, int64(0), d.Rows)
	assert.Equal(t, int64(3), d.Pending)

	e.admit()
	status := func(reg api.Registration) api.ProviderStatus {
		var st api.ProviderStatus
		code, _ := e.request("GET", "/v1/datasets/devcon/providers/"+reg.Ticket.Body.ID, "", "", &st)
		require.Equal(t, http.StatusOK, code)
		return st
	}
	assert.Equal(t, "admitted", status(a).Status)
	st := status(b)
	assert.Equal(t, "rejected", st.Status)
	assert.Contains(t, st.Reason, "commitment")
	assert.Equal(t, "rejected", status(c).Status, "shares missing at one party")
	assert.Equal(t, "registered", status(reg).Status)

	d, err = e.anon.Dataset(bg, "devcon")
	require.NoError(t, err)
	assert.Equal(t, int64(1), d.Rows)
	assert.Equal(t, int64(0), d.Pending)

	// Reporting again is harmless; a rejected source may register again.
	code, _ = e.post("/v1/datasets/devcon/providers/"+a.Ticket.Body.ID+"/submitted", "", "", &st)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "admitted", st.Status)
	for _, p := range e.parties {
		p.mu.Lock()
		delete(p.reject, b.Ticket.Body.ID)
		p.mu.Unlock()
	}
	e.provide("devcon", "bob")
	e.admit()
	d, _ = e.anon.Dataset(bg, "devcon")
	assert.Equal(t, int64(2), d.Rows)
}

func TestAdmissionBatchesAndPartyDown(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *env) { c.Admission.BatchSize = 4 })
	e.dataset("devcon", 1)
	for i := range 10 {
		e.provide("devcon", fmt.Sprint("p", i))
	}
	e.parties[1].stop()
	e.admit()
	d, _ := e.anon.Dataset(bg, "devcon")
	assert.Equal(t, int64(0), d.Rows, "nothing is admitted while a party is down")
	pending, err := e.srv.st.pendingAdmissions(bg)
	require.NoError(t, err)
	require.Len(t, pending, 1, "the first batch waits; later ones are not made")
	assert.Equal(t, int64(1), pending[0].Attempts)
	firstID := pending[0].ID

	e.parties[1].restart()
	e.admit()
	d, _ = e.anon.Dataset(bg, "devcon")
	assert.Equal(t, int64(10), d.Rows)
	for _, p := range e.parties {
		p.mu.Lock()
		// The parties refuse a failed admission id for good: the retry
		// has a fresh one.
		assert.Contains(t, p.seenIDs, firstID+".1", "the batch is retried under a fresh id")
		assert.NotContains(t, p.seenIDs, firstID+".2")
		assert.Equal(t, p.admissions[firstID+".1"].Admitted, p.admitted["devcon"][:4])
		assert.Len(t, p.admitted["devcon"], 10)
		p.mu.Unlock()
	}
	// Batches are at most batch_size tickets.
	e.parties[0].mu.Lock()
	ids := map[string]bool{}
	for _, id := range e.parties[0].seenIDs {
		ids[strings.TrimSuffix(id, ".1")] = true
	}
	e.parties[0].mu.Unlock()
	assert.Len(t, ids, 3)
}

// TestAdmissionRetriedWithFreshID: the parties decided a batch but one
// answer was lost (party 2 failed after deciding, as a party does when it
// is killed before its commit and catches up at the next admission). The
// coordinator retries the batch under a fresh id with the same tickets in
// the same order, and the tickets the parties report admitted earlier are
// admitted.
func TestAdmissionRetriedWithFreshID(t *testing.T) {
	e := newEnv(t, nil)
	e.dataset("devcon", 1)
	var regs []api.Registration
	for i := range 3 {
		regs = append(regs, e.provide("devcon", fmt.Sprint("p", i)))
	}
	liar := regs[1].Ticket.Body.ID
	for _, p := range e.parties {
		p.mu.Lock()
		p.reject[liar] = "the value does not match its commitment"
		p.mu.Unlock()
	}
	e.parties[2].mu.Lock()
	e.parties[2].admitHook = func(a partyapi.Admission) int {
		if strings.Contains(a.ID, ".") {
			return 0
		}
		// The three decide together: answer once the others have.
		require.Eventually(t, func() bool {
			for _, p := range e.parties[:2] {
				p.mu.Lock()
				_, ok := p.admissions[a.ID]
				p.mu.Unlock()
				if !ok {
					return false
				}
			}
			return true
		}, 5*time.Second, time.Millisecond)
		return http.StatusInternalServerError
	}
	e.parties[2].mu.Unlock()
	e.admit()
	pending, err := e.srv.st.pendingAdmissions(bg)
	require.NoError(t, err)
	require.Len(t, pending, 1)
	batch := pending[0]
	assert.Equal(t, batch.ID+".1", batch.attemptID())
	for _, r := range regs {
		st, err := e.srv.st.provider(bg, "devcon", r.Ticket.Body.ID)
		require.NoError(t, err)
		assert.Equal(t, "submitted", st.Status, "the answer was lost")
	}

	e.admit()
	pending, err = e.srv.st.pendingAdmissions(bg)
	require.NoError(t, err)
	assert.Empty(t, pending)
	for _, p := range e.parties {
		p.mu.Lock()
		assert.Equal(t, []string{batch.ID, batch.ID + ".1"}, p.seenIDs)
		res := p.admissions[batch.ID+".1"]
		assert.Empty(t, res.Admitted)
		assert.Len(t, res.AlreadyAdmitted, 2)
		row := int64(0)
		for _, tk := range batch.Tickets {
			if tk != liar {
				assert.Equal(t, partyapi.AdmittedRow{Admission: batch.ID, Row: row}, res.AlreadyAdmitted[tk])
				row++
			}
		}
		assert.Equal(t, batch.Tickets, p.tickets[batch.ID])
		assert.Equal(t, batch.Tickets, p.tickets[batch.ID+".1"], "same tickets, same order")
		p.mu.Unlock()
	}
	for i, r := range regs {
		st, err := e.srv.st.provider(bg, "devcon", r.Ticket.Body.ID)
		require.NoError(t, err)
		if i == 1 {
			assert.Equal(t, "rejected", st.Status)
			assert.Equal(t, "the value does not match its commitment", st.Reason)
			continue
		}
		assert.Equal(t, "admitted", st.Status, "admitted by the first attempt")
	}
	d, err := e.anon.Dataset(bg, "devcon")
	require.NoError(t, err)
	assert.Equal(t, int64(2), d.Rows)
	assert.Equal(t, int64(0), d.Pending)
}

func TestAgreeAdmission(t *testing.T) {
	a := &admissionRow{ID: "b", Tickets: []string{"t1", "t2", "t3"}, Attempts: 2}
	ok := partyapi.AdmissionResult{ID: "b.2", Admitted: []string{"t3"}, Rows: 7,
		AlreadyAdmitted: map[string]partyapi.AdmittedRow{"t1": {Admission: "b", Row: 4}}}
	three := func(f func(r *partyapi.AdmissionResult)) []partyapi.AdmissionResult {
		out := []partyapi.AdmissionResult{ok, ok, ok}
		if f != nil {
			f(&out[2])
		}
		return out
	}
	assert.Equal(t, "", agreeAdmission(a, a.attemptID(), three(nil)))
	for _, tt := range []struct {
		f    func(r *partyapi.AdmissionResult)
		want string
	}{
		{func(r *partyapi.AdmissionResult) { r.ID = "b" }, `party 2 answered for batch "b"`},
		{func(r *partyapi.AdmissionResult) { r.AlreadyAdmitted = nil }, "reports 1 tickets admitted earlier, party 2 0"},
		{func(r *partyapi.AdmissionResult) {
			r.AlreadyAdmitted = map[string]partyapi.AdmittedRow{"t1": {Admission: "b", Row: 5}}
		}, "or at other rows"},
		{func(r *partyapi.AdmissionResult) {
			r.AlreadyAdmitted = map[string]partyapi.AdmittedRow{"t9": {Admission: "b", Row: 4}}
		}, `ticket "t9" admitted earlier, which is not in the batch`},
		{func(r *partyapi.AdmissionResult) { r.Admitted = []string{"t1", "t3"} }, `admitted ticket "t1" and reports it admitted earlier`},
	} {
		assert.Contains(t, agreeAdmission(a, a.attemptID(), three(tt.f)), tt.want)
	}
}

func TestAdmissionDisagreement(t *testing.T) {
	e := newEnv(t, nil)
	e.dataset("devcon", 1)
	a := e.provide("devcon", "alice")
	e.parties[2].mu.Lock()
	e.parties[2].reject[a.Ticket.Body.ID] = "party 2 says no"
	e.parties[2].mu.Unlock()
	e.admit()
	st, err := e.srv.st.provider(bg, "devcon", a.Ticket.Body.ID)
	require.NoError(t, err)
	assert.Equal(t, "rejected", st.Status)
	assert.Contains(t, st.Reason, "disagreed")
	d, _ := e.anon.Dataset(bg, "devcon")
	assert.Equal(t, int64(0), d.Rows)
}

func TestPrograms(t *testing.T) {
	e := newEnv(t, nil)
	b, hash := devcon(t)
	_, err := e.an.UploadProgram(bg, b)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusForbidden, ae.Status)

	p, err := e.op.UploadProgram(bg, b)
	require.NoError(t, err)
	assert.Equal(t, hash, p.Hash)
	assert.Equal(t, []partyapi.Column{{Name: "balance", Type: "sfix"}}, p.Inputs)
	assert.Equal(t, []string{"providers", "mean", "median", "max", "gini"}, p.Outputs)
	p2, err := e.op.UploadProgram(bg, b)
	require.NoError(t, err, "uploading again is fine")
	assert.Equal(t, p.Hash, p2.Hash)

	_, err = e.op.UploadProgram(bg, []byte("not bytecode"))
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.Status)
	corrupt := append([]byte(nil), b...)
	corrupt[len(corrupt)/2] ^= 1
	_, err = e.op.UploadProgram(bg, corrupt)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.Status)

	got, err := e.an.Program(bg, hash)
	require.NoError(t, err)
	assert.Equal(t, p.Size, got.Size)
	var list []api.Program
	code, _ := e.request("GET", "/v1/programs", testAnalystKey, "", &list)
	assert.Equal(t, http.StatusOK, code)
	assert.Len(t, list, 1)
	_, err = e.an.Program(bg, strings.Repeat("0", 64))
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusNotFound, ae.Status)
	code, _ = e.request("GET", "/v1/programs", "", "", nil)
	assert.Equal(t, http.StatusUnauthorized, code)
}

func TestQueries(t *testing.T) {
	e := newEnv(t, nil)
	e.dataset("devcon", 3)
	b, hash := devcon(t)
	e.allow(b, hash)
	q := api.CreateQuery{Dataset: "devcon", ProgramHash: hash}

	// No analyst key.
	_, err := e.anon.CreateQuery(bg, q, 0)
	var ae *client.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusUnauthorized, ae.Status)

	// Before min rows.
	e.provide("devcon", "a")
	e.provide("devcon", "b")
	e.admit()
	_, err = e.an.CreateQuery(bg, q, 0)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusConflict, ae.Status)
	assert.Contains(t, ae.Message, "not enough rows")
	assert.Contains(t, ae.Message, "2 admitted rows")

	e.provide("devcon", "c")
	e.admit()
	res, err := e.an.CreateQuery(bg, q, 10*time.Second)
	require.NoError(t, err)
	require.Equal(t, "done", res.Status, res.Error)
	assert.Equal(t, int64(3), res.Rows)
	assert.JSONEq(t, `{"providers": 3, "mean": 21.921, "median": 2.6, "max": 150, "gini": 0.7867934856986452}`, string(res.Outputs))
	assert.NotNil(t, res.FinishedAt)
	for _, p := range e.parties {
		p.mu.Lock()
		require.Len(t, p.jobs, 1)
		assert.Equal(t, res.ID, p.jobs[0].ID)
		assert.Equal(t, int64(3), p.jobs[0].Rows)
		assert.Equal(t, b, p.jobs[0].Bytecode)
		p.mu.Unlock()
	}
	// Output order is the program's.
	assert.True(t, strings.HasPrefix(string(res.Outputs), `{"providers":3,"mean"`), string(res.Outputs))

	// The same query again: the cached result, not a new job.
	again, err := e.an.CreateQuery(bg, q, 0)
	require.NoError(t, err)
	assert.Equal(t, res.ID, again.ID)
	e.parties[0].mu.Lock()
	assert.Len(t, e.parties[0].jobs, 1)
	e.parties[0].mu.Unlock()

	got, err := e.an.Query(bg, res.ID, 0)
	require.NoError(t, err)
	assert.Equal(t, res.Outputs, got.Outputs)
	list, err := e.an.Queries(bg, "devcon", 10)
	require.NoError(t, err)
	assert.Len(t, list, 1)
	_, err = e.an.Query(bg, "q-nope", 0)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusNotFound, ae.Status)

	// Unknown to the coordinator.
	_, err = e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: strings.Repeat("ab", 32)}, 0)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusNotFound, ae.Status)
	assert.Contains(t, ae.Message, "unknown program")
	// Not a hash; unknown dataset; unknown parameter; malformed JSON.
	_, err = e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: "xyz"}, 0)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.Status)
	_, err = e.an.CreateQuery(bg, api.CreateQuery{Dataset: "nope", ProgramHash: hash}, 0)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusNotFound, ae.Status)
	_, err = e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: hash, Params: map[string]string{"k": "1"}}, 0)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.Status)
	assert.Contains(t, ae.Message, `no parameter "k"`)
	var eb api.Error
	code, _ := e.post("/v1/queries", testAnalystKey, `{"dataset": "devcon", "program_hash": 5}`, &eb)
	assert.Equal(t, http.StatusBadRequest, code)
	assert.Contains(t, eb.Error, "malformed JSON")

	// A program the parties have not allowlisted: their 403 is surfaced.
	pb, phash := compile(t, paramProgram)
	_, err = e.op.UploadProgram(bg, pb)
	require.NoError(t, err)
	fq, err := e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: phash}, 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "failed", fq.Status)
	assert.Contains(t, fq.Error, "403 Forbidden")
	assert.Contains(t, fq.Error, "allowlist")
	assert.Empty(t, fq.Outputs)

	// A program compiled for another ring.
	p64, err := compileRing(t, 64)
	require.NoError(t, err)
	_, err = e.op.UploadProgram(bg, p64.bytes)
	require.NoError(t, err)
	_, err = e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: p64.hash}, 0)
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, http.StatusBadRequest, ae.Status)
	assert.Contains(t, ae.Message, "ring 64")
}

type compiled struct {
	bytes []byte
	hash  string
}

func compileRing(t *testing.T, ring int) (compiled, error) {
	f := filepath.Join(t.TempDir(), "p.mpcs")
	if err := os.WriteFile(f, []byte(paramProgram), 0o644); err != nil {
		return compiled{}, err
	}
	p, err := compiler.CompileFile(f, compiler.Options{Ring: ring})
	if err != nil {
		return compiled{}, err
	}
	b, err := vm.Encode(p)
	return compiled{b, hex.EncodeToString(p.Hash[:])}, err
}

func TestQueryPartyDownAndRetry(t *testing.T) {
	e := newEnv(t, nil)
	e.dataset("devcon", 1)
	b, hash := devcon(t)
	e.allow(b, hash)
	e.provide("devcon", "a")
	e.admit()

	e.parties[1].stop()
	q, err := e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: hash}, 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "failed", q.Status)
	assert.Contains(t, q.Error, "party 1")
	assert.Contains(t, q.Error, "unreachable")

	// Other work goes on: registration and reads still answer.
	e.register("devcon", "b")
	_, err = e.anon.Stats(bg, "devcon")
	require.NoError(t, err)

	e.parties[1].restart()
	q2, err := e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: hash}, 10*time.Second)
	require.NoError(t, err)
	assert.NotEqual(t, q.ID, q2.ID, "a failed query is not a cached result")
	assert.Equal(t, "done", q2.Status, q2.Error)
}

func TestQueryPartyDiesDuringQuery(t *testing.T) {
	e := newEnv(t, nil)
	e.dataset("devcon", 1)
	b, hash := devcon(t)
	e.allow(b, hash)
	started := make(chan struct{}, 3)
	for _, p := range e.parties {
		p.mu.Lock()
		p.jobDelay = 30 * time.Second
		p.jobHook = func(partyapi.Job) (int, string) { started <- struct{}{}; return 0, "" }
		p.mu.Unlock()
	}
	e.provide("devcon", "a")
	e.admit()
	q, err := e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: hash}, 0)
	require.NoError(t, err)
	for range 3 {
		<-started
	}
	e.parties[2].stop() // killed mid-query
	q, err = e.an.Query(bg, q.ID, 20*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "failed", q.Status)
	assert.Contains(t, q.Error, "party 2")

	e.parties[2].restart()
	for _, p := range e.parties {
		p.mu.Lock()
		p.jobDelay = 0
		p.mu.Unlock()
	}
	q2, err := e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: hash}, 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "done", q2.Status, q2.Error)
}

func TestQueryResultsMustAgree(t *testing.T) {
	e := newEnv(t, nil)
	e.dataset("devcon", 1)
	b, hash := devcon(t)
	e.allow(b, hash)
	e.parties[2].mu.Lock()
	e.parties[2].outputs = func(partyapi.Job) json.RawMessage { return json.RawMessage(`{"providers": 1, "mean": 99}`) }
	e.parties[2].mu.Unlock()
	e.provide("devcon", "a")
	e.admit()
	q, err := e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: hash}, 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "failed", q.Status)
	assert.Contains(t, q.Error, "disagree")
	assert.Empty(t, q.Outputs)
}

func TestManyQueriesAtOnce(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *env) { c.MaxQueries = 4 })
	e.dataset("devcon", 1)
	pb, phash := compile(t, paramProgram)
	_, err := e.op.UploadProgram(bg, pb)
	require.NoError(t, err)
	var inFlight, most int
	var mu sync.Mutex
	for _, p := range e.parties {
		p.allowProgram(phash)
		p.mu.Lock()
		p.jobDelay = 50 * time.Millisecond
		p.outputs = func(j partyapi.Job) json.RawMessage {
			return json.RawMessage(fmt.Sprintf(`{"n": %d, "t": %s}`, j.Rows, j.Params["t"]))
		}
		p.jobHook = func(partyapi.Job) (int, string) {
			mu.Lock()
			inFlight++
			most = max(most, inFlight)
			mu.Unlock()
			time.AfterFunc(40*time.Millisecond, func() { mu.Lock(); inFlight--; mu.Unlock() })
			return 0, ""
		}
		p.mu.Unlock()
	}
	e.provide("devcon", "a")
	e.admit()
	const n = 24
	var wg sync.WaitGroup
	results := make([]*api.Query, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			q, err := e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: phash, Params: map[string]string{"t": fmt.Sprint(i)}}, 0)
			if err == nil {
				q, err = e.an.WaitQuery(bg, q.ID)
			}
			results[i], errs[i] = q, err
		})
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, "done", results[i].Status, results[i].Error)
		assert.JSONEq(t, fmt.Sprintf(`{"n": 1, "t": %d}`, i), string(results[i].Outputs))
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Greater(t, most, 1, "queries run at once")
	assert.LessOrEqual(t, most, 3*4, "at most max_queries at once (three parties each)")
}

func TestRateLimits(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *env) {
		c.RateLimit = RateLimit{PerIP: 0.001, PerIPBurst: 3, PerKey: 0.001, PerKeyBurst: 2, Registrations: 0.001, RegistrationsBurst: 1}
	})
	for range 3 {
		code, _ := e.request("GET", "/v1/datasets", "", "", nil)
		assert.Equal(t, http.StatusOK, code)
	}
	var ae api.Error
	code, h := e.request("GET", "/v1/datasets", "", "", &ae)
	assert.Equal(t, http.StatusTooManyRequests, code)
	assert.NotEmpty(t, h.Get("Retry-After"))
	assert.Contains(t, ae.Error, "rate limit")
	// A bad key counts against the IP, so it cannot be used to guess keys.
	code, _ = e.request("GET", "/v1/programs", "guess-0123456789abcdef", "", nil)
	assert.Equal(t, http.StatusTooManyRequests, code)
	// A valid key has its own bucket.
	for range 2 {
		code, _ = e.request("GET", "/v1/programs", testAnalystKey, "", nil)
		assert.Equal(t, http.StatusOK, code)
	}
	code, _ = e.request("GET", "/v1/programs", testAnalystKey, "", nil)
	assert.Equal(t, http.StatusTooManyRequests, code)
	code, _ = e.request("GET", "/v1/programs", testOperatorKey, "", nil)
	assert.Equal(t, http.StatusOK, code, "another key, another bucket")
}

func TestRegistrationRateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *env) {
		c.RateLimit = RateLimit{Registrations: 0.001, RegistrationsBurst: 2}
	})
	e.dataset("devcon", 1)
	e.register("devcon", "a")
	e.register("devcon", "b")
	b, _ := json.Marshal(api.Register{Attestation: e.attestation("devcon", "c")})
	code, _ := e.post("/v1/datasets/devcon/providers", "", string(b), nil)
	assert.Equal(t, http.StatusTooManyRequests, code)
	code, _ = e.request("GET", "/v1/datasets", "", "", nil)
	assert.Equal(t, http.StatusOK, code, "other routes are not limited by the registration limit")
}

func TestLimiterRefills(t *testing.T) {
	l := newLimiter(10, 1)
	now := time.Now()
	ok, _ := l.allow("a", now)
	assert.True(t, ok)
	ok, wait := l.allow("a", now)
	assert.False(t, ok)
	assert.InDelta(t, 100*time.Millisecond, wait, float64(5*time.Millisecond))
	ok, _ = l.allow("b", now)
	assert.True(t, ok)
	ok, _ = l.allow("a", now.Add(110*time.Millisecond))
	assert.True(t, ok)
	// Idle buckets are swept.
	l.allow("c", now.Add(2*time.Minute))
	l.mu.Lock()
	assert.Len(t, l.buckets, 1)
	l.mu.Unlock()
	assert.Nil(t, newLimiter(0, 0))
	ok, _ = (*limiter)(nil).allow("x", now)
	assert.True(t, ok)
}

func TestKeyring(t *testing.T) {
	k := newKeyring([]string{"analyst-aaaaaaaaaaaa"}, []string{"operator-bbbbbbbbbbb"})
	r, id := k.role("analyst-aaaaaaaaaaaa")
	assert.Equal(t, roleAnalyst, r)
	assert.NotEmpty(t, id)
	r, _ = k.role("operator-bbbbbbbbbbb")
	assert.Equal(t, roleOperator, r)
	r, _ = k.role("operator-bbbbbbbbbbc")
	assert.Equal(t, rolePublic, r)
	r, _ = k.role("")
	assert.Equal(t, rolePublic, r)
	req, _ := http.NewRequest("GET", "/", nil)
	req.Header.Set("X-API-Key", "k1")
	assert.Equal(t, "k1", bearer(req))
	req.Header.Set("Authorization", "Basic xyz")
	assert.Equal(t, "", bearer(req))
}

func TestRestartLosesNoRegistration(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *env) { c.SQLiteSync = "full" })
	e.dataset("devcon", 2)
	b, hash := devcon(t)
	e.allow(b, hash)
	var regs []api.Registration
	for i := range 5 {
		regs = append(regs, e.provide("devcon", fmt.Sprint("p", i)))
	}
	unsubmitted := e.register("devcon", "late")
	// A batch is in flight when the coordinator stops: party 0 refuses it.
	e.parties[0].mu.Lock()
	e.parties[0].admitStatus = http.StatusServiceUnavailable
	e.parties[0].mu.Unlock()
	e.admit()

	e.restartServer()
	e.parties[0].mu.Lock()
	e.parties[0].admitStatus = 0
	e.parties[0].mu.Unlock()

	for _, r := range regs {
		st, err := e.srv.st.provider(bg, "devcon", r.Ticket.Body.ID)
		require.NoError(t, err)
		assert.Equal(t, "submitted", st.Status)
	}
	// The Sybil check survives the restart.
	body, _ := json.Marshal(api.Register{Attestation: e.attestation("devcon", "p0")})
	code, _ := e.post("/v1/datasets/devcon/providers", "", string(body), nil)
	assert.Equal(t, http.StatusConflict, code)
	// The pending batch goes through after the restart.
	e.admit()
	d, err := e.anon.Dataset(bg, "devcon")
	require.NoError(t, err)
	assert.Equal(t, int64(5), d.Rows)
	// The registered ticket can still be reported.
	var st api.ProviderStatus
	code, _ = e.post("/v1/datasets/devcon/providers/"+unsubmitted.Ticket.Body.ID+"/submitted", "", "", &st)
	assert.Equal(t, http.StatusOK, code)

	// A query under way when the coordinator stops is failed, not lost.
	for _, p := range e.parties {
		p.mu.Lock()
		p.jobDelay = time.Minute
		p.mu.Unlock()
	}
	q, err := e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: hash}, 0)
	require.NoError(t, err)
	e.restartServer()
	q, err = e.an.Query(bg, q.ID, 0)
	require.NoError(t, err)
	assert.Equal(t, "failed", q.Status)
	assert.Contains(t, q.Error, "interrupted")
}

func TestPublishedQueryAndStats(t *testing.T) {
	var hash string
	var bytecode []byte
	e := newEnv(t, func(c *Config, e *env) {
		bytecode, hash = devcon(t)
		f := filepath.Join(t.TempDir(), "devcon.mpcb")
		require.NoError(t, os.WriteFile(f, bytecode, 0o644))
		c.Published = []Published{{Dataset: "devcon", ProgramFile: f}}
		c.Datasets = []Dataset{{Name: "devcon", Columns: []partyapi.Column{{Name: "balance", Type: "sfix"}}, NotaryKeys: []string{e.notaryKey()}, MinRows: 2}}
	})
	for _, p := range e.parties {
		p.allowProgram(hash)
	}
	st, err := e.anon.Stats(bg, "devcon")
	require.NoError(t, err)
	assert.Equal(t, "waiting", st.Status)
	assert.Equal(t, hash, st.ProgramHash)
	assert.Empty(t, st.Outputs)

	e.provide("devcon", "a")
	e.admit()
	e.srv.publish(bg)
	st, _ = e.anon.Stats(bg, "devcon")
	assert.Equal(t, "waiting", st.Status, "below min_rows nothing runs")
	assert.Equal(t, int64(1), st.Providers)

	e.provide("devcon", "b")
	e.admit()
	e.srv.publish(bg)
	waitStats := func(rows int64) *api.Stats {
		deadline := time.Now().Add(10 * time.Second)
		for {
			st, err := e.anon.Stats(bg, "devcon")
			require.NoError(t, err)
			if st.Status == "ready" && st.Rows == rows {
				return st
			}
			require.True(t, time.Now().Before(deadline), "stats never became ready: %+v", st)
			time.Sleep(10 * time.Millisecond)
		}
	}
	st = waitStats(2)
	assert.Equal(t, int64(2), st.Providers)
	assert.NotNil(t, st.UpdatedAt)
	assert.JSONEq(t, `{"providers": 2, "mean": 21.921, "median": 2.6, "max": 150, "gini": 0.7867934856986452}`, string(st.Outputs))

	// Nothing new: no re-run.
	e.srv.publish(bg)
	e.parties[0].mu.Lock()
	jobs := len(e.parties[0].jobs)
	e.parties[0].mu.Unlock()
	assert.Equal(t, 1, jobs)
	// A new row: re-run.
	e.clock.advance(time.Second)
	e.provide("devcon", "c")
	e.admit()
	e.srv.publish(bg)
	st = waitStats(3)
	assert.Equal(t, int64(3), st.Providers)

	// A dataset without a published query.
	e.dataset("plain", 1)
	st, err = e.anon.Stats(bg, "plain")
	require.NoError(t, err)
	assert.Equal(t, "unpublished", st.Status)
	_, err = e.anon.Stats(bg, "nope")
	require.Error(t, err)
}

func TestPartyCertificatePinned(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *env) {
		c.Parties[1].Fingerprint = strings.Repeat("ab", 32)
	})
	h, err := e.anon.Health(bg)
	require.NoError(t, err)
	assert.Equal(t, "degraded", h.Status)
	require.Len(t, h.Parties, 3)
	assert.True(t, h.Parties[0].OK)
	assert.False(t, h.Parties[1].OK)
	assert.Contains(t, h.Parties[1].Error, "not the pinned one")
	assert.True(t, h.Parties[2].OK)
}

func TestHealthAndPage(t *testing.T) {
	e := newEnv(t, nil)
	h, err := e.anon.Health(bg)
	require.NoError(t, err)
	assert.Equal(t, "ok", h.Status)
	e.parties[2].stop()
	h, err = e.anon.Health(bg)
	require.NoError(t, err)
	assert.Equal(t, "degraded", h.Status)
	assert.Contains(t, h.Parties[2].Error, "party 2")

	for path, ct := range map[string]string{"/": "text/html", "/assets/app.js": "text/javascript", "/assets/style.css": "text/css", "/openapi.yaml": "application/yaml"} {
		resp, err := http.Get(e.http.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, resp.Header.Get("Content-Type"), ct, path)
	}
	code, _ := e.request("GET", "/assets/..%2fopenapi.yaml", "", "", nil)
	assert.Equal(t, http.StatusNotFound, code)
	code, _ = e.request("GET", "/assets/nope.js", "", "", nil)
	assert.Equal(t, http.StatusNotFound, code)
}

func TestQueryWaitParam(t *testing.T) {
	e := newEnv(t, nil)
	var ae api.Error
	code, _ := e.request("GET", "/v1/queries/q-x?wait=soon", testAnalystKey, "", &ae)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = e.request("GET", "/v1/queries?limit=0", testAnalystKey, "", &ae)
	assert.Equal(t, http.StatusBadRequest, code)
	code, _ = e.request("GET", "/v1/queries?dataset=nope", testAnalystKey, "", &ae)
	assert.Equal(t, http.StatusNotFound, code)
}

func TestDatabaseURL(t *testing.T) {
	d, p, err := parseDatabaseURL("sqlite:///var/lib/c.db")
	require.NoError(t, err)
	assert.Equal(t, dialectSQLite, d)
	assert.Equal(t, "/var/lib/c.db", p)
	_, p, _ = parseDatabaseURL("sqlite://rel/c.db")
	assert.Equal(t, "rel/c.db", p)
	d, _, err = parseDatabaseURL("postgres://u:secret@h/db")
	require.NoError(t, err)
	assert.Equal(t, dialectPostgres, d)
	_, _, err = parseDatabaseURL("mysql://u:secret@h/db")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
	_, _, err = parseDatabaseURL("sqlite://")
	require.Error(t, err)
	s := &store{d: dialectPostgres}
	assert.Equal(t, "SELECT $1, $2", s.q("SELECT ?, ?"))
}

// TestPostgres runs the store against PostgreSQL when MPCS_TEST_POSTGRES
// holds a URL of a scratch database (then every test of the package uses
// it, each from an empty schema).
func TestPostgres(t *testing.T) {
	url := os.Getenv("MPCS_TEST_POSTGRES")
	if url == "" {
		t.Skip("set MPCS_TEST_POSTGRES=postgres://... to run the store against PostgreSQL")
	}
	dropPostgres(t, url)
	e := newEnv(t, func(c *Config, _ *env) { c.Database = url })
	e.dataset("devcon", 1)
	b, hash := devcon(t)
	e.allow(b, hash)
	e.provide("devcon", "a")
	body, _ := json.Marshal(api.Register{Attestation: e.attestation("devcon", "a")})
	code, _ := e.post("/v1/datasets/devcon/providers", "", string(body), nil)
	assert.Equal(t, http.StatusConflict, code)
	e.admit()
	q, err := e.an.CreateQuery(bg, api.CreateQuery{Dataset: "devcon", ProgramHash: hash}, 10*time.Second)
	require.NoError(t, err)
	assert.Equal(t, "done", q.Status, q.Error)
	e.restartServer()
	got, err := e.an.Query(bg, q.ID, 0)
	require.NoError(t, err)
	assert.Equal(t, q.Outputs, got.Outputs)
}

func TestAgreeOutputs(t *testing.T) {
	res := []partyapi.JobResult{
		{ID: "q", Outputs: json.RawMessage(`{"b": 1.50, "a": [1,2]}`)},
		{ID: "q", Outputs: json.RawMessage(`{"a":[1,2],"b":1.50}`)},
		{ID: "q", Outputs: json.RawMessage(`{"a": [1, 2], "b": 1.50}`)},
	}
	out, err := agreeOutputs("q", res)
	require.NoError(t, err)
	assert.Equal(t, `{"b":1.50,"a":[1,2]}`, string(out))
	res[2].Outputs = json.RawMessage(`{"a": [1, 2], "b": 1.5}`)
	_, err = agreeOutputs("q", res)
	require.Error(t, err, "numbers are compared as written")
	res[2].Outputs = json.RawMessage(`null`)
	_, err = agreeOutputs("q", res)
	require.Error(t, err)
	res[2] = partyapi.JobResult{ID: "other", Outputs: res[0].Outputs}
	_, err = agreeOutputs("q", res)
	require.Error(t, err)
	assert.False(t, errors.Is(err, errNotFound))
}
