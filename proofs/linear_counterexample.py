"""Seed 000/002, "a specific counterexample": J = w0*x0 + w1*x1 from zero init.

The gradients are x0 and x1, so after one step w0 = -λ x0 and w1 = -λ x1: the
tie breaks unless x0 = x1, and keeping it would need every sampled data point
to satisfy x0 = x1, a measure-zero set.
"""

from symgrad.derivation import Derivation, main, prove

CLAIM = (
    "For J = w0*x0 + w1*x1 started at w0 = w1 = 0, the tie breaks after one step "
    "(-λ x0 vs -λ x1) unless x0 = x1, and keeping it needs every sampled point on "
    "the measure-zero set x0 = x1."
)
EXPECTED = "refuted"
LOSS = "w0*x0 + w1*x1"


def derive() -> Derivation:
    d = Derivation("linear_counterexample", CLAIM, EXPECTED)
    result = d.check(
        "From zero init, one gradient step with learning rate eta (λ in the Q&A thread):",
        prove(LOSS, ties=["w0=w1"], init="zero"),
        expect="refuted",
        headline=True,
    )
    d.show(
        "The gradient difference on the tie, for every data point:", result.differences["w0 - w1"]
    )
    d.check(
        "Under the degenerate condition x0 = x1 the tie persists for ever:",
        prove(LOSS, ties=["w0=w1"], init="zero", assume="x0=x1"),
        expect="proven",
    )
    d.check(
        "With SGD over a dataset, one point with x0 != x1 suffices to break it:",
        prove(
            LOSS,
            ties=["w0=w1"],
            init="zero",
            dataset=[{"x0": 1, "x1": 1}, {"x0": 2, "x1": 2}, {"x0": 1, "x1": 3}],
        ),
        expect="refuted",
    )
    d.say(
        "The set {x0 = x1} is a hyperplane in data space: it has measure zero, so data "
        "drawn from any density lands off it almost surely. That is why the Q&A thread calls "
        "the case pathological."
    )
    return d


if __name__ == "__main__":
    main(derive)
