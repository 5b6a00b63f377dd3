package tls

import (
	"crypto/hkdf"

	"github.com/tabletls/tabletls/internal/wire"
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
	info, err := hkdfLabel("exporter", ctx.Sum(nil), length)
	if err != nil {
		clear(secret)
		return nil, &wrapped{"tls: ExportKeyingMaterial: " + err.Error(), ErrMisuse}
	}
	out, err := hkdf.Expand(h.new, secret, string(info), length)
	clear(secret)
	if err != nil {
		return nil, &wrapped{"tls: ExportKeyingMaterial: " + err.Error(), ErrMisuse}
	}
	return out, nil
}

// hkdfLabel is the HkdfLabel of RFC 8446 §7.1 (spec/keyschedule.tls), for
// a length that may be over Hash.length (expander.expandLabel makes the
// others). The label is "exporter", so only length can be out of range,
// and ExportKeyingMaterial checks it first.
func hkdfLabel(label string, context []byte, length int) ([]byte, error) {
	hl := wire.HkdfLabel{Length: uint16(length), Label: []byte("tls13 " + label), Context: context}
	return hl.Append(nil)
}
