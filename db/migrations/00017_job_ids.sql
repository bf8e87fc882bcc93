-- +goose Up
-- Job ids the server assigns (--assign-job-ids) come from a sequence of their own. They came from
-- the jobs' row-id sequence, which the row itself then drew from again, so assigned ids went up by
-- two (1, 3, 5: upstream paddles' own tests read job 2 and found none; upstream gives a job its row
-- id). Now they go up by one; one that a run already has as a posted id is skipped (service).
--
-- Online (README.md): a new sequence; no lock on any table.
CREATE SEQUENCE IF NOT EXISTS job_ids;

-- +goose Down
DROP SEQUENCE IF EXISTS job_ids;
