package runtime

// Admission: the coordinator sends the three parties the same signed batch
// of tickets (POST /v1/admissions); they decide together which of the
// pending rows enter the dataset, in one session whose id is derived from
// the admission id:
//
//  1. State and consistency round. Each party sends each other party a
//     header (the hash of the admission, the dataset's admitted count and
//     the digest of its admitted tickets) and, per ticket, a status code
//     and the SHA-256 of the one share component both of them hold (party
//     i holds components i and i+1, so it sends the hash of component i to
//     party i-1 and of component i+1 to party i+1). A party learns only
//     hashes of components it holds itself. Headers that differ fail the
//     admission at every party (409): another admission under the same id,
//     another admission program, or datasets that have diverged.
//  2. Verdict round. Each party sends both others its code per ticket
//     (0: fine here; else missing here, decided before, or a component that
//     differs from a neighbour's); every party takes, per ticket, the first
//     nonzero code in party order, so all three reach the same verdicts.
//  3. Commitment check. The rows all three found consistent go through the
//     admission program (programs/admission): one element per (row,
//     column), value and nonce words as stored, the ticket's public
//     commitment as trivially shared words (x_0 = c, x_1 = x_2 = 0); the
//     revealed "ok" bits decide.
//  4. Commit. One transaction appends the admitted rows, in the order of
//     the batch, to the dataset, marks rows with disagreeing shares or a
//     wrong commitment rejected, and records the result, which a retry of
//     the same admission id gets back.
//
// Rows that are missing at some party, belong to another dataset or were
// decided before are reported in Rejected but keep their state.

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/mpcs/mpcs/runtime/partyapi"
	"github.com/mpcs/mpcs/vm"
)

// Per-ticket codes of the admission protocol.
const (
	admOK              = 0
	admMissing         = 1 // not submitted to the reporting party
	admOtherDataset    = 2 // submitted to the reporting party for another dataset
	admAdmitted        = 3 // admitted by an earlier admission
	admRejected        = 4 // rejected by an earlier admission
	admDiffNext        = 5 // component x_{p+1} differs between p and p+1
	admDiffPrev        = 6 // component x_p differs between p-1 and p
	admHeaderMagic     = "MPCSADM1"
	admHeaderLen       = 8 + 32 + 32 + 8 + 32
	admCommitMismatch  = "the value does not match its commitment"
	admProgramOutputOK = "ok"
)

// admReason is the reason a row is rejected for the code reported by party p.
func admReason(p int, code byte) string {
	pair := func(a, b int) string {
		return fmt.Sprintf("the shares disagree: component x_%d differs between parties %d and %d", max(a, b)%3, min(a, b), max(a, b))
	}
	switch code {
	case admMissing:
		return fmt.Sprintf("not submitted to party %d", p)
	case admOtherDataset:
		return fmt.Sprintf("party %d holds this ticket for another dataset", p)
	case admAdmitted:
		return "already admitted by an earlier admission"
	case admRejected:
		return "already rejected by an earlier admission"
	case admDiffNext:
		if p == 2 {
			return "the shares disagree: component x_0 differs between parties 0 and 2"
		}
		return pair(p, p+1)
	case admDiffPrev:
		if p == 0 {
			return "the shares disagree: component x_0 differs between parties 0 and 2"
		}
		return pair(p-1, p)
	}
	return fmt.Sprintf("rejected by party %d (code %d)", p, code)
}

// srvCheckAdmissionProgram checks that p is an admission program for
// ring k with f fractional bits.
func srvCheckAdmissionProgram(p *vm.Program, k, f int) error {
	if p.Ring != k {
		return fmt.Errorf("compiled for ring %d, the datasets are in ring %d (mpcc compile --ring %d)", p.Ring, k, k)
	}
	want := []vm.Column{{Name: "value", Type: vm.TSint}}
	for w := range 4 {
		want = append(want, vm.Column{Name: fmt.Sprintf("nonce%d", w), Type: vm.TSbits})
	}
	for w := range 4 {
		want = append(want, vm.Column{Name: fmt.Sprintf("commit%d", w), Type: vm.TSbits})
	}
	for _, c := range p.Inputs {
		if !slices.Contains(want, c) {
			return fmt.Errorf("not an admission program: it reads %s %q; an admission program reads value (sint), nonce0..3 and commit0..3 (sbits)", c.Type, c.Name)
		}
	}
	for _, o := range p.Outputs {
		if o.Name == admProgramOutputOK && o.Type == vm.TSbool && o.Vector {
			return nil
		}
	}
	return fmt.Errorf("not an admission program: it has no output %q of type sbool[]", admProgramOutputOK)
}

func (s *Server) handleAdmission(w http.ResponseWriter, r *http.Request) {
	var sa partyapi.Signed[partyapi.Admission]
	if err := srvDecode(w, r, srvMaxAdmission, &sa); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := sa.Verify(s.pub); err != nil {
		s.fail(w, r, srvErrorf(403, "admission: %v", err))
		return
	}
	adm := &sa.Body
	if err := srvCheckAdmission(adm); err != nil {
		s.fail(w, r, err)
		return
	}
	res, err := s.runAdmission(r.Context(), adm)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.replyRaw(w, 200, res)
}

func srvCheckAdmission(adm *partyapi.Admission) *srvError {
	if err := srvCheckToken("admission id", adm.ID); err != nil {
		return srvErrorf(400, "%v", err)
	}
	if err := srvCheckToken("dataset", adm.Dataset); err != nil {
		return srvErrorf(400, "admission %s: %v", adm.ID, err)
	}
	if len(adm.Tickets) == 0 {
		return srvErrorf(400, "admission %s has no tickets", adm.ID)
	}
	if len(adm.Tickets) > MaxAdmissionTickets {
		return srvErrorf(400, "admission %s has %d tickets, at most %d per batch", adm.ID, len(adm.Tickets), MaxAdmissionTickets)
	}
	seen := make(map[string]bool, len(adm.Tickets))
	for _, t := range adm.Tickets {
		if err := srvCheckToken("ticket id", t); err != nil {
			return srvErrorf(400, "admission %s: %v", adm.ID, err)
		}
		if seen[t] {
			return srvErrorf(400, "admission %s lists ticket %s twice", adm.ID, t)
		}
		seen[t] = true
	}
	return nil
}

// runAdmission runs a verified admission and returns its AdmissionResult
// (JSON).
func (s *Server) runAdmission(ctx context.Context, adm *partyapi.Admission) ([]byte, error) {
	if prev, err := s.store.admission(ctx, adm.ID); err != nil {
		return nil, srvErrorf(500, "admission %s: %v", adm.ID, err)
	} else if prev != nil {
		return prev, nil
	}
	key := "admission/" + adm.ID
	if !s.begin(key) {
		return nil, srvErrorf(409, "admission %s is already running", adm.ID)
	}
	var failure error
	defer func() { s.end(key, failure) }()
	if msg, ok := s.failedBefore(key); ok {
		failure = srvErrorf(409, "admission %s already ran and failed (%s); send it again with a new id", adm.ID, msg)
		return nil, failure
	}
	n, serr := s.network(ctx)
	if serr != nil {
		return nil, serr
	}
	unlock, err := s.lockDataset(ctx, adm.Dataset)
	if err != nil {
		return nil, srvErrorf(503, "admission %s: waiting for the previous admission of %q: %v", adm.ID, adm.Dataset, err)
	}
	defer unlock()
	// A concurrent request with the same id may have finished meanwhile.
	if prev, err := s.store.admission(ctx, adm.ID); err != nil {
		return nil, srvErrorf(500, "admission %s: %v", adm.ID, err)
	} else if prev != nil {
		return prev, nil
	}
	res, err := s.admit(ctx, n, adm)
	if err != nil {
		failure = err
		return nil, err
	}
	return res, nil
}

// admRowHash is the hash of one share component of a row: the ticket, the
// component's index and, per column, its name, the value component and the
// four nonce words' component.
func admRowHash(st *srvStored, comp, which int) [32]byte {
	h := sha256.New()
	var b []byte
	b = append(b, "mpcs/share-check/v1\x00"...)
	b = binary.AppendUvarint(b, uint64(len(st.Ticket)))
	b = append(b, st.Ticket...)
	b = append(b, byte(comp))
	for _, c := range st.Cols {
		b = binary.AppendUvarint(b, uint64(len(c.Name)))
		b = append(b, c.Name...)
		b = binary.LittleEndian.AppendUint64(b, c.Value[which][0])
		b = binary.LittleEndian.AppendUint64(b, c.Value[which][1])
		for w := range 4 {
			b = binary.LittleEndian.AppendUint64(b, c.Nonce[w][which])
		}
	}
	h.Write(b)
	return [32]byte(h.Sum(nil))
}

// admit runs the admission protocol (see the top of this file) on session
// conn; the caller holds the dataset's admission lock.
func (s *Server) admit(ctx context.Context, n Network, adm *partyapi.Admission) ([]byte, error) {
	what := "admission " + adm.ID
	me, next, prev := s.party, Next(s.party), Prev(s.party)
	before, err := s.store.dataset(ctx, adm.Dataset)
	if err != nil {
		return nil, srvErrorf(500, "%s: %v", what, err)
	}
	stored, err := s.store.submissions(ctx, adm.Tickets)
	if err != nil {
		return nil, srvErrorf(500, "%s: %v", what, err)
	}
	nt := len(adm.Tickets)
	codes := make([]byte, nt)
	hashes := make([][2][32]byte, nt) // of components me and me+1
	for i, st := range stored {
		switch {
		case st == nil:
			codes[i] = admMissing
		case st.Dataset != adm.Dataset:
			codes[i] = admOtherDataset
		case st.Status == srvAdmitted:
			codes[i] = admAdmitted
		case st.Status == srvRejected:
			codes[i] = admRejected
		default:
			hashes[i] = [2][32]byte{admRowHash(st, me, 0), admRowHash(st, next, 1)}
		}
	}
	body, _ := json.Marshal(adm)
	header := make([]byte, 0, admHeaderLen)
	header = append(header, admHeaderMagic...)
	bh := sha256.Sum256(body)
	header = append(header, bh[:]...)
	header = append(header, s.admission.Hash[:]...)
	header = binary.LittleEndian.AppendUint64(header, uint64(before.Admitted))
	header = append(header, before.Digest[:]...)

	conn, err := n.Session(ctx, srvSessionID("admission", adm.ID))
	if err != nil {
		return nil, srvRunError(what, err)
	}
	defer conn.Close()
	s.log.Info("admission started", "admission", adm.ID, "dataset", adm.Dataset, "tickets", nt)

	// Round 1: state and per-ticket component hashes.
	for _, q := range []int{next, prev} {
		msg := slices.Clip(header)
		for i := range nt {
			msg = append(msg, codes[i])
			if q == next {
				msg = append(msg, hashes[i][1][:]...) // component me+1, q's first
			} else {
				msg = append(msg, hashes[i][0][:]...) // component me, q's second
			}
		}
		if err := conn.Send(q, msg); err != nil {
			return nil, srvRunError(what, err)
		}
	}
	var in [3][]byte
	for _, q := range []int{next, prev} {
		msg, err := conn.Recv(ctx, q)
		if err != nil {
			return nil, srvRunError(what, err)
		}
		if len(msg) != admHeaderLen+33*nt {
			return nil, srvErrorf(502, "%s: party %d sent %d bytes in the consistency round, want %d", what, q, len(msg), admHeaderLen+33*nt)
		}
		in[q] = msg
	}
	for _, q := range []int{next, prev} {
		h := in[q][:admHeaderLen]
		if string(h[:8]) != admHeaderMagic || [32]byte(h[8:40]) != bh {
			return nil, srvErrorf(409, "%s: party %d received a different admission under this id", what, q)
		}
		if [32]byte(h[40:72]) != s.admission.Hash {
			return nil, srvErrorf(409, "%s: party %d runs another admission program (%x…, this party %x…); the parties must configure the same one",
				what, q, h[40:48], s.admission.Hash[:8])
		}
		theirs := binary.LittleEndian.Uint64(h[72:80])
		if theirs != uint64(before.Admitted) || [32]byte(h[80:112]) != before.Digest {
			return nil, srvErrorf(409, "%s: the parties' copies of dataset %q differ (party %d has %d admitted rows, party %d has %d); nothing was admitted",
				what, adm.Dataset, me, before.Admitted, q, theirs)
		}
	}
	for i := range nt {
		if codes[i] != admOK {
			continue
		}
		rn := in[next][admHeaderLen+33*i:]
		if rn[0] == admOK && [32]byte(rn[1:33]) != hashes[i][1] {
			codes[i] = admDiffNext
			continue
		}
		rp := in[prev][admHeaderLen+33*i:]
		if rp[0] == admOK && [32]byte(rp[1:33]) != hashes[i][0] {
			codes[i] = admDiffPrev
		}
	}

	// Round 2: verdicts.
	for _, q := range []int{next, prev} {
		if err := conn.Send(q, slices.Clone(codes)); err != nil {
			return nil, srvRunError(what, err)
		}
	}
	var all [3][]byte
	all[me] = codes
	for _, q := range []int{next, prev} {
		msg, err := conn.Recv(ctx, q)
		if err != nil {
			return nil, srvRunError(what, err)
		}
		if len(msg) != nt {
			return nil, srvErrorf(502, "%s: party %d sent %d verdicts, want %d", what, q, len(msg), nt)
		}
		all[q] = msg
	}
	result := partyapi.AdmissionResult{ID: adm.ID, Admitted: []string{}, Rejected: map[string]string{}}
	var decisions []srvDecision
	var pass []*srvStored
	for i, t := range adm.Tickets {
		code, by := byte(admOK), -1
		for p := range 3 {
			if all[p][i] != admOK {
				code, by = all[p][i], p
				break
			}
		}
		switch {
		case code == admOK:
			pass = append(pass, stored[i])
		default:
			reason := admReason(by, code)
			result.Rejected[t] = reason
			if (code == admDiffNext || code == admDiffPrev) && stored[i] != nil && stored[i].Status == srvPending && stored[i].Dataset == adm.Dataset {
				decisions = append(decisions, srvDecision{st: stored[i], status: srvRejected, reason: reason})
			}
		}
	}

	// The commitment check of the consistent rows.
	if len(pass) > 0 {
		ok, err := s.checkCommitments(ctx, conn, pass)
		if err != nil {
			return nil, srvRunError(what, err)
		}
		for r, st := range pass {
			if ok[r] {
				result.Admitted = append(result.Admitted, st.Ticket)
				decisions = append(decisions, srvDecision{st: st, status: srvAdmitted})
			} else {
				result.Rejected[st.Ticket] = admCommitMismatch
				decisions = append(decisions, srvDecision{st: st, status: srvRejected, reason: admCommitMismatch})
			}
		}
	}
	// pass, and so the admitted rows, are in the batch's order.
	result.Rows = before.Admitted + int64(len(result.Admitted))
	out, err := json.Marshal(result)
	if err != nil {
		return nil, srvErrorf(500, "%s: %v", what, err)
	}
	if err := s.store.commitAdmission(context.WithoutCancel(ctx), adm.ID, before, decisions, out); err != nil {
		return nil, srvErrorf(500, "%s: recording the result: %v", what, err)
	}
	s.log.Info("admission finished", "admission", adm.ID, "dataset", adm.Dataset,
		"admitted", len(result.Admitted), "rejected", len(result.Rejected), "rows", result.Rows)
	return out, nil
}

// checkCommitments runs the admission program on the rows (all parties
// agree on them) and returns per row whether every column's value matches
// its commitment.
func (s *Server) checkCommitments(ctx context.Context, conn Conn, rows []*srvStored) ([]bool, error) {
	src := &admSource{party: s.party, ring: s.ring, rows: rows}
	eng, err := NewEngine(ctx, conn, s.admission.Ring, s.admission.FracBits, src)
	if err != nil {
		return nil, err
	}
	res, err := vm.NewMachine(s.admission, eng, nil).Run(ctx)
	if err != nil {
		return nil, err
	}
	out, found := res.Output(admProgramOutputOK)
	ncols := len(rows[0].Cols)
	if !found || out.Value.Len() != ncols*len(rows) {
		return nil, fmt.Errorf("the admission program gave no output %q of %d elements", admProgramOutputOK, ncols*len(rows))
	}
	ok := make([]bool, len(rows))
	for r := range rows {
		ok[r] = true
		for c := range ncols {
			e := c*len(rows) + r
			if out.Value.Lo[e] == 0 && (out.Value.Hi == nil || out.Value.Hi[e] == 0) {
				ok[r] = false
			}
		}
	}
	return ok, nil
}

// admSource feeds the admission program: one element per (column, row),
// column-major; value and nonce words from the stored shares, the
// commitment words trivially shared (x_0 = c, x_1 = x_2 = 0).
type admSource struct {
	party int
	ring  int
	rows  []*srvStored
}

func (a *admSource) Column(_ context.Context, c vm.Column, k, _ int) (vm.Share, error) {
	if k != a.ring {
		return nil, fmt.Errorf("admission: ring %d, the program runs in ring %d", a.ring, k)
	}
	ncols := len(a.rows[0].Cols)
	for _, st := range a.rows {
		if len(st.Cols) != ncols {
			return nil, fmt.Errorf("admission: rows with different columns in one batch")
		}
	}
	n := ncols * len(a.rows)
	var w int
	var kind string
	switch {
	case c.Name == "value" && c.Type == vm.TSint:
		kind = "value"
	case len(c.Name) == 6 && c.Name[:5] == "nonce" && c.Type == vm.TSbits:
		kind, w = "nonce", int(c.Name[5]-'0')
	case len(c.Name) == 7 && c.Name[:6] == "commit" && c.Type == vm.TSbits:
		kind, w = "commit", int(c.Name[6]-'0')
	}
	if kind == "" || w < 0 || w > 3 {
		return nil, fmt.Errorf("admission: unknown input %s %q", c.Type, c.Name)
	}
	if kind == "value" {
		out := vm.Share{vm.NewVec(k, n), vm.NewVec(k, n)}
		for r, st := range a.rows {
			for ci, col := range st.Cols {
				e := ci*len(a.rows) + r
				for comp := range 2 {
					out[comp].Lo[e] = col.Value[comp][0]
					if k == 128 {
						out[comp].Hi[e] = col.Value[comp][1]
					}
				}
			}
		}
		return out, nil
	}
	out := vm.Share{vm.NewWords(n), vm.NewWords(n)}
	for r, st := range a.rows {
		for ci, col := range st.Cols {
			e := ci*len(a.rows) + r
			if kind == "nonce" {
				out[0].Lo[e], out[1].Lo[e] = col.Nonce[w][0], col.Nonce[w][1]
				continue
			}
			word := binary.LittleEndian.Uint64(col.Commit[8*w:])
			switch a.party { // x_0 = word: party 0 holds it first, party 2 second
			case 0:
				out[0].Lo[e] = word
			case 2:
				out[1].Lo[e] = word
			}
		}
	}
	return out, nil
}
