//go:build mps2

package main

import (
	"device/arm"
	"io"
	"runtime/volatile"
	"unsafe"
)

// QEMU's mps2-an385 (Cortex-M3) and mps2-an386 (Cortex-M4) boards: the link
// is UART0, an ARM CMSDK APB UART, polled; QEMU connects it to a host
// chardev (the bridge's socket). The console is semihosting.
type cmsdkUART struct {
	data    volatile.Register32
	state   volatile.Register32
	ctrl    volatile.Register32
	intr    volatile.Register32
	bauddiv volatile.Register32
}

const (
	uartTxFull = 1 << 0
	uartRxFull = 1 << 1
	uartTxEn   = 1 << 0
	uartRxEn   = 1 << 1
)

var uart0 = (*cmsdkUART)(unsafe.Pointer(uintptr(0x40004000)))

type uartLink struct{ u *cmsdkUART }

func openLink() io.ReadWriter {
	uart0.bauddiv.Set(16) // the smallest divider the CMSDK UART accepts
	uart0.ctrl.Set(uartTxEn | uartRxEn)
	return uartLink{uart0}
}

// Read waits for one octet, then takes what else has already arrived.
func (l uartLink) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for l.u.state.Get()&uartRxFull == 0 {
	}
	n := 0
	for n < len(p) && l.u.state.Get()&uartRxFull != 0 {
		p[n] = byte(l.u.data.Get())
		n++
	}
	return n, nil
}

func (l uartLink) Write(p []byte) (int, error) {
	for _, c := range p {
		for l.u.state.Get()&uartTxFull != 0 {
		}
		l.u.data.Set(uint32(c))
	}
	return len(p), nil
}

var line [512]byte

// report writes "key=value\n" through semihosting SYS_WRITE0, in pieces
// that fit the NUL-terminated line buffer.
func report(key, value string) {
	s := key + "=" + quote(value) + "\n"
	for len(s) > 0 {
		n := copy(line[:len(line)-1], s)
		line[n] = 0
		arm.SemihostingCall(arm.SemihostingWrite0, uintptr(unsafe.Pointer(&line[0])))
		s = s[n:]
	}
}

// finish ends the QEMU run: the exit status says whether the run succeeded.
func finish(ok bool) {
	reason := uintptr(arm.SemihostingApplicationExit)
	if !ok {
		reason = arm.SemihostingRunTimeErrorUnknown
	}
	arm.SemihostingCall(arm.SemihostingReportException, reason)
	for {
		arm.Asm("wfi")
	}
}
