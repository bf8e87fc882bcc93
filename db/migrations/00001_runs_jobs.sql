-- +goose Up
-- Runs and their jobs. Timestamps are timestamptz and rendered as naive UTC on the wire.
-- The JSON-valued job fields use the json type (not jsonb) so that what teuthology sent is returned
-- byte for byte: key order, number spelling and \u0000 escapes survive.

CREATE TABLE runs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    "user"       text NOT NULL DEFAULT '',
    scheduled    timestamptz NOT NULL,
    suite        text,
    branch       text,
    machine_type text,
    posted       timestamptz NOT NULL,
    started      timestamptz,
    updated      timestamptz,
    -- Job counts by status, kept by the jobs_count_status trigger below so that listings never
    -- aggregate jobs and the status follows every write in the same transaction.
    queued_count  integer NOT NULL DEFAULT 0,
    pass_count    integer NOT NULL DEFAULT 0,
    running_count integer NOT NULL DEFAULT 0,
    waiting_count integer NOT NULL DEFAULT 0,
    fail_count    integer NOT NULL DEFAULT 0,
    dead_count    integer NOT NULL DEFAULT 0,
    unknown_count integer NOT NULL DEFAULT 0,
    -- Upstream paddles' Run.set_status, first match wins.
    status text NOT NULL GENERATED ALWAYS AS (
        CASE
            WHEN queued_count + pass_count + running_count + waiting_count + fail_count + dead_count + unknown_count = 0 THEN 'empty'
            WHEN queued_count = queued_count + pass_count + running_count + waiting_count + fail_count + dead_count + unknown_count THEN 'queued'
            WHEN running_count > 0 THEN 'running'
            WHEN waiting_count > 0 THEN 'waiting'
            WHEN dead_count = queued_count + pass_count + running_count + waiting_count + fail_count + dead_count + unknown_count THEN 'finished dead'
            WHEN fail_count > 0 OR dead_count > 0 THEN 'finished fail'
            WHEN pass_count = queued_count + pass_count + running_count + waiting_count + fail_count + dead_count + unknown_count THEN 'finished pass'
            WHEN queued_count > 0 THEN 'queued'
            ELSE 'unknown'
        END
    ) STORED
);

CREATE INDEX runs_posted_idx ON runs (posted DESC, id DESC);

CREATE TABLE jobs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id            bigint NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    -- "C" so that ordering by job_id (upstream orders job ids as strings) is byte order everywhere
    -- and can use the unique index, whatever the database's default collation.
    job_id            text COLLATE "C" NOT NULL,
    status            text NOT NULL CHECK (status IN ('pass', 'fail', 'queued', 'running', 'dead', 'unknown', 'waiting')),
    success           boolean,
    archive_path      text,
    description       text,
    duration          bigint,
    email             text,
    failure_reason    text,
    flavor            text,
    kernel            json,
    last_in_suite     boolean,
    machine_type      text,
    name              text,
    nuke_on_error     boolean,
    os_type           text,
    os_version        text,
    overrides         json,
    owner             text,
    pid               text,
    roles             json,
    sentry_event      text,
    branch            text,
    seed              bigint,
    sha1              text,
    subset            text,
    suite             text,
    suite_branch      text,
    suite_path        text,
    suite_relpath     text,
    suite_repo        text,
    suite_sha1        text,
    targets           json,
    tasks             json,
    "timestamp"       timestamptz,
    teuthology_branch text,
    "verbose"         boolean,
    pcp_grafana_url   text,
    priority          bigint,
    "user"            text,
    queue             text,
    package_source    text,
    mon_a_kernel_sha1 text,
    mon_b_kernel_sha1 text,
    posted            timestamptz NOT NULL,
    started           timestamptz,
    updated           timestamptz NOT NULL,
    UNIQUE (run_id, job_id)
);

-- A run's job listing, newest first.
CREATE INDEX jobs_run_posted_idx ON jobs (run_id, posted DESC, id DESC);

-- +goose StatementBegin
CREATE FUNCTION jobs_count_status() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE runs SET
            queued_count  = queued_count  - (OLD.status = 'queued')::int,
            pass_count    = pass_count    - (OLD.status = 'pass')::int,
            running_count = running_count - (OLD.status = 'running')::int,
            waiting_count = waiting_count - (OLD.status = 'waiting')::int,
            fail_count    = fail_count    - (OLD.status = 'fail')::int,
            dead_count    = dead_count    - (OLD.status = 'dead')::int,
            unknown_count = unknown_count - (OLD.status = 'unknown')::int
        WHERE id = OLD.run_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE runs SET
            queued_count  = queued_count  + (NEW.status = 'queued')::int,
            pass_count    = pass_count    + (NEW.status = 'pass')::int,
            running_count = running_count + (NEW.status = 'running')::int,
            waiting_count = waiting_count + (NEW.status = 'waiting')::int,
            fail_count    = fail_count    + (NEW.status = 'fail')::int,
            dead_count    = dead_count    + (NEW.status = 'dead')::int,
            unknown_count = unknown_count + (NEW.status = 'unknown')::int
        WHERE id = NEW.run_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER jobs_count_insert_delete AFTER INSERT OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION jobs_count_status();
CREATE TRIGGER jobs_count_update AFTER UPDATE OF status, run_id ON jobs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.run_id IS DISTINCT FROM NEW.run_id)
    EXECUTE FUNCTION jobs_count_status();

-- +goose Down
DROP TABLE jobs;
DROP FUNCTION jobs_count_status();
DROP TABLE runs;
