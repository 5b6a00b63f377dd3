//go:build gcstress

package main

import "runtime"

// With -tags gcstress the device collects garbage at every link read and
// write, so that the collector runs at the deepest points of the handshake:
// a stress test of the GC and of the stack margin.
// gcStress is reported, so a test can tell the stress build.
const gcStress = true

func collect() { runtime.GC() }
