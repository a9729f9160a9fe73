"""Seed 001: the gradients of f(X) = σ(σ(XW + b)W2 + b2), for every k, d and n.

The question's network has a hidden layer H = σ(XW + b) (b a row broadcast over
the samples) and one sigmoid output f = σ(HW2 + b2). symgrad checks the
textbook backpropagation formulas as matrix claims for every input size k,
width d and sample count n:

- MSE  J = ||f - y||²:  ∇_{W2} J = 2 H'((f - y) ⊙ σ'(HW2 + b2)),
  ∇_W J = X'(((2(f - y) ⊙ σ'(HW2 + b2)) W2') ⊙ σ'(XW + b));
- cross-entropy with logits, J = Σ_i softplus(z_i) - y_i z_i with z = HW2 + b2
  (the same as -Σ y log f + (1 - y) log(1 - f)):  ∇_{W2} J = H'(f - y),
  ∇_W J = X'(((f - y) W2') ⊙ σ'(XW + b)).

Every hidden neuron's column of these gradients is the same function of its
own weights, which is why identical neurons stay identical.
"""

from symgrad import check
from symgrad.derivation import Derivation, main

CLAIM = (
    "For every k, d and n, backpropagation's matrix formulas are the exact MSE and "
    "cross-entropy gradients of sigma(sigma(XW + b)W2 + b2) with respect to W2 and W."
)
EXPECTED = "correct"
SHAPES = ["X=n,k", "W=k,d", "b=1,d", "W2=d", "b2=1", "y=n"]
H = "sigma(X@W + b)"
Z2 = f"{H}@W2 + b2"
F = f"sigma({Z2})"
MSE = f"norm({F} - y)**2"
CROSS_ENTROPY = f"sum(softplus({Z2}) - hadamard(y, {Z2}))"


def derive() -> Derivation:
    d = Derivation("two_layer_gradients", CLAIM, EXPECTED)
    d.check(
        "MSE, the output weights: 2 H'((f - y) ⊙ σ'(z)):",
        check(MSE, "W2", f"2*{H}.T@hadamard({F} - y, sigma'({Z2}))", shapes=SHAPES, timeout=120),
        expect="correct",
        headline=True,
    )
    d.check(
        "MSE, the hidden weights (the chain rule through σ'(XW + b)):",
        check(
            MSE,
            "W",
            f"X.T@hadamard(hadamard(2*({F} - y), sigma'({Z2}))@W2.T, sigma'(X@W + b))",
            shapes=SHAPES,
            timeout=120,
        ),
        expect="correct",
    )
    d.check(
        "Cross-entropy, the output weights: H'(f - y) (σ' cancels against the log):",
        check(CROSS_ENTROPY, "W2", f"{H}.T@({F} - y)", shapes=SHAPES, timeout=120),
        expect="correct",
    )
    d.check(
        "Cross-entropy, the hidden weights: X'(((f - y) W2') ⊙ σ'(XW + b)):",
        check(
            CROSS_ENTROPY,
            "W",
            f"X.T@hadamard(({F} - y)@W2.T, sigma'(X@W + b))",
            shapes=SHAPES,
            timeout=120,
        ),
        expect="correct",
    )
    d.check(
        "A student's sign slip, H'(y - f), is refuted with an exact witness:",
        check(CROSS_ENTROPY, "W2", f"{H}.T@(y - {F})", shapes=SHAPES, timeout=120),
        expect="incorrect",
    )
    return d


if __name__ == "__main__":
    main(derive)
