package matio

import (
	"archive/zip"
	"bytes"
	"slices"
	"testing"
)

// TestTorchPickleLargeShape: a tensor of more than 2^31 elements needs
// LONG1 integers in data.pkl (BININT is signed 32-bit); gopickle's
// unpickler, through this package's reader, decodes the shape, strides
// and storage size that the writer encoded. (The archives PyTorch loaded,
// TestZipWriters, are too small to need LONG1.)
func TestTorchPickleLargeShape(t *testing.T) {
	for _, shape := range [][]int{{1 << 16, 1<<15 + 1}, {3, 1 << 31}, {1 << 40, 2}, {0, 5}, {1<<31 - 1}} {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("archive/data.pkl")
		w.Write(torchTensorPickle(shape, false))
		zw.Close()
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		root, err := loadTorchPickle(zr.File[0])
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		tt, ok := root.(*torchTensor)
		if !ok {
			t.Fatalf("shape %v: decoded %T", shape, root)
		}
		numel, stride := 1, make([]int, len(shape))
		for i := len(shape) - 1; i >= 0; i-- {
			stride[i] = numel
			numel *= shape[i]
		}
		if !slices.Equal(tt.size, shape) || !slices.Equal(tt.stride, stride) || tt.offset != 0 || tt.st.numel != numel || tt.st.class != "DoubleStorage" || tt.st.key != "0" {
			t.Errorf("shape %v: decoded size %v stride %v offset %d storage %+v", shape, tt.size, tt.stride, tt.offset, *tt.st)
		}
	}
}
