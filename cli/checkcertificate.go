// This file is `verify check-certificate`: it re-verifies certificates
// (package certify) from scratch.

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/focaltk/focal/certify"
)

const checkCertificateUsage = `Usage: verify check-certificate FILE...

Re-verifies each certificate FILE from scratch (docs/certificates/README.md):
the regions its statement requires are derived from its claims, every box's
enclosure is recomputed with rigorous interval arithmetic (package certify,
which does not use the float64 code it certifies) and every lemma's
hypothesis is checked. Prints one line per file.

Exit codes:
  0  every box of every FILE is settled: the statements are proved
  1  a certificate does not prove its statement (the message names the
     first unsettled box, or the part of a region no box covers)
  2  usage error, or a FILE that is not a certificate of this format

Flags:
`

func (c *CLI) checkCertificate(args []string) (int, error) {
	fs := c.flagSet("verify check-certificate", checkCertificateUsage)
	if err := c.parse(fs, args, true); err != nil {
		return 0, err
	}
	if fs.NArg() == 0 {
		return 0, usagef("no certificate FILE given")
	}
	var j job
	for _, name := range fs.Args() {
		j.inputs = append(j.inputs, file{flag: "FILE", path: name, once: true})
	}
	ctx, err := c.start(j)
	if err != nil {
		return 0, err
	}
	for _, name := range fs.Args() {
		b, err := os.ReadFile(name)
		if err != nil {
			return 0, usagef("cannot read %s: %v", name, pathReason(name, err))
		}
		cert, err := certify.Read(bytes.NewReader(b))
		if err != nil {
			return 0, usagef("%s: %s", name, strings.TrimPrefix(err.Error(), "certify: "))
		}
		t0 := time.Now()
		s, err := certify.Check(ctx, cert)
		var ue *certify.UnsettledError
		switch {
		case errors.As(err, &ue):
			fmt.Fprintf(c.Stderr, "%s: %s: NOT PROVED: %s\n", c.name, name, strings.TrimPrefix(ue.Error(), "certify: "))
			return ExitFailure, nil
		case errors.Is(err, certify.ErrFormat):
			return 0, usagef("%s: %s", name, strings.TrimPrefix(err.Error(), "certify: "))
		case err != nil:
			return 0, err
		}
		fmt.Fprintf(c.Stdout, "%s: proved (%s): %d boxes (%d by lemma), %d claims, checked in %s\n", name, s.Statement, s.Boxes, s.Lemmas, len(s.Claims), time.Since(t0).Round(time.Millisecond))
	}
	return ExitOK, nil
}
