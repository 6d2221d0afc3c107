// This file is `verify certify`: it produces a certificate (a
// computer-assisted proof, package certify) of one of the toolkit's
// findings.

package cli

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/focaltk/focal/certify"
)

const certifyUsage = `Usage: verify certify tau [--gamma LIST] [--out FILE]
       verify certify gamma-nu [--K LIST] [--out FILE]
       verify certify gamma-max [--K LIST] [--out FILE]
       verify certify mukhoti [--out FILE]
       verify certify no-oc [--K LIST] [--out FILE]

Produces a certificate (docs/certificates/README.md): a JSON file of boxes,
each settled by a rigorous interval enclosure (package certify, 128-bit
outward rounding) or a lemma of docs/proofs.md, that 'verify
check-certificate FILE' re-verifies from scratch.

  tau       τ_oc^γ and τ_uc^γ enclosed to 1e-12 (relative) and the shape of
            φ^γ behind Thm 8's regions, for each γ > 0 of --gamma
            (default: the γ of docs/findings.md's table)
  gamma-nu  γ_nu(K) = 1 + (K−1)(ln K − 2)/ln K, the near-uniform threshold,
            enclosed to 1e-12, for each K of --K (default 5:20)
  gamma-max γ_max(K), the γ with τ_uc^γ = 1/(K−1), enclosed to 1e-12, and
            certified ηOC witnesses at 8 γ below it, for each K ≥ 4 of --K
            (default 4:12, 20, 50, 100); that no ηOC minimizer exists
            at γ ≥ γ_max(K) is certified by no-oc
  mukhoti   H₂(p) − ln p·ln(1 − p) > 0 on (0, 1/2], the inequality behind
            Mukhoti et al.'s bound L_FL ≥ KL − γH for every γ ≥ 0
  no-oc     no ηOC minimizer in K classes at any γ ≥ γ_max(K), for each
            K ≥ 3 of --K (default 3:12, 20, 50, 100; γ_max(3) = 0, so
            K = 3 never has one at γ > 0)

The certificate goes to stdout or --out; a summary (boxes, time) to stderr.

Flags:
`

// Defaults of verify certify: the γ of docs/findings.md's τ table (γ = 0
// is a limit there, without thresholds) and the K of footnote 2's range.
const (
	certifyTauGammas = "0.01,0.1,0.5,1,2,3,5,10,20,50,100"
	certifyGammaNuK  = "5:20"
	certifyGammaMaxK = "4,5,6,7,8,9,10,11,12,20,50,100"
	certifyNoOCK     = "3,4,5,6,7,8,9,10,11,12,20,50,100"
)

func (c *CLI) certify(args []string) (int, error) {
	fs := c.flagSet("verify certify", certifyUsage)
	gF := fs.String("gamma", certifyTauGammas, "tau: the γ > 0 to certify, a `list` or range (as for verify; see verify -h)")
	kF := fs.String("K", "", "gamma-nu, gamma-max, no-oc: the K to certify, a `list` or range start:end[:step] (gamma-nu: in [2, 1000000], default "+certifyGammaNuK+"; gamma-max: in [4, 100000], default "+certifyGammaMaxK+"; no-oc: in [3, 1000], default "+certifyNoOCK+")")
	out := outFlag(fs, "certificate")
	if err := c.parse(fs, args, true); err != nil {
		return 0, err
	}
	if fs.NArg() != 1 {
		return 0, usagef("give one statement to certify: tau, gamma-nu, gamma-max, mukhoti or no-oc")
	}
	what := fs.Arg(0)
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var gs []float64
	var ks []int
	var err error
	switch what {
	case "tau":
		if set["K"] {
			return 0, usagef("--K applies to gamma-nu, not tau")
		}
		if gs, err = getGammaList(*gF); err != nil {
			return 0, err
		}
		for _, g := range gs {
			if g == 0 {
				return 0, usagef("bad --gamma: 0 has no thresholds (φ^0 ≡ 1); give γ > 0")
			}
		}
	case "gamma-nu", "gamma-max", "no-oc":
		if set["gamma"] {
			return 0, usagef("--gamma applies to tau, not %s", what)
		}
		spec, maxK, minK := *kF, certify.MaxGammaNuK, 2
		if what == "gamma-max" {
			maxK, minK = certify.MaxGammaMaxK, 4
		}
		if what == "no-oc" {
			maxK, minK = certify.MaxNocK, 3
		}
		if spec == "" {
			spec = map[string]string{"gamma-nu": certifyGammaNuK, "gamma-max": certifyGammaMaxK, "no-oc": certifyNoOCK}[what]
		}
		if ks, err = getKList(spec, maxK); err != nil {
			return 0, err
		}
		for _, k := range ks {
			if k < minK {
				return 0, usagef("bad --K: %d: %s needs K >= %d", k, what, minK)
			}
		}
	case "mukhoti":
		if set["gamma"] || set["K"] {
			return 0, usagef("mukhoti takes neither --gamma nor --K")
		}
	default:
		return 0, usagef("unknown statement %q: want tau, gamma-nu, gamma-max, mukhoti or no-oc", what)
	}
	ctx, err := c.start(job{outputs: []file{{flag: "--out", path: *out}}})
	if err != nil {
		return 0, err
	}
	command := "verify certify " + strings.Join(args, " ")
	t0 := time.Now()
	var cert *certify.Certificate
	switch what {
	case "tau":
		cert, err = certify.ProduceTau(ctx, gs, command)
	case "gamma-nu":
		cert, err = certify.ProduceGammaNu(ctx, ks, command)
	case "gamma-max":
		cert, err = certify.ProduceGammaMax(ctx, ks, command)
	case "no-oc":
		cert, err = certify.ProduceNoOC(ctx, ks, command)
	default:
		cert, err = certify.ProduceMukhoti(ctx, command)
	}
	if err != nil {
		return 0, err
	}
	took := time.Since(t0)
	write := cert.Write
	if *out == "" {
		err = write(c.Stdout)
	} else {
		err = c.writeAtomic(*out, write)
	}
	if err != nil {
		return 0, err
	}
	lemmas := 0
	for _, b := range cert.Boxes {
		if b.Lemma != "" {
			lemmas++
		}
	}
	fmt.Fprintf(c.Stderr, "%s: %s: %d claims, %d boxes (%d by lemma), produced in %s\n", c.name, what, len(cert.Claims), len(cert.Boxes), lemmas, took.Round(time.Millisecond))
	return ExitOK, nil
}
