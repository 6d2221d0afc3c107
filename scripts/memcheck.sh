#!/usr/bin/env bash
# Peak memory (RSS) of the large-input limits, measured with GNU time:
#   - numeric.Exact at K = 10^6 and 10^7 classes;
#   - verify calibrate on a 10^7 × 10 float64 .npy (800 MB), without and
#     with labels, on a 5·10^6 × 10 float32 .npy without and with labels
#     (the figure in docs/calibrate.md), and on a 1 GB CSV;
#   - the search at the largest K it accepts (10^5, --budget 1);
#   - what is refused up front, and how fast: verify --K 10^6 and 10^7,
#     minimize with a 10^5+1-entry --eta, calibrate of a .npy declaring
#     10^7 columns.
# Not a test (it takes a few minutes and a few GB of disk): run it by hand,
# as `bash scripts/memcheck.sh` from anywhere in the repository. Needs
# /usr/bin/time (Debian package time). Set MEMCHECK_DIR to keep the
# generated files somewhere other than a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x /usr/bin/time ] || { echo "memcheck: needs /usr/bin/time (apt-get install time)"; exit 1; }
dir=${MEMCHECK_DIR:-$(mktemp -d)}
[ -n "${MEMCHECK_DIR:-}" ] || trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir"

go build -o "$dir/verify" ./cmd/verify
go build -o "$dir/memcheck" ./scripts/memcheck
v="$dir/verify"
m="$dir/memcheck"

# measure NAME CMD...: runs CMD, prints its exit code, peak RSS and wall time.
printf '%-58s %5s %10s %8s\n' "what" "exit" "peak RSS" "wall"
measure() {
  local name=$1; shift
  local code=0
  /usr/bin/time -f '%M %e' -o "$dir/time.txt" "$@" >"$dir/out.txt" 2>"$dir/err.txt" || code=$?
  # The last line holds "%M %e" (a failed command adds a line before it).
  read -r kb secs < <(tail -n 1 "$dir/time.txt")
  printf '%-58s %5s %7d MB %7ss\n' "$name" "$code" $((kb / 1024)) "$secs"
  if [ "$code" -ne 0 ] && [ -s "$dir/err.txt" ]; then
    printf '    %s\n' "$(head -c 200 "$dir/err.txt")"
  fi
}

measure "numeric.Exact, K = 10^6, gamma = 2" "$m" exact 1000000 2
measure "numeric.Exact, K = 10^7, gamma = 2" "$m" exact 10000000 2

"$m" npy 10000000 10 "$dir/p.npy" "$dir/y.csv"
"$m" npy32 5000000 10 "$dir/p32.npy" "$dir/y32.csv"
"$m" csv 1000000000 10 "$dir/p.csv"
"$m" header 1 10000000 "$dir/wide.npy"
"$m" header 1 1000000 "$dir/wide6.npy"
ls -l "$dir/p.npy" "$dir/p.csv" | awk '{printf "    input %s: %d MB\n", $NF, $5/1048576}'

measure "calibrate 10^7 x 10 .npy -> .npy" "$v" calibrate --gamma 2 --workers 2 --out "$dir/o.npy" "$dir/p.npy"
measure "calibrate 10^7 x 10 .npy -> .npy, labels, JSON report" "$v" calibrate --gamma 2 --workers 2 --labels "$dir/y.csv" --format json --out "$dir/o.npy" "$dir/p.npy"
measure "calibrate 10^7 x 10 .npy, labels, --val 0.2, --bootstrap 20" "$v" calibrate --gamma 2 --workers 2 --labels "$dir/y.csv" --val 0.2 --bootstrap 20 --format json --out "$dir/o.npy" "$dir/p.npy"
# docs/calibrate.md's memory figure (issue 14.9): 5·10^6 × 10 float32.
measure "calibrate 5·10^6 x 10 float32 .npy -> .npy" "$v" calibrate --gamma 2 --workers 2 --out "$dir/o.npy" "$dir/p32.npy"
measure "calibrate 5·10^6 x 10 float32, labels, JSON report" "$v" calibrate --gamma 2 --workers 2 --labels "$dir/y32.csv" --format json --out "$dir/o.npy" "$dir/p32.npy"
rm -f "$dir/o.npy" "$dir/p32.npy"
measure "calibrate 1 GB CSV -> CSV" "$v" calibrate --gamma 2 --workers 2 --out "$dir/o.csv" "$dir/p.csv"
rm -f "$dir/o.csv"
measure "calibrate .npy declaring 1 x 10^6 (truncated: exit 2)" "$v" calibrate --gamma 2 "$dir/wide6.npy"
measure "calibrate .npy declaring 1 x 10^7 (refused: exit 2)" "$v" calibrate --gamma 2 "$dir/wide.npy"

measure "verify --K 100000 --gamma 1 --budget 1 (largest K)" "$v" --K 100000 --gamma 1 --budget 1 --workers 2
measure "verify --K 1000000 (refused: exit 2)" "$v" --K 1000000 --gamma 1
measure "verify --K 10000000 (refused: exit 2)" "$v" --K 10000000 --gamma 1
# A command line carries at most 128 KiB per argument (Linux), about 10^4
# entries of --eta; the bound of 10^5 entries (verify.MaxK) is checked
# in-process by cli's bad-input matrix.
eta=$(awk 'BEGIN { for (i = 0; i < 10000; i++) printf "%s%s", (i ? "," : ""), (i % 2 ? "0.00015" : "0.00005") }')
measure "verify minimize, K = 10^4 --eta" "$v" minimize --gamma 2 --eta "$eta"
