-- +goose Up
-- Test nodes and their locks, the job <-> node links, and job queues.

CREATE TABLE nodes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    description  text,
    up           boolean,
    machine_type text,
    arch         text,
    is_vm        boolean NOT NULL DEFAULT false,
    os_type      text,
    os_version   text,
    vm_host_id   bigint REFERENCES nodes (id) ON DELETE SET NULL,
    locked       boolean NOT NULL DEFAULT false,
    locked_by    text,
    locked_since timestamptz,
    mac_address  text,
    ssh_pub_key  text,
    -- An unlocked node has no owner, whatever path wrote it.
    CONSTRAINT nodes_unlocked_unowned CHECK (locked OR locked_by IS NULL)
);

-- lock_many looks for free nodes of a machine type.
CREATE INDEX nodes_free_idx ON nodes (machine_type, id) WHERE up AND NOT locked;
CREATE INDEX nodes_machine_type_idx ON nodes (machine_type);
CREATE INDEX nodes_locked_by_idx ON nodes (locked_by);

-- Which nodes a job ran on, from its targets.
CREATE TABLE job_nodes (
    node_id bigint NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
    job_id  bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    PRIMARY KEY (node_id, job_id)
);
CREATE INDEX job_nodes_job_idx ON job_nodes (job_id);

CREATE TABLE queues (
    queue        text PRIMARY KEY,
    paused_by    text,
    paused_since timestamptz,
    paused_until timestamptz
);

-- pop_queue and queued_jobs: a queue's queued jobs, lowest priority number first.
CREATE INDEX jobs_queue_idx ON jobs (queue, priority, posted, id) WHERE status = 'queued';

-- +goose Down
DROP INDEX jobs_queue_idx;
DROP TABLE queues;
DROP TABLE job_nodes;
DROP TABLE nodes;
