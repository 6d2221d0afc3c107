package matio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// checkPickle walks the opcodes of a pickle (the layout of Python's
// pickletools) and returns an error for an unknown opcode, a truncated
// argument, or a length that exceeds the bytes left. gopickle's unpickler
// allocates the length an opcode declares before it reads, so a few
// corrupt bytes could make it allocate gigabytes; after this check every
// allocation is bounded by the pickle's size.
func checkPickle(p []byte) error {
	i := 0
	need := func(n uint64) error {
		if uint64(len(p)-i) < n {
			return fmt.Errorf("malformed pickle: opcode at byte %d declares %d bytes, %d are left", i-1, n, len(p)-i)
		}
		return nil
	}
	for i < len(p) {
		op := p[i]
		i++
		var n uint64 // bytes of the argument
		switch op {
		case '.': // STOP
			return nil
		case '(', '0', '1', '2', 'N', 0x88, 0x89, ']', 'a', 'e', 'l', ')', 't', 0x85, 0x86, 0x87,
			'}', 'd', 's', 'u', 0x8f, 0x90, 0x91, 'Q', 'R', 'b', 0x81, 0x92, 0x93, 0x94, 'o', 0x97, 0x98:
		case 0x80, 'K', 'h', 'q', 0x82: // PROTO, BININT1, BINGET, BINPUT, EXT1
			n = 1
		case 'M', 0x83: // BININT2, EXT2
			n = 2
		case 'J', 'j', 'r', 0x84: // BININT, LONG_BINGET, LONG_BINPUT, EXT4
			n = 4
		case 'G': // BINFLOAT
			n = 8
		case 0x95: // FRAME: its length is checked; its opcodes follow
			if err := need(8); err != nil {
				return err
			}
			if err := need(8 + binary.LittleEndian.Uint64(p[i:])); err != nil {
				return err
			}
			n = 8
		case 0x8a, 'U', 'C', 0x8c: // LONG1, SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE
			if err := need(1); err != nil {
				return err
			}
			n = 1 + uint64(p[i])
		case 0x8b, 'T', 'B', 'X': // LONG4, BINSTRING, BINBYTES, BINUNICODE
			if err := need(4); err != nil {
				return err
			}
			n = 4 + uint64(binary.LittleEndian.Uint32(p[i:]))
		case 0x8e, 0x8d, 0x96: // BINBYTES8, BINUNICODE8, BYTEARRAY8
			if err := need(8); err != nil {
				return err
			}
			l := binary.LittleEndian.Uint64(p[i:])
			if l > uint64(len(p)) {
				return fmt.Errorf("malformed pickle: opcode at byte %d declares %d bytes", i-1, l)
			}
			n = 8 + l
		case 'I', 'L', 'F', 'S', 'V', 'g', 'p', 'P', 'c', 'i': // newline-terminated arguments
			lines := 1
			if op == 'c' || op == 'i' {
				lines = 2
			}
			for range lines {
				j := bytes.IndexByte(p[i:], '\n')
				if j < 0 {
					return errors.New("malformed pickle: unterminated line argument")
				}
				i += j + 1
			}
			continue
		default:
			return fmt.Errorf("malformed pickle: unknown opcode 0x%02x at byte %d", op, i-1)
		}
		if err := need(n); err != nil {
			return err
		}
		i += int(n)
	}
	return errors.New("malformed pickle: no STOP opcode")
}
