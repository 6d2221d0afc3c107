package npyraw

import (
	"encoding/binary"
	"testing"
)

// TestHeaderLayout checks the format's layout: the magic, version 1.0, the
// header length, data aligned to 64 bytes and the newline before it.
func TestHeaderLayout(t *testing.T) {
	for _, dict := range []string{"{}", "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }"} {
		h := Header(dict)
		if string(h[:8]) != "\x93NUMPY\x01\x00" {
			t.Fatalf("%q: magic %q", dict, h[:8])
		}
		if n := int(binary.LittleEndian.Uint16(h[8:10])); n != len(h)-10 {
			t.Errorf("%q: header length %d, header holds %d bytes", dict, n, len(h)-10)
		}
		if len(h)%64 != 0 || h[len(h)-1] != '\n' || string(h[10:10+len(dict)]) != dict {
			t.Errorf("%q: header %q not aligned or not ending in a newline", dict, h)
		}
		if f := File(dict, []byte{1, 2}); len(f) != len(h)+2 || f[len(h)] != 1 {
			t.Errorf("%q: File does not append the data", dict)
		}
	}
}
