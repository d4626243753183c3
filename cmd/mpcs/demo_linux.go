package main

import "syscall"

// demoSysProcAttr puts a service in a process group of its own (so the
// demo, not the terminal's Ctrl-C, decides when and in which order they
// stop) and has the kernel kill it if the demo dies.
func demoSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
