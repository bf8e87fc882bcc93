-- +goose NO TRANSACTION
-- +goose Up
-- Indexes that answer from the index alone what, at the lab's size, read thousands of heap rows
-- (bench/results/lab.plans.md):
--
-- * Nested run filters and nested value lists (/runs/branch/main/suite/rados/...,
--   /runs/branch/main/suite/) read every run of their first key off its index, then each run's
--   heap row for the other keys: 30,000 rows for main. Each key's index now carries the other
--   keys, so that count, page and value list are index-only scans.
-- * The value lists (/runs/branch/: 61,000 branches) read run_values by key, then every row's
--   heap tuple for `runs > 0`; a partial index holds the listed values only.
-- * /jobs/ searches by branch and status (pulpito-ng's) walked jobs_posted_idx newest first and
--   read each job's heap row for its branch and status: 47,000 rows to count 1,010 matches. A
--   branch's jobs are now read newest first off one index that carries their status.
--
-- The old indexes go once the new ones are valid: each new index serves every query the one it
-- replaces served (same leading columns), so the previous release's plans keep their speed.
--
-- Online (README.md): built concurrently, after dropping what an interrupted build left; dropped
-- concurrently.
SET lock_timeout = '1s';
-- +goose StatementBegin
DO $$
DECLARE
    idx text;
BEGIN
    FOR idx IN SELECT indexrelid::regclass::text FROM pg_index
               WHERE NOT indisvalid AND indexrelid::regclass::text IN (
                   'runs_branch_keys_idx', 'runs_suite_keys_idx', 'runs_machine_type_keys_idx',
                   'runs_status_keys_idx', 'runs_user_keys_idx', 'run_values_listed_idx',
                   'jobs_branch_posted_idx') LOOP
        EXECUTE 'DROP INDEX ' || idx;
    END LOOP;
END
$$;
-- +goose StatementEnd
SET lock_timeout = '5min';
CREATE INDEX CONCURRENTLY IF NOT EXISTS runs_branch_keys_idx ON runs (branch, scheduled DESC, id DESC)
    INCLUDE (suite, machine_type, status, "user");
CREATE INDEX CONCURRENTLY IF NOT EXISTS runs_suite_keys_idx ON runs (suite, scheduled DESC, id DESC)
    INCLUDE (branch, machine_type, status, "user");
CREATE INDEX CONCURRENTLY IF NOT EXISTS runs_machine_type_keys_idx ON runs (machine_type, scheduled DESC, id DESC)
    INCLUDE (branch, suite, status, "user");
CREATE INDEX CONCURRENTLY IF NOT EXISTS runs_status_keys_idx ON runs (status, scheduled DESC, id DESC)
    INCLUDE (branch, suite, machine_type, "user");
CREATE INDEX CONCURRENTLY IF NOT EXISTS runs_user_keys_idx ON runs ("user", scheduled DESC, id DESC)
    INCLUDE (branch, suite, machine_type, status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS run_values_listed_idx ON run_values (key, value)
    WHERE runs > 0 AND value <> '';
CREATE INDEX CONCURRENTLY IF NOT EXISTS jobs_branch_posted_idx ON jobs (branch, posted DESC, id DESC)
    INCLUDE (status);
DROP INDEX CONCURRENTLY IF EXISTS runs_branch_idx;
DROP INDEX CONCURRENTLY IF EXISTS runs_suite_idx;
DROP INDEX CONCURRENTLY IF EXISTS runs_machine_type_idx;
DROP INDEX CONCURRENTLY IF EXISTS runs_status_idx;
DROP INDEX CONCURRENTLY IF EXISTS runs_user_idx;
DROP INDEX CONCURRENTLY IF EXISTS jobs_branch_idx;
RESET lock_timeout;

-- +goose Down
CREATE INDEX IF NOT EXISTS jobs_branch_idx ON jobs (branch);
CREATE INDEX IF NOT EXISTS runs_user_idx ON runs ("user", scheduled DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_status_idx ON runs (status, scheduled DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_machine_type_idx ON runs (machine_type, scheduled DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_suite_idx ON runs (suite, scheduled DESC, id DESC);
CREATE INDEX IF NOT EXISTS runs_branch_idx ON runs (branch, scheduled DESC, id DESC);
DROP INDEX IF EXISTS jobs_branch_posted_idx;
DROP INDEX IF EXISTS run_values_listed_idx;
DROP INDEX IF EXISTS runs_user_keys_idx;
DROP INDEX IF EXISTS runs_status_keys_idx;
DROP INDEX IF EXISTS runs_machine_type_keys_idx;
DROP INDEX IF EXISTS runs_suite_keys_idx;
DROP INDEX IF EXISTS runs_branch_keys_idx;
