//go:build !linux

package testpeer

import (
	"os"
	"os/exec"
)

func setProcAttr(cmd *exec.Cmd) {}

func pipePending(f *os.File) (n int, ok bool) { return 0, false }
