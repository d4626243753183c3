package runtime

// The party server's durable state: one SQLite database in WAL mode with
// synchronous=FULL (every commit is fsynced before it returns), written by
// one goroutine that groups concurrent writes into one transaction (group
// commit: one fsync acknowledges many submissions). Every row carries an
// HMAC-SHA256 under a per-party storage key (data_dir/partyN/storage.key,
// 32 random bytes, 0600), over all of the row's fields, so a row changed on
// disk is detected when it is read. docs/party.md describes the tables.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite: a plain go build works
)

// Names inside a party's data folder.
const (
	srvDBName  = "party.db"
	srvKeyName = "storage.key"
)

// Submission states.
const (
	srvPending  = 0
	srvAdmitted = 1
	srvRejected = 2
)

// srvFormat is the version of the stored encodings (row bodies, MACs).
const srvFormat = 1

// ErrIntegrity is returned when a stored row fails its integrity check.
var ErrIntegrity = errors.New("failed its integrity check (changed on disk?)")

var srvSchema = []string{
	`CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL, mac BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS datasets (
		name TEXT PRIMARY KEY,
		columns TEXT NOT NULL,
		admitted INTEGER NOT NULL,
		digest BLOB NOT NULL,
		mac BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS submissions (
		ticket TEXT PRIMARY KEY,
		dataset TEXT NOT NULL,
		received INTEGER NOT NULL,
		status INTEGER NOT NULL,
		row INTEGER,
		reason TEXT NOT NULL,
		admission TEXT NOT NULL,
		body BLOB NOT NULL,
		mac BLOB NOT NULL)`,
	`CREATE UNIQUE INDEX IF NOT EXISTS submissions_row ON submissions(dataset, row) WHERE row IS NOT NULL`,
	`CREATE INDEX IF NOT EXISTS submissions_status ON submissions(dataset, status)`,
	`CREATE TABLE IF NOT EXISTS admissions (id TEXT PRIMARY KEY, dataset TEXT NOT NULL, result BLOB NOT NULL, mac BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, result BLOB NOT NULL, mac BLOB NOT NULL)`,
}

// srvRow is one provider's submission as this party holds it: per column
// (sorted by name) the commitment and this party's two components of the
// value and of the four nonce words.
type srvRow struct {
	Ticket  string
	Dataset string
	Cols    []srvCol
}

type srvCol struct {
	Name   string
	Commit [32]byte
	Value  [2][2]uint64 // component (x_i, x_{i+1}) → low word, high word (0 in ring 64)
	Nonce  [4][2]uint64 // word → component
}

// srvStored is a stored submission with its state.
type srvStored struct {
	srvRow
	Received  time.Time
	Status    int
	Row       int64 // position among the dataset's admitted rows; -1 if none
	Reason    string
	Admission string
	body      []byte
}

// srvStore is a party's database.
type srvStore struct {
	db   *sql.DB
	key  []byte
	ring int
	log  *slog.Logger

	macs sync.Pool // of HMAC-SHA256 states under key (see mac)

	q      chan *srvWrite
	stop   chan struct{}
	wg     sync.WaitGroup
	closed sync.Once
}

type srvWrite struct {
	fn   func(tx *sql.Tx) error
	done chan error
}

// srvOpenStore opens (creating if needed) party's state in dir.
func srvOpenStore(dir string, party, ring, frac int, log *slog.Logger) (*srvStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	dbPath := filepath.Join(dir, srvDBName)
	key, err := srvLoadKey(filepath.Join(dir, srvKeyName), dbPath)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+dbPath+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dbPath, err)
	}
	for _, stmt := range srvSchema {
		if _, err := db.Exec(stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("%s: %w", dbPath, err)
		}
	}
	_ = os.Chmod(dbPath, 0o600)
	s := &srvStore{db: db, key: key, ring: ring, log: log, q: make(chan *srvWrite, 1024), stop: make(chan struct{})}
	if err := s.checkMeta(party, ring, frac); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", dbPath, err)
	}
	s.wg.Add(1)
	go s.writer()
	return s, nil
}

// srvLoadKey reads the storage key, creating it if neither it nor the
// database exist (a database without its key cannot be verified).
func srvLoadKey(path, dbPath string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != 32 {
			return nil, fmt.Errorf("%s: a storage key is 32 bytes, this file has %d", path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if _, err := os.Stat(dbPath); err == nil {
		return nil, fmt.Errorf("%s is missing but %s exists: without its storage key the stored rows cannot be verified", path, dbPath)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return key, nil
}

// Close stops the writer and closes the database.
func (s *srvStore) Close() error {
	var err error
	s.closed.Do(func() {
		close(s.stop)
		s.wg.Wait()
		err = s.db.Close()
	})
	return err
}

// mac is the HMAC of a record: its kind and its fields, each length-prefixed.
// Every stored row read is verified with it, so the keyed HMAC states are
// reused (a Reset is cheaper than keying a new one).
func (s *srvStore) mac(kind string, fields ...[]byte) []byte {
	h, ok := s.macs.Get().(hash.Hash)
	if !ok {
		h = hmac.New(sha256.New, s.key)
	}
	defer s.macs.Put(h)
	h.Reset()
	var lp [binary.MaxVarintLen64]byte
	field := func(f []byte) {
		h.Write(lp[:binary.PutUvarint(lp[:], uint64(len(f)))])
		h.Write(f)
	}
	field([]byte("mpcs/" + kind + "/v" + strconv.Itoa(srvFormat)))
	for _, f := range fields {
		field(f)
	}
	return h.Sum(nil)
}

func srvI64(x int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(x)) }

func (s *srvStore) checkMeta(party, ring, frac int) error {
	want := fmt.Sprintf(`{"party":%d,"ring":%d,"frac_bits":%d,"format":%d}`, party, ring, frac, srvFormat)
	var v string
	var mac []byte
	err := s.db.QueryRow(`SELECT v, mac FROM meta WHERE k = 'party'`).Scan(&v, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = s.db.Exec(`INSERT INTO meta (k, v, mac) VALUES ('party', ?, ?)`, want, s.mac("meta", []byte("party"), []byte(want)))
		return err
	}
	if err != nil {
		return err
	}
	if !hmac.Equal(mac, s.mac("meta", []byte("party"), []byte(v))) {
		return fmt.Errorf("the database's settings %w", ErrIntegrity)
	}
	if v != want {
		return fmt.Errorf("the database was made with %s, the config says %s; use another data_dir", v, want)
	}
	return nil
}

// writer runs queued writes, as many as are waiting in one transaction,
// each in a savepoint of its own (a failed write is rolled back alone).
func (s *srvStore) writer() {
	defer s.wg.Done()
	for {
		var batch []*srvWrite
		select {
		case w := <-s.q:
			batch = append(batch, w)
		case <-s.stop:
			for {
				select {
				case w := <-s.q:
					w.done <- errors.New("the store is closed")
				default:
					return
				}
			}
		}
	more:
		for len(batch) < 512 {
			select {
			case w := <-s.q:
				batch = append(batch, w)
			default:
				break more
			}
		}
		errs := make([]error, len(batch))
		err := s.runBatch(batch, errs)
		for i, w := range batch {
			if err != nil {
				w.done <- err
			} else {
				w.done <- errs[i]
			}
		}
	}
}

func (s *srvStore) runBatch(batch []*srvWrite, errs []error) error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for i, w := range batch {
		if _, err := tx.Exec(`SAVEPOINT w`); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: %w", err)
		}
		if errs[i] = w.fn(tx); errs[i] != nil {
			if _, err := tx.Exec(`ROLLBACK TO w`); err != nil {
				tx.Rollback()
				return fmt.Errorf("store: %w", err)
			}
		}
		if _, err := tx.Exec(`RELEASE w`); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// write runs fn in a transaction and returns once it is durable.
func (s *srvStore) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	w := &srvWrite{fn: fn, done: make(chan error, 1)}
	select {
	case s.q <- w:
	case <-s.stop:
		return errors.New("the store is closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the write happens; wait for it even if ctx ends, so
	// the caller knows whether it is durable.
	return <-w.done
}

// ---- rows ----

// encodeBody is the stored encoding of a row's shares (format in
// docs/party.md): version, columns, per column name, commitment, value
// components and nonce words.
func (s *srvStore) encodeBody(r *srvRow) []byte {
	b := []byte{srvFormat}
	b = binary.AppendUvarint(b, uint64(len(r.Cols)))
	for _, c := range r.Cols {
		b = binary.AppendUvarint(b, uint64(len(c.Name)))
		b = append(b, c.Name...)
		b = append(b, c.Commit[:]...)
		for _, comp := range c.Value {
			b = binary.LittleEndian.AppendUint64(b, comp[0])
			if s.ring == 128 {
				b = binary.LittleEndian.AppendUint64(b, comp[1])
			}
		}
		for _, w := range c.Nonce {
			b = binary.LittleEndian.AppendUint64(b, w[0])
			b = binary.LittleEndian.AppendUint64(b, w[1])
		}
	}
	return b
}

func (s *srvStore) decodeBody(b []byte, r *srvRow) error {
	bad := errors.New("malformed row body")
	if len(b) < 1 || b[0] != srvFormat {
		return bad
	}
	b = b[1:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > 4096 {
		return bad
	}
	b = b[k:]
	vw := s.ring / 64
	word := func() uint64 {
		x := binary.LittleEndian.Uint64(b)
		b = b[8:]
		return x
	}
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > 256 || uint64(len(b)-k) < l+32+uint64(8*(2*vw+8)) {
			return bad
		}
		var c srvCol
		c.Name = string(b[k : k+int(l)])
		b = b[k+int(l):]
		copy(c.Commit[:], b[:32])
		b = b[32:]
		for i := range 2 {
			c.Value[i][0] = word()
			if vw == 2 {
				c.Value[i][1] = word()
			}
		}
		for w := range 4 {
			c.Nonce[w][0] = word()
			c.Nonce[w][1] = word()
		}
		r.Cols = append(r.Cols, c)
	}
	if len(b) != 0 {
		return bad
	}
	return nil
}

func (s *srvStore) rowMAC(st *srvStored) []byte {
	return s.mac("submission", []byte(st.Ticket), []byte(st.Dataset), srvI64(st.Received.UnixNano()),
		srvI64(int64(st.Status)), srvI64(st.Row), []byte(st.Reason), []byte(st.Admission), st.body)
}

const srvRowCols = `ticket, dataset, received, status, row, reason, admission, body, mac`

type srvScanner interface{ Scan(dest ...any) error }

// scanRow reads a submission and verifies its MAC and encoding.
func (s *srvStore) scanRow(sc srvScanner) (*srvStored, error) {
	st := &srvStored{}
	var received int64
	var row sql.NullInt64
	var mac []byte
	if err := sc.Scan(&st.Ticket, &st.Dataset, &received, &st.Status, &row, &st.Reason, &st.Admission, &st.body, &mac); err != nil {
		return nil, err
	}
	st.Received = time.Unix(0, received).UTC()
	st.Row = -1
	if row.Valid {
		st.Row = row.Int64
	}
	if !hmac.Equal(mac, s.rowMAC(st)) {
		return nil, fmt.Errorf("stored submission %q of dataset %q %w", st.Ticket, st.Dataset, ErrIntegrity)
	}
	if err := s.decodeBody(st.body, &st.srvRow); err != nil {
		return nil, fmt.Errorf("stored submission %q: %w", st.Ticket, err)
	}
	return st, nil
}

func srvNullRow(r int64) any {
	if r < 0 {
		return nil
	}
	return r
}

// ---- datasets ----

type srvDatasetState struct {
	Name     string
	Columns  []string
	Admitted int64
	Digest   [32]byte
	exists   bool
}

func (s *srvStore) datasetMAC(d *srvDatasetState) []byte {
	cols, _ := json.Marshal(d.Columns)
	return s.mac("dataset", []byte(d.Name), cols, srvI64(d.Admitted), d.Digest[:])
}

func (s *srvStore) loadDataset(q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, ctx context.Context, name string) (*srvDatasetState, error) {
	d := &srvDatasetState{Name: name}
	var cols string
	var digest, mac []byte
	err := q.QueryRowContext(ctx, `SELECT columns, admitted, digest, mac FROM datasets WHERE name = ?`, name).Scan(&cols, &d.Admitted, &digest, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	d.exists = true
	if err := json.Unmarshal([]byte(cols), &d.Columns); err != nil || len(digest) != 32 {
		return nil, fmt.Errorf("stored dataset %q %w", name, ErrIntegrity)
	}
	copy(d.Digest[:], digest)
	if !hmac.Equal(mac, s.datasetMAC(d)) {
		return nil, fmt.Errorf("stored dataset %q %w", name, ErrIntegrity)
	}
	return d, nil
}

func (s *srvStore) saveDataset(ctx context.Context, tx *sql.Tx, d *srvDatasetState) error {
	cols, _ := json.Marshal(d.Columns)
	_, err := tx.ExecContext(ctx, `INSERT INTO datasets (name, columns, admitted, digest, mac) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(name) DO UPDATE SET columns = excluded.columns, admitted = excluded.admitted, digest = excluded.digest, mac = excluded.mac`,
		d.Name, string(cols), d.Admitted, d.Digest[:], s.datasetMAC(d))
	return err
}

// dataset returns a dataset's state (exists is false for a dataset this
// party has no submission of).
func (s *srvStore) dataset(ctx context.Context, name string) (*srvDatasetState, error) {
	return s.loadDataset(s.db, ctx, name)
}

// srvChain extends a dataset's digest of admitted tickets by one ticket.
func srvChain(d [32]byte, ticket string) [32]byte {
	b := binary.AppendUvarint(d[:], uint64(len(ticket)))
	return sha256.Sum256(append(b, ticket...))
}

// ---- submissions ----

// errTicketUsed: the ticket was used for another submission.
var errTicketUsed = errors.New("ticket already used")

// srvColumnsError: the row's columns are not the dataset's.
type srvColumnsError struct{ msg string }

func (e *srvColumnsError) Error() string { return e.msg }

// putSubmission stores a new pending row durably. If the ticket was used
// before with exactly the same row it returns the earlier receipt time
// (a provider retrying after a lost acknowledgement); with another row,
// errTicketUsed.
func (s *srvStore) putSubmission(ctx context.Context, r *srvRow, now time.Time) (time.Time, error) {
	body := s.encodeBody(r)
	var received time.Time
	err := s.write(ctx, func(tx *sql.Tx) error {
		old, err := s.scanRow(tx.QueryRowContext(ctx, `SELECT `+srvRowCols+` FROM submissions WHERE ticket = ?`, r.Ticket))
		if err == nil {
			if old.Dataset == r.Dataset && bytes.Equal(old.body, body) {
				received = old.Received
				return nil
			}
			return errTicketUsed
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		d, err := s.loadDataset(tx, ctx, r.Dataset)
		if err != nil {
			return err
		}
		names := make([]string, len(r.Cols))
		for i, c := range r.Cols {
			names[i] = c.Name
		}
		if !d.exists {
			d.Columns = names
			if err := s.saveDataset(ctx, tx, d); err != nil {
				return err
			}
		} else if !slices.Equal(d.Columns, names) {
			return &srvColumnsError{fmt.Sprintf("the ticket's columns (%s) are not those of dataset %q (%s)",
				strings.Join(names, ", "), r.Dataset, strings.Join(d.Columns, ", "))}
		}
		st := &srvStored{srvRow: *r, Received: now.UTC(), Status: srvPending, Row: -1, body: body}
		_, err = tx.ExecContext(ctx, `INSERT INTO submissions (`+srvRowCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			st.Ticket, st.Dataset, st.Received.UnixNano(), st.Status, nil, st.Reason, st.Admission, body, s.rowMAC(st))
		received = st.Received
		return err
	})
	return received, err
}

// submissions returns the stored rows of the given tickets (nil where a
// ticket is unknown), verified.
func (s *srvStore) submissions(ctx context.Context, tickets []string) ([]*srvStored, error) {
	out := make([]*srvStored, len(tickets))
	idx := make(map[string]int, len(tickets))
	for i, t := range tickets {
		idx[t] = i
	}
	const chunk = 500
	for lo := 0; lo < len(tickets); lo += chunk {
		part := tickets[lo:min(lo+chunk, len(tickets))]
		args := make([]any, len(part))
		for i, t := range part {
			args[i] = t
		}
		rows, err := s.db.QueryContext(ctx, `SELECT `+srvRowCols+` FROM submissions WHERE ticket IN (?`+strings.Repeat(", ?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			st, err := s.scanRow(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[idx[st.Ticket]] = st
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// admittedRows returns the dataset's first n admitted rows in order,
// verified; it fails if a row is missing.
func (s *srvStore) admittedRows(ctx context.Context, dataset string, n int64) ([]*srvStored, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+srvRowCols+` FROM submissions WHERE dataset = ? AND row IS NOT NULL AND row < ? ORDER BY row`, dataset, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]*srvStored, 0, n)
	for rows.Next() {
		st, err := s.scanRow(rows)
		if err != nil {
			return nil, err
		}
		if st.Status != srvAdmitted || st.Row != int64(len(out)) {
			return nil, fmt.Errorf("dataset %q: admitted row %d is missing or out of place %w", dataset, len(out), ErrIntegrity)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if int64(len(out)) != n {
		return nil, fmt.Errorf("dataset %q: %d of its first %d admitted rows are stored %w", dataset, len(out), n, ErrIntegrity)
	}
	return out, nil
}

// counts returns a dataset's pending and admitted rows.
func (s *srvStore) counts(ctx context.Context, dataset string) (pending, admitted int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT COALESCE(SUM(status = 0), 0), COALESCE(SUM(status = 1), 0) FROM submissions WHERE dataset = ?`, dataset).Scan(&pending, &admitted)
	return
}

// ---- admissions ----

// srvDecision is the outcome of an admission for one stored row.
type srvDecision struct {
	st     *srvStored
	status int // srvAdmitted or srvRejected
	reason string
}

// commitAdmission records an admission in one transaction: the rows'
// new states (admitted rows appended to the dataset in the given order),
// the dataset's count and digest, and the result. The dataset must still
// be in state before.
func (s *srvStore) commitAdmission(ctx context.Context, id string, before *srvDatasetState, decisions []srvDecision, result []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		d, err := s.loadDataset(tx, ctx, before.Name)
		if err != nil {
			return err
		}
		if d.Admitted != before.Admitted || d.Digest != before.Digest {
			return fmt.Errorf("dataset %q changed during admission %q", before.Name, id)
		}
		if err := s.applyDecisions(ctx, tx, d, id, decisions, result); err != nil {
			return err
		}
		if d.exists || d.Admitted > 0 {
			return s.saveDataset(ctx, tx, d)
		}
		return nil
	})
}

// applyDecisions applies admission id's decisions to pending rows inside
// tx, appending the admitted ones to d in order, and stores its result.
func (s *srvStore) applyDecisions(ctx context.Context, tx *sql.Tx, d *srvDatasetState, id string, decisions []srvDecision, result []byte) error {
	for _, dec := range decisions {
		st := *dec.st
		st.Status, st.Reason, st.Admission = dec.status, dec.reason, id
		if dec.status == srvAdmitted {
			st.Row = d.Admitted
			d.Admitted++
			d.Digest = srvChain(d.Digest, st.Ticket)
		}
		res, err := tx.ExecContext(ctx, `UPDATE submissions SET status = ?, row = ?, reason = ?, admission = ?, mac = ? WHERE ticket = ? AND status = ?`,
			st.Status, srvNullRow(st.Row), st.Reason, st.Admission, s.rowMAC(&st), st.Ticket, srvPending)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("submission %q is no longer pending", st.Ticket)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO admissions (id, dataset, result, mac) VALUES (?, ?, ?, ?)`,
		id, d.Name, result, s.mac("admission", []byte(id), []byte(d.Name), result))
	return err
}

// srvPastAdmission is a stored admission: its id and result (JSON).
type srvPastAdmission struct {
	ID     string
	Result []byte
}

// srvCatchUp is an admission a party missed, as it applies it: the
// decisions for its own rows and the result its peers stored.
type srvCatchUp struct {
	id        string
	result    []byte
	decisions []srvDecision
}

// admissionsSince returns, in order, the stored admissions of dataset that
// admitted the rows at positions from and later (a party behind at from
// missed them; an admission that admitted no row is not among them). It
// fails if more than limit admissions qualify.
func (s *srvStore) admissionsSince(ctx context.Context, dataset string, from int64, limit int) ([]srvPastAdmission, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+srvRowCols+` FROM submissions WHERE dataset = ? AND row IS NOT NULL AND row >= ? ORDER BY row`, dataset, from)
	if err != nil {
		return nil, err
	}
	var ids []string
	next := from
	for rows.Next() {
		st, err := s.scanRow(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if st.Status != srvAdmitted || st.Row != next {
			rows.Close()
			return nil, fmt.Errorf("dataset %q: admitted row %d is missing or out of place %w", dataset, next, ErrIntegrity)
		}
		next++
		if len(ids) == 0 || ids[len(ids)-1] != st.Admission {
			if slices.Contains(ids, st.Admission) {
				rows.Close()
				return nil, fmt.Errorf("dataset %q: the rows of admission %q are not contiguous %w", dataset, st.Admission, ErrIntegrity)
			}
			if len(ids) == limit {
				rows.Close()
				return nil, fmt.Errorf("more than %d admissions of dataset %q since row %d", limit, dataset, from)
			}
			ids = append(ids, st.Admission)
		}
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	out := make([]srvPastAdmission, 0, len(ids))
	for _, id := range ids {
		ds, res, err := s.admissionRecord(ctx, id)
		if err != nil {
			return nil, err
		}
		if res == nil || ds != dataset {
			return nil, fmt.Errorf("dataset %q: the result of admission %q is not stored %w", dataset, id, ErrIntegrity)
		}
		out = append(out, srvPastAdmission{ID: id, Result: res})
	}
	return out, nil
}

// catchUp applies, in one transaction, admissions this party missed: the
// dataset must still be in state before and ends with count and digest
// want.
func (s *srvStore) catchUp(ctx context.Context, before *srvDatasetState, items []srvCatchUp, wantCount int64, wantDigest [32]byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		d, err := s.loadDataset(tx, ctx, before.Name)
		if err != nil {
			return err
		}
		if d.Admitted != before.Admitted || d.Digest != before.Digest {
			return fmt.Errorf("dataset %q changed during the catch-up", before.Name)
		}
		for _, it := range items {
			if err := s.applyDecisions(ctx, tx, d, it.id, it.decisions, it.result); err != nil {
				return err
			}
		}
		if d.Admitted != wantCount || d.Digest != wantDigest {
			return fmt.Errorf("dataset %q: the missed admissions lead to %d admitted rows and another digest than the other parties'", before.Name, d.Admitted)
		}
		return s.saveDataset(ctx, tx, d)
	})
}

// chainAt returns the digest of dataset's first n admitted rows (verified).
func (s *srvStore) chainAt(ctx context.Context, dataset string, n int64) ([32]byte, error) {
	rows, err := s.admittedRows(ctx, dataset, n)
	if err != nil {
		return [32]byte{}, err
	}
	var d [32]byte
	for _, st := range rows {
		d = srvChain(d, st.Ticket)
	}
	return d, nil
}

// rollBack undoes, in one transaction, the admissions of a dataset that
// admitted its rows at positions n and later: their rows (admitted or
// rejected) become pending again, their results are forgotten and the
// dataset's count and digest become n and digest. The dataset must still
// be in state before; it fails if one of those admissions also admitted a
// row before n, or if there are more than limit of them. It returns their
// ids.
func (s *srvStore) rollBack(ctx context.Context, before *srvDatasetState, n int64, digest [32]byte, limit int) ([]string, error) {
	var ids []string
	err := s.write(ctx, func(tx *sql.Tx) error {
		ids = nil
		d, err := s.loadDataset(tx, ctx, before.Name)
		if err != nil {
			return err
		}
		if d.Admitted != before.Admitted || d.Digest != before.Digest {
			return fmt.Errorf("dataset %q changed during the roll-back", before.Name)
		}
		q, err := tx.QueryContext(ctx, `SELECT admission, MIN(row) FROM submissions WHERE dataset = ? AND row IS NOT NULL AND row >= ? GROUP BY admission ORDER BY MIN(row)`, d.Name, n)
		if err != nil {
			return err
		}
		for q.Next() {
			var id string
			var first int64
			if err := q.Scan(&id, &first); err != nil {
				q.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := q.Close(); err != nil {
			return err
		}
		if len(ids) > limit {
			return fmt.Errorf("%d admissions to undo, at most %d", len(ids), limit)
		}
		for _, id := range ids {
			var earlier int64
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM submissions WHERE dataset = ? AND admission = ? AND row IS NOT NULL AND row < ?`, d.Name, id, n).Scan(&earlier); err != nil {
				return err
			}
			if earlier > 0 {
				return fmt.Errorf("admission %q also admitted rows before row %d", id, n)
			}
			rows, err := tx.QueryContext(ctx, `SELECT `+srvRowCols+` FROM submissions WHERE dataset = ? AND admission = ?`, d.Name, id)
			if err != nil {
				return err
			}
			var undo []*srvStored
			for rows.Next() {
				st, err := s.scanRow(rows)
				if err != nil {
					rows.Close()
					return err
				}
				undo = append(undo, st)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			for _, st := range undo {
				st.Status, st.Row, st.Reason, st.Admission = srvPending, -1, "", ""
				if _, err := tx.ExecContext(ctx, `UPDATE submissions SET status = ?, row = NULL, reason = '', admission = '', mac = ? WHERE ticket = ?`,
					srvPending, s.rowMAC(st), st.Ticket); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM admissions WHERE id = ?`, id); err != nil {
				return err
			}
		}
		var left int64
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM submissions WHERE dataset = ? AND row IS NOT NULL AND row >= ?`, d.Name, n).Scan(&left); err != nil {
			return err
		}
		if left > 0 {
			return fmt.Errorf("%d admitted rows at or after row %d remain", left, n)
		}
		d.Admitted, d.Digest = n, digest
		return s.saveDataset(ctx, tx, d)
	})
	return ids, err
}

// admission returns a recorded admission result (nil if none).
func (s *srvStore) admission(ctx context.Context, id string) ([]byte, error) {
	_, res, err := s.admissionRecord(ctx, id)
	return res, err
}

// admissionRecord returns a recorded admission's dataset and result (nil
// if none).
func (s *srvStore) admissionRecord(ctx context.Context, id string) (string, []byte, error) {
	var dataset string
	var result, mac []byte
	err := s.db.QueryRowContext(ctx, `SELECT dataset, result, mac FROM admissions WHERE id = ?`, id).Scan(&dataset, &result, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	if !hmac.Equal(mac, s.mac("admission", []byte(id), []byte(dataset), result)) {
		return "", nil, fmt.Errorf("stored admission %q %w", id, ErrIntegrity)
	}
	return dataset, result, nil
}

// ---- jobs ----

func (s *srvStore) putJob(ctx context.Context, id string, result []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO jobs (id, result, mac) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING`,
			id, result, s.mac("job", []byte(id), result))
		return err
	})
}

// job returns a recorded job result (nil if none).
func (s *srvStore) job(ctx context.Context, id string) ([]byte, error) {
	var result, mac []byte
	err := s.db.QueryRowContext(ctx, `SELECT result, mac FROM jobs WHERE id = ?`, id).Scan(&result, &mac)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !hmac.Equal(mac, s.mac("job", []byte(id), result)) {
		return nil, fmt.Errorf("stored job result %q %w", id, ErrIntegrity)
	}
	return result, nil
}
