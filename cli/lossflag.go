// This file is the --loss flag shared by the search, psi and minimize: one
// spec (loss.Parse), mutually exclusive with an explicit --gamma, which
// stays the shorthand for --loss focal:gamma=G.

package cli

import (
	"flag"

	"github.com/focaltk/focal/loss"
)

const lossFlagHelp = "a loss `SPEC` of the loss lab (e.g. poly1:eps=1, gce:q=0.5, flsd53; see verify loss -h) instead of the focal loss at --gamma; --gamma G is the shorthand for --loss focal:gamma=G"

// explicit reports whether the flag was given on the command line.
func explicit(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// getLoss parses --loss (nil when it is empty) and refuses it beside an
// explicit --gamma. simplex refuses per-label sigmoid losses, which have
// no minimizer on the simplex.
func getLoss(fs *flag.FlagSet, spec string, simplex bool) (*loss.Loss, error) {
	if spec == "" {
		return nil, nil
	}
	if explicit(fs, "gamma") {
		return nil, usagef("--loss and --gamma are mutually exclusive: --gamma G is the shorthand for --loss focal:gamma=G")
	}
	l, err := loss.Parse(spec)
	if err != nil {
		return nil, usagef("bad --loss: %v", err)
	}
	if simplex && l.Kind == loss.Sigmoid {
		var soft []string
		for _, n := range loss.Names() {
			if n != "asl" && n != "fl-star" && n != "sigmoid-focal" {
				soft = append(soft, n)
			}
		}
		return nil, usagef("bad --loss %s: a per-label sigmoid loss has no minimizer on the simplex; accepted: %s", spec, joinNames(soft))
	}
	return l, nil
}
