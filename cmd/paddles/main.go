// Command paddles serves the paddles API: test results for Ceph's teuthology.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ceph/paddles-go/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
