//go:build mps2

package main

import (
	"device/arm"
	"errors"
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
	s := reportLine(key, value)
	for len(s) > 0 {
		n := copy(line[:len(line)-1], s)
		line[n] = 0
		arm.SemihostingCall(arm.SemihostingWrite0, uintptr(unsafe.Pointer(&line[0])))
		s = s[n:]
	}
}

// finish waits for the UART to send its last octet, then idles, as a
// device does between reports. It does not end the QEMU run itself: QEMU
// drops octets still queued in its chardev when the guest exits, so the
// bridge stops QEMU once it has read the result line and as many octets as
// link_tx says were sent. A panic still exits through the runtime.
func finish(ok bool) {
	for uart0.state.Get()&uartTxFull != 0 {
	}
	for {
		arm.Asm("wfi")
	}
}

// The main goroutine's stack comes from the heap, and nothing stops an
// overflow from running into the objects below it: a silent corruption, a
// wrong answer. TinyGo checks only a canary word at the stack's lowest
// address, and only when goroutines switch. So the device paints its free
// stack before the connection and, before it reports a result, checks how
// much paint is left: the high-water mark (stack_free in the report), and a
// guard band at the bottom that must be intact, or the run is a failure.
const (
	stackCanary = 0xb83bf575 // internal/task's canary, on 32 bits
	stackPaint  = 0x57ac57ac
	stackGuard  = 1024 // octets at the bottom that must stay painted
	maxStack    = 256 << 10
)

var stackBottom uintptr // the canary's address; 0 if not found

// paintStack finds the current goroutine's stack bottom (its canary) below
// the stack pointer and paints everything between it and the caller's frame.
func paintStack() {
	sp := arm.AsmFull("mov {}, sp", nil) &^ 3
	for p := sp - 4; p > sp-maxStack; p -= 4 {
		if *(*uint32)(unsafe.Pointer(p)) == stackCanary {
			stackBottom = p
			break
		}
	}
	if stackBottom == 0 {
		return
	}
	for p := stackBottom + 4; p < sp-256; p += 4 {
		*(*uint32)(unsafe.Pointer(p)) = stackPaint
	}
}

// checkStack returns the octets of stack never used, and an error if the
// guard band at the bottom was touched.
func checkStack() (free int, err error) {
	if stackBottom == 0 {
		return 0, errors.New("device: stack canary not found")
	}
	p := stackBottom + 4
	for *(*uint32)(unsafe.Pointer(p)) == stackPaint {
		p += 4
	}
	free = int(p - stackBottom - 4)
	if free < stackGuard {
		return free, errors.New("device: stack overflow: the guard band at the bottom of the stack was written; the result cannot be trusted")
	}
	return free, nil
}
