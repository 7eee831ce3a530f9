"""Whether a GPU classified an image as the CPU did: the same five classes in the same
order, and how far apart their scores are.

Floating-point sums differ between devices (cuDNN picks other algorithms, TF32, fused
kernels), so scores are compared within a tolerance and the order of two classes whose
CPU scores are that close is allowed to swap.
"""

from __future__ import annotations

from collections.abc import Sequence

from gpusetup.serde import record

#: scores (probabilities) that differ by at most this are the same score
SCORE_TOLERANCE = 1e-3


@record
class Agreement:
    agrees: bool  # the same top classes, in the CPU's order up to near-ties
    top1_agrees: bool
    same_classes: bool  # the same set of classes, whatever the order
    max_score_diff: float  # over the classes both lists have
    detail: str


def compare_top(
    cpu: Sequence[tuple[int, float]],
    other: Sequence[tuple[int, float]],
    tolerance: float = SCORE_TOLERANCE,
) -> Agreement:
    """Compare a device's top-k (class, score) list with the CPU's."""
    cpu_scores, other_scores = dict(cpu), dict(other)
    shared = set(cpu_scores) & set(other_scores)
    diff = max((abs(cpu_scores[c] - other_scores[c]) for c in shared), default=1.0)
    same_classes = set(cpu_scores) == set(other_scores)
    in_order = [c for c, _ in cpu] == [c for c, _ in other]
    # a swap is acceptable where the CPU itself scored the two classes within the tolerance
    near_ties = same_classes and all(
        a == b or abs(cpu_scores[a] - cpu_scores[b]) <= tolerance
        for (a, _), (b, _) in zip(cpu, other, strict=True)
    )
    agrees = same_classes and (in_order or near_ties) and diff <= tolerance
    top1 = bool(cpu) and bool(other) and cpu[0][0] == other[0][0]
    if agrees:
        detail = f"same top {len(cpu)}, scores within {diff:.2g}"
    elif not same_classes:
        missing = [c for c, _ in cpu if c not in other_scores]
        detail = f"{len(missing)} of the CPU's top {len(cpu)} classes are missing"
    elif not (in_order or near_ties):
        detail = "the same classes in another order"
    else:
        detail = f"scores differ by up to {diff:.2g} (allowed {tolerance:.2g})"
    return Agreement(agrees, top1, same_classes, diff, detail)
