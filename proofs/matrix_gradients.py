"""Seed 001, second answer: the W2 gradient of the identity network, in matrix form.

The answer writes, for one sample, ∇_{W2} (y_i − x_i'WW2)² ∝ 2 x_i'W(x_i'WW2 − y_i)
"and analogously for W by the chain rule". Summed over the n samples and for
every input size k, width d and n, symgrad checks: the stated formula is a row,
the gradient of W2 (a column of d) is its transpose, with the factor 1 (so the
∝ holds with equality); the chain rule gives ∇_W = Σ_i 2 x_i (x_i'WW2 − y_i) W2';
and the common slips (the row form as is, a missing transpose in the W formula)
are refused or refuted with a witness.
"""

from symgrad import check
from symgrad.derivation import Derivation, main

CLAIM = (
    "For every k, d and n: the gradient of sum_i (y_i - x_i'W W2)^2 with respect to W2 "
    "is sum_i 2 (x_i'W (x_i'W W2 - y_i))' (the Q&A thread's formula, transposed, factor 1), "
    "and with respect to W it is sum_i 2 x_i (x_i'W W2 - y_i) W2'."
)
EXPECTED = "correct"
SHAPES = ["X=n,k", "W=k,d", "W2=d", "y=n"]
LOSS = r"\sum_{i=1}^{n} (y_i - x_i^\top W W_2)^2"


def derive() -> Derivation:
    d = Derivation("matrix_gradients", CLAIM, EXPECTED)
    d.check(
        "The Q&A thread's W2 gradient (a row), transposed to the shape of W2, up to a positive "
        "constant factor (the ∝), for every size:",
        check(
            LOSS,
            "W2",
            r"\sum_{i=1}^{n} 2 \left(x_i^\top W (x_i^\top W W_2 - y_i)\right)^\top",
            latex_input=True,
            shapes=SHAPES,
            up_to_factor=True,
        ),
        expect="correct",
        headline=True,
    )
    d.check(
        "The same in matrix notation, with the factor exactly 2: 2 W'X'(XWW2 - y):",
        check("norm(y - X@W@W2)**2", "W2", "2*W.T@X.T@(X@W@W2 - y)", shapes=SHAPES),
        expect="correct",
    )
    d.check(
        "The chain rule for W: sum_i 2 x_i (x_i'W W2 - y_i) W2' = 2 X'(XWW2 - y) W2':",
        check(
            LOSS,
            "W",
            r"\sum_{i=1}^{n} 2 x_i (x_i^\top W W_2 - y_i) W_2^\top",
            latex_input=True,
            shapes=SHAPES,
        ),
        expect="correct",
    )
    d.check(
        "A slip, 2 W'X'(XWW2 + y), is refuted with an exact witness:",
        check("norm(y - X@W@W2)**2", "W2", "2*W.T@X.T@(X@W@W2 + y)", shapes=SHAPES),
        expect="incorrect",
    )
    return d


if __name__ == "__main__":
    main(derive)
