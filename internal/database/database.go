// Package database opens the PostgreSQL pool, applies the embedded migrations and classifies
// PostgreSQL errors for the layers above.
package database

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/ceph/paddles-go/db/migrations"
)

// Open connects a pool to url and checks that the database answers.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return OpenWith(ctx, url, PoolOptions{})
}

// PoolOptions tune the pool; zero values keep the URL's settings (or pgx's defaults).
type PoolOptions struct {
	// MaxConns bounds the pool's connections (pgx's default: 4, or the number of CPUs if more).
	MaxConns int32
	// StatementTimeout is PostgreSQL's statement_timeout on every connection of the pool.
	StatementTimeout time.Duration
	// ApplicationName names the connections in pg_stat_activity.
	ApplicationName string
	// Lazy skips the check that the database answers now (a read replica may come later).
	Lazy bool
}

// OpenWith is Open with pool options.
func OpenWith(ctx context.Context, url string, opts PoolOptions) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	// Listings filter with optional conditions ("$1 IS NULL OR branch = $1"); planning each
	// execution with its actual values lets PostgreSQL drop the unused ones and use the indexes.
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	// The server's queries are short; at the lab's size the planner's costs of a search pass
	// jit_above_cost, and compiling took 20-45 ms of queries that run in 1-2 (bench lab.plans.md).
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	if opts.StatementTimeout > 0 {
		cfg.ConnConfig.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	if opts.ApplicationName != "" && cfg.ConnConfig.RuntimeParams["application_name"] == "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = opts.ApplicationName
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		RegisterRawJSON(conn.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if opts.Lazy {
		return pool, nil
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to the database: %w", err)
	}
	return pool, nil
}

// RegisterRawJSON makes m scan json values into json.RawMessage by copying their bytes. pgx's
// default runs them through encoding/json, which validates and copies each value again: a third
// of the CPU of a listing of 100 jobs (about 3 KB of stored JSON each). PostgreSQL has validated
// a json value on input, so only the whitespace around it, which encoding/json would drop, is
// trimmed; the value itself is kept byte for byte either way.
func RegisterRawJSON(m *pgtype.Map) {
	t, ok := m.TypeForOID(pgtype.JSONOID)
	if !ok {
		return
	}
	m.RegisterType(&pgtype.Type{Name: t.Name, OID: t.OID, Codec: rawJSONCodec{t.Codec}})
}

type rawJSONCodec struct{ pgtype.Codec }

func (c rawJSONCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	if _, ok := target.(*json.RawMessage); ok {
		return scanRawJSON{}
	}
	return c.Codec.PlanScan(m, oid, format, target)
}

// scanRawJSON scans a json value (its text, in either format) into a *json.RawMessage.
type scanRawJSON struct{}

func (scanRawJSON) Scan(src []byte, dst any) error {
	p := dst.(*json.RawMessage)
	if src == nil {
		*p = nil
		return nil
	}
	*p = bytes.Clone(bytes.Trim(src, " \t\r\n")) // pgx reuses src
	return nil
}

// Migrate applies the pending migrations. A PostgreSQL advisory lock serialises concurrent
// callers, so every replica of the server may migrate at start-up.
func Migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	return MigrateTo(ctx, pool, log, 0)
}

// MigrationVersions lists the versions of the migrations in fsys (nil: the embedded ones), in
// order, with their file names.
func MigrationVersions(fsys fs.FS) ([]int64, []string, error) {
	if fsys == nil {
		fsys = migrations.FS
	}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, nil, err
	}
	var vs []int64
	for _, f := range files { // in name order, which is version order (NNNNN_)
		var v int64
		if _, err := fmt.Sscanf(f, "%d_", &v); err != nil {
			return nil, nil, fmt.Errorf("migration %s: %w", f, err)
		}
		vs = append(vs, v)
	}
	return vs, files, nil
}

// MigrateTo is Migrate up to version (included) only; 0 means every migration.
func MigrateTo(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, version int64) error {
	return MigrateFSTo(ctx, pool, log, migrations.FS, version)
}

// MigrateFSTo is MigrateTo with the migrations in fsys instead of the embedded ones (for the
// migration benchmark, which can measure another branch's).
func MigrateFSTo(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, fsys fs.FS, version int64) error {
	// A replica that finds another one migrating retries every second (goose's default is every
	// five), for up to five minutes.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return err
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return err
	}
	// A migration statement whose lock it could not get within its lock_timeout fails, and the
	// migration is tried again: migrations are idempotent (db/migrations/README.md). The applied
	// ones are kept.
	for attempt := 1; ; attempt++ {
		var results []*goose.MigrationResult
		if version > 0 {
			results, err = p.UpTo(ctx, version)
		} else {
			results, err = p.Up(ctx)
		}
		var partial *goose.PartialError
		if errors.As(err, &partial) {
			results = partial.Applied
		}
		for _, r := range results {
			log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
		}
		if err == nil {
			break
		}
		if !IsLockTimeout(err) || attempt == migrateAttempts {
			return fmt.Errorf("migrating the database: %w", err)
		}
		log.Warn("a migration timed out waiting for a lock; trying again", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * time.Second):
		}
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	log.Debug("database schema is at", "version", current)
	return nil
}

// migrateAttempts bounds Migrate's tries of a migration that keeps timing out on a lock.
const migrateAttempts = 10

// SQLSTATE codes the server acts on.
const (
	lockNotAvailable     = "55P03"
	queryCanceled        = "57014" // statement_timeout, or a cancel request
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// IsUniqueViolation reports whether err is a unique constraint violation.
func IsUniqueViolation(err error) bool { return sqlState(err) == uniqueViolation }

// IsLockTimeout reports whether err is a statement that gave up waiting for a lock (lock_timeout).
func IsLockTimeout(err error) bool { return sqlState(err) == lockNotAvailable }

// IsRetryable reports whether a transaction that failed with err can simply run again.
func IsRetryable(err error) bool {
	s := sqlState(err)
	return s == serializationFailure || s == deadlockDetected
}

// IsDataException reports whether PostgreSQL rejected a value the client sent (SQLSTATE class 22:
// a string it cannot store, a number out of range, ...).
func IsDataException(err error) bool {
	s := sqlState(err)
	return len(s) == 5 && s[:2] == "22"
}

// IsUnavailable reports whether err means the database cannot be reached or is shutting down, as
// opposed to a query that failed. That includes a connection that broke in the middle of a query
// (the server crashed or was killed, the network failed): pgx then returns the read or write error
// itself (io.ErrUnexpectedEOF, "connection reset by peer") and closes the connection.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	s := sqlState(err)
	switch {
	case len(s) == 5 && (s[:2] == "08" || s[:2] == "57" || s[:2] == "53"):
		// connection exceptions, operator intervention (shutdown), insufficient resources
		return true
	case s != "":
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.As(err, &netErr)
}

// ErrorDetail returns PostgreSQL's message for err, or err's text.
func ErrorDetail(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	return err.Error()
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// ViolatedConstraint returns the name of the constraint err violated, if any.
func ViolatedConstraint(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}
