"""Seed 001's first answer: "if you started with all weights set to zero ...".

With tanh and no biases, zero is a stationary point: every gradient vanishes
(tanh(0) = 0 kills the output weights' gradient, W2 = 0 kills the rest), so
nothing ever moves. With sigmoid, sigmoid(0) = 1/2, so the output weights move
away from the input weights, but the hidden neurons stay identical.
"""

from symgrad import model
from symgrad.derivation import Derivation, main, prove

CLAIM = (
    "Zero init of a two-layer tanh network (no biases) is a stationary point; with "
    "sigmoid it moves, yet the hidden neurons stay identical."
)
EXPECTED = "proven"


def derive() -> Derivation:
    d = Derivation("zero_init", CLAIM, EXPECTED)
    tanh_net = model("two-layer", inputs=2, hidden=3, activation="tanh", bias=False, samples=2)
    d.check("tanh, all weights 0:", prove(tanh_net, init="zero"), expect="proven", headline=True)
    sigmoid_net = model(
        "two-layer", inputs=2, hidden=3, activation="sigmoid", bias=False, samples=2
    )
    d.check(
        "sigmoid, all weights 0: not all weights stay equal (W1 and W2 split),",
        prove(sigmoid_net, init="zero"),
        expect="refuted",
    )
    groups = [group for group in sigmoid_net.identical_groups() if len(group) > 1]
    ties = ["=".join(str(p) for p in group) for group in groups]
    d.check(
        "but the hidden neurons stay identical (from zero, tied neuron by neuron):",
        prove(sigmoid_net, ties=ties, init="zero"),
        expect="proven",
    )
    return d


if __name__ == "__main__":
    main(derive)
