#!/bin/bash
# Slurm HealthCheckProgram: validate this node; on failure drain it with the failing
# check ids as the reason (slurm.conf: HealthCheckProgram=/usr/local/sbin/gpusetup-healthcheck,
# HealthCheckInterval=600). Uses node-problem-detector's one-line output format.
set -u
GPUSETUP=${GPUSETUP:-gpusetup}
PROFILE=${GPUSETUP_PROFILE:-ci-node}
NODE=${SLURMD_NODENAME:-$(hostname -s)}
line=$("$GPUSETUP" validate --profile "$PROFILE" --format npd --no-smoke 2>/dev/null)
code=$?
case $code in
  0) exit 0 ;;
  1) # "NonOK: <check>: <title> (+N more: <checks>)" -> "gpusetup: <check> <checks>"
     checks=$(printf '%s\n' "$line" | sed -E 's/^NonOK: ([^:]+):.*\(\+[0-9]+ more: ([^)]*)\).*/\1 \2/; t; s/^NonOK: ([^:]+):.*/\1/' | tr -d ',')
     scontrol update nodename="$NODE" state=drain reason="gpusetup: ${checks}"
     exit 1 ;;
  *) echo "gpusetup could not validate $NODE: $line" >&2
     exit 0 ;;  # an unknown result is not a reason to drain
esac
