package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The plans: each read phase's floor runs once more on a pool that records the statements it
// sends, and each is explained with EXPLAIN (ANALYZE, BUFFERS), with its arguments, as the
// server's connections plan it (plan_cache_mode force_custom_plan). They show what bounds each
// listing: an index, a maintained table, or a LIMIT.

type statement struct {
	name string
	sql  string
	args []any
}

type statementLog struct {
	mu    sync.Mutex
	stmts []statement
}

var statementName = regexp.MustCompile(`^-- name: (\w+) `)

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if m := statementName.FindStringSubmatch(d.SQL); m != nil {
		l.mu.Lock()
		l.stmts = append(l.stmts, statement{m[1], d.SQL, d.Args})
		l.mu.Unlock()
	}
	return ctx
}

func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (l *statementLog) take() []statement {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stmts
	l.stmts = nil
	return s
}

var executionTime = regexp.MustCompile(`Execution Time: ([0-9.]+) ms`)

// explainPhases writes the plans of the read phases to path.
func (b *bench) explainPhases(ctx context.Context, dbURL string, phases []*Phase, path string) error {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return err
	}
	rec := &statementLog{}
	cfg.ConnConfig.Tracer = rec
	// The server's own connection settings (internal/database), so that a plan is the one it runs.
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	explainCfg := cfg.Copy()
	explainCfg.ConnConfig.Tracer = nil
	explain, err := pgxpool.NewWithConfig(ctx, explainCfg)
	if err != nil {
		return err
	}
	defer explain.Close()

	saved := b.floor
	b.floor = newFloor(pool, b.log)
	defer func() { b.floor = saved }()
	var out strings.Builder
	fmt.Fprintf(&out, "# paddles-go benchmark: %s, query plans\n\n", b.cfg.size)
	fmt.Fprintf(&out, "Written by `%s`: each read phase's SQL, as the server runs it for one request of the phase "+
		"(the first a worker makes), explained with `EXPLAIN (ANALYZE, BUFFERS)` right after it ran.\n\n", command(b.cfg))
	for _, ph := range phases {
		if ph.Kind != "read" {
			continue
		}
		_, _, fl, err := ph.prepare(ctx)
		if err != nil {
			continue
		}
		rec.take()
		if res := fl(ctx, 0, 0); res != "" {
			return fmt.Errorf("plans: phase %s: %s", ph.Name, res)
		}
		fmt.Fprintf(&out, "## %s: `%s`\n\n", ph.Name, ph.Request)
		for _, st := range rec.take() {
			rows, err := explain.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+st.sql, st.args...)
			if err != nil {
				return fmt.Errorf("plans: %s: %w", st.name, err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return fmt.Errorf("plans: %s: %w", st.name, err)
			}
			plan := strings.Join(lines, "\n")
			ms := ""
			if m := executionTime.FindStringSubmatch(plan); m != nil {
				ms = m[1] + " ms"
			}
			fmt.Fprintf(&out, "### %s (%s)\n\n```\n%s\n```\n\n", st.name, ms, plan)
		}
	}
	return os.WriteFile(path, []byte(out.String()), 0o644)
}
