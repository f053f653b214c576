#!/usr/bin/env bash
# Brief cy7: alternate compiled (Cython .so in place) and uncompiled runs, ABBA order.
#   bench/compile_ab.sh ROUNDS OUTDIR
set -u
cd "$(dirname "$0")/.."
PY=${PY:-python}
ROUNDS=${1:-5}; OUT=${2:-/tmp/cy-ab}; mkdir -p "$OUT"
one() {  # $1 = on|off, $2 = round
  bench/compile_experiment.sh "$1" >/dev/null
  n=$(find extractor verify -name '*.cpython-*.so' | wc -l)
  echo "== $1 round $2 ($n .so) $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)"
  "$PY" bench/stages_profile.py --files 300 --repeat 3 | tee "$OUT/stages-$1-$2.txt"
  "$PY" bench/throughput.py --files 300 --pdf-files 0 --repeat 3 | grep -E '^(stages|text --jobs 1)' \
    | tee "$OUT/tp-$1-$2.txt"
}
for r in $(seq 1 "$ROUNDS"); do
  if (( r % 2 )); then one on "$r"; one off "$r"; else one off "$r"; one on "$r"; fi
done
bench/compile_experiment.sh on >/dev/null
