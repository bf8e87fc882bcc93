// A paddles client in TypeScript. The types come from api/openapi.yaml through openapi-typescript
// (generated/paddles.ts, made by `make check-ts-client`, not kept in git); the requests are made
// by openapi-fetch, which checks every path, parameter and body against them. CI type-checks this
// file, so a change to the contract that would break a TypeScript client fails there.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/paddles";

export type Run = components["schemas"]["Run"];
export type PartialRun = components["schemas"]["PartialRun"];
export type RunDetail = components["schemas"]["RunDetail"];
export type Job = components["schemas"]["Job"];
export type JobStatus = components["schemas"]["JobStatus"];
export type JobInput = components["schemas"]["JobInput"];

export function connect(baseUrl: string) {
  return createClient<paths>({ baseUrl });
}
type Paddles = ReturnType<typeof connect>;

// pulpito's front page: the latest runs with their status and results, and how many there are.
// fields= narrows each run to the keys it names, so the listing's runs are PartialRuns.
export async function latestRuns(paddles: Paddles, count = 25): Promise<{ runs: PartialRun[]; total: number }> {
  const { data, error, response } = await paddles.GET("/runs/", {
    params: { query: { count, fields: "name,status,results,scheduled" } },
  });
  if (error) {
    throw new Error(`GET /runs/: ${error.message}`);
  }
  return { runs: data, total: Number(response.headers.get("X-Total-Count") ?? data.length) };
}

// A run's failed and dead jobs, with their reasons, as teuthology's results e-mail lists them.
export async function failures(paddles: Paddles, name: string): Promise<string[]> {
  const { data, error } = await paddles.GET("/runs/{name}/", { params: { path: { name } } });
  if (error) {
    throw new Error(`GET /runs/${name}/: ${error.message}`);
  }
  const run: RunDetail = data;
  const bad: JobStatus[] = ["fail", "dead"];
  return run.jobs
    .filter((job: Job) => bad.includes(job.status))
    .map((job: Job) => `${job.job_id} ${job.status}: ${job.failure_reason ?? "(no reason)"} ${job.log_href}`);
}

// teuthology's report_job: POST the job; when it exists already (a 400 whose message ends with
// "already exists"), PUT the same body to the job's URL.
export async function reportJob(paddles: Paddles, run: string, job: JobInput & { job_id: string | number }): Promise<void> {
  const created = await paddles.POST("/runs/{name}/jobs/", { params: { path: { name: run } }, body: job });
  if (!created.error) {
    return;
  }
  if (!created.error.message.endsWith("already exists")) {
    throw new Error(`POST job ${job.job_id}: ${created.error.message}`);
  }
  const updated = await paddles.PUT("/runs/{name}/jobs/{job_id}/", {
    params: { path: { name: run, job_id: String(job.job_id) } },
    body: job,
  });
  if (updated.error) {
    throw new Error(`PUT job ${job.job_id}: ${updated.error.message}`);
  }
}

// The suites of the main branch's runs, and the runs of one of them since a day.
export async function mainSuites(paddles: Paddles): Promise<{ suites: string[]; rados: Run[] }> {
  const suites = await paddles.GET("/runs/suite/");
  const rados = await paddles.GET("/runs/{field}/{value}/", {
    params: { path: { field: "suite", value: "rados" }, query: { since: "2026-01-01", count: 10 } },
  });
  return { suites: suites.data ?? [], rados: rados.data ?? [] };
}
