package tls

// appendUintN appends v as n big-endian octets.
func appendUintN(b []byte, n int, v uint64) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*uint(i))))
	}
	return b
}

// putUintN writes v as n big-endian octets at the start of b.
func putUintN(b []byte, n int, v uint64) {
	for i := 0; i < n; i++ {
		b[i] = byte(v >> (8 * uint(n-1-i)))
	}
}

// uintN reads a big-endian integer of len(b) octets.
func uintN(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}
