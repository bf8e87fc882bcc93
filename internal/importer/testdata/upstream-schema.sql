-- Upstream paddles' schema, exactly as `pecan populate` creates it (PostgreSQL 15, `pg_dump -s`,
-- comments stripped): paddles-api.md, Appendix A. The importer tests and the throughput benchmark
-- build their upstream databases from it.
CREATE TABLE public.job_nodes (
    node_id integer NOT NULL,
    job_id integer NOT NULL
);
CREATE TABLE public.jobs (
    id integer NOT NULL,
    posted timestamp without time zone,
    started timestamp without time zone,
    updated timestamp without time zone,
    run_id integer,
    status character varying(32),
    archive_path character varying(512),
    description text,
    duration integer,
    email character varying(128),
    failure_reason text,
    flavor character varying(128),
    job_id character varying(32),
    kernel text,
    last_in_suite boolean,
    machine_type character varying(32),
    name character varying(512),
    nuke_on_error boolean,
    os_type character varying(32),
    os_version character varying(16),
    overrides text,
    owner character varying(128),
    priority integer,
    pid character varying(32),
    repo character varying(256),
    roles text,
    sentry_event character varying(128),
    success boolean,
    branch character varying(128),
    seed integer,
    sha1 character varying(40),
    sleep_before_teardown integer,
    subset character varying(32),
    suite character varying(256),
    suite_branch character varying(128),
    suite_path character varying(256),
    suite_relpath character varying(256),
    suite_repo character varying(256),
    suite_sha1 character varying(40),
    targets text,
    tasks text,
    teuthology_branch character varying(64),
    teuthology_sha1 character varying(40),
    "timestamp" timestamp without time zone,
    "user" character varying(64),
    "verbose" boolean,
    issue_url text,
    comment text,
    pcp_grafana_url text,
    queue character varying(32),
    package_source character varying(32)
);
CREATE SEQUENCE public.jobs_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.jobs_id_seq OWNED BY public.jobs.id;
CREATE TABLE public.nodes (
    id integer NOT NULL,
    name character varying(256) NOT NULL,
    description text,
    up boolean,
    machine_type character varying(32),
    arch character varying(16),
    is_vm boolean NOT NULL,
    os_type character varying(32),
    os_version character varying(16),
    vm_host_id integer,
    locked boolean NOT NULL,
    locked_by character varying(64),
    locked_since timestamp without time zone,
    mac_address character varying(17),
    ssh_pub_key text
);
CREATE SEQUENCE public.nodes_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.nodes_id_seq OWNED BY public.nodes.id;
CREATE TABLE public.queue (
    queue character varying(32) NOT NULL,
    paused_by character varying(64),
    paused_since timestamp without time zone,
    pause_duration integer,
    paused_until timestamp without time zone
);
CREATE TABLE public.runs (
    id integer NOT NULL,
    name character varying(512),
    status character varying(16),
    "user" character varying(32),
    scheduled timestamp without time zone,
    suite character varying(256),
    branch character varying(128),
    machine_type character varying(32),
    posted timestamp without time zone,
    started timestamp without time zone,
    updated timestamp without time zone
);
CREATE SEQUENCE public.runs_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE public.runs_id_seq OWNED BY public.runs.id;
ALTER TABLE ONLY public.jobs ALTER COLUMN id SET DEFAULT nextval('public.jobs_id_seq'::regclass);
ALTER TABLE ONLY public.nodes ALTER COLUMN id SET DEFAULT nextval('public.nodes_id_seq'::regclass);
ALTER TABLE ONLY public.runs ALTER COLUMN id SET DEFAULT nextval('public.runs_id_seq'::regclass);
ALTER TABLE ONLY public.job_nodes
    ADD CONSTRAINT job_nodes_pkey PRIMARY KEY (node_id, job_id);
ALTER TABLE ONLY public.jobs
    ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.nodes
    ADD CONSTRAINT nodes_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.queue
    ADD CONSTRAINT queue_pkey PRIMARY KEY (queue);
ALTER TABLE ONLY public.runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (id);
CREATE INDEX ix_job_nodes_job_id ON public.job_nodes USING btree (job_id);
CREATE INDEX ix_job_nodes_node_id ON public.job_nodes USING btree (node_id);
CREATE INDEX ix_job_nodes_node_id_job_id ON public.job_nodes USING btree (node_id, job_id);
CREATE INDEX ix_jobs_branch ON public.jobs USING btree (branch);
CREATE INDEX ix_jobs_job_id ON public.jobs USING btree (job_id);
CREATE INDEX ix_jobs_posted ON public.jobs USING btree (posted);
CREATE INDEX ix_jobs_priority ON public.jobs USING btree (priority);
CREATE INDEX ix_jobs_queue ON public.jobs USING btree (queue);
CREATE INDEX ix_jobs_run_id ON public.jobs USING btree (run_id);
CREATE INDEX ix_jobs_sha1 ON public.jobs USING btree (sha1);
CREATE INDEX ix_jobs_started ON public.jobs USING btree (started);
CREATE INDEX ix_jobs_status ON public.jobs USING btree (status);
CREATE INDEX ix_jobs_success ON public.jobs USING btree (success);
CREATE INDEX ix_jobs_suite_branch ON public.jobs USING btree (suite_branch);
CREATE INDEX ix_jobs_suite_sha1 ON public.jobs USING btree (suite_sha1);
CREATE INDEX ix_jobs_teuthology_sha1 ON public.jobs USING btree (teuthology_sha1);
CREATE INDEX ix_jobs_updated ON public.jobs USING btree (updated);
CREATE INDEX ix_nodes_locked ON public.nodes USING btree (locked);
CREATE INDEX ix_nodes_locked_by ON public.nodes USING btree (locked_by);
CREATE INDEX ix_nodes_machine_type ON public.nodes USING btree (machine_type);
CREATE UNIQUE INDEX ix_nodes_name ON public.nodes USING btree (name);
CREATE INDEX ix_nodes_os_version ON public.nodes USING btree (os_version);
CREATE INDEX ix_nodes_up ON public.nodes USING btree (up);
CREATE INDEX ix_queue_paused_by ON public.queue USING btree (paused_by);
CREATE INDEX ix_runs_branch ON public.runs USING btree (branch);
CREATE INDEX ix_runs_machine_type ON public.runs USING btree (machine_type);
CREATE UNIQUE INDEX ix_runs_name ON public.runs USING btree (name);
CREATE INDEX ix_runs_posted ON public.runs USING btree (posted);
CREATE INDEX ix_runs_scheduled ON public.runs USING btree (scheduled);
CREATE INDEX ix_runs_started ON public.runs USING btree (started);
CREATE INDEX ix_runs_status ON public.runs USING btree (status);
CREATE INDEX ix_runs_suite ON public.runs USING btree (suite);
CREATE INDEX ix_runs_updated ON public.runs USING btree (updated);
CREATE INDEX ix_runs_user ON public.runs USING btree ("user");
ALTER TABLE ONLY public.job_nodes
    ADD CONSTRAINT job_nodes_job_id_fkey FOREIGN KEY (job_id) REFERENCES public.jobs(id);
ALTER TABLE ONLY public.job_nodes
    ADD CONSTRAINT job_nodes_node_id_fkey FOREIGN KEY (node_id) REFERENCES public.nodes(id);
ALTER TABLE ONLY public.jobs
    ADD CONSTRAINT jobs_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.runs(id) ON DELETE CASCADE;
ALTER TABLE ONLY public.nodes
    ADD CONSTRAINT nodes_vm_host_id_fkey FOREIGN KEY (vm_host_id) REFERENCES public.nodes(id);
