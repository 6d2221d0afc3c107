// Package matio reads and writes matrices of probabilities, logits and
// labels in the file formats models export them in: NumPy's .npy (npy.go)
// and CSV text (csv.go), one file per format. Each reader streams row
// blocks into a caller's buffer, so that a file of any size is read with
// bounded memory, and reports bad data as a *numeric.RowError naming the
// row and column (numbered from 0, as NumPy indexes them), the same error
// type numeric.ValidateRows returns for bad values, so that a caller
// handles one kind of row error whether a file's bytes or its numbers are
// wrong. Checking what the numbers mean (a probability row summing to 1)
// is numeric's, not this package's.
package matio

// bufSize is the read and write buffer of the readers and writers: large
// enough that a block read is a few system calls, small against the blocks
// themselves.
const bufSize = 1 << 16
