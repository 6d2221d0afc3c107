package verify

// SearchLossAnswers: the answers of `verify loss` that no argument gives,
// from a loss search.

import (
	"context"
	"fmt"
	"strconv"

	"github.com/focaltk/focal/loss"
	"github.com/focaltk/focal/theory"
)

// lossAnswerIDs are the claims whose search answers loss.ConfidenceFacts'
// open questions, in the order calibration, order, ηOC, ηUC.
var lossAnswerIDs = [4]string{"loss-calibration", "loss-order-preserving", "loss-never-overconfident", "loss-never-underconfident"}

// SearchAnswerPrefix starts the How of every answer SearchLossAnswers
// gives (loss.ConfidenceAt's own searches of Ψ_g say "search:").
const SearchAnswerPrefix = "loss search of the minimizer:"

// LossAnswerBudget is the default budget of SearchLossAnswers (cases per
// claim and K): about a second at K = 10 on the direct minimizer.
const LossAnswerBudget = 500

// open reports whether cf has a question the argument left open.
func open(cf loss.ConfidenceFacts) bool {
	return cf.Calibrated.Answer == "unknown" || cf.OrderPreserving.Answer == "unknown" || cf.OC.Exists == "" || cf.UC.Exists == ""
}

// SearchLossAnswers fills in the questions that loss.ConfidenceAt left
// open in facts (an "unknown" calibration or order answer, an empty ηOC or
// ηUC existence) by a loss search (Search with Options.Loss) of the four
// claims loss-calibration, loss-order-preserving, loss-never-overconfident
// and loss-never-underconfident at those K, with the budget and seed given.
// A violation is the answer "no" (calibration, order) or "yes" (existence)
// with a witness: its η, the search's minimizer q* of it and max q* −
// max η; its How says whether hiprec confirmed it (Refuted) or it is a
// float64 result only (Unconfirmed: no hiprec minimizer for the loss), and
// which minimizer (a local one for the direct minimizer). No violation is
// "not refuted" and "not found": a search, not a proof. It returns the
// search's report (nil when nothing was open).
func SearchLossAnswers(ctx context.Context, l *loss.Loss, facts []loss.ConfidenceFacts, budget int, seed uint64, progress func(done, total int)) (*Report, error) {
	if l.Kind == loss.Sigmoid {
		return nil, nil
	}
	var ks []int
	for _, cf := range facts {
		if open(cf) {
			ks = append(ks, cf.K)
		}
	}
	if len(ks) == 0 {
		return nil, nil
	}
	var claims []Claim
	for _, c := range LossClaims(l) {
		for _, id := range lossAnswerIDs {
			if c.ID == id {
				claims = append(claims, c)
			}
		}
	}
	rep, err := Search(ctx, Options{Loss: l, Ks: ks, Claims: claims, Budget: budget, Seed: seed, Progress: progress})
	if err != nil {
		return nil, err
	}
	ev := &Eval{Loss: l}
	for i := range facts {
		cf := &facts[i]
		if !open(*cf) {
			continue
		}
		solver := ""
		for _, s := range rep.Solvers {
			if s.K == cf.K {
				solver = s.Solver
			}
		}
		for _, r := range rep.Results {
			if r.K != cf.K {
				continue
			}
			a, err := answerOf(ev, r, solver, budget, seed)
			if err != nil {
				return nil, err
			}
			switch r.ID {
			case lossAnswerIDs[0]:
				if cf.Calibrated.Answer == "unknown" {
					cf.Calibrated = a.answer("no", "not refuted")
				}
			case lossAnswerIDs[1]:
				if cf.OrderPreserving.Answer == "unknown" {
					cf.OrderPreserving = a.answer("no", "not refuted")
				}
			case lossAnswerIDs[2]:
				if cf.OC.Exists == "" {
					cf.OC = a.existence()
				}
			case lossAnswerIDs[3]:
				if cf.UC.Exists == "" {
					cf.UC = a.existence()
				}
			}
		}
	}
	return rep, nil
}

// searchAnswer is one claim's search result as an answer.
type searchAnswer struct {
	violated bool
	how      string
	witness  *loss.Witness
}

func (a searchAnswer) answer(yes, no string) loss.Answer {
	if a.violated {
		return loss.Answer{Answer: yes, How: a.how, Witness: a.witness}
	}
	return loss.Answer{Answer: no, How: a.how}
}

func (a searchAnswer) existence() loss.Existence {
	if a.violated {
		return loss.Existence{Exists: "yes", How: a.how, Witness: a.witness}
	}
	return loss.Existence{Exists: "not found", How: a.how}
}

// answerOf reads one result of SearchLossAnswers' search.
func answerOf(ev *Eval, r Result, solver string, budget int, seed uint64) (searchAnswer, error) {
	by := solver
	if solver == SolverDirect {
		by += ", a local minimizer"
	}
	unsolved := ""
	if r.Errors > 0 {
		// points the float64 minimizer could not certify (Result.Errors)
		unsolved = fmt.Sprintf(", %d unsolved", r.Errors)
	}
	base := fmt.Sprintf("%s %d cases%s (budget %d, seed %d; minimizer %s)", SearchAnswerPrefix, r.Cases, unsolved, budget, seed, by)
	switch r.Status {
	case Vacuous:
		return searchAnswer{how: base + ": no case could be evaluated"}, nil
	case Refuted, Unconfirmed:
	default: // Holds, Supported, Noise
		return searchAnswer{how: base + ": no violation"}, nil
	}
	// The witness: the confirmed counterexample (hiprec's q*, rounded),
	// or the worst float64 case and the search's minimizer of it.
	var eta, q []float64
	if ce := r.Counterexample; ce != nil {
		eta, q = float64s(ce.Eta), float64s(ce.Q)
	} else {
		eta = float64s(r.WorstEta)
		m, err := ev.Minimize(eta, 0)
		if err != nil {
			return searchAnswer{}, fmt.Errorf("verify: the witness of %s at K = %d: %w", r.ID, r.K, err)
		}
		q = append([]float64(nil), m...)
	}
	w := &loss.Witness{Eta: eta, Q: q, Margin: theory.Max(q) - maxNormalized(eta)}
	return searchAnswer{violated: true, how: base + ": a violation, " + confirmation(r), witness: w}, nil
}

// confirmation says how a violation was established.
func confirmation(r Result) string {
	if r.Status == Refuted {
		if ce := r.Counterexample; ce != nil {
			return "confirmed in high precision (hiprec margin " + strconv.FormatFloat(float64(ce.MarginHiprec), 'g', 3, 64) + ")"
		}
		return "confirmed in high precision"
	}
	m := ""
	if r.WorstMargin != nil {
		m = "margin " + strconv.FormatFloat(float64(*r.WorstMargin), 'g', 3, 64) + "; "
	}
	return "in float64 only (" + m + "package hiprec has no minimizer for this loss)"
}
