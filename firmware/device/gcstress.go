//go:build gcstress

package main

import "runtime"

// With -tags gcstress the device collects garbage at every link read and
// write and at every step of the state machine (Config.Trace), so that the
// collector runs deep inside the handshake: a stress test of the GC and of
// the stack margin. gcStress is reported, so a test can tell the stress build.
const gcStress = true

func collect() { runtime.GC() }
