// Package npyraw writes .npy files byte by byte, with any header
// dictionary, for the tests that need files the real writers refuse to
// make (bad shapes, unknown dtypes, truncated data): the bad-input matrix
// of cli, the fuzz targets of calibrate and matio. It is imported by tests
// only (see internal/acctable).
package npyraw

import (
	"encoding/binary"
	"strings"
)

// Header returns a .npy version 1.0 header holding dict, padded with
// spaces and a newline so that the data starts at a multiple of 64 bytes,
// as the format asks.
func Header(dict string) []byte {
	total := 10 + len(dict) + 1
	pad := (64 - total%64) % 64
	h := dict + strings.Repeat(" ", pad) + "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	return append(b, h...)
}

// File returns a .npy version 1.0 file: Header(dict) followed by data.
func File(dict string, data []byte) []byte { return append(Header(dict), data...) }
