"""Seed 001, generalised: σ(σ(XW + b)W2 + b2) with any activation and with biases.

Swapping two hidden neurons (incoming weights, bias and outgoing weight together)
leaves the loss unchanged for every activation, so identical neurons stay identical.
"""

from symgrad import model, prove_parametric
from symgrad.derivation import Derivation, main, prove

CLAIM = (
    "With tanh, sigmoid, ReLU or an arbitrary activation σ, and with biases, identical "
    "initialisation keeps the hidden neurons identical."
)
EXPECTED = "proven"


def derive() -> Derivation:
    d = Derivation("activations", CLAIM, EXPECTED)
    d.check(
        "For an arbitrary activation σ, with biases, and every d, k, n (symbolic sizes):",
        prove_parametric(
            "two-layer", inputs="k", hidden="d", samples="n", activation="generic", bias=True
        ),
        expect="proven",
        headline=True,
    )
    first = False
    for activation in ("generic", "tanh", "sigmoid", "relu"):
        net = model(
            "two-layer",
            inputs=2,
            hidden=3,
            activation=activation,
            output_activation=activation if activation == "generic" else "identity",
            bias=True,
            samples=2,
        )
        label = "an arbitrary σ (also at the output)" if activation == "generic" else activation
        d.check(
            f"Activation {label}, with biases:",
            prove(net, init="identical"),
            expect="proven",
            headline=first,
        )
        first = False
    d.say(
        "ReLU uses relu'(0) = 0 as PyTorch and JAX do; the proof does not depend on it, "
        "since tied neurons see the same pre-activation."
    )
    return d


if __name__ == "__main__":
    main(derive)
