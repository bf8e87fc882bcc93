// Package pgcluster runs a private PostgreSQL server from the system's
// PostgreSQL binaries, so paddles needs no separately managed database:
// `paddles serve` keeps a persistent cluster in a project-local directory and
// tests start throwaway ones.
//
// The server is started as a child process that listens only on a Unix
// socket in a fresh private directory. Nothing is ever bound to a TCP port, so
// any number of clusters (parallel test packages, several checkouts) can run
// side by side without clashing, and nobody else on the machine can reach
// them.
package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// port only names the socket file (.s.PGSQL.5432); with
	// listen_addresses='' nothing listens on TCP, so it never clashes.
	port = 5432

	startTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
	tailSize     = 8 << 10
)

// FindBinDir returns the directory holding initdb and postgres.
//
// PATH wins so that a user can pick a version explicitly; symlinks are
// resolved because Debian only links the binaries into PATH (e.g.
// /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb) and keeps them
// in a versioned directory that is not on PATH. Failing that, the highest
// version under /usr/lib/postgresql/*/bin is used.
func FindBinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		if dir := filepath.Dir(p); hasServerBinaries(dir) {
			return dir, nil
		}
	}

	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	best, bestVersion := "", -1.0
	for _, dir := range dirs {
		// Versions are "15", "16" or old-style "9.6"; parse as a number so
		// that 10 sorts above 9.6.
		v, err := strconv.ParseFloat(filepath.Base(filepath.Dir(dir)), 64)
		if err != nil || v <= bestVersion || !hasServerBinaries(dir) {
			continue
		}
		best, bestVersion = dir, v
	}
	if best != "" {
		return best, nil
	}
	return "", errors.New("PostgreSQL server binaries (initdb, postgres) not found on PATH " +
		"or under /usr/lib/postgresql/*/bin; install them (Debian/Ubuntu: `apt-get install -y postgresql`) " +
		"or use an existing server by passing a database URL (--database-url or PADDLES_DATABASE_URL)")
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// Options configure Start.
type Options struct {
	DataDir  string            // created with initdb when it holds no PG_VERSION yet; reused otherwise
	BinDir   string            // "" means FindBinDir()
	Settings map[string]string // extra server settings passed as -c k=v (tests pass fsync=off etc.)
	Log      io.Writer         // the server's own stderr/stdout; nil discards
}

// Cluster is a running PostgreSQL server started by Start.
type Cluster struct {
	binDir  string
	sockDir string
	cmd     *exec.Cmd
	out     *tailWriter
	done    chan struct{} // closed when the server process has exited
	waitErr error         // cmd.Wait's result; read only after done is closed

	stopOnce sync.Once
	stopErr  error
}

// Start initialises the cluster in opts.DataDir if needed, starts the server
// and waits until it accepts connections. opts.Settings cannot override
// listen_addresses, unix_socket_directories or port.
//
// The server runs `postgres` directly (not pg_ctl) as our child process so
// that we own its lifetime: it gets SIGINT (fast shutdown) when our process
// dies, and it sits in its own process group so a Ctrl-C in the terminal
// reaches only us, letting the caller finish using the database before it
// calls Stop.
//
// initdb and postgres refuse to run as root, so when running as root both are
// run as the "postgres" OS user, which must be able to reach DataDir (every
// parent directory needs the x bit for it).
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.DataDir == "" {
		return nil, errors.New("pgcluster: Options.DataDir is empty")
	}
	dataDir, err := filepath.Abs(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	binDir := opts.BinDir
	if binDir == "" {
		if binDir, err = FindBinDir(); err != nil {
			return nil, err
		}
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if err := checkNotRunning(dataDir); err != nil {
		return nil, err
	}

	if _, err := os.Stat(filepath.Join(dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := initdb(ctx, binDir, dataDir, cred); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("pgcluster: %w%s", err, accessHint(dataDir, cred))
	}

	sockDir, err := makeSocketDir(cred)
	if err != nil {
		return nil, err
	}

	args := []string{"-D", dataDir}
	keys := make([]string, 0, len(opts.Settings))
	for k := range opts.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+opts.Settings[k])
	}
	// Last, so that Settings cannot re-enable TCP or move the socket.
	args = append(args,
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories="+sockDir,
		"-c", "port="+strconv.Itoa(port),
	)

	c := &Cluster{
		binDir:  binDir,
		sockDir: sockDir,
		cmd:     exec.Command(filepath.Join(binDir, "postgres"), args...),
		out:     &tailWriter{log: opts.Log},
		done:    make(chan struct{}),
	}
	c.cmd.Stdout = c.out
	c.cmd.Stderr = c.out
	// Backends inherit the output pipe; if any outlive the postmaster
	// (e.g. after it was SIGKILLed) don't let Wait block on them forever.
	c.cmd.WaitDelay = 2 * time.Second
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	setParentDeathSignal(c.cmd.SysProcAttr)
	if err := c.cmd.Start(); err != nil {
		os.RemoveAll(sockDir)
		return nil, fmt.Errorf("pgcluster: starting postgres: %w", err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.done)
	}()

	if err := c.waitReady(ctx); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

// waitReady polls until the server accepts connections: the socket appears
// before the server has finished recovery, so only a successful connection
// proves it is usable.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	var lastErr error
	for {
		attemptCtx, attemptCancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(attemptCtx, c.URL("postgres"))
		attemptCancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		lastErr = err
		select {
		case <-c.done:
			return fmt.Errorf("pgcluster: postgres exited during startup (%v)%s", c.waitErr, c.out.tailText())
		case <-ctx.Done():
			return fmt.Errorf("pgcluster: postgres did not accept connections: %w (last attempt: %v)%s",
				ctx.Err(), lastErr, c.out.tailText())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// URL returns a pgx connection URL for database dbname over the Unix socket,
// e.g. postgres://postgres@/dbname?host=/tmp/pgsock123&port=5432&sslmode=disable
func (c *Cluster) URL(dbname string) string {
	// Slashes are legal in a query; keeping them makes the URL readable in logs.
	host := strings.ReplaceAll(url.QueryEscape(c.sockDir), "%2F", "/")
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%d&sslmode=disable",
		url.PathEscape(dbname), host, port)
}

// Stop asks for a fast shutdown (SIGINT: roll back open transactions,
// disconnect clients, checkpoint), waits for the server to exit, escalating
// to SIGQUIT and finally SIGKILL if it hangs, and removes the socket
// directory. It is safe to call more than once; later calls return the first
// call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() { c.stopErr = c.stop() })
	return c.stopErr
}

func (c *Cluster) stop() error {
	defer os.RemoveAll(c.sockDir)
	var escalated []string
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGKILL} {
		if err := c.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("pgcluster: signalling postgres: %w", err)
		}
		select {
		case <-c.done:
			if escalated != nil {
				return fmt.Errorf("pgcluster: postgres did not shut down within %v of %s%s",
					stopTimeout, strings.Join(escalated, ", then "), c.out.tailText())
			}
			if c.waitErr != nil {
				return fmt.Errorf("pgcluster: postgres: %w%s", c.waitErr, c.out.tailText())
			}
			return nil
		case <-time.After(stopTimeout):
			escalated = append(escalated, sig.String())
		}
	}
	<-c.done
	return fmt.Errorf("pgcluster: postgres survived SIGKILL%s", c.out.tailText())
}

// serverCredential returns the identity to run initdb and postgres as:
// nil (ourselves) unless we are root, which both programs refuse.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root, and PostgreSQL refuses to run as root, "+
			"but there is no \"postgres\" OS user to run it as (%v); create one "+
			"(e.g. `useradd --system postgres`) or run paddles as an unprivileged user", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pgcluster: user postgres: %w", err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	// Without this the child would get no supplementary groups at all
	// (e.g. ssl-cert on Debian).
	if ids, err := u.GroupIds(); err == nil {
		for _, id := range ids {
			if g, err := strconv.ParseUint(id, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	return cred, nil
}

func initdb(ctx context.Context, binDir, dataDir string, cred *syscall.Credential) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := chown(dataDir, cred); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"),
		"-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C",
		// Durability of a half-initialised cluster is worthless: if we crash
		// now the next Start fails on the non-empty directory either way.
		"--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgcluster: initdb %s: %w\n%s%s", dataDir, err, bytes.TrimSpace(out), accessHint(dataDir, cred))
	}
	return nil
}

// BaseBackup copies the running cluster into dataDir as a streaming standby of it, with
// PostgreSQL's own pg_basebackup -R: Start it like any cluster and it follows this one (read-only,
// hot standby). For tests of read replicas.
func (c *Cluster) BaseBackup(ctx context.Context, dataDir string) error {
	cred, err := serverCredential()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := chown(dataDir, cred); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, "pg_basebackup"),
		"-h", c.sockDir, "-p", strconv.Itoa(port), "-U", "postgres", "-D", dataDir,
		"-R", "-X", "stream", "--checkpoint=fast", "--no-sync")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: pg_basebackup into %s: %w\n%s", dataDir, err, bytes.TrimSpace(out))
	}
	return nil
}

// makeSocketDir creates the private directory for the server's socket. It is
// not inside the data directory because a socket path must fit in 107 bytes.
func makeSocketDir(cred *syscall.Credential) (string, error) {
	base := os.TempDir()
	if len(base) > 64 {
		base = "/tmp"
	}
	dir, err := os.MkdirTemp(base, "pgsock")
	if err != nil {
		return "", fmt.Errorf("pgcluster: %w", err)
	}
	if err := chown(dir, cred); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

func chown(path string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	if err := os.Chown(path, int(cred.Uid), int(cred.Gid)); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	return nil
}

// checkNotRunning fails if postmaster.pid names a live server. postgres would
// refuse too, but only with a lock-file message after we have set up a
// socket directory; this says plainly what is wrong.
func checkNotRunning(dataDir string) error {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return nil // no pid file (or unreadable: let postgres judge)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 || pid == os.Getpid() {
		return nil
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return nil // stale pid file; postgres removes it itself
	}
	// After a reboot or container restart the pid may belong to an
	// unrelated process; only a postgres counts.
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil &&
		strings.TrimSpace(string(comm)) != "postgres" {
		return nil
	}
	return fmt.Errorf("pgcluster: a PostgreSQL server (pid %d) is already running on data directory %s; "+
		"stop it (or the paddles process that started it) first", pid, dataDir)
}

// accessHint explains the most common failure when running as root: the
// postgres user cannot traverse a parent directory (e.g. /root is 0700).
func accessHint(dataDir string, cred *syscall.Credential) string {
	if cred == nil {
		return ""
	}
	for dir := filepath.Dir(dataDir); ; dir = filepath.Dir(dir) {
		fi, err := os.Stat(dir)
		if err == nil && !searchable(fi, cred) {
			return fmt.Sprintf("\nhint: the server runs as OS user postgres (uid %d), which cannot enter %s; "+
				"make it searchable (chmod o+x %s) or choose a data directory elsewhere",
				cred.Uid, dir, dir)
		}
		if dir == filepath.Dir(dir) {
			return ""
		}
	}
}

func searchable(fi os.FileInfo, cred *syscall.Credential) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	mode := fi.Mode().Perm()
	if st.Uid == cred.Uid {
		return mode&0o100 != 0
	}
	inGroup := st.Gid == cred.Gid
	for _, g := range cred.Groups {
		inGroup = inGroup || st.Gid == g
	}
	if inGroup {
		return mode&0o010 != 0
	}
	return mode&0o001 != 0
}

// tailWriter forwards the server's output to the caller's log and keeps the
// last few KiB for error messages. Write never fails: an error from the log
// must not stall the server on a full pipe.
type tailWriter struct {
	log io.Writer

	mu   sync.Mutex
	tail []byte
}

func (w *tailWriter) Write(p []byte) (int, error) {
	if w.log != nil {
		w.log.Write(p)
	}
	w.mu.Lock()
	w.tail = append(w.tail, p...)
	if len(w.tail) > tailSize {
		w.tail = append(w.tail[:0], w.tail[len(w.tail)-tailSize:]...)
	}
	w.mu.Unlock()
	return len(p), nil
}

// tailText returns the kept output formatted for appending to an error.
func (w *tailWriter) tailText() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	t := bytes.TrimSpace(w.tail)
	if len(t) == 0 {
		return ""
	}
	return "\nserver output (tail):\n" + string(t)
}
