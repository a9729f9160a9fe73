"""Seed 001: why do the output neurons of a single-layer network differ?

Each output neuron has its own target, so its gradient carries its own error
(y_o - f_o); from identical weights the neurons separate unless the targets agree.
"""

from symgrad import model
from symgrad.derivation import Derivation, main, prove

CLAIM = (
    "The output neurons of a single-layer network separate even from identical init "
    "because their targets differ; they stay equal exactly when the targets are equal."
)
EXPECTED = "refuted"


def derive() -> Derivation:
    d = Derivation("output_neurons", CLAIM, EXPECTED)
    net = model("single-layer", inputs=2, outputs=2, activation="identity", bias=True)
    d.say(f"J = {net.loss}")
    result = d.check(
        "Identical init of the two output neurons:",
        prove(net, init="identical"),
        expect="refuted",
        headline=True,
    )
    if result.condition is not None:
        d.say(f"The tie persists exactly when {result.condition.text}.")
    d.check(
        "With equal targets y0 = y1 they stay equal:",
        prove(net, init="identical", assume="y0=y1"),
        expect="proven",
    )
    return d


if __name__ == "__main__":
    main(derive)
