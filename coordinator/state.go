package coordinator

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mpcs/mpcs/coordinator/api"
	"github.com/mpcs/mpcs/runtime/partyapi"
)

// Errors of the store, mapped to HTTP statuses by the handlers.
var (
	errNotFound    = errors.New("not found")
	errExists      = errors.New("already exists")
	errSourceReuse = errors.New("source id already registered")
)

// Provider statuses.
const (
	provRegistered = "registered"
	provSubmitted  = "submitted"
	provAdmitted   = "admitted"
	provRejected   = "rejected"
)

// Query statuses.
const (
	qQueued  = "queued"
	qRunning = "running"
	qDone    = "done"
	qFailed  = "failed"
)

// Admission batch statuses.
const (
	admPending = "pending"
	admDone    = "done"
	admFailed  = "failed"
)

// ---- datasets

func (s *store) createDataset(ctx context.Context, d api.CreateDataset, now time.Time) error {
	cols, _ := json.Marshal(d.Columns)
	keys, _ := json.Marshal(d.NotaryKeys)
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO datasets (name, columns_json, notary_keys_json, min_rows, admitted_rows, created_at) VALUES (?, ?, ?, ?, 0, ?)`),
		d.Name, string(cols), string(keys), d.MinRows, micros(now))
	if isUniqueViolation(err) {
		return errExists
	}
	return err
}

// datasetCols are what scanDataset reads, the count of pending rows last;
// datasetColsNoPending put 0 there, for the lookups that do not report it
// (a registration and its confirmation look their dataset up on every call,
// and counting the pending rows there would cost more than the rest).
const (
	datasetCols = `d.name, d.columns_json, d.notary_keys_json, d.min_rows, d.admitted_rows, d.created_at,
	(SELECT COUNT(*) FROM providers p WHERE p.dataset = d.name AND p.status = 'submitted')`
	datasetColsNoPending = `d.name, d.columns_json, d.notary_keys_json, d.min_rows, d.admitted_rows, d.created_at, 0`
)

func scanDataset(sc scanner) (api.Dataset, error) {
	var d api.Dataset
	var cols, keys string
	var created int64
	if err := sc.Scan(&d.Name, &cols, &keys, &d.MinRows, &d.Rows, &created, &d.Pending); err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(cols), &d.Columns); err != nil {
		return d, fmt.Errorf("dataset %s: columns: %w", d.Name, err)
	}
	if err := json.Unmarshal([]byte(keys), &d.NotaryKeys); err != nil {
		return d, fmt.Errorf("dataset %s: notary keys: %w", d.Name, err)
	}
	d.CreatedAt = fromMicros(created)
	return d, nil
}

// dataset reads one dataset; without withPending its Pending is 0.
func (s *store) dataset(ctx context.Context, name string, withPending bool) (api.Dataset, error) {
	cols := datasetColsNoPending
	if withPending {
		cols = datasetCols
	}
	d, err := scanDataset(s.db.QueryRowContext(ctx, s.q(`SELECT `+cols+` FROM datasets d WHERE d.name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return d, errNotFound
	}
	return d, err
}

func (s *store) datasets(ctx context.Context) ([]api.Dataset, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+datasetCols+` FROM datasets d ORDER BY d.name`)
	return collect(rows, err, scanDataset)
}

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// collect scans every row of a query's answer (rows, err) with scan and
// closes rows; no rows is an empty slice, not nil.
func collect[T any](rows *sql.Rows, err error, scan func(scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanString scans a row of one text column.
func scanString(sc scanner) (string, error) {
	var v string
	err := sc.Scan(&v)
	return v, err
}

// ---- providers

// providerRow is one registration.
type providerRow struct {
	Ticket       partyapi.Signed[partyapi.Ticket]
	Source       string
	SourceID     string
	Attestation  []byte
	SignedTicket []byte
}

// register stores a registration. A (dataset, source, source id) that is
// already registered is refused with errSourceReuse, unless its earlier
// registration can no longer contribute: its ticket expired before the
// provider reported its shares submitted, or the parties rejected its row.
// Then the new registration replaces it (the old ticket id is forgotten, so
// it can never be reported submitted).
func (s *store) register(ctx context.Context, p providerRow, now time.Time) error {
	t := p.Ticket.Body
	return s.tx(ctx, func(tx *sql.Tx) error {
		var old, status string
		var expires int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT ticket, status, expires_at FROM providers WHERE dataset = ? AND source = ? AND source_id = ?`),
			t.Dataset, p.Source, p.SourceID).Scan(&old, &status, &expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, s.q(`INSERT INTO providers (ticket, dataset, source, source_id, attestation, signed_ticket, expires_at, status, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				t.ID, t.Dataset, p.Source, p.SourceID, string(p.Attestation), string(p.SignedTicket), micros(t.Expires), provRegistered, micros(now), micros(now))
			if isUniqueViolation(err) {
				return errSourceReuse
			}
			return err
		case err != nil:
			return err
		}
		replaceable := status == provRejected || (status == provRegistered && !now.Before(fromMicros(expires)))
		if !replaceable {
			return errSourceReuse
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE providers SET ticket = ?, attestation = ?, signed_ticket = ?, expires_at = ?, status = ?, reason = '', admission = '', created_at = ?, updated_at = ? WHERE ticket = ?`),
			t.ID, string(p.Attestation), string(p.SignedTicket), micros(t.Expires), provRegistered, micros(now), micros(now), old)
		return err
	})
}

func (s *store) provider(ctx context.Context, dataset, ticket string) (api.ProviderStatus, error) {
	var p api.ProviderStatus
	var expires, updated int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT ticket, dataset, status, reason, expires_at, updated_at FROM providers WHERE dataset = ? AND ticket = ?`), dataset, ticket).
		Scan(&p.Ticket, &p.Dataset, &p.Status, &p.Reason, &expires, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return p, errNotFound
	}
	p.Expires = fromMicros(expires)
	p.UpdatedAt = fromMicros(updated)
	return p, err
}

// markSubmitted moves a registered ticket to submitted; a ticket already
// past registered is left as it is (the call is idempotent). changed
// reports whether it moved.
func (s *store) markSubmitted(ctx context.Context, dataset, ticket string, now time.Time) (p api.ProviderStatus, changed bool, err error) {
	r, err := s.db.ExecContext(ctx, s.q(`UPDATE providers SET status = ?, updated_at = ? WHERE dataset = ? AND ticket = ? AND status = ?`),
		provSubmitted, micros(now), dataset, ticket, provRegistered)
	if err != nil {
		return p, false, err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return p, false, err
	}
	p, err = s.provider(ctx, dataset, ticket)
	return p, n > 0, err
}

// ---- admissions

// admissionRow is one batch of tickets sent to the parties for admission.
type admissionRow struct {
	ID       string
	Dataset  string
	Tickets  []string
	Attempts int64
}

// attemptID is the admission id the parties get for the batch's current
// attempt: the batch's id the first time, then "<id>.<n>" after n failed
// attempts. A party refuses an admission id that failed there for good
// (its session id is spent), so every retry after a failure needs a fresh
// one; the tickets and their order stay the batch's. An attempt that was
// under way when the coordinator stopped is sent again with its id, which
// the parties answer from their record if they finished it.
func (a *admissionRow) attemptID() string {
	if a.Attempts == 0 {
		return a.ID
	}
	return fmt.Sprintf("%s.%d", a.ID, a.Attempts)
}

// pendingAdmissions are batches sent but not finished (a party was
// unreachable or failed, or the coordinator restarted): they are retried,
// each under its attempt id (attemptID).
func (s *store) pendingAdmissions(ctx context.Context) ([]admissionRow, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, dataset, tickets_json, attempts FROM admissions WHERE status = ? ORDER BY created_at, id`), admPending)
	return collect(rows, err, func(sc scanner) (admissionRow, error) {
		var a admissionRow
		var tickets string
		if err := sc.Scan(&a.ID, &a.Dataset, &tickets, &a.Attempts); err != nil {
			return a, err
		}
		return a, json.Unmarshal([]byte(tickets), &a.Tickets)
	})
}

// datasetsWithSubmissions lists datasets with submitted tickets not in a
// batch yet.
func (s *store) datasetsWithSubmissions(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT DISTINCT dataset FROM providers WHERE status = ? AND admission = '' ORDER BY dataset`), provSubmitted)
	return collect(rows, err, scanString)
}

// newAdmission puts up to limit submitted tickets of dataset, oldest first,
// into a new batch; nil when there are none.
func (s *store) newAdmission(ctx context.Context, id, dataset string, limit int, now time.Time) (*admissionRow, error) {
	var a *admissionRow
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT ticket FROM providers WHERE dataset = ? AND status = ? AND admission = '' ORDER BY updated_at, ticket LIMIT ?`),
			dataset, provSubmitted, limit)
		tickets, err := collect(rows, err, scanString)
		if err != nil {
			return err
		}
		if len(tickets) == 0 {
			return nil
		}
		tj, _ := json.Marshal(tickets)
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO admissions (id, dataset, tickets_json, status, created_at) VALUES (?, ?, ?, ?, ?)`),
			id, dataset, string(tj), admPending, micros(now)); err != nil {
			return err
		}
		for _, t := range tickets {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE providers SET admission = ? WHERE ticket = ?`), id, t); err != nil {
				return err
			}
		}
		a = &admissionRow{ID: id, Dataset: dataset, Tickets: tickets}
		return nil
	})
	return a, err
}

// admissionAttemptFailed records a failed attempt; the batch stays pending.
func (s *store) admissionAttemptFailed(ctx context.Context, id, msg string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE admissions SET attempts = attempts + 1, error = ? WHERE id = ?`), msg, id)
	return err
}

// finishAdmission records the parties' agreed outcome: admitted and
// rejected tickets, and the dataset's admitted row count.
func (s *store) finishAdmission(ctx context.Context, a *admissionRow, admitted []string, rejected map[string]string, rows int64, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		ok := map[string]bool{}
		for _, t := range admitted {
			ok[t] = true
		}
		for _, t := range a.Tickets {
			status, reason := provAdmitted, ""
			if !ok[t] {
				status, reason = provRejected, rejected[t]
				if reason == "" {
					reason = "the parties did not admit this row"
				}
			}
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE providers SET status = ?, reason = ?, updated_at = ? WHERE ticket = ? AND admission = ?`),
				status, reason, micros(now), t, a.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE datasets SET admitted_rows = ? WHERE name = ? AND admitted_rows < ?`), rows, a.Dataset, rows); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE admissions SET status = ?, error = '', attempts = attempts + 1, finished_at = ? WHERE id = ?`), admDone, micros(now), a.ID)
		return err
	})
}

// abandonAdmission gives a batch up (the parties disagreed on it): its
// tickets are rejected with msg and the row count is left alone.
func (s *store) abandonAdmission(ctx context.Context, a *admissionRow, msg string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE providers SET status = ?, reason = ?, updated_at = ? WHERE admission = ?`),
			provRejected, msg, micros(now), a.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE admissions SET status = ?, error = ?, attempts = attempts + 1, finished_at = ? WHERE id = ?`), admFailed, msg, micros(now), a.ID)
		return err
	})
}

// ---- programs

// putProgram stores a program; storing the same hash again is a no-op.
// created reports whether the program is new.
func (s *store) putProgram(ctx context.Context, hash string, bytecode []byte, now time.Time) (created bool, err error) {
	r, err := s.db.ExecContext(ctx, s.q(`INSERT INTO programs (hash, bytecode, created_at) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING`),
		hash, bytecode, micros(now))
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n > 0, err
}

func (s *store) program(ctx context.Context, hash string) ([]byte, time.Time, error) {
	var b []byte
	var created int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT bytecode, created_at FROM programs WHERE hash = ?`), hash).Scan(&b, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, errNotFound
	}
	return b, fromMicros(created), err
}

func (s *store) programHashes(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT hash FROM programs ORDER BY created_at, hash`)
	return collect(rows, err, scanString)
}

// ---- queries and results

// queryRow is a new query.
type queryRow struct {
	ID, Dataset, ProgramHash string
	ParamsJSON, CacheKey     string
	Rows                     int64
	Published                bool
}

func (s *store) insertQuery(ctx context.Context, q queryRow, now time.Time) error {
	pub := 0
	if q.Published {
		pub = 1
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO queries (id, dataset, program_hash, params_json, cache_key, nrows, status, published, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		q.ID, q.Dataset, q.ProgramHash, q.ParamsJSON, q.CacheKey, q.Rows, qQueued, pub, micros(now))
	return err
}

func (s *store) setQueryRunning(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE queries SET status = ? WHERE id = ? AND status = ?`), qRunning, id, qQueued)
	return err
}

// finishQuery stores a query's result.
func (s *store) finishQuery(ctx context.Context, id string, outputs []byte, rounds, bytes int64, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO results (query_id, outputs_json, rounds, bytes_sent, created_at) VALUES (?, ?, ?, ?, ?)`),
			id, string(outputs), rounds, bytes, micros(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE queries SET status = ?, error = '', finished_at = ? WHERE id = ?`), qDone, micros(now), id)
		return err
	})
}

func (s *store) failQuery(ctx context.Context, id, msg string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE queries SET status = ?, error = ?, finished_at = ? WHERE id = ?`), qFailed, msg, micros(now), id)
	return err
}

// failInterrupted fails the queries a stopped coordinator left unfinished.
func (s *store) failInterrupted(ctx context.Context, now time.Time) (int64, error) {
	r, err := s.db.ExecContext(ctx, s.q(`UPDATE queries SET status = ?, error = ?, finished_at = ? WHERE status IN (?, ?)`),
		qFailed, "interrupted: the coordinator restarted while the query ran; submit it again", micros(now), qQueued, qRunning)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

const queryCols = `q.id, q.dataset, q.program_hash, q.params_json, q.nrows, q.status, q.error, q.created_at, q.finished_at, r.outputs_json`

func scanQuery(sc scanner) (api.Query, error) {
	var q api.Query
	var params string
	var created int64
	var finished sql.NullInt64
	var outputs sql.NullString
	if err := sc.Scan(&q.ID, &q.Dataset, &q.ProgramHash, &params, &q.Rows, &q.Status, &q.Error, &created, &finished, &outputs); err != nil {
		return q, err
	}
	if err := json.Unmarshal([]byte(params), &q.Params); err != nil {
		return q, fmt.Errorf("query %s: params: %w", q.ID, err)
	}
	q.CreatedAt = fromMicros(created)
	q.FinishedAt = nullMicros(finished)
	if outputs.Valid {
		q.Outputs = json.RawMessage(outputs.String)
	}
	return q, nil
}

func (s *store) query(ctx context.Context, id string) (api.Query, error) {
	q, err := scanQuery(s.db.QueryRowContext(ctx, s.q(`SELECT `+queryCols+` FROM queries q LEFT JOIN results r ON r.query_id = q.id WHERE q.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return q, errNotFound
	}
	return q, err
}

// queries lists the latest queries, of one dataset when dataset != "".
func (s *store) queries(ctx context.Context, dataset string, limit int) ([]api.Query, error) {
	where, args := "", []any{}
	if dataset != "" {
		where, args = "WHERE q.dataset = ?", append(args, dataset)
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+queryCols+` FROM queries q LEFT JOIN results r ON r.query_id = q.id `+where+` ORDER BY q.created_at DESC, q.id LIMIT ?`), args...)
	return collect(rows, err, scanQuery)
}

// cachedQuery finds a query with the same cache key that is done or still
// under way (done first, then the newest).
func (s *store) cachedQuery(ctx context.Context, key string) (string, error) {
	var id string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT id FROM queries WHERE cache_key = ? AND status IN (?, ?, ?)
		ORDER BY CASE status WHEN 'done' THEN 0 ELSE 1 END, created_at DESC LIMIT 1`), key, qDone, qQueued, qRunning).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errNotFound
	}
	return id, err
}

// latestQuery is the query of dataset with program and params whose status
// is one of statuses over the most rows, the newest of those.
func (s *store) latestQuery(ctx context.Context, dataset, hash, params string, statuses ...string) (api.Query, error) {
	in := ""
	args := []any{dataset, hash, params}
	for i, st := range statuses {
		if i > 0 {
			in += ", "
		}
		in += "?"
		args = append(args, st)
	}
	q, err := scanQuery(s.db.QueryRowContext(ctx, s.q(`SELECT `+queryCols+` FROM queries q LEFT JOIN results r ON r.query_id = q.id
		WHERE q.dataset = ? AND q.program_hash = ? AND q.params_json = ? AND q.status IN (`+in+`) ORDER BY q.nrows DESC, q.created_at DESC, q.id DESC LIMIT 1`), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return q, errNotFound
	}
	return q, err
}
