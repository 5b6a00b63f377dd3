//go:build !gcstress

package main

const gcStress = false

func collect() {}
