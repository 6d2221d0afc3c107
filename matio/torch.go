package matio

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"

	"github.com/focaltk/focal/numeric"
)

// This file reads tensors of torch.save files in the zip format of
// PyTorch >= 1.6: an archive NAME/data.pkl (a pickle of the saved object,
// whose tensors refer to storages by key), NAME/data/KEY (each storage's
// raw elements, uncompressed, in the byte order of NAME/byteorder, little
// if absent), NAME/version. The pickle is decoded by
// github.com/nlpodyssey/gopickle's unpickler, with the classes of torch
// resolved here into descriptions of storages and tensors, so that no
// storage is loaded by the unpickler: a contiguous tensor is streamed from
// its storage member row block by row block; a non-contiguous one (a
// transpose, a strided view) is gathered from its storage, which is read
// whole into memory (at most maxStridedStorage bytes).

// isTorchPickle reports whether a zip member is the pickle of a torch.save
// archive: data.pkl one directory deep.
func isTorchPickle(name string) bool {
	dir, file := path.Split(name)
	return file == "data.pkl" && dir != "" && !strings.Contains(strings.TrimSuffix(dir, "/"), "/")
}

// maxPickle bounds the size of data.pkl: it describes the saved objects,
// not their data, so a few MiB hold thousands of tensors.
const maxPickle = 16 << 20

// maxStridedStorage bounds the storage of a non-contiguous tensor, which is
// read whole (1 GiB).
const maxStridedStorage = 1 << 30

// torchStorage is a storage a tensor refers to: its element type, its
// member in the archive and its length in elements.
type torchStorage struct {
	class string // "FloatStorage"...
	dt    dtype
	key   string
	numel int
}

// torchTensor is a tensor of the pickle: a view of a storage.
type torchTensor struct {
	st     *torchStorage
	offset int
	size   []int
	stride []int
}

// storageClass is a storage class of the pickle (torch.FloatStorage...).
type storageClass struct {
	name string
	dt   dtype
}

// storageTypes maps torch's storage classes to element types.
var storageTypes = map[string]dtype{
	"DoubleStorage":   {kind: 'f', size: 8},
	"FloatStorage":    {kind: 'f', size: 4},
	"HalfStorage":     {kind: 'f', size: 2},
	"BFloat16Storage": {kind: 'f', size: 2, bf16: true},
	"LongStorage":     {kind: 'i', size: 8},
	"IntStorage":      {kind: 'i', size: 4},
	"ShortStorage":    {kind: 'i', size: 2},
	"CharStorage":     {kind: 'i', size: 1},
	"ByteStorage":     {kind: 'u', size: 1},
	"BoolStorage":     {kind: 'b', size: 1},
}

// rebuildTensor is torch._utils._rebuild_tensor_v2(storage, offset, size,
// stride, requires_grad, backward_hooks[, metadata]).
type rebuildTensor struct{}

func (rebuildTensor) Call(args ...any) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor_v2 with %d arguments", len(args))
	}
	st, ok := args[0].(*torchStorage)
	off, ok2 := args[1].(int)
	if !ok || !ok2 {
		return nil, errors.New("_rebuild_tensor_v2: arguments are not a storage and an offset")
	}
	size, err := intTuple(args[2])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2: size: %v", err)
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2: stride: %v", err)
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("_rebuild_tensor_v2: size %v and stride %v differ in rank", size, stride)
	}
	return &torchTensor{st: st, offset: off, size: size, stride: stride}, nil
}

// rebuildParameter is torch._utils._rebuild_parameter(data, requires_grad,
// backward_hooks): an nn.Parameter is read as its tensor.
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, errors.New("_rebuild_parameter without arguments")
	}
	if t, ok := args[0].(*torchTensor); ok {
		return t, nil
	}
	return nil, errors.New("_rebuild_parameter of something other than a tensor")
}

func intTuple(v any) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("not a tuple")
	}
	out := make([]int, t.Len())
	for i := range out {
		n, ok := t.Get(i).(int)
		if !ok {
			return nil, fmt.Errorf("not a tuple of integers")
		}
		out[i] = n
	}
	return out, nil
}

// findTorchClass resolves the globals of a torch.save pickle; anything
// else than tensors, storages and the containers the unpickler knows is
// refused (the unpickler never runs code, but an unknown class could only
// be an object this package cannot read).
func findTorchClass(module, name string) (any, error) {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case "torch._utils._rebuild_parameter":
		return rebuildParameter{}, nil
	}
	if module == "torch" {
		if dt, ok := storageTypes[name]; ok {
			return &storageClass{name: name, dt: dt}, nil
		}
	}
	return nil, fmt.Errorf("the pickle refers to %s.%s, which is not read (only tensors, storages, dicts, lists and tuples)", module, name)
}

// loadTorchPickle decodes data.pkl into its object, with tensors as
// *torchTensor. The storages are described, not loaded.
func loadTorchPickle(f *zip.File) (root any, err error) {
	if f.UncompressedSize64 > maxPickle {
		return nil, fmt.Errorf("torch: %s of %d bytes (at most %d read)", f.Name, f.UncompressedSize64, maxPickle)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("torch: %s: %v", f.Name, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxPickle+1))
	if err != nil {
		return nil, fmt.Errorf("torch: %s: %v", f.Name, err)
	}
	if len(data) > maxPickle {
		return nil, fmt.Errorf("torch: %s of more than %d bytes", f.Name, maxPickle)
	}
	if err := checkPickle(data); err != nil {
		return nil, fmt.Errorf("torch: %s: %v", f.Name, err)
	}
	storages := map[string]*torchStorage{}
	u := pickle.NewUnpickler(bytes.NewReader(data))
	u.FindClass = findTorchClass
	u.PersistentLoad = func(id any) (any, error) {
		t, ok := id.(*types.Tuple)
		if !ok || t.Len() < 5 {
			return nil, errors.New("a persistent id that is not a storage tuple")
		}
		typ, _ := t.Get(0).(string)
		cls, ok1 := t.Get(1).(*storageClass)
		key, ok2 := t.Get(2).(string)
		numel, ok3 := t.Get(4).(int)
		if typ != "storage" || !ok1 || !ok2 || !ok3 || numel < 0 {
			return nil, fmt.Errorf("a persistent id that is not a storage of a known type (%v)", t)
		}
		if st, ok := storages[key]; ok {
			if st.class != cls.name || st.numel != numel {
				return nil, fmt.Errorf("storage %q declared twice, differently", key)
			}
			return st, nil
		}
		st := &torchStorage{class: cls.name, dt: cls.dt, key: key, numel: numel}
		storages[key] = st
		return st, nil
	}
	defer func() {
		if p := recover(); p != nil {
			root, err = nil, fmt.Errorf("torch: %s: malformed pickle (%v)", f.Name, p)
		}
	}()
	root, err = u.Load()
	if err != nil {
		return nil, fmt.Errorf("torch: %s: %v", f.Name, err)
	}
	return root, nil
}

// openTorch opens the tensor chosen by key of the torch.save archive whose
// pickle is pkl.
func openTorch(zr *zip.Reader, pkl *zip.File, key string) (Array, error) {
	root, err := loadTorchPickle(pkl)
	if err != nil {
		return nil, err
	}
	v, err := chooseTensor(root, key)
	if err != nil {
		return nil, err
	}
	t := v
	prefix := path.Dir(pkl.Name) + "/"
	members := map[string]*zip.File{}
	for _, f := range zr.File {
		members[f.Name] = f
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if bo, ok := members[prefix+"byteorder"]; ok {
		b, err := readSmall(bo)
		if err != nil {
			return nil, fmt.Errorf("torch: %s: %v", bo.Name, err)
		}
		switch strings.TrimSpace(string(b)) {
		case "little":
		case "big":
			order = binary.BigEndian
		default:
			return nil, fmt.Errorf("torch: %s says %q, neither little nor big", bo.Name, b)
		}
	}
	m, ok := members[prefix+"data/"+t.st.key]
	if !ok {
		return nil, fmt.Errorf("torch: the archive has no storage %sdata/%s", prefix, t.st.key)
	}
	dt := t.st.dt
	dt.order = order
	if want := uint64(t.st.numel) * uint64(dt.size); m.UncompressedSize64 != want {
		return nil, fmt.Errorf("torch: storage %s holds %d bytes, not the %d of %d %s elements", m.Name, m.UncompressedSize64, want, t.st.numel, dt.name())
	}
	return newTorchReader(t, dt, m)
}

// readSmall reads a small member (at most 64 bytes).
func readSmall(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, 64))
}

// chooseTensor returns the tensor key names in root: root itself for
// key "" if it is a tensor; the entry key of a dict (string or integer
// keys); the element of index key of a list or tuple; with key "", the one
// tensor of a dict, list or tuple that holds one.
func chooseTensor(root any, key string) (*torchTensor, error) {
	type entry struct {
		name string
		v    any
	}
	var entries []entry
	what := ""
	switch r := root.(type) {
	case *torchTensor:
		if key != "" {
			return nil, &KeyError{Msg: fmt.Sprintf("torch: the file holds a single tensor: no key applies (got %q)", key)}
		}
		return r, nil
	case *types.Dict:
		what = "dict"
		for _, e := range *r {
			entries = append(entries, entry{fmt.Sprint(e.Key), e.Value})
		}
	case *types.OrderedDict:
		what = "dict"
		for el := r.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			entries = append(entries, entry{fmt.Sprint(e.Key), e.Value})
		}
	case *types.List:
		what = "list"
		for i, v := range *r {
			entries = append(entries, entry{strconv.Itoa(i), v})
		}
	case *types.Tuple:
		what = "tuple"
		for i, v := range *r {
			entries = append(entries, entry{strconv.Itoa(i), v})
		}
	default:
		return nil, fmt.Errorf("torch: the file holds %s, not a tensor, dict, list or tuple of tensors", describe(root))
	}
	var tensors []string
	for _, e := range entries {
		if _, ok := e.v.(*torchTensor); ok {
			tensors = append(tensors, e.name)
		}
		if key != "" && e.name == key {
			t, ok := e.v.(*torchTensor)
			if !ok {
				return nil, &KeyError{Msg: fmt.Sprintf("torch: entry %q of the %s is %s, not a tensor", key, what, describe(e.v))}
			}
			return t, nil
		}
	}
	if key == "" && len(tensors) == 1 {
		return chooseTensor(root, tensors[0])
	}
	return nil, keyError("torch", "tensor", key, tensors)
}

// describe names the Python type of a pickled value, for messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "None"
	case *torchTensor:
		return "a tensor"
	case *types.Dict, *types.OrderedDict:
		return "a dict"
	case *types.List:
		return "a list"
	case *types.Tuple:
		return "a tuple"
	case int, int64, uint64:
		return "an int"
	case float64:
		return "a float"
	case string:
		return "a str"
	case bool:
		return "a bool"
	}
	return fmt.Sprintf("an object (%T)", v)
}

// TorchReader reads a tensor of a torch.save file in row blocks: a tensor
// of shape (N, d1, …, dm) has N rows of d1·…·dm elements (C order of the
// tensor's indices, whatever its strides).
type TorchReader struct {
	rowDecoder
	shape  []int
	rows   int
	stream io.Reader // contiguous: the storage positioned at the tensor's first element
	mem    []byte    // strided: the whole storage
	t      *torchTensor
	idx    []int // strided: the index of the next element within a row
}

func newTorchReader(t *torchTensor, dt dtype, m *zip.File) (*TorchReader, error) {
	if len(t.size) == 0 {
		return nil, errors.New("torch: the tensor is 0-D (a scalar), not an array")
	}
	cols, err := rowLength(t.size)
	if err != nil {
		return nil, fmt.Errorf("torch: %w", err)
	}
	r := &TorchReader{shape: t.size, rows: t.size[0], t: t}
	r.dt, r.cols, r.fill = dt, cols, r.readRaw
	// The last element's index must lie in the storage.
	last, n := t.offset, 1
	for i, d := range t.size {
		if t.stride[i] < 0 {
			return nil, fmt.Errorf("torch: negative stride %v", t.stride)
		}
		if d > 0 {
			if t.stride[i] > 0 && d-1 > (math.MaxInt64-last)/t.stride[i] {
				return nil, fmt.Errorf("torch: size %v and stride %v overflow", t.size, t.stride)
			}
			last += (d - 1) * t.stride[i]
		}
		n *= d
	}
	if t.offset < 0 || (n > 0 && last >= t.st.numel) {
		return nil, fmt.Errorf("torch: tensor of size %v, stride %v and offset %d reaches past its storage of %d elements", t.size, t.stride, t.offset, t.st.numel)
	}
	if contiguous(t.size, t.stride) {
		rc, err := m.Open()
		if err != nil {
			return nil, fmt.Errorf("torch: %s: %v", m.Name, err)
		}
		br := bufio.NewReaderSize(rc, bufSize)
		if _, err := br.Discard(t.offset * dt.size); err != nil {
			return nil, fmt.Errorf("torch: %s: %v", m.Name, err)
		}
		r.stream = br
		return r, nil
	}
	if m.UncompressedSize64 > maxStridedStorage {
		return nil, fmt.Errorf("torch: the tensor is not contiguous (stride %v) and its storage of %d bytes exceeds the %d read into memory: save tensor.contiguous()", t.stride, m.UncompressedSize64, maxStridedStorage)
	}
	rc, err := m.Open()
	if err != nil {
		return nil, fmt.Errorf("torch: %s: %v", m.Name, err)
	}
	defer rc.Close()
	// Read as the data arrive rather than allocating the size the archive
	// declares: a corrupt header cannot make it allocate more than the
	// member holds.
	var mem bytes.Buffer
	if _, err := mem.ReadFrom(io.LimitReader(rc, int64(m.UncompressedSize64))); err != nil {
		return nil, fmt.Errorf("torch: %s: %v", m.Name, err)
	}
	if uint64(mem.Len()) != m.UncompressedSize64 {
		return nil, fmt.Errorf("torch: %s: %d bytes, the archive declares %d", m.Name, mem.Len(), m.UncompressedSize64)
	}
	r.mem = mem.Bytes()
	r.idx = make([]int, len(t.size))
	return r, nil
}

// contiguous reports whether strides are those of C order (dimensions of
// length 1 may have any stride).
func contiguous(size, stride []int) bool {
	want := 1
	for i := len(size) - 1; i >= 0; i-- {
		if size[i] != 1 && stride[i] != want {
			return false
		}
		want *= size[i]
	}
	return true
}

// Shape returns the tensor's size.
func (r *TorchReader) Shape() []int { return r.shape }

// Rows returns the tensor's first dimension.
func (r *TorchReader) Rows() int { return r.rows }

// Cols returns the elements of a row (1 for a 1-D tensor).
func (r *TorchReader) Cols() int { return r.cols }

// OneD reports whether the tensor is 1-D.
func (r *TorchReader) OneD() bool { return len(r.shape) == 1 }

// DType returns the element type's name ("float32", "bfloat16"...).
func (r *TorchReader) DType() string { return r.dt.name() }

// IsFloat reports whether the elements are floating-point numbers.
func (r *TorchReader) IsFloat() bool { return r.dt.kind == 'f' }

// readRaw reads up to want rows' elements into r.buf, in C order.
func (r *TorchReader) readRaw(want int) (int, error) {
	if want < 1 {
		return 0, fmt.Errorf("torch: destination holds no row of %d elements", r.cols)
	}
	left := r.rows - r.next
	if left == 0 {
		return 0, io.EOF
	}
	n := min(want, left)
	sz := r.dt.size
	nb := n * r.cols * sz
	if cap(r.buf) < nb {
		r.buf = make([]byte, nb)
	}
	r.buf = r.buf[:nb]
	if r.stream != nil {
		got, err := io.ReadFull(r.stream, r.buf)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return 0, &numeric.RowError{Row: r.next + got/(r.cols*sz), Col: -1, Value: math.NaN(), Reason: "storage ends early"}
			}
			return 0, fmt.Errorf("torch: %v", err)
		}
		r.next += n
		return n, nil
	}
	// Strided: walk the indices of the rows in C order.
	t := r.t
	for row := r.next; row < r.next+n; row++ {
		base := t.offset + row*t.stride[0]
		for i := range r.idx {
			r.idx[i] = 0
		}
		e := (row - r.next) * r.cols * sz
		for range r.cols {
			off := base
			for d := 1; d < len(r.idx); d++ {
				off += r.idx[d] * t.stride[d]
			}
			copy(r.buf[e:e+sz], r.mem[off*sz:])
			e += sz
			for d := len(r.idx) - 1; d >= 1; d-- {
				r.idx[d]++
				if r.idx[d] < t.size[d] {
					break
				}
				r.idx[d] = 0
			}
		}
	}
	r.next += n
	return n, nil
}
