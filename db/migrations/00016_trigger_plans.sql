-- +goose Up
-- The server's sessions plan every statement anew (plan_cache_mode = force_custom_plan, so that
-- the listings' optional conditions fold away), and PL/pgSQL functions inherit that: each
-- statement a trigger runs was planned again on every call. In the write triggers the planning
-- cost more than the statement (pg_stat_user_functions, 10k benchmark: jobs_count_status 0.31 ms a
-- call for an UPDATE that runs in 0.18, job_nodes_set_posted 0.08 ms for a 0.007 ms lookup, once a
-- node link). Their statements take NEW and OLD values, or the statement's transition table, and
-- no optional conditions: a cached plan serves them all. (SQL-language functions, such as
-- count_run_values, are planned on each call whatever this setting says.)
--
-- Online (README.md): ALTER FUNCTION changes the catalog only; it takes no lock on any table.
ALTER FUNCTION jobs_count_status() SET plan_cache_mode = auto;
ALTER FUNCTION jobs_count_statement() SET plan_cache_mode = auto;
ALTER FUNCTION job_nodes_set_posted() SET plan_cache_mode = auto;
ALTER FUNCTION jobs_posted_to_nodes() SET plan_cache_mode = auto;
ALTER FUNCTION jobs_note_description() SET plan_cache_mode = auto;
ALTER FUNCTION jobs_note_descriptions() SET plan_cache_mode = auto;
ALTER FUNCTION jobs_note_result() SET plan_cache_mode = auto;
ALTER FUNCTION jobs_note_results() SET plan_cache_mode = auto;
ALTER FUNCTION jobs_forget_results() SET plan_cache_mode = auto;
ALTER FUNCTION runs_count_values() SET plan_cache_mode = auto;
ALTER FUNCTION runs_move_test_sha1s() SET plan_cache_mode = auto;
ALTER FUNCTION test_results_count_sha1s() SET plan_cache_mode = auto;
ALTER FUNCTION count_test_sha1s(uuid[], text[], text[], text[], text[], text[], timestamptz[], integer[]) SET plan_cache_mode = auto;

-- +goose Down
ALTER FUNCTION jobs_count_status() RESET plan_cache_mode;
ALTER FUNCTION jobs_count_statement() RESET plan_cache_mode;
ALTER FUNCTION job_nodes_set_posted() RESET plan_cache_mode;
ALTER FUNCTION jobs_posted_to_nodes() RESET plan_cache_mode;
ALTER FUNCTION jobs_note_description() RESET plan_cache_mode;
ALTER FUNCTION jobs_note_descriptions() RESET plan_cache_mode;
ALTER FUNCTION jobs_note_result() RESET plan_cache_mode;
ALTER FUNCTION jobs_note_results() RESET plan_cache_mode;
ALTER FUNCTION jobs_forget_results() RESET plan_cache_mode;
ALTER FUNCTION runs_count_values() RESET plan_cache_mode;
ALTER FUNCTION runs_move_test_sha1s() RESET plan_cache_mode;
ALTER FUNCTION test_results_count_sha1s() RESET plan_cache_mode;
ALTER FUNCTION count_test_sha1s(uuid[], text[], text[], text[], text[], text[], timestamptz[], integer[]) RESET plan_cache_mode;
