package database

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/ceph/paddles-go/db/migrations"
)

// Why CheckReady failed.
var (
	// ErrUnreachable: the database does not answer.
	ErrUnreachable = errors.New("the database does not answer")
	// ErrNotCurrent: the database answers but a migration is pending.
	ErrNotCurrent = errors.New("the database schema is not current (a migration is pending)")
	// ErrSchemaUnknown: the applied migrations could not be read or do not add up (goose reports
	// missing ones).
	ErrSchemaUnknown = errors.New("the database schema version could not be checked")
)

// CheckReady reports whether the server can serve: the database answers and every embedded
// migration has been applied. It takes no lock, so it never waits for a replica that is migrating.
// (On a database goose never touched, goose creates its empty version table and reports the
// migrations pending.)
func CheckReady(ctx context.Context, pool *pgxpool.Pool) error {
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	switch {
	case err != nil && (ctx.Err() != nil || IsUnavailable(err)):
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	case err != nil:
		return fmt.Errorf("%w: %w", ErrSchemaUnknown, err)
	case pending:
		return ErrNotCurrent
	}
	return nil
}
