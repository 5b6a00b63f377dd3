//go:build linux

package testpeer

import (
	"os"
	"os/exec"
	"syscall"
	"unsafe"
)

// setProcAttr makes the kernel kill the child if the test binary dies
// without running its cleanups (e.g. on a go test timeout panic).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// pipePending returns the number of bytes written to the pipe f but not
// yet read by the other end; ok is false if that cannot be determined.
func pipePending(f *os.File) (n int, ok bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	var cnt int32
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&cnt)))
	}); err != nil || errno != 0 {
		return 0, false
	}
	return int(cnt), true
}
