-- +goose Up
-- The lock audit trail (issue 20): one row per change of a node's lock (lock, unlock, lock_many,
-- unlock_many, and a PUT /nodes/{name}/ that changes its owner or its lock's description),
-- written in the transaction of the change. It keeps the node's name rather than a reference
-- to it, so that a deleted node's history stays readable and writing a row never locks the
-- nodes table; owner is the owner the change concerns (the new one, else the old one), what
-- GET /locks/?owner= filters on.
--
-- Online (README.md): a new table and its indexes, built while it is empty; no write table is
-- touched, so no statement here waits for or blocks a job write.
CREATE TABLE IF NOT EXISTS node_locks (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    node               text NOT NULL,
    machine_type       text,
    action             text NOT NULL CHECK (action IN ('lock', 'unlock', 'lock_many', 'unlock_many', 'update')),
    locked_before      boolean NOT NULL,
    locked_after       boolean NOT NULL,
    owner_before       text,
    owner_after        text,
    owner              text GENERATED ALWAYS AS (COALESCE(owner_after, owner_before)) STORED,
    description_before text,
    description_after  text,
    at                 timestamptz NOT NULL,
    request_id         text
);

-- A node's trail and the lab's, newest first, and the lab's narrowed by owner or machine type;
-- each also bounds its count (a capped count reads at most the page plus 1,000 index entries).
CREATE INDEX IF NOT EXISTS node_locks_node_idx ON node_locks (node, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS node_locks_at_idx ON node_locks (at DESC, id DESC);
CREATE INDEX IF NOT EXISTS node_locks_owner_idx ON node_locks (owner, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS node_locks_machine_type_idx ON node_locks (machine_type, at DESC, id DESC);

-- +goose Down
DROP TABLE node_locks;
