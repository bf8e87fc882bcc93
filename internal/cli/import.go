package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/ceph/paddles-go/internal/importer"
)

// importCommand runs "paddles import": it copies an upstream paddles database into this server's
// database (the one serve would use), then verifies the copy.
func importCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var (
		c          config
		from       string
		dryRun     bool
		verifyOnly bool
		verify     bool
		opts       importer.Options
		vopts      importer.VerifyOptions
	)
	fs := flag.NewFlagSet("paddles import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: paddles import --from <upstream paddles database URL> [flags]

Copies an upstream paddles database (runs, jobs, nodes, job-node links, queues) into this server's
database: --database-url, or the local PostgreSQL under --data-dir as serve uses. Then verifies the
copy. Into a target that holds no runs and no jobs (a first import) everything is loaded in one
transaction, in bulk (unless --no-bulk): the server's requests on the imported tables wait until it
commits, and an interrupted one rolls back and starts over when run again. Any other import is
written batch by batch, each batch in its own transaction: safe to interrupt and run again, it
resumes after its last committed batch.

`)
		fs.PrintDefaults()
	}
	c.flags(fs, getenv, cmdMigrate)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	envBool := func(name string, def bool) bool {
		if b, err := strconv.ParseBool(getenv(name)); err == nil {
			return b
		}
		return def
	}
	fs.StringVar(&from, "from", env("PADDLES_IMPORT_FROM", ""), "URL of the upstream paddles PostgreSQL database to import (read only) [PADDLES_IMPORT_FROM]")
	fs.BoolVar(&dryRun, "dry-run", envBool("PADDLES_IMPORT_DRY_RUN", false), "only count what would be imported, and the duplicate jobs; touches no database [PADDLES_IMPORT_DRY_RUN]")
	fs.BoolVar(&verifyOnly, "verify-only", envBool("PADDLES_IMPORT_VERIFY_ONLY", false), "do not import; compare the two databases [PADDLES_IMPORT_VERIFY_ONLY]")
	fs.BoolVar(&verify, "verify", envBool("PADDLES_IMPORT_VERIFY", true), "compare the two databases after the import [PADDLES_IMPORT_VERIFY]")
	fs.IntVar(&vopts.Sample, "verify-sample", envInt(getenv("PADDLES_IMPORT_VERIFY_SAMPLE"), 1000), "how many runs, and jobs, the verification compares field by field [PADDLES_IMPORT_VERIFY_SAMPLE]")
	seed, _ := strconv.ParseUint(getenv("PADDLES_IMPORT_VERIFY_SEED"), 10, 64)
	fs.Uint64Var(&vopts.Seed, "verify-seed", seed, "seed of the verification's sample; 0 picks one [PADDLES_IMPORT_VERIFY_SEED]")
	fs.IntVar(&opts.BatchSize, "batch-size", envInt(getenv("PADDLES_IMPORT_BATCH_SIZE"), 20000), "about how many upstream rows (runs and jobs) each transaction writes [PADDLES_IMPORT_BATCH_SIZE]")
	fs.BoolVar(&opts.NoBulk, "no-bulk", envBool("PADDLES_IMPORT_NO_BULK", false), "write batch by batch even into an empty target, instead of in one bulk transaction that locks the tables [PADDLES_IMPORT_NO_BULK]")
	fs.BoolVar(&opts.Restart, "restart", envBool("PADDLES_IMPORT_RESTART", false), "ignore an interrupted import's checkpoint and start from the first run [PADDLES_IMPORT_RESTART]")
	every, err := time.ParseDuration(getenv("PADDLES_IMPORT_PROGRESS_INTERVAL"))
	if err != nil {
		every = 10 * time.Second
	}
	fs.DurationVar(&opts.ProgressEvery, "progress-interval", every, "how often progress is printed when stderr is not a terminal [PADDLES_IMPORT_PROGRESS_INTERVAL]")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "paddles import: unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	c.resolveSecrets(fs, getenv)
	if from == "" {
		fmt.Fprintln(stderr, "paddles import: --from (or PADDLES_IMPORT_FROM) must name the upstream paddles database")
		return errUsage
	}
	if dryRun && verifyOnly {
		fmt.Fprintln(stderr, "paddles import: --dry-run and --verify-only exclude each other")
		return errUsage
	}
	log, err := newLogger(&c, stderr)
	if err != nil {
		return err
	}

	if dryRun {
		counts, err := importer.DryRun(ctx, from, importer.Options{Progress: stderr, Terminal: importer.IsTerminal(stderr)})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "dry run: an import would write")
		counts.Write(stdout)
		return nil
	}

	pool, closeDB, err := openDatabase(ctx, &c, log)
	if err != nil {
		return err
	}
	defer closeDB()
	if !verifyOnly {
		opts.Progress = stderr
		opts.Terminal = importer.IsTerminal(stderr)
		report, err := importer.Import(ctx, from, pool, opts)
		if err != nil {
			switch {
			case report != nil && report.Bulk:
				return fmt.Errorf("bulk import failed and rolled back: the target is empty again; run the same command again to start over (%w)", err)
			case ctx.Err() != nil:
				return fmt.Errorf("import interrupted; run the same command again to resume after the last committed batch (%w)", err)
			}
			return err
		}
		report.Write(stdout)
		if !verify {
			return nil
		}
	}
	vopts.Progress, vopts.Terminal = stderr, importer.IsTerminal(stderr)
	v, err := importer.Verify(ctx, from, pool, vopts)
	if err != nil {
		return fmt.Errorf("verifying: %w", err)
	}
	v.Write(stdout)
	if !v.OK() {
		return fmt.Errorf("verification failed: %d mismatches", len(v.Mismatches))
	}
	return nil
}
