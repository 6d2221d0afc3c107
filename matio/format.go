package matio

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format is a matrix file's format, as Sniff decides it.
type Format int

// The formats Sniff tells apart.
const (
	// FormatUnknown is a file of no format this package reads.
	FormatUnknown Format = iota
	// FormatNpy is NumPy's .npy (npy.go).
	FormatNpy
	// FormatZip is a zip archive: NumPy's .npz or a torch.save file of
	// PyTorch >= 1.6, told apart by their entries (OpenZip).
	FormatZip
	// FormatCSV is CSV text (csv.go).
	FormatCSV
)

// KnownFormats names the formats this package reads, for the message of an
// unknown one.
const KnownFormats = ".npy, .npz, torch.save (zip, PyTorch >= 1.6), CSV"

// SniffLen is how many leading bytes Sniff looks at (fewer for a shorter
// file).
const SniffLen = 512

// UnknownFormatError reports a file of a format this package does not
// read; What names it when the leading bytes say what it is.
type UnknownFormatError struct {
	What string
}

func (e *UnknownFormatError) Error() string {
	what := e.What
	if what == "" {
		what = "binary data of no known format"
	}
	return fmt.Sprintf("unknown file format (%s): the formats read are %s", what, KnownFormats)
}

// magics are the leading bytes of formats met among model outputs that
// this package does not read, for a message saying what the file is.
var magics = []struct{ prefix, what string }{
	{"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", "a legacy torch.save file, PyTorch < 1.6 or _use_new_zipfile_serialization=False: save it again with a current PyTorch"},
	{"\x89PNG\r\n\x1a\n", "a PNG image"},
	{"\x89HDF\r\n\x1a\n", "an HDF5 file: save the array with numpy.save"},
	{"\x1f\x8b", "a gzip stream: decompress it first"},
	{"BZh", "a bzip2 stream: decompress it first"},
	{"\xfd7zXZ\x00", "an xz stream: decompress it first"},
	{"\x28\xb5\x2f\xfd", "a zstd stream: decompress it first"},
	{"\xff\xd8\xff", "a JPEG image"},
	{"GIF8", "a GIF image"},
	{"%PDF", "a PDF document"},
	{"PAR1", "a Parquet file"},
	{"ARROW1", "an Arrow file"},
	{"\x80", "a Python pickle (not a torch.save zip archive)"},
}

// Sniff decides the format of a file from its leading bytes head (its
// first SniffLen bytes, or all of a shorter file) and its name:
//
//   - "\x93NUMPY" is .npy, "PK\x03\x04" (or the "PK\x05\x06" of an empty
//     archive) a zip archive, whatever the name says;
//   - the leading bytes of other formats (a PNG, an HDF5, a legacy
//     torch.save file) are an *UnknownFormatError saying what the file is;
//   - a file named *.npy that does not start so is still .npy (its reader
//     says what is wrong with it: a truncated or corrupt header), and
//     *.npz, *.pt, *.pth are zip archives (OpenZip says the same);
//   - otherwise text (no NUL or other control bytes than tab, newline,
//     carriage return, form feed, valid UTF-8), and an empty file, is CSV;
//   - anything else is an *UnknownFormatError.
//
// An UnknownFormatError names the formats read (KnownFormats).
func Sniff(head []byte, name string) (Format, error) {
	switch {
	case bytes.HasPrefix(head, []byte("\x93NUMPY")):
		return FormatNpy, nil
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return FormatZip, nil
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return FormatUnknown, &UnknownFormatError{What: m.what}
		}
	}
	switch strings.ToLower(filepath.Ext(name)) {
	case ".npy":
		return FormatNpy, nil
	case ".npz", ".pt", ".pth":
		return FormatZip, nil
	}
	if looksLikeText(head) {
		return FormatCSV, nil
	}
	return FormatUnknown, &UnknownFormatError{}
}

// looksLikeText reports whether head is the start of a text file: valid
// UTF-8 (a sequence cut at the end of head is allowed) without NUL or
// control bytes other than \t, \n, \v, \f, \r.
func looksLikeText(head []byte) bool {
	for i := 0; i < len(head); {
		c := head[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && !(c >= '\t' && c <= '\r') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n <= 1 {
			// A rune cut by the end of head is still text.
			return len(head)-i < utf8.UTFMax && !utf8.FullRune(head[i:]) && len(head) == SniffLen
		}
		i += n
	}
	return true
}
