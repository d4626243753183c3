package runtime

// Admission: the coordinator sends the three parties the same signed batch
// of tickets (POST /v1/admissions); they decide together which of the
// pending rows enter the dataset, in one session whose id is derived from
// the admission id:
//
//  0. State round. Each party sends both others a header: the hash of the
//     admission, of its admission program, the dataset's admitted count
//     and the digest of its admitted tickets. Another admission under the
//     same id or another program fails the admission at every party (409).
//     If the copies differ, reconcile: when two parties agree and the
//     third is behind them (it crashed between the commitment check and
//     its commit), the two send it the stored results of the admissions it
//     missed, it checks that both sent the same and that they extend its
//     copy to theirs, and applies them to its pending rows; when the third
//     is ahead of them (it alone committed), it undoes its extra
//     admissions. Otherwise the copies have diverged: 409 everywhere.
//  1. Consistency round. Each party sends each other party, per ticket, a
//     status code and the SHA-256 of the one share component both of them
//     hold (party i holds components i and i+1, so it sends the hash of
//     component i to party i-1 and of component i+1 to party i+1). A party
//     learns only hashes of components it holds itself.
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
// decided before are reported in Rejected but keep their state (except a
// row another party holds rejected for good, which is rejected here too);
// rows an earlier admission admitted are listed in AlreadyAdmitted too.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

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
	admHeaderMagic     = "MPCSADM2"
	admHeaderLen       = 8 + 32 + 32 + 8 + 32
	admMaxCatchUp      = 1000 // admissions a party catches up or undoes at once, at most
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
	b := []byte("mpcs/share-check/v1\x00")
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
	return sha256.Sum256(b)
}

// admit runs the admission protocol (see the top of this file) in the
// admission's session; the caller holds the dataset's admission lock.
func (s *Server) admit(ctx context.Context, n Network, adm *partyapi.Admission) ([]byte, error) {
	what := "admission " + adm.ID
	me, next, prev := s.party, Next(s.party), Prev(s.party)
	before, err := s.store.dataset(ctx, adm.Dataset)
	if err != nil {
		return nil, srvStoreError(ctx, what, err)
	}
	body, _ := json.Marshal(adm)
	bh := sha256.Sum256(body)

	conn, err := n.Session(ctx, srvSessionID("admission", adm.ID))
	if err != nil {
		return nil, srvRunError(what, err)
	}
	defer conn.Close()
	s.log.Info("admission started", "admission", adm.ID, "dataset", adm.Dataset, "tickets", len(adm.Tickets))

	// Round 0: the admission, the admission program and the dataset's
	// state.
	header := make([]byte, 0, admHeaderLen)
	header = append(header, admHeaderMagic...)
	header = append(header, bh[:]...)
	header = append(header, s.admission.Hash[:]...)
	header = binary.LittleEndian.AppendUint64(header, uint64(before.Admitted))
	header = append(header, before.Digest[:]...)
	for _, q := range []int{next, prev} {
		if err := conn.Send(q, slices.Clone(header)); err != nil {
			return nil, srvRunError(what, err)
		}
	}
	var states [3]admState
	states[me] = admState{before.Admitted, before.Digest}
	for _, q := range []int{next, prev} {
		h, err := conn.Recv(ctx, q)
		if err != nil {
			return nil, srvRunError(what, err)
		}
		if len(h) < 8 || string(h[:8]) != admHeaderMagic {
			return nil, srvErrorf(409, "%s: party %d runs another version of the admission protocol; the parties must run the same mpcvm", what, q)
		}
		if len(h) != admHeaderLen {
			return nil, srvErrorf(502, "%s: party %d sent a header of %d bytes, want %d", what, q, len(h), admHeaderLen)
		}
		if [32]byte(h[8:40]) != bh {
			return nil, srvErrorf(409, "%s: party %d received a different admission under this id", what, q)
		}
		if [32]byte(h[40:72]) != s.admission.Hash {
			return nil, srvErrorf(409, "%s: party %d runs another admission program (%x…, this party %x…); the parties must configure the same one",
				what, q, h[40:48], s.admission.Hash[:8])
		}
		states[q] = admState{int64(binary.LittleEndian.Uint64(h[72:80])), [32]byte(h[80:112])}
	}
	if states[0] != states[1] || states[1] != states[2] {
		if before, err = s.reconcile(ctx, conn, what, adm.Dataset, before, states); err != nil {
			return nil, err
		}
	}

	// Round 1: per ticket, a status code and the hash of the share
	// component the receiver holds too.
	stored, err := s.store.submissions(ctx, adm.Tickets)
	if err != nil {
		return nil, srvStoreError(ctx, what, err)
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
	for _, q := range []int{next, prev} {
		msg := make([]byte, 0, 33*nt)
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
		if len(msg) != 33*nt {
			return nil, srvErrorf(502, "%s: party %d sent %d bytes in the consistency round, want %d", what, q, len(msg), 33*nt)
		}
		in[q] = msg
	}
	for i := range nt {
		if codes[i] != admOK {
			continue
		}
		rn := in[next][33*i:]
		if rn[0] == admOK && [32]byte(rn[1:33]) != hashes[i][1] {
			codes[i] = admDiffNext
			continue
		}
		rp := in[prev][33*i:]
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
		if code == admOK {
			pass = append(pass, stored[i])
			continue
		}
		reason := admReason(by, code)
		result.Rejected[t] = reason
		st := stored[i]
		if st == nil || st.Dataset != adm.Dataset {
			continue
		}
		switch {
		case st.Status == srvAdmitted:
			// The copies agree (round 0), so every party has it admitted
			// at the same row by the same admission.
			if result.AlreadyAdmitted == nil {
				result.AlreadyAdmitted = map[string]partyapi.AdmittedRow{}
			}
			result.AlreadyAdmitted[t] = partyapi.AdmittedRow{Admission: st.Admission, Row: st.Row}
		case st.Status == srvPending && (code == admDiffNext || code == admDiffPrev || code == admRejected):
			// Rejected for good. (A row another party holds rejected was
			// rejected by an earlier joint decision: this party missed it,
			// not having the row then or not having committed it.)
			decisions = append(decisions, srvDecision{st: st, status: srvRejected, reason: reason})
		}
	}

	// The commitment check of the consistent rows. Once it starts, a party
	// sees it through even if the coordinator hangs up (the session's idle
	// timeout and the server's shutdown still end it): a party stopping
	// while the others finish would fall behind them.
	if len(pass) > 0 {
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		stop := context.AfterFunc(s.ctx, cancel)
		ok, err := s.checkCommitments(cctx, conn, pass)
		stop()
		cancel()
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
	if err := s.crashPoint("commit"); err != nil {
		return nil, srvErrorf(500, "%s: %v", what, err)
	}
	if err := s.store.commitAdmission(context.WithoutCancel(ctx), adm.ID, before, decisions, out); err != nil {
		return nil, srvErrorf(500, "%s: recording the result: %v", what, err)
	}
	s.log.Info("admission finished", "admission", adm.ID, "dataset", adm.Dataset,
		"admitted", len(result.Admitted), "rejected", len(result.Rejected), "already_admitted", len(result.AlreadyAdmitted), "rows", result.Rows)
	return out, nil
}

// srvStoreError classifies a failed read of the store: cancelled with
// the request (503), or this party's failure (500).
func srvStoreError(ctx context.Context, what string, err error) *srvError {
	if ctx.Err() != nil {
		return srvRunError(what, ctx.Err())
	}
	return srvErrorf(500, "%s: %v", what, err)
}

// admState is a party's copy of a dataset as its header states it: the
// number of admitted rows and the digest of their tickets.
type admState struct {
	count  int64
	digest [32]byte
}

// reconcile runs when the parties' copies of the dataset differ (st, the
// same at the three parties). If two parties agree and the third is behind
// them, it catches up: the two send it the results of the admissions it
// missed, which must be identical, and it applies them to its pending rows.
// If the third is ahead of them (it alone committed an admission the
// others did not), it undoes those admissions, which were therefore never
// reported to the coordinator by all three. Anything else — no two
// parties agree, or the odd one's copy is not a prefix of theirs or theirs
// of its — fails the admission at every party with 409. The two parties
// that agree decide: a single faulty party can neither push decisions onto
// another nor make it undo any. It returns this party's dataset state
// afterwards, the same at all three.
func (s *Server) reconcile(ctx context.Context, conn Conn, what, dataset string, before *srvDatasetState, st [3]admState) (*srvDatasetState, error) {
	odd := -1
	switch {
	case st[1] == st[2]:
		odd = 0
	case st[0] == st[2]:
		odd = 1
	case st[0] == st[1]:
		odd = 2
	}
	if odd < 0 || st[odd].count == st[Next(odd)].count {
		return nil, srvErrorf(409, "%s: the parties' copies of dataset %q differ (parties 0, 1 and 2 have %d, %d and %d admitted rows%s); nothing was admitted",
			what, dataset, st[0].count, st[1].count, st[2].count, map[bool]string{true: ", no two alike", false: ", the same number but other rows"}[odd < 0])
	}
	m := st[Next(odd)] // the copy of the two that agree
	peers := []int{Next(odd), Prev(odd)}
	behind := st[odd].count < m.count
	me := s.party

	if me != odd {
		doing := "is behind the others and could not catch up"
		if behind {
			payload, err := s.admCatchUpPayload(ctx, dataset, st[odd].count)
			if serr := conn.Send(odd, payload); serr != nil {
				return nil, srvRunError(what, serr)
			}
			if err != nil {
				return nil, srvErrorf(500, "%s: party %d is behind on dataset %q and this party could not send it the admissions it missed: %v", what, odd, dataset, err)
			}
		} else {
			doing = "is ahead of the others and could not undo its extra admissions"
		}
		msg, err := conn.Recv(ctx, odd)
		if err != nil {
			return nil, srvRunError(what, err)
		}
		if len(msg) == 1 && msg[0] == 0 {
			if behind {
				s.log.Info("a party caught up with the others", "party_behind", odd, "dataset", dataset, "rows", m.count)
			} else {
				s.log.Info("a party undid admissions the others did not record", "party_ahead", odd, "dataset", dataset, "rows", m.count)
			}
			return before, nil
		}
		text := fmt.Sprintf("party %d %s on dataset %q (no reason given)", odd, doing, dataset)
		if len(msg) > 1 && msg[0] == 1 {
			text = admPeerText(msg[1:])
		}
		return nil, srvErrorf(409, "%s: party %d reports: %s", what, odd, text)
	}

	// This party is the odd one.
	// fail tells the others why this party cannot reconcile and fails.
	fail := func(status int, format string, args ...any) (*srvDatasetState, error) {
		reason := fmt.Sprintf(format, args...)
		for _, q := range peers {
			_ = conn.Send(q, append([]byte{1}, reason...))
		}
		return nil, srvErrorf(status, "%s: %s", what, reason)
	}
	if behind {
		var got [3][]byte
		for _, q := range peers {
			msg, err := conn.Recv(ctx, q)
			if err != nil {
				return nil, srvRunError(what, err)
			}
			got[q] = msg
		}
		for _, q := range peers {
			if len(got[q]) == 0 || got[q][0] != 0 {
				reason := "(no reason given)"
				if len(got[q]) > 1 {
					reason = admPeerText(got[q][1:])
				}
				return fail(409, "party %d is behind the others on dataset %q (%d admitted rows, they have %d) and party %d could not send it the admissions it missed: %s; nothing was admitted",
					me, dataset, before.Admitted, m.count, q, reason)
			}
		}
		if !bytes.Equal(got[peers[0]], got[peers[1]]) {
			return fail(409, "party %d is behind the others on dataset %q (%d admitted rows, they have %d), and they sent different accounts of the admissions it missed; it applied none; nothing was admitted",
				me, dataset, before.Admitted, m.count)
		}
		past, err := admDecodeCatchUp(got[peers[0]][1:])
		if err != nil {
			return fail(502, "the admissions party %d missed: %v", me, err)
		}
		items, err := s.planCatchUp(ctx, dataset, before, past, m)
		if err != nil {
			return fail(409, "party %d is behind the others on dataset %q (%d admitted rows, they have %d) and cannot catch up: %v; nothing was admitted",
				me, dataset, before.Admitted, m.count, err)
		}
		if err := s.crashPoint("catch-up"); err != nil {
			return nil, srvErrorf(500, "%s: %v", what, err)
		}
		if err := s.store.catchUp(context.WithoutCancel(ctx), before, items, m.count, m.digest); err != nil {
			return fail(500, "party %d: applying the admissions it missed on dataset %q: %v", me, dataset, err)
		}
		ids := make([]string, len(items))
		for i, it := range items {
			ids[i] = it.id
		}
		s.log.Warn("caught up with the other parties: applied the admissions this party missed", "dataset", dataset,
			"admissions", ids, "rows_before", before.Admitted, "rows", m.count)
	} else {
		digest, err := s.store.chainAt(ctx, dataset, m.count)
		if err != nil {
			return fail(500, "party %d: %v", me, err)
		}
		if digest != m.digest {
			return fail(409, "party %d is ahead of the others on dataset %q (%d admitted rows, they have %d), but its first %d rows are not theirs: the copies have diverged; nothing was admitted",
				me, dataset, before.Admitted, m.count, m.count)
		}
		if err := s.crashPoint("roll-back"); err != nil {
			return nil, srvErrorf(500, "%s: %v", what, err)
		}
		ids, err := s.store.rollBack(context.WithoutCancel(ctx), before, m.count, m.digest, admMaxCatchUp)
		if err != nil {
			return fail(500, "party %d is ahead of the others on dataset %q (%d admitted rows, they have %d) and could not undo its extra admissions: %v; nothing was admitted",
				me, dataset, before.Admitted, m.count, err)
		}
		s.log.Warn("undid admissions the other parties did not record (this party alone committed them); their rows are pending again",
			"dataset", dataset, "admissions", ids, "rows_before", before.Admitted, "rows", m.count)
	}
	for _, q := range peers {
		if err := conn.Send(q, []byte{0}); err != nil {
			return nil, srvRunError(what, err)
		}
	}
	after, err := s.store.dataset(ctx, dataset)
	if err != nil {
		return nil, srvStoreError(ctx, what, err)
	}
	return after, nil
}

// admPeerText is a reason another party sent, made printable and short.
func admPeerText(b []byte) string {
	return strings.ToValidUTF8(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, string(b[:min(len(b), 2048)])), "?")
}

// crashPoint is where a test stops an admission as if the party crashed
// there (setTestCrash); nil otherwise.
func (s *Server) crashPoint(point string) error {
	s.mu.Lock()
	f := s.testCrash
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(point)
}

// setTestCrash makes f decide, at each crash point of an admission
// ("roll-back", "catch-up" before the party changes its copy; "commit"
// after the commitment check, before the commit), whether the party stops
// there as if it crashed (f returns an error). For tests only.
func (s *Server) setTestCrash(f func(point string) error) {
	s.mu.Lock()
	s.testCrash = f
	s.mu.Unlock()
}

// admCatchUpPayload is this party's message to a party behind at row
// from: 0, then the number of admissions and per admission its id and its
// stored result, each length-prefixed (uvarint); or 1 and why not.
func (s *Server) admCatchUpPayload(ctx context.Context, dataset string, from int64) ([]byte, error) {
	past, err := s.store.admissionsSince(ctx, dataset, from, admMaxCatchUp)
	if err != nil {
		return append([]byte{1}, fmt.Sprintf("party %d: %v", s.party, err)...), err
	}
	b := []byte{0}
	b = binary.AppendUvarint(b, uint64(len(past)))
	for _, p := range past {
		b = binary.AppendUvarint(b, uint64(len(p.ID)))
		b = append(b, p.ID...)
		b = binary.AppendUvarint(b, uint64(len(p.Result)))
		b = append(b, p.Result...)
	}
	return b, nil
}

// admDecodeCatchUp decodes admCatchUpPayload's list.
func admDecodeCatchUp(b []byte) ([]srvPastAdmission, error) {
	bad := errors.New("malformed list of admissions")
	n, k := binary.Uvarint(b)
	if k <= 0 || n == 0 || n > admMaxCatchUp {
		return nil, bad
	}
	b = b[k:]
	field := func() ([]byte, bool) {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, false
		}
		f := b[k : k+int(l)]
		b = b[k+int(l):]
		return f, true
	}
	out := make([]srvPastAdmission, n)
	for i := range out {
		id, ok1 := field()
		res, ok2 := field()
		if !ok1 || !ok2 {
			return nil, bad
		}
		out[i] = srvPastAdmission{ID: string(id), Result: res}
	}
	if len(b) != 0 {
		return nil, bad
	}
	return out, nil
}

// admFinalReasons are the reasons of rows rejected for good.
var admFinalReasons = func() map[string]bool {
	m := map[string]bool{admCommitMismatch: true, admReason(0, admRejected): true}
	for p := range 3 {
		m[admReason(p, admDiffNext)] = true
		m[admReason(p, admDiffPrev)] = true
	}
	return m
}()

// planCatchUp checks the admissions a party behind missed (as its peers
// sent them) against its own rows and returns them as it applies them:
// each result must continue this party's copy (its row count before it),
// every admitted ticket must be a pending row of the dataset here, and
// together they must lead to the peers' copy (want). Rows the results
// reject for good that are pending here are rejected too; other rejections
// change nothing.
func (s *Server) planCatchUp(ctx context.Context, dataset string, before *srvDatasetState, past []srvPastAdmission, want admState) ([]srvCatchUp, error) {
	results := make([]partyapi.AdmissionResult, len(past))
	var tickets []string
	seen := map[string]bool{}
	for i, p := range past {
		d := json.NewDecoder(bytes.NewReader(p.Result))
		d.DisallowUnknownFields()
		if err := d.Decode(&results[i]); err != nil || results[i].ID != p.ID {
			return nil, fmt.Errorf("the result of admission %q is malformed", p.ID)
		}
		if prev, err := s.store.admission(ctx, p.ID); err != nil {
			return nil, err
		} else if prev != nil {
			return nil, fmt.Errorf("this party has a result of admission %q already", p.ID)
		}
		for _, t := range results[i].Admitted {
			if !seen[t] {
				seen[t] = true
				tickets = append(tickets, t)
			}
		}
		for t := range results[i].Rejected {
			if !seen[t] {
				seen[t] = true
				tickets = append(tickets, t)
			}
		}
	}
	rows, err := s.store.submissions(ctx, tickets)
	if err != nil {
		return nil, err
	}
	byTicket := make(map[string]*srvStored, len(rows))
	for i, st := range rows {
		byTicket[tickets[i]] = st
	}
	count, digest := before.Admitted, before.Digest
	decided := map[string]bool{}
	items := make([]srvCatchUp, len(past))
	for i, res := range results {
		id := past[i].ID
		if res.Rows != count+int64(len(res.Admitted)) {
			return nil, fmt.Errorf("admission %q left %d admitted rows after admitting %d, which does not follow this party's %d: the copies have diverged", id, res.Rows, len(res.Admitted), count)
		}
		var decs []srvDecision
		for _, t := range res.Admitted {
			st := byTicket[t]
			switch {
			case st == nil:
				return nil, fmt.Errorf("it holds no submission of ticket %q, which the others admitted in admission %q (it never received it, or lost it: was its data folder restored from an older copy?)", t, id)
			case st.Dataset != dataset:
				return nil, fmt.Errorf("it holds ticket %q, which the others admitted in admission %q, for dataset %q", t, id, st.Dataset)
			case st.Status != srvPending || decided[t]:
				return nil, fmt.Errorf("ticket %q, which the others admitted in admission %q, is already decided here: the copies have diverged", t, id)
			}
			decided[t] = true
			decs = append(decs, srvDecision{st: st, status: srvAdmitted})
			count++
			digest = srvChain(digest, t)
		}
		for _, t := range slices.Sorted(maps.Keys(res.Rejected)) {
			reason := res.Rejected[t]
			st := byTicket[t]
			if !admFinalReasons[reason] || st == nil || st.Dataset != dataset || st.Status != srvPending || decided[t] {
				continue
			}
			decided[t] = true
			decs = append(decs, srvDecision{st: st, status: srvRejected, reason: reason})
		}
		items[i] = srvCatchUp{id: id, result: past[i].Result, decisions: decs}
	}
	if count != want.count || digest != want.digest {
		return nil, fmt.Errorf("the admissions the others sent lead to %d admitted rows and another digest than theirs (%d rows): this party's copy is not a prefix of theirs", count, want.count)
	}
	return items, nil
}

// checkCommitments runs the admission program on the rows (all parties
// agree on them) and returns per row whether every column's value matches
// its commitment.
func (s *Server) checkCommitments(ctx context.Context, conn Conn, rows []*srvStored) ([]bool, error) {
	src := &admSource{party: s.party, ring: s.ring, rows: rows}
	eng, err := NewEngine(ctx, conn, s.admission.Ring, s.admission.FracBits, src, WithSecurity(s.cfg.Serve.SecurityModel()))
	if err != nil {
		return nil, err
	}
	res, err := eng.Run(ctx, s.admission, nil)
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
