package matio

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// This file writes a float array into the two zip formats the package
// reads: NumPy's .npz (one member NAME.npy, as numpy.savez writes it) and
// torch.save's zip format of PyTorch >= 1.6 (archive/data.pkl, a pickle of
// one tensor whose storage is archive/data/0; archive/byteorder "little";
// archive/version "3"). Members are stored uncompressed and written as a
// stream (their sizes and CRCs follow in data descriptors), so the array
// goes out row block by row block, as with NpyWriter; each member's data
// starts at a multiple of zipAlign bytes, as PyTorch's writer aligns them
// (a reader may map the storage in place).

// zipAlign is the alignment of member data: PyTorch's serializer aligns
// records to 64 bytes.
const zipAlign = 64

// ZipArrayWriter writes one float array into an .npz or torch.save
// archive: WriteFloats takes whole rows as NpyWriter's does, Close checks
// the row count and writes the rest of the archive. It does not close
// the underlying writer.
type ZipArrayWriter struct {
	*NpyWriter
	cw   *countWriter
	zw   *zip.Writer
	tail func() error // members after the array's
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// NewNpzWriter starts an .npz archive holding one C-order array of the
// given shape (rank ≥ 1), float32 (f32) or float64, as the member
// name+".npy" (numpy.load(file)[name] reads it).
func NewNpzWriter(w io.Writer, name string, shape []int, f32 bool) (*ZipArrayWriter, error) {
	z := newZipArrayWriter(w)
	m, err := z.member(name + ".npy")
	if err != nil {
		return nil, err
	}
	if z.NpyWriter, err = NewNpyArrayWriter(m, shape, f32); err != nil {
		return nil, err
	}
	return z, nil
}

// NewTorchWriter starts a torch.save archive (the zip format of PyTorch
// >= 1.6) holding one contiguous CPU tensor of the given shape (rank ≥ 1),
// float32 (f32) or float64, that torch.load returns.
func NewTorchWriter(w io.Writer, shape []int, f32 bool) (*ZipArrayWriter, error) {
	if len(shape) == 0 {
		return nil, fmt.Errorf("torch: a shape of rank 0")
	}
	cols, err := rowLength(shape)
	if err != nil {
		return nil, fmt.Errorf("torch: %w", err)
	}
	z := newZipArrayWriter(w)
	const dir = "archive/"
	if err := z.put(dir+"data.pkl", torchTensorPickle(shape, f32)); err != nil {
		return nil, err
	}
	if err := z.put(dir+"byteorder", []byte("little")); err != nil {
		return nil, err
	}
	m, err := z.member(dir + "data/0")
	if err != nil {
		return nil, err
	}
	z.NpyWriter = &NpyWriter{w: bufio.NewWriterSize(m, bufSize), f32: f32, rows: shape[0], cols: cols}
	z.tail = func() error { return z.put(dir+"version", []byte("3\n")) }
	return z, nil
}

func newZipArrayWriter(w io.Writer) *ZipArrayWriter {
	cw := &countWriter{w: w}
	return &ZipArrayWriter{cw: cw, zw: zip.NewWriter(cw)}
}

// member starts a stored member whose data begins at a multiple of
// zipAlign: the local header's extra field pads it (ID "FB", as
// PyTorch's writer uses).
func (z *ZipArrayWriter) member(name string) (io.Writer, error) {
	if err := z.zw.Flush(); err != nil {
		return nil, err
	}
	const localHeader = 30 // fixed part of a zip local file header
	const extraHeader = 4  // an extra field's ID and size
	at := z.cw.n + localHeader + int64(len(name)) + extraHeader
	pad := int((zipAlign - at%zipAlign) % zipAlign)
	extra := make([]byte, extraHeader+pad)
	binary.LittleEndian.PutUint16(extra, 0x4246) // "FB"
	binary.LittleEndian.PutUint16(extra[2:], uint16(pad))
	return z.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Extra: extra})
}

// put writes a whole member.
func (z *ZipArrayWriter) put(name string, data []byte) error {
	m, err := z.member(name)
	if err != nil {
		return err
	}
	_, err = m.Write(data)
	return err
}

// Close flushes the array, checks its row count and finishes the archive.
func (z *ZipArrayWriter) Close() error {
	if err := z.NpyWriter.Close(); err != nil {
		return err
	}
	if z.tail != nil {
		if err := z.tail(); err != nil {
			return err
		}
	}
	return z.zw.Close()
}

// torchTensorPickle is the data.pkl of a torch.save of one contiguous
// tensor of the given shape, in pickle protocol 2, the protocol
// torch.save uses:
//
//	torch._utils._rebuild_tensor_v2(
//	    persistent_load(("storage", torch.FloatStorage, "0", "cpu", numel)),
//	    0, shape, strides, False, collections.OrderedDict())
//
// (torch.DoubleStorage for float64), the call torch.load's unpickler
// makes for such a tensor.
func torchTensorPickle(shape []int, f32 bool) []byte {
	p := []byte{0x80, 2} // PROTO 2
	global := func(module, name string) { p = append(p, "c"+module+"\n"+name+"\n"...) }
	str := func(s string) { // BINUNICODE
		p = append(p, 'X')
		p = binary.LittleEndian.AppendUint32(p, uint32(len(s)))
		p = append(p, s...)
	}
	integer := func(v int) {
		if v >= 0 && v < 1<<31 { // BININT
			p = append(p, 'J')
			p = binary.LittleEndian.AppendUint32(p, uint32(v))
			return
		}
		// LONG1: little-endian two's complement; v ≥ 0 here, with a
		// zero top bit.
		b := binary.LittleEndian.AppendUint64(nil, uint64(v))
		for len(b) > 1 && b[len(b)-1] == 0 && b[len(b)-2]&0x80 == 0 {
			b = b[:len(b)-1]
		}
		p = append(p, 0x8a, byte(len(b)))
		p = append(p, b...)
	}
	tuple := func(vs []int) {
		p = append(p, '(') // MARK
		for _, v := range vs {
			integer(v)
		}
		p = append(p, 't') // TUPLE
	}
	numel := 1
	for _, d := range shape {
		numel *= d
	}
	strides := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		strides[i] = s
		s *= shape[i]
	}
	storage := "FloatStorage"
	if !f32 {
		storage = "DoubleStorage"
	}
	global("torch._utils", "_rebuild_tensor_v2")
	p = append(p, '(') // the call's arguments
	p = append(p, '(')
	str("storage")
	global("torch", storage)
	str("0")
	str("cpu")
	integer(numel)
	p = append(p, 't', 'Q') // TUPLE, BINPERSID
	integer(0)              // storage offset
	tuple(shape)
	tuple(strides)
	p = append(p, 0x89) // NEWFALSE: requires_grad
	global("collections", "OrderedDict")
	p = append(p, ')', 'R') // EMPTY_TUPLE, REDUCE: no backward hooks
	p = append(p, 't', 'R', '.')
	return p
}
