-- +goose Up
-- A job update reads the job before it takes its run's lock, works out the change, then sends the
-- lock and the writes in one pipeline (store.UpdateJob), so that the run stays locked only while
-- PostgreSQL runs them. job_unchanged, run in that pipeline right after the lock, fails it when
-- another writer changed the job since the read: the job's row version (xmin) is another, or the
-- row is gone. The pipeline's transaction then rolls back, and the store does the write again,
-- reading the job under the lock. SQLSTATE 40001 (serialization failure) says just that.
--
-- Online (README.md): creating a function takes no lock on any table.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION job_unchanged(job bigint, version text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM jobs WHERE id = job AND xmin::text = version) THEN
        RAISE EXCEPTION 'job % changed since it was read', job USING ERRCODE = 'serialization_failure';
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION IF EXISTS job_unchanged(bigint, text);
