package tls

import (
	"crypto/hkdf"

	"golang.org/x/crypto/cryptobyte"
)

// ExportKeyingMaterial returns length octets of keying material for label
// and context (nil is the same as empty), RFC 8446 §7.5's TLS-Exporter,
// as crypto/tls's does. It fails before the handshake is complete.
func (cs *ConnectionState) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	h := cs.exporterHash
	if h == nil {
		return nil, &wrapped{"tls: ExportKeyingMaterial before the handshake is complete", ErrNotConnected}
	}
	if len(label) > 255-len("tls13 ") || length < 0 || length > 0xffff {
		return nil, &wrapped{"tls: ExportKeyingMaterial label or length out of range (RFC 8446 §7.1)", ErrMisuse}
	}
	// TLS-Exporter(label, context_value, key_length) =
	//     HKDF-Expand-Label(Derive-Secret(Secret, label, ""),
	//                       "exporter", Hash(context_value), key_length)
	empty := emptyHash(h)
	secret := hkdfExpandLabel(nil, h, cs.exporter[:h.Size()], label, empty[:h.Size()], h.Size())
	ctx := h.new()
	ctx.Write(context)
	out, err := hkdf.Expand(h.new, secret, string(hkdfLabel("exporter", ctx.Sum(nil), length)), length)
	clear(secret)
	if err != nil {
		return nil, &wrapped{"tls: ExportKeyingMaterial: " + err.Error(), ErrMisuse}
	}
	return out, nil
}

// hkdfLabel is the HkdfLabel of RFC 8446 §7.1, for a length that may be
// over Hash.length (expander.expandLabel makes the others).
func hkdfLabel(label string, context []byte, length int) []byte {
	b := cryptobyte.NewFixedBuilder(make([]byte, 0, 2+1+6+len(label)+1+len(context)))
	b.AddUint16(uint16(length))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddBytes([]byte("tls13 "))
		b.AddBytes([]byte(label))
	})
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(context) })
	return b.BytesOrPanic()
}
