package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/ceph/paddles-go/internal/paddles"
	"github.com/ceph/paddles-go/internal/service"
	"github.com/ceph/paddles-go/internal/store"
)

// pruneConfig is the retention policy of paddles prune, or of serve's background pass.
type pruneConfig struct {
	policy   paddles.PrunePolicy
	dryRun   bool
	every    time.Duration
	progress time.Duration
}

// tagList is a repeatable flag of tags; each value may also hold several, comma-separated.
type tagList []string

func (t *tagList) String() string { return strings.Join(*t, ",") }
func (t *tagList) Set(v string) error {
	for _, tag := range strings.Split(v, ",") {
		if tag = strings.TrimSpace(tag); tag != "" {
			*t = append(*t, tag)
		}
	}
	return nil
}

// ageFlag is a duration flag that also takes days (7d, 365d).
type ageFlag struct {
	d    *time.Duration
	name string
}

func (a ageFlag) String() string {
	if a.d == nil {
		return "0s"
	}
	return a.d.String()
}
func (a ageFlag) Set(v string) error {
	d, err := paddles.ParseAge("--"+a.name, v)
	if err != nil {
		return errors.New(paddles.ErrorMessage(err))
	}
	*a.d = d
	return nil
}

// flags declares the policy's flags: paddles prune's (--older-than, ...), or, in serve, the same
// prefixed with prune- and the pass's interval.
func (p *pruneConfig) flags(fs *flag.FlagSet, env func(...string) string, serve bool) {
	prefix, envPrefix := "", "PADDLES_PRUNE_"
	if serve {
		prefix = "prune-"
	}
	age := func(d *time.Duration, name string, def time.Duration, help string) {
		variable := envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
		*d = def
		if v := env(variable); v != "" {
			if e, err := paddles.ParseAge(variable, v); err == nil {
				*d = e
			}
		}
		fs.Var(ageFlag{d, prefix + name}, prefix+name, help+" ["+variable+"]")
	}
	olderHelp := "delete runs scheduled longer ago than this (e.g. 365d, 8760h; at least 1h)"
	if serve {
		olderHelp = "if set, serve deletes runs scheduled longer ago than this every --prune-interval (e.g. 365d; at least 1h); 0 turns it off"
	}
	age(&p.policy.OlderThan, "older-than", 0, olderHelp)
	age(&p.policy.KeepFailedFor, "keep-failed-for", 0, "keep runs with failed or dead jobs until they are this old, if longer than --"+prefix+"older-than")
	tags := (*tagList)(&p.policy.KeepTags)
	tags.Set(env(envPrefix + "KEEP_TAGS"))
	tagFlag := "keep-tag"
	if serve {
		tagFlag = "prune-keep-tags"
	}
	fs.Var(tags, tagFlag, "never delete runs carrying this tag (repeatable, or comma-separated) ["+envPrefix+"KEEP_TAGS]")
	if serve {
		age(&p.every, "interval", time.Hour, "how often serve's prune pass runs, when --prune-older-than is set")
		return
	}
	fs.BoolVar(&p.dryRun, "dry-run", false, "count what would be deleted, batch by batch, and delete nothing")
	age(&p.progress, "progress-every", 5*time.Second, "how often to print a progress line")
}

func pruneCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	c, log, err := setup("prune", args, getenv, stderr, cmdPrune)
	if err != nil {
		return err
	}
	if c.prune.policy.OlderThan == 0 {
		fmt.Fprintln(stderr, "paddles prune: --older-than is required")
		return errUsage
	}
	pool, closeDB, err := openDatabase(ctx, c, log)
	if err != nil {
		return err
	}
	defer closeDB()
	svc := service.New(store.New(pool, nil, 0, log), service.Options{}, log)
	verb := "deleted"
	if c.prune.dryRun {
		verb = "would delete"
	}
	var last time.Time
	line := func(p service.PruneProgress) {
		pct := 100.0
		if p.ExpectJobs > 0 {
			pct = min(100, 100*float64(p.Jobs)/float64(p.ExpectJobs))
		}
		fmt.Fprintf(stdout, "%s %d of %d runs, %d jobs (%.1f%%), %d links in %s: %.0f jobs/s\n", verb, p.Runs, p.ExpectRuns,
			p.Jobs, pct, p.Links, p.Elapsed.Round(time.Millisecond), float64(p.Jobs)/max(p.Elapsed.Seconds(), 1e-3))
	}
	p, busy, err := svc.Prune(ctx, service.PruneOptions{Policy: c.prune.policy, DryRun: c.prune.dryRun,
		Progress: func(p service.PruneProgress) {
			if time.Since(last) >= c.prune.progress {
				last = time.Now()
				line(p)
			}
		}})
	if busy {
		return errors.New("another prune pass is running; try again")
	}
	secs := max(p.Elapsed.Seconds(), 1e-3)
	summary := fmt.Sprintf("%s %d runs, %d jobs, %d links (%d rows) in %d batches, %s: %.0f jobs/s, %.0f rows/s; longest batch %s",
		verb, p.Runs, p.Jobs, p.Links, p.Rows(), p.Batches, p.Elapsed.Round(time.Millisecond), float64(p.Jobs)/secs,
		float64(p.Rows())/secs, p.LongestBatch.Round(time.Millisecond))
	if err != nil {
		// What the finished batches deleted stays deleted; a rerun continues.
		fmt.Fprintln(stdout, "interrupted: "+summary)
		return err
	}
	fmt.Fprintln(stdout, summary)
	return nil
}

// pruneLoop runs the retention policy every interval until ctx ends. Every replica may run it;
// the service lets one pass run at a time.
func pruneLoop(ctx context.Context, svc *service.Service, pc pruneConfig, log *slog.Logger) {
	every := pc.every
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		p, busy, err := svc.Prune(ctx, service.PruneOptions{Policy: pc.policy})
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("pruning old runs", "err", err, "runs", p.Runs, "jobs", p.Jobs)
		case busy:
			log.Debug("another replica is pruning old runs")
		case p.Runs > 0:
			log.Info("pruned old runs", "runs", p.Runs, "jobs", p.Jobs, "links", p.Links, "batches", p.Batches,
				"duration", p.Elapsed.Round(time.Millisecond), "longest_batch", p.LongestBatch.Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
