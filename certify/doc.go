// Package certify checks computer-assisted proofs of the toolkit's
// findings: rigorous interval arithmetic for the focal-loss quantities
// (φ^γ, ln h^γ, ψ = 1/φ^γ, f(v) = v ψ(v), the derivative of φ and the
// functions the proofs need), certificates that cover a statement's domain
// with boxes, each settled by an enclosure or by a named lemma, and a
// checker that recomputes every box from scratch.
//
// It imports neither theory, numeric nor loss: the checker must not
// trust the float64 code whose findings it certifies. Its arithmetic is
// math/big.Float with directed rounding (Interval); exp, ln and log1p are
// series with explicit remainder bounds (elementary.go). Everything is
// pure Go.
//
// Soundness rests on three things a reader can check: each Interval
// operation rounds its lower endpoint toward −∞ and its upper one toward
// +∞ (so it contains the exact result for every point of its
// arguments); each series adds its remainder bound; each monotonicity used
// to evaluate a function at the endpoints of an interval is stated and
// proved in the function's doc comment. docs/proofs.md states the lemmas
// the certificates rely on; docs/certificates/README.md the file format.
package certify
