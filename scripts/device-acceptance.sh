#!/usr/bin/env bash
# Acceptance run on a real GPU machine (see the README's "Checking on a real GPU").
# Writes everything worth keeping under $OUT; exits non-zero when gpusetup disagrees
# with nvidia-smi. Runs from the working tree: PYTHONPATH=. python3 -m gpusetup.
# Commands that a given version of gpusetup does not have yet are skipped.
set -uo pipefail
OUT=${OUT:-$(mktemp -d)}
export PYTHONPATH=.${PYTHONPATH:+:$PYTHONPATH}
g() { timeout 120 python3 -m gpusetup "$@"; }
has() { g "$1" --help >/dev/null 2>&1; }
status=0

{ nvidia-smi --query-gpu=index,name,pci.bus_id,uuid,compute_cap,driver_version --format=csv
  nvidia-smi -q; } > "$OUT/nvidia-smi.txt" 2>&1
nvidia-smi --query-gpu=index,name,pci.bus_id,uuid,compute_cap,driver_version \
  --format=csv,noheader > "$OUT/smi.csv"

g gpus --json > "$OUT/gpus.json"
g doctor --json > "$OUT/doctor.json"; echo "doctor exit: $?"
g doctor | tee "$OUT/doctor.txt"
g collect -o "$OUT/h100-facts.json"
python3 scripts/compare_nvidia_smi.py "$OUT/smi.csv" "$OUT/gpus.json" | tee "$OUT/compare.txt" \
  || status=1

uuid=$(cut -d, -f4 "$OUT/smi.csv" | head -1 | tr -d ' ')
if has map; then
  for env in "" "CUDA_VISIBLE_DEVICES=$uuid" "CUDA_VISIBLE_DEVICES=" "CUDA_DEVICE_ORDER=PCI_BUS_ID"; do
    echo "== map with ${env:-no variable}"
    env $env python3 -m gpusetup map --json
    has smoke && env $env python3 -m gpusetup smoke --backend torch --json
  done > "$OUT/map-smoke.txt" 2>&1
fi
has libs && g libs --json > "$OUT/libs.json"

{
  for i in 1 2 3 4 5; do /usr/bin/time -f "doctor --no-smoke %e s" python3 -m gpusetup doctor \
      $(g doctor --help | grep -q -- --no-smoke && echo --no-smoke) >/dev/null; done
  has smoke && /usr/bin/time -f "smoke %e s" python3 -m gpusetup smoke --backend torch >/dev/null
} > "$OUT/timings.txt" 2>&1
cat "$OUT/timings.txt"
exit $status
