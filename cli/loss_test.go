package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/focaltk/focal/loss"
)

// TestLossEveryBuiltin: verify loss answers for every registry loss, in
// text and JSON, and the JSON says what the loss's doc derives for a few.
// builtinSpec is a spec of the registry loss n: its name, with the
// required parameters where it has some.
func builtinSpec(n string) string {
	specs := map[string]string{"focal": "focal:gamma=2", "focal-alpha": "focal-alpha:gamma=2,alpha=0.5/0.5",
		"poly1": "poly1:eps=1", "poly-focal": "poly-focal:gamma=2,eps=1", "gce": "gce:q=0.5", "ls": "ls:eps=0.1",
		"focal-ls": "focal-ls:gamma=2,eps=0.1", "inverse-focal": "inverse-focal:gamma=1", "dual-focal": "dual-focal:gamma=2",
		"expr": `expr:"-(1-u)^g*log(u)";g=2`}
	if s, ok := specs[n]; ok {
		return s
	}
	return n
}

func TestLossEveryBuiltin(t *testing.T) {
	for _, n := range loss.Names() {
		s := builtinSpec(n)
		if out := runOK(t, "loss", "--K", "2", s); !strings.Contains(out, "recovery") {
			t.Errorf("%s: text output has no recovery line:\n%s", s, out)
		}
		var v lossJSON
		if err := json.Unmarshal([]byte(runOK(t, "loss", "--format", "json", "--K", "2", "--loss", s)), &v); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if v.Recovery == "" || v.StrictlyProper == "" {
			t.Errorf("%s: %+v", s, v)
		}
	}
	var ce lossJSON
	_ = json.Unmarshal([]byte(runOK(t, "loss", "--format", "json", "ce")), &ce)
	if ce.StrictlyProper != "yes" || ce.Recovery != "closed-form" {
		t.Errorf("ce: proper %q recovery %q, want yes, closed-form (h_g(v) = v)", ce.StrictlyProper, ce.Recovery)
	}
	var fl lossJSON
	_ = json.Unmarshal([]byte(runOK(t, "loss", "--format", "json", "flsd53")), &fl)
	if fl.Recovery != "none" || len(fl.Jumps) != 1 {
		t.Errorf("flsd53: recovery %q jumps %v, want none and one jump (g discontinuous at 0.2)", fl.Recovery, fl.Jumps)
	}
}

func TestLossBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"loss"}, "needs a loss spec"},
		{[]string{"loss", "nope"}, "unknown loss"},
		{[]string{"loss", "focal:gama=2"}, `"gama"`},
		{[]string{"loss", "poly1:eps=-1"}, "eps=-1"},
		{[]string{"loss", `expr:"-log(v)"`}, `unknown name "v"`},
		{[]string{"loss", "ce", "brier"}, "one loss spec"},
		{[]string{"loss", "focal-alpha:gamma=2,alpha=0.25"}, "1 class weight: give one per class"},
		{[]string{"loss", "--K", "3", "focal-alpha:gamma=2,alpha=1/2"}, "2 class weights (alpha) for K = 3"},
		{[]string{"loss", "--budget", "-1", "ce"}, "bad --budget -1"},
		{[]string{"--loss", "focal-alpha:gamma=2,alpha=0.25", "--K", "2"}, "1 class weights (alpha) for K = 2"},
	} {
		code, _, errs := run(t, nil, c.args...)
		if code != ExitUsage || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and one line naming %q", c.args, code, errs, ExitUsage, c.want)
		}
	}
}
