//go:build !purego && !amd64.v3

package theory

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// The CPUID feature check (cpuHasAVX2FMA, which sets haveArchKernels) agrees with the flags Linux reports for the CPU
// (its own CPUID reading, and the kernel's view of XSAVE support).
func TestCPUHasAVX2FMA(t *testing.T) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skip("no /proc/cpuinfo:", err)
	}
	var flags []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "flags" {
			flags = strings.Fields(value)
			break
		}
	}
	if want := slices.Contains(flags, "avx2") && slices.Contains(flags, "fma"); cpuHasAVX2FMA() != want {
		t.Errorf("cpuHasAVX2FMA() = %v, /proc/cpuinfo has avx2 and fma: %v", cpuHasAVX2FMA(), want)
	}
}
