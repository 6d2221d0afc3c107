package calibrate

// SetAfterPass1 sets a function Calibrate calls between its two passes over the
// input, so that tests can change the files in between.
func SetAfterPass1(f func()) { afterPass1 = f }
