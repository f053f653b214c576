#!/usr/bin/env bash
# Brief cy7 (measurement only): compile the worker's hot pure-Python modules in place with
# Cython 3.3.0 (pure Python mode, code UNCHANGED) and move the .so files aside / back for A/B.
#
#   bench/compile_experiment.sh build   # cythonize -i -3 each module, log ok/FAIL + time
#   bench/compile_experiment.sh off     # move every extractor/ verify/ .so to /tmp/cy-so-aside
#   bench/compile_experiment.sh on      # move them back
#   bench/compile_experiment.sh clean   # delete .so and generated .c
#
# Cython is NOT a project dependency: pip install cython==3.3.0 into the venv by hand.
set -u
cd "$(dirname "$0")/.."
PY=${PY:-python}
CYTHONIZE=${CYTHONIZE:-$(dirname "$(command -v "$PY")")/cythonize}
ASIDE=${ASIDE:-/tmp/cy-so-aside}
# annotation_typing=False: Cython otherwise enforces annotations at call time (`tables: type`
# rejects pydantic's ModelMetaclass, a subclass of type): keep plain-Python semantics.
CYFLAGS=${CYFLAGS:-"-X annotation_typing=False"}
MODULES=${MODULES:-"
extractor/layout/rows.py extractor/layout/glued.py
$(ls extractor/mapping/*.py | grep -v -e __init__ -e conflicts)
$(ls verify/*.py | grep -v __init__)
extractor/outputs/cellpass.py extractor/outputs/cellruns.py extractor/outputs/csvtext.py
extractor/outputs/rows.py extractor/outputs/tables.py
extractor/ingest/normalize.py extractor/ingest/html_reader.py extractor/ingest/html_feed.py
extractor/ingest/hanzi.py extractor/ingest/footer.py
extractor/run/worker.py extractor/run/payload.py extractor/panel/doc.py
extractor/store/rows.py extractor/store/codec.py
"}
case "${1:-build}" in
build)
  t0=$(date +%s)
  for m in $MODULES; do
    s=$(date +%s)
    flags=$CYFLAGS
    # cellpass: Cython infers `fields` is a list and then rejects a tuple assigned to an
    # extended slice of it (`fields[i:j:3] = a_tuple`: "Expected list, got tuple"; CPython
    # takes any iterable there): no type inference in that module.
    case "$m" in *outputs/cellpass.py) flags="$flags -X infer_types=False";; esac
    if "$CYTHONIZE" -f -i -3 -q $flags "$m" >"/tmp/cy-build-$(echo "$m" | tr / _).log" 2>&1; then
      echo "ok   $m $(( $(date +%s) - s ))s $(stat -c %s "${m%.py}".cpython-*.so) bytes"
    else
      echo "FAIL $m (see /tmp/cy-build-$(echo "$m" | tr / _).log)"
      rm -f "${m%.py}".cpython-*.so
    fi
  done
  echo "build total $(( $(date +%s) - t0 ))s"
  ;;
off)
  mkdir -p "$ASIDE"
  find extractor verify -name '*.cpython-*.so' | while read -r so; do
    mkdir -p "$ASIDE/$(dirname "$so")"; mv "$so" "$ASIDE/$so"; done
  ;;
on)
  [ -d "$ASIDE" ] && (cd "$ASIDE" && find . -name '*.so') | while read -r so; do
    mv "$ASIDE/$so" "$so"; done
  ;;
clean)
  find extractor verify -name '*.cpython-*.so' -delete
  for m in $MODULES; do rm -f "${m%.py}.c"; done
  ;;
esac
echo "compiled modules now importable: $(find extractor verify -name '*.cpython-*.so' | wc -l)"
