package cli

import (
	"flag"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/ceph/paddles-go/internal/store"
)

// opsConfig is the operability part of the configuration: timeouts, the database pool, CORS and
// write tokens.
type opsConfig struct {
	readHeaderTimeout  time.Duration
	readTimeout        time.Duration
	writeTimeout       time.Duration
	idleTimeout        time.Duration
	dbStatementTimeout time.Duration
	dbMaxConns         int
	dbOutageWait       time.Duration
	dbOutageWaiters    int
	corsOrigins        string
	writeTokens        string
	writeTokensFile    string
	readDatabaseURL    string
	maxReplicaLag      time.Duration

	// secrets are the string flags whose environment value is applied after parsing instead of
	// being shown as their default by --help.
	secrets []secretFlag
}

type secretFlag struct {
	name string
	p    *string
	vars []string
}

// opsFlags declares the operability flags of serve.
func (c *opsConfig) opsFlags(fs *flag.FlagSet, getenv func(string) string) {
	dur := func(p *time.Duration, name string, def time.Duration, help, env string) {
		*p = def
		if d, err := time.ParseDuration(getenv(env)); err == nil {
			*p = d
		}
		fs.DurationVar(p, name, *p, help+" ["+env+"]")
	}
	dur(&c.readHeaderTimeout, "read-header-timeout", 10*time.Second, "how long a client may take to send a request's headers", "PADDLES_READ_HEADER_TIMEOUT")
	dur(&c.readTimeout, "read-timeout", 2*time.Minute, "how long a client may take to send a whole request, body included", "PADDLES_READ_TIMEOUT")
	dur(&c.writeTimeout, "write-timeout", 2*time.Minute, "how long a request may take from the end of its headers to the end of its answer", "PADDLES_WRITE_TIMEOUT")
	dur(&c.idleTimeout, "idle-timeout", 2*time.Minute, "how long a kept-alive connection may wait for its next request", "PADDLES_IDLE_TIMEOUT")
	dur(&c.dbStatementTimeout, "db-statement-timeout", 30*time.Second, "PostgreSQL statement_timeout of the server's queries (0: the database's own); migrations are not bounded", "PADDLES_DB_STATEMENT_TIMEOUT")
	c.secret(fs, &c.readDatabaseURL, "read-database-url", "PostgreSQL URL of a streaming replica for browse-only reads (listings, filters, search, node history); empty: all reads go to the primary", "PADDLES_READ_DATABASE_URL")
	dur(&c.maxReplicaLag, "max-replica-lag", 5*time.Second, "reads leave the replica for the primary while its replay is further behind than this", "PADDLES_MAX_REPLICA_LAG")
	c.dbMaxConns = envInt(getenv("PADDLES_DB_MAX_CONNS"), 10)
	fs.IntVar(&c.dbMaxConns, "db-max-conns", c.dbMaxConns, "largest number of database connections the server opens [PADDLES_DB_MAX_CONNS]")
	dur(&c.dbOutageWait, "db-outage-wait", store.DefaultOutageWait, "how long a request waits for a database that went away (restart, failover) before it answers 503; never beyond --request-timeout; 0: answer 503 at once", "PADDLES_DB_OUTAGE_WAIT")
	c.dbOutageWaiters = envInt(getenv("PADDLES_DB_OUTAGE_WAITERS"), store.DefaultWaitersPerConn)
	fs.IntVar(&c.dbOutageWaiters, "db-outage-waiters", c.dbOutageWaiters, "requests that may wait for the database at a time, per connection of --db-max-conns; the next ones answer 503 at once [PADDLES_DB_OUTAGE_WAITERS]")
	c.corsOrigins = "*"
	if v := getenv("PADDLES_CORS_ORIGINS"); v != "" {
		c.corsOrigins = v
	}
	fs.StringVar(&c.corsOrigins, "cors-origins", c.corsOrigins, "comma-separated origins browsers may read answers from (* wildcards allowed); * is any [PADDLES_CORS_ORIGINS]")
	c.secret(fs, &c.writeTokens, "write-tokens", "comma-separated bearer tokens that writes (all but GET, HEAD, OPTIONS) must carry; empty: writes are open", "PADDLES_WRITE_TOKENS")
	c.secret(fs, &c.writeTokensFile, "write-tokens-file", "file of write tokens, one a line (# comments), added to --write-tokens", "PADDLES_WRITE_TOKENS_FILE")
}

// secret declares a string flag set from the environment after parsing, so that --help never
// prints a secret the environment holds.
func (c *opsConfig) secret(fs *flag.FlagSet, p *string, name, help string, vars ...string) {
	fs.StringVar(p, name, "", help+" ["+strings.Join(vars, ", ")+"]")
	c.secrets = append(c.secrets, secretFlag{name, p, vars})
}

// resolveSecrets gives the secret flags not set on the command line their environment value.
func (c *opsConfig) resolveSecrets(fs *flag.FlagSet, getenv func(string) string) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, s := range c.secrets {
		if set[s.name] {
			continue
		}
		for _, v := range s.vars {
			if val := getenv(v); val != "" {
				*s.p = val
				break
			}
		}
	}
}

// check rejects settings that cannot work.
func (c *opsConfig) check() error {
	for name, d := range map[string]time.Duration{"--read-header-timeout": c.readHeaderTimeout, "--read-timeout": c.readTimeout,
		"--write-timeout": c.writeTimeout, "--idle-timeout": c.idleTimeout, "--db-statement-timeout": c.dbStatementTimeout,
		"--db-outage-wait": c.dbOutageWait} {
		if d < 0 {
			return fmt.Errorf("%s must not be negative", name)
		}
	}
	if c.dbMaxConns < 1 || c.dbMaxConns > 10000 {
		return fmt.Errorf("--db-max-conns must be between 1 and 10000, not %d", c.dbMaxConns)
	}
	if c.dbOutageWaiters < 0 || c.dbOutageWaiters > 1000 {
		return fmt.Errorf("--db-outage-waiters must be between 0 and 1000, not %d", c.dbOutageWaiters)
	}
	return nil
}

// outageWait returns the store's setting for waiting on a database that went away: at most
// --db-outage-wait, and no longer than a request may take.
func (c *opsConfig) outageWait(requestTimeout time.Duration) store.Option {
	wait := c.dbOutageWait
	if requestTimeout > 0 {
		wait = min(wait, requestTimeout)
	}
	return store.OutageWait(wait, c.dbOutageWaiters*c.dbMaxConns)
}

// origins returns the CORS origins; nil means any.
func (c *opsConfig) origins() []string {
	return splitList(c.corsOrigins, ",")
}

// tokens returns the write tokens of --write-tokens and --write-tokens-file.
func (c *opsConfig) tokens() ([]string, error) {
	tokens := splitList(c.writeTokens, ",")
	if c.writeTokensFile == "" {
		return tokens, nil
	}
	b, err := os.ReadFile(c.writeTokensFile)
	if err != nil {
		return nil, fmt.Errorf("--write-tokens-file: %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			tokens = append(tokens, line)
		}
	}
	if len(tokens) == 0 {
		return nil, fmt.Errorf("--write-tokens-file %s holds no token", c.writeTokensFile)
	}
	return tokens, nil
}

func splitList(s, sep string) []string {
	var out []string
	for _, v := range strings.Split(s, sep) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// redactURL hides the password of a PostgreSQL URL or keyword/value string, for the logs.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		if q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
		}
		return u.Redacted()
	}
	return dsnPassword.ReplaceAllString(s, "${1}xxxxx")
}
