package tls

import "golang.org/x/crypto/cryptobyte"

// The small runtime the generated codecs (zz_generated_codecs.go) call.
// Reads never go past the end (cryptobyte.String) and writes append to a
// caller's buffer.

// readLengthPrefixed reads an n-octet big-endian length and that many
// octets into out.
func readLengthPrefixed(s *cryptobyte.String, n int, out *cryptobyte.String) bool {
	var length uint64
	for i := 0; i < n; i++ {
		var b uint8
		if !s.ReadUint8(&b) {
			return false
		}
		length = length<<8 | uint64(b)
	}
	if length > uint64(len(*s)) {
		return false
	}
	return s.ReadBytes((*[]byte)(out), int(length))
}

// appendUintN appends v as n big-endian octets.
func appendUintN(b []byte, n int, v uint64) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*uint(i))))
	}
	return b
}

// putUintN writes v as n big-endian octets at the start of b; used to
// fill in a length once what it covers has been written.
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

// itoa formats a non-negative int, without strconv.
func itoa(v int) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(buf[i:])
		}
	}
}

// unknownName is what String returns for a value the spec does not name:
// "Type(0x1234)". Built without fmt, which package tls does not import.
func unknownName(typ string, v uint64, digits int) string {
	const hexDigits = "0123456789abcdef"
	buf := make([]byte, 0, len(typ)+4+digits)
	buf = append(buf, typ...)
	buf = append(buf, "(0x"...)
	for i := digits - 1; i >= 0; i-- {
		buf = append(buf, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return string(append(buf, ')'))
}
