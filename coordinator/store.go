package coordinator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx" for database/sql
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is the SQL flavour of the store.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// store is the coordinator's state in SQL. Every statement is written with
// '?' placeholders and rebound to $n for PostgreSQL; types are the common
// subset (TEXT, BIGINT, and BLOB/BYTEA by dialect); times are Unix
// microseconds.
type store struct {
	db *sql.DB
	d  dialect
}

// parseDatabaseURL splits a database URL into the driver and its DSN.
func parseDatabaseURL(u string) (dialect, string, error) {
	switch {
	case strings.HasPrefix(u, "sqlite://"):
		path := strings.TrimPrefix(u, "sqlite://")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if path == "" {
			return 0, "", errors.New(`database: sqlite URL needs a path: "sqlite:///abs/path.db" or "sqlite://rel/path.db"`)
		}
		return dialectSQLite, path, nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		if _, err := url.Parse(u); err != nil {
			return 0, "", fmt.Errorf("database: %w", err)
		}
		return dialectPostgres, u, nil
	}
	return 0, "", fmt.Errorf("database: %q is neither sqlite://PATH nor postgres://URL", redactURL(u))
}

// redactURL hides a password in a URL for messages.
func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.User == nil {
		return u
	}
	return p.Redacted()
}

// openStore opens the database and brings its schema up to date. sync is
// SQLite's synchronous setting: "normal" or "full".
func openStore(ctx context.Context, dbURL, sync string) (*store, error) {
	d, dsn, err := parseDatabaseURL(dbURL)
	if err != nil {
		return nil, err
	}
	var db *sql.DB
	switch d {
	case dialectSQLite:
		// One connection: SQLite serializes writers anyway, and one
		// connection in Go never sees SQLITE_BUSY from itself.
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "journal_mode(WAL)")
		// In WAL mode, NORMAL keeps every commit across a crash or kill
		// of the process and never corrupts; only a power loss or OS
		// crash may roll back the last commits. FULL syncs every commit.
		q.Add("_pragma", "synchronous("+strings.ToUpper(sync)+")")
		q.Add("_pragma", "foreign_keys(1)")
		q.Set("_txlock", "immediate")
		db, err = sql.Open("sqlite", "file:"+dsn+"?"+q.Encode())
		if err == nil {
			db.SetMaxOpenConns(1)
		}
	case dialectPostgres:
		db, err = sql.Open("pgx", dsn)
		if err == nil {
			db.SetMaxOpenConns(20)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	s := &store{db: db, d: d}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: %w", redactURL(dbURL), err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database %s: migrating: %w", redactURL(dbURL), err)
	}
	return s, nil
}

func (s *store) Close() error { return s.db.Close() }

// migrations are the schema's steps; step i brings the schema to version
// i+1. Append only: a deployed step never changes. "BLOB" becomes "BYTEA"
// on PostgreSQL.
var migrations = [][]string{
	{
		`CREATE TABLE datasets (
			name TEXT PRIMARY KEY,
			columns_json TEXT NOT NULL,
			notary_keys_json TEXT NOT NULL,
			min_rows BIGINT NOT NULL,
			admitted_rows BIGINT NOT NULL DEFAULT 0,
			created_at BIGINT NOT NULL
		)`,
		// One registration per (dataset, source, source_id): the Sybil check.
		`CREATE TABLE providers (
			ticket TEXT PRIMARY KEY,
			dataset TEXT NOT NULL REFERENCES datasets(name),
			source TEXT NOT NULL,
			source_id TEXT NOT NULL,
			attestation TEXT NOT NULL,
			signed_ticket TEXT NOT NULL,
			expires_at BIGINT NOT NULL,
			status TEXT NOT NULL,
			reason TEXT NOT NULL DEFAULT '',
			admission TEXT NOT NULL DEFAULT '',
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL,
			UNIQUE (dataset, source, source_id)
		)`,
		`CREATE INDEX providers_by_status ON providers (dataset, status, admission, updated_at)`,
		`CREATE TABLE admissions (
			id TEXT PRIMARY KEY,
			dataset TEXT NOT NULL REFERENCES datasets(name),
			tickets_json TEXT NOT NULL,
			status TEXT NOT NULL,
			error TEXT NOT NULL DEFAULT '',
			attempts BIGINT NOT NULL DEFAULT 0,
			created_at BIGINT NOT NULL,
			finished_at BIGINT
		)`,
		`CREATE INDEX admissions_by_status ON admissions (status, created_at)`,
		`CREATE TABLE programs (
			hash TEXT PRIMARY KEY,
			bytecode BLOB NOT NULL,
			created_at BIGINT NOT NULL
		)`,
		`CREATE TABLE queries (
			id TEXT PRIMARY KEY,
			dataset TEXT NOT NULL REFERENCES datasets(name),
			program_hash TEXT NOT NULL REFERENCES programs(hash),
			params_json TEXT NOT NULL,
			cache_key TEXT NOT NULL,
			nrows BIGINT NOT NULL,
			status TEXT NOT NULL,
			error TEXT NOT NULL DEFAULT '',
			published BIGINT NOT NULL DEFAULT 0,
			created_at BIGINT NOT NULL,
			finished_at BIGINT
		)`,
		`CREATE INDEX queries_by_cache ON queries (cache_key, status)`,
		`CREATE INDEX queries_by_dataset ON queries (dataset, created_at)`,
		`CREATE TABLE results (
			query_id TEXT PRIMARY KEY REFERENCES queries(id),
			outputs_json TEXT NOT NULL,
			rounds BIGINT NOT NULL,
			bytes_sent BIGINT NOT NULL,
			created_at BIGINT NOT NULL
		)`,
	},
}

// migrate applies the missing migrations, each in one transaction.
func (s *store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return err
	}
	for v := 1; v <= len(migrations); v++ {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if s.d == dialectPostgres {
				// Serialize coordinators migrating one database.
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7263541)`); err != nil {
					return err
				}
			}
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			for _, stmt := range migrations[v-1] {
				if s.d == dialectPostgres {
					stmt = strings.ReplaceAll(stmt, "BLOB", "BYTEA")
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("version %d: %w", v, err)
				}
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), v, micros(time.Now()))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// q rebinds '?' placeholders for the dialect.
func (s *store) q(query string) string {
	if s.d != dialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// tx runs f in a transaction, committing when it returns nil.
func (s *store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isUniqueViolation reports a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	return false
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func nullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}
