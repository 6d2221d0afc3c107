package calibrate

// SetAfterPass1 sets a function Calibrate calls between its two passes over the
// input, so that tests can change the files in between.
func SetAfterPass1(f func()) { afterPass1 = f }

// DenseTranspose transposes one sample of dense input of the given shape
// (with its leading N) and class axis into pixel rows, and back; it
// returns the rows and the sample recovered from them, or an error for a
// shape or axis classAxis refuses.
func DenseTranspose(shape []int, axis int, sample []float64) (rows, back []float64, err error) {
	l, err := classAxis("x", axis, shape)
	if err != nil || l == nil {
		return nil, nil, err
	}
	rows = make([]float64, len(sample))
	back = make([]float64, len(sample))
	l.toRows(rows, sample)
	l.fromRows(back, rows)
	return rows, back, nil
}
