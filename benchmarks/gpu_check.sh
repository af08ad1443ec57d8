#!/usr/bin/env bash
# The whole GPU check in one command, for a machine with CUDA (see benchmarks/gpu_check.py).
#
#   bash benchmarks/gpu_check.sh            # writes $OUT/<date>-cuda.json (or ./gpu-record/)
#
# 1. torch with CUDA: use the environment's if it has one; otherwise install the CUDA build
#    (plain `pip install torch`, deliberately WITHOUT constraints-cpu.txt, which pins the CPU build).
# 2. optsym itself, without touching the environment's torch (--no-deps); its other needs (sympy,
#    numpy, click, matplotlib, pytest) are taken from the environment, or installed if missing.
#    Wheels placed in .whl/ (e.g. pytorch_optimizer, the Lion/LAMB reference) are installed first.
# 3. benchmarks/gpu_check.py: pytest tests/test_cuda.py, optsym verify for every rule and path
#    on cuda, the copy bandwidth, the step benchmark; one JSON record. Kept well under 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
OUTDIR=${OUT:-gpu-record}
mkdir -p "$OUTDIR"
export PYTHONUNBUFFERED=1

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    echo "== no CUDA build of torch here: installing one (no CPU constraints file)"
    "$PY" -m pip install -q torch
fi
if [ -d .whl ] && ls .whl/*.whl >/dev/null 2>&1; then
    echo "== wheels carried in .whl/"
    "$PY" -m pip install -q --no-index --no-deps .whl/*.whl || echo "(some carried wheels failed)"
fi
for mod in sympy numpy click matplotlib pytest; do
    "$PY" -c "import $mod" 2>/dev/null || "$PY" -m pip install -q "$mod"
done
echo "== optsym (no dependencies: the environment's torch stays)"
"$PY" -m pip install -q --no-deps --no-build-isolation -e . >/dev/null
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, \
torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'NO GPU')"

date_tag=$(date -u +%Y-%m-%d)
timeout 560 "$PY" benchmarks/gpu_check.py --device cuda --out "$OUTDIR/$date_tag-cuda.json" "$@"
