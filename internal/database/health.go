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

// ErrNotCurrent is returned by CheckReady when the database answers but a migration is pending.
var ErrNotCurrent = errors.New("the database schema is not current (a migration is pending)")

// CheckReady reports whether the server can serve: the database answers and every embedded
// migration has been applied. It takes no lock, so it never waits for a replica that is migrating.
// (On a database goose never touched, goose creates its empty version table and reports the
// migrations pending.)
func CheckReady(ctx context.Context, pool *pgxpool.Pool) error {
	if err := pool.Ping(ctx); err != nil {
		return fmt.Errorf("pinging the database: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("listing the applied migrations: %w", err)
	case pending:
		return ErrNotCurrent
	}
	return nil
}
