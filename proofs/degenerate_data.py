"""Seed 000/002: "what if x0 = x1?" Degenerate data on which a breaking tie survives.

Under full-batch GD only the summed gradients must agree, under SGD every
sample's must: data (1, 2) and (2, 1) keep the linear tie under full-batch GD but
not under SGD, data on the diagonal x0 = x1 keep it under both. Both kinds of
data set are pathological: an algebraic condition of measure zero.
"""

from symgrad.derivation import Derivation, main, prove

CLAIM = (
    "A tie that normally breaks survives on degenerate data: full-batch GD needs the "
    "summed gradients to agree, SGD every sample's; such data sets have measure zero."
)
EXPECTED = "proven"
LOSS = "w0*x0 + w1*x1"
SWAPPED = [{"x0": 1, "x1": 2}, {"x0": 2, "x1": 1}]
DIAGONAL = [{"x0": 1, "x1": 1}, {"x0": "0.5", "x1": "0.5"}, {"x0": -3, "x1": -3}]


def derive() -> Derivation:
    d = Derivation("degenerate_data", CLAIM, EXPECTED)
    d.check(
        "Data (1, 2) and (2, 1) under full-batch GD: the summed gradients are 3 and 3,",
        prove(LOSS, ties=["w0=w1"], init="zero", dataset=SWAPPED, mode="full-batch"),
        expect="proven",
        headline=True,
    )
    d.check(
        "the same data under SGD: the first sample alone breaks the tie,",
        prove(LOSS, ties=["w0=w1"], init="zero", dataset=SWAPPED, mode="sgd"),
        expect="refuted",
    )
    d.check(
        "data on the diagonal x0 = x1 keeps the tie even under SGD,",
        prove(LOSS, ties=["w0=w1"], init="zero", dataset=DIAGONAL, mode="sgd"),
        expect="proven",
    )
    d.check(
        "and for MSE the surviving data is x0 = x1 or (x0 = -x1 and y = 0):",
        prove("(y - w0*x0 - w1*x1)**2", ties=["w0=w1"]),
        expect="refuted",
    )
    d.say(
        "Full-batch survival needs sum_s (x0_s - x1_s) = 0 and SGD survival needs "
        "x0_s = x1_s for every s: both are proper algebraic subsets of data space, so "
        "they have measure zero and random data avoids them almost surely."
    )
    return d


if __name__ == "__main__":
    main(derive)
