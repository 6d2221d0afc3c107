//go:build race

package certify

// raceEnabled: the race detector slows the interval arithmetic about
// tenfold; TestCommittedCertificates then skips the largest certificate.
const raceEnabled = true
