//go:build !linux

package main

import "syscall"

// demoSysProcAttr: the defaults; the demo stops its services itself.
func demoSysProcAttr() *syscall.SysProcAttr { return nil }
