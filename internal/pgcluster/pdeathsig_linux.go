package pgcluster

import "syscall"

// setParentDeathSignal makes the kernel send the server SIGINT (fast
// shutdown) when our process dies, however it dies, so no orphaned server
// keeps the data directory locked. Go applies it after switching
// credentials, so it survives the switch to the postgres user.
//
// Strictly, the signal fires when the OS thread that started the server
// exits; Go only retires threads whose goroutine exits while locked to them
// with runtime.LockOSThread, which nothing here does.
func setParentDeathSignal(attr *syscall.SysProcAttr) {
	attr.Pdeathsig = syscall.SIGINT
}
