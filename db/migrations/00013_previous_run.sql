-- +goose NO TRANSACTION
-- +goose Up
-- A run's regressions (GET /runs/{name}/regressions/) compare it with the previous run of its
-- suite, branch and machine type: the newest run posted before it with the same three. No index
-- on runs serves that (runs_suite_idx reads every run of the suite, on every branch, in schedule
-- order: a few thousand rows for rados at the lab's size); this one reads a single entry.
--
-- Online (README.md): built concurrently, after dropping what an interrupted build left.
SET lock_timeout = '1s';
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_index WHERE indexrelid = to_regclass('runs_previous_idx') AND NOT indisvalid) THEN
        DROP INDEX runs_previous_idx;
    END IF;
END
$$;
-- +goose StatementEnd
SET lock_timeout = '5min';
CREATE INDEX CONCURRENTLY IF NOT EXISTS runs_previous_idx ON runs (suite, branch, machine_type, posted DESC, id DESC);
RESET lock_timeout;

-- +goose Down
DROP INDEX IF EXISTS runs_previous_idx;
