// Command memcheck writes the large inputs of scripts/memcheck.sh and runs
// the kernels it measures that have no command of their own. It is a
// helper of that script, not part of the toolkit.
//
// Usage:
//
//	memcheck npy ROWS COLS FILE [LABELS]   write ROWS×COLS float64 probability rows (and labels)
//	memcheck npy32 ROWS COLS FILE [LABELS] the same, float32
//	memcheck csv BYTES COLS FILE           write CSV probability rows until FILE reaches BYTES
//	memcheck header ROWS COLS FILE         write only a .npy header declaring ROWS×COLS
//	memcheck exact K GAMMA                 run numeric.Exact on a K-class η, print time and status
package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/focaltk/focal/matio"
	"github.com/focaltk/focal/numeric"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: memcheck npy|npy32|csv|header|exact ...")
	}
	var err error
	switch os.Args[1] {
	case "npy":
		err = writeNpy(atoi(2), atoi(3), os.Args[4], arg(5), false)
	case "npy32":
		err = writeNpy(atoi(2), atoi(3), os.Args[4], arg(5), true)
	case "csv":
		err = writeCSV(int64(atoi(2)), atoi(3), os.Args[4])
	case "header":
		err = writeHeader(atoi(2), atoi(3), os.Args[4])
	case "exact":
		err = exact(atoi(2), atof(3))
	default:
		fail("unknown command " + os.Args[1])
	}
	if err != nil {
		fail(err.Error())
	}
}

func arg(i int) string {
	if i < len(os.Args) {
		return os.Args[i]
	}
	return ""
}

func atoi(i int) int {
	x, err := strconv.Atoi(arg(i))
	if err != nil {
		fail(err.Error())
	}
	return x
}

func atof(i int) float64 {
	x, err := strconv.ParseFloat(arg(i), 64)
	if err != nil {
		fail(err.Error())
	}
	return x
}

func fail(msg string) {
	fmt.Fprintln(os.Stderr, "memcheck:", msg)
	os.Exit(1)
}

// row fills p with a random probability vector (normalized exponentials,
// a Dirichlet(1) draw) and returns a label drawn from it.
func row(rng *rand.Rand, p []float64) int {
	var s float64
	for j := range p {
		p[j] = rng.ExpFloat64()
		s += p[j]
	}
	for j := range p {
		p[j] /= s
	}
	u := rng.Float64()
	for j, x := range p {
		if u < x {
			return j
		}
		u -= x
	}
	return len(p) - 1
}

// blockRows is the number of rows generated per write.
const blockRows = 4096

func writeNpy(rows, cols int, path, labels string, f32 bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := matio.NewNpyWriter(f, rows, cols, f32, false)
	if err != nil {
		return err
	}
	var lw *bufio.Writer
	if labels != "" {
		lf, err := os.Create(labels)
		if err != nil {
			return err
		}
		defer lf.Close()
		lw = bufio.NewWriter(lf)
		defer lw.Flush()
		lw.WriteString("y\n")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]float64, blockRows*cols)
	for done := 0; done < rows; {
		n := min(blockRows, rows-done)
		for r := range n {
			y := row(rng, buf[r*cols:(r+1)*cols])
			if lw != nil {
				lw.WriteString(strconv.Itoa(y))
				lw.WriteByte('\n')
			}
		}
		if err := w.WriteFloats(buf[:n*cols]); err != nil {
			return err
		}
		done += n
	}
	return w.Close()
}

func writeCSV(size int64, cols int, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := matio.NewCSVWriter(f, cols, nil, false)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]float64, blockRows*cols)
	for {
		if err := w.Close(); err != nil { // flush, to see the size
			return err
		}
		if st, err := f.Stat(); err != nil || st.Size() >= size {
			return err
		}
		for r := range blockRows {
			row(rng, buf[r*cols:(r+1)*cols])
		}
		if err := w.WriteFloats(buf); err != nil {
			return err
		}
	}
}

func writeHeader(rows, cols int, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := matio.NewNpyWriter(f, rows, cols, false, false)
	if err != nil {
		return err
	}
	w.Close() // fewer rows than declared: only the header is wanted
	return nil
}

func exact(k int, gamma float64) error {
	eta := make([]float64, k)
	row(rand.New(rand.NewPCG(5, 6)), eta)
	start := time.Now()
	res, err := numeric.Exact(eta, gamma)
	if err != nil {
		return err
	}
	fmt.Printf("numeric.Exact K=%d gamma=%g: %v, %d iterations, residual %.3g, %.2f s\n",
		k, gamma, res.Status, res.Iterations, res.Residual, time.Since(start).Seconds())
	return nil
}
