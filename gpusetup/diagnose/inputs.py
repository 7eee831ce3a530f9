"""Checks of the input itself: pasted command outputs, judged as one machine's, agree."""

from __future__ import annotations

from gpusetup.diagnose import Context, Verdict, check
from gpusetup.findings import Finding


@check("input.consistent", "The pasted outputs agree with each other")
def input_consistent(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: for facts read from pasted command output (`--from nvidia-smi.txt --from
    deviceQuery.txt`), whether the outputs agree where they tell the same fact: one driver
    version, one GPU at each nvidia-smi index and CUDA ordinal. Facts probed on the machine
    give no finding.

    Why it matters: the outputs are judged as one machine's. Two driver versions mean they
    come from two machines, or from before and after an upgrade; the verdicts then mix
    them. The first value is used, and each disagreement is named with its lines.

    Fix: give outputs taken on one machine at one time (run them again, one after the
    other, and paste that).
    """
    text = ctx.facts.text
    if text is None:
        return []
    sources = [s.where for s in text.sources]
    if text.conflicts:
        return [
            v.warn(
                f"{len(text.conflicts)} disagreement(s) between the pasted outputs",
                detail="; ".join(text.conflicts),
                evidence={"conflicts": text.conflicts, "outputs": sources},
                fix="Paste outputs taken on one machine, one after the other.",
            )
        ]
    return [v.passed(f"{len(sources)} output(s) read", evidence={"outputs": sources})]
