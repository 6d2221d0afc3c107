package matio

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Array is an array of a binary file opened for reading in row blocks: a
// .npy file, a member of an .npz archive or a tensor of a torch.save file.
// An array of shape (N, d1, …, dm) has N rows of d1·…·dm elements (the
// rest of its shape in C order); a 1-D array of shape (N,) has N rows of
// one column.
type Array interface {
	// Shape returns the array's shape (rank ≥ 1).
	Shape() []int
	// Rows returns Shape()[0].
	Rows() int
	// Cols returns the elements of a row (1 for a 1-D array).
	Cols() int
	// OneD reports whether the array is 1-D.
	OneD() bool
	// DType names the element type: "float16", "bfloat16", "float32",
	// "float64", "int64", "uint8", "bool"...
	DType() string
	// IsFloat reports whether the elements are floating-point numbers.
	IsFloat() bool
	// ReadFloats reads the next rows into dst, as many as fit
	// (len(dst)/Cols()), converting each element to float64 (exactly for
	// floats); it returns io.EOF once every row has been read.
	ReadFloats(dst []float64) (int, error)
	// ReadInts reads the next rows into dst like ReadFloats; a float
	// element must hold an integer.
	ReadInts(dst []int64) (int, error)
}

// KeyError reports a key that chooses no array of an archive (or a key
// given for a file that holds one array only, or none for an archive that
// holds several); the message lists the keys there are. A caller tells it
// apart from bad data: it is the caller's choice that is wrong.
type KeyError struct {
	Msg string
}

func (e *KeyError) Error() string { return e.Msg }

// OpenArray opens the array of the binary file r (of size bytes) of the
// given format, as Sniff decided it: a .npy array (key must be ""), or the
// array named key of a zip archive (OpenZip). Reading starts at offset 0
// of r; the Array reads r sequentially from there for .npy and streams
// members and contiguous tensors of archives.
func OpenArray(r io.ReaderAt, size int64, format Format, key string) (Array, error) {
	switch format {
	case FormatNpy:
		if key != "" {
			return nil, &KeyError{Msg: fmt.Sprintf("a .npy file holds one array: no key applies (got %q)", key)}
		}
		return NewNpyArray(io.NewSectionReader(r, 0, size))
	case FormatZip:
		return OpenZip(r, size, key)
	case FormatCSV:
		return nil, errors.New("matio: OpenArray of CSV text (use NewCSVReader)")
	}
	return nil, &UnknownFormatError{}
}

// OpenZip opens an array of a zip archive: NumPy's .npz (members NAME.npy,
// stored or deflated, as numpy.savez and numpy.savez_compressed write
// them; key is NAME) or a torch.save file of PyTorch >= 1.6 (a member
// .../data.pkl; key chooses the tensor, see OpenTorch). With key "" the
// archive must hold exactly one array.
func OpenZip(r io.ReaderAt, size int64, key string) (Array, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("zip: %s (a truncated or corrupt archive?)", strings.TrimPrefix(err.Error(), "zip: "))
	}
	npy := true
	for _, f := range zr.File {
		if isTorchPickle(f.Name) {
			return openTorch(zr, f, key)
		}
		if !strings.HasSuffix(f.Name, ".npy") {
			npy = false
		}
	}
	if !npy || len(zr.File) == 0 {
		return nil, &UnknownFormatError{What: "a zip archive that is neither .npz (members *.npy) nor torch.save (a member data.pkl)"}
	}
	return openNpz(zr, key)
}

// openNpz opens the member key+".npy" of an .npz archive.
func openNpz(zr *zip.Reader, key string) (Array, error) {
	var names []string
	var m *zip.File
	for _, f := range zr.File {
		name := strings.TrimSuffix(f.Name, ".npy")
		names = append(names, name)
		if name == key || (key == "" && len(zr.File) == 1) {
			m = f
		}
	}
	if m == nil {
		return nil, keyError("npz", "array", key, names)
	}
	rc, err := m.Open()
	if err != nil {
		return nil, fmt.Errorf("npz: member %s: %v", m.Name, err)
	}
	a, err := NewNpyArray(rc)
	if err != nil {
		return nil, fmt.Errorf("npz: member %s: %w", m.Name, err)
	}
	return a, nil
}

// maxListedKeys bounds the keys a KeyError lists.
const maxListedKeys = 20

// keyError returns the KeyError of a key that names none of names (or of
// no key where there are several).
func keyError(format, what, key string, names []string) error {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	list := sorted
	more := ""
	if len(list) > maxListedKeys {
		list, more = list[:maxListedKeys], fmt.Sprintf(" and %d more", len(sorted)-maxListedKeys)
	}
	quoted := make([]string, len(list))
	for i, n := range list {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	holds := fmt.Sprintf("%s%s", strings.Join(quoted, ", "), more)
	switch {
	case len(names) == 0:
		return &KeyError{Msg: fmt.Sprintf("%s: the file holds no %s", format, what)}
	case key == "":
		return &KeyError{Msg: fmt.Sprintf("%s: the file holds %d %ss (%s): choose one with a key", format, len(names), what, holds)}
	}
	return &KeyError{Msg: fmt.Sprintf("%s: no %s %q in the file (it holds %s)", format, what, key, holds)}
}
