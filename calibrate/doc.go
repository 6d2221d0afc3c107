// Package calibrate turns the outputs of a model trained with the focal
// loss into class-posterior estimates (Thm 11 of Charoenphakdee et al.,
// CVPR 2021, and its α-balanced and sigmoid variants in package theory),
// and measures the effect: calibration metrics with stated bin conventions,
// bootstrap intervals, temperature scaling baselines and reliability
// diagrams. Calibrate is the whole pipeline behind `verify calibrate`: it
// streams a probability or logit matrix from a .npy or CSV file through the
// recovery transform into an output file, in blocks, with memory bounded
// per worker, and returns the metrics before and after as a Report. It
// prints nothing: the command line renders the Report and its errors.
//
// # Conventions
//
// A probability matrix is N×K, row-major, rows are samples. The top-label
// confidence of a row is its largest entry; its prediction the smallest
// index of a largest entry. Equal-width bins are those of Guo et al. (ICML
// 2017) by default: bin b of B is (b/B, (b+1)/B], and the first bin is
// [0, 1/B] (EdgesRightClosed). EdgesLeftClosed reproduces torchmetrics'
// CalibrationError, which bins with torch.bucketize(right=True) on
// linspace(0, 1, B+1): [b/B, (b+1)/B) and a separate bin holding only
// confidences equal to 1. The two differ only for confidences exactly on an
// interior edge or equal to 1. docs/calibrate.md has the formulas.
package calibrate
