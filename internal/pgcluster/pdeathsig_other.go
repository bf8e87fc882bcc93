//go:build !linux

package pgcluster

import "syscall"

// setParentDeathSignal does nothing: only Linux can tie the server's
// lifetime to ours, so elsewhere a server outlives a crashed paddles until
// it is stopped by hand. Kept so paddles still builds on macOS.
func setParentDeathSignal(*syscall.SysProcAttr) {}
