// Command build is `make firmware`: it builds the firmware example with
// TinyGo for every target (Cortex-M4 and Cortex-M3 on QEMU's mps2 boards,
// and wasip1) into -o, and prints TinyGo's size report for each.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tabletls/tabletls/firmware/tinygo"
)

func main() {
	out := flag.String("o", "firmware/bin", "output directory")
	pkg := flag.String("pkg", "./firmware/device", "package to build")
	only := flag.String("target", "", "build only this target (cortex-m4, cortex-m3, wasip1)")
	ram := flag.Int("ram", 0, "RAM of the mps2 board in bytes (0: the default)")
	stack := flag.Int("stack", 0, "main goroutine stack in bytes (0: the default)")
	gc := flag.String("gc", "", "TinyGo garbage collector (default: the target's)")
	flag.Parse()
	tc, err := tinygo.Find()
	if err != nil {
		fail(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	for _, t := range tinygo.Targets {
		if *only != "" && t.Name != *only {
			continue
		}
		img := filepath.Join(*out, "device-"+t.Name+t.Ext)
		size, err := tc.Build(tinygo.Options{Target: t, Package: *pkg, Output: img, RAM: *ram, Stack: *stack, GC: *gc, SizeInfo: true})
		if err != nil {
			fail(err)
		}
		fmt.Printf("%s\n%s", img, size)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "firmware:", err)
	os.Exit(1)
}
