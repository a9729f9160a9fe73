"""Seed 002, the follow-up: parameters as vector rows of Θ, initialised to zero.

Do the elements within one row stay equal? The updates of t_r_e are driven by
the data coordinates they multiply, so elements of one row split as soon as
those coordinates differ, for the linear loss and for a softmax layer alike.
"""

from symgrad import model
from symgrad.derivation import Derivation, main, prove

CLAIM = (
    "Rows of Θ initialised to zero do not keep equal elements: for 2-dimensional rows, "
    "both with the linear loss and with a softmax layer and cross-entropy, the elements of "
    "a row separate unless the matching input coordinates are equal."
)
EXPECTED = "refuted"


def derive() -> Derivation:
    d = Derivation("vector_rows", CLAIM, EXPECTED)
    linear = model("rows", rows=2, dimension=2, loss="linear")
    d.say(f"Linear loss with rows: J = {linear.loss}.")
    d.check(
        "Elements t0_0 = t0_1 of row 0, from zero:",
        prove(linear, ties=["t0_0=t0_1"], init="t0_0=0,t0_1=0,t1_0=0,t1_1=0"),
        expect="refuted",
        headline=True,
    )
    d.check(
        "They stay equal only if x0_0 = x0_1 for every sample:",
        prove(linear, ties=["t0_0=t0_1"], assume="x0_0=x0_1"),
        expect="proven",
    )
    softmax = model("rows", rows=2, dimension=2, loss="cross-entropy")
    d.say("Softmax layer: logits z_r = t_r . x, cross-entropy with targets y_r.")
    d.check(
        "Elements t0_0 = t0_1 of row 0, from zero:",
        prove(softmax, ties=["t0_0=t0_1"], init="t0_0=0,t0_1=0,t1_0=0,t1_1=0"),
        expect="refuted",
    )
    d.check(
        "With equal input coordinates x0 = x1 the elements of each row stay equal:",
        prove(softmax, ties=["t0_0=t0_1", "t1_0=t1_1"], assume="x0=x1"),
        expect="proven",
    )
    d.check(
        "Different rows (t0_e vs t1_e) are driven by different targets and split too:",
        prove(softmax, ties=["t0_0=t1_0", "t0_1=t1_1"], init="zero"),
        expect="refuted",
    )
    return d


if __name__ == "__main__":
    main(derive)
