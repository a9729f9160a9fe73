"""Seed 001: a single hidden layer with identity activation, no biases and MSE.

f(X) = X W W2. Identical initialisation (not necessarily zero) gives every hidden
neuron the same gradient, so the neurons stay identical; with different
initial output weights they separate.
"""

from symgrad import model, prove_parametric
from symgrad.derivation import Derivation, main, prove

CLAIM = (
    "In f = x W W2 with MSE, identical initialisation keeps every hidden neuron "
    "identical for every width d and input size k; initialisation that differs "
    "between neurons does not."
)
EXPECTED = "proven"
SIZES = ((1, 2), (2, 3), (3, 4), (4, 8))


def derive() -> Derivation:
    d = Derivation("identity_network", CLAIM, EXPECTED)
    d.check(
        "For every width d, input size k and sample count n at once (symbolic sizes): the "
        "per-neuron gradients on the tied subspace, with W1[i, j] = a[i] and W2[j] = v, do "
        "not depend on the neuron index; the W2 gradient is the Q&A thread's 2 x'W (x'W W2 - y):",
        prove_parametric(
            "two-layer", inputs="k", hidden="d", samples="n", activation="identity", bias=False
        ),
        expect="proven",
        headline=True,
    )
    d.say(
        "Identical init gives each neuron-symmetry group its own symbol a0, a1, ..., so "
        "the initial values are arbitrary, not zero. Concrete instances:"
    )
    for k, width in SIZES:
        net = model(
            "two-layer", inputs=k, hidden=width, activation="identity", bias=False, samples=2
        )
        d.check(
            f"k = {k} inputs, d = {width} hidden neurons, 2 samples:",
            prove(net, init="identical"),
            expect="proven",
        )
    net = model("two-layer", inputs=2, hidden=3, activation="identity", bias=False)
    d.check(
        "Neurons whose incoming weights start equal but whose output weights differ "
        "(as after a random init of W2):",
        prove(net, ties=["W1_0_0=W1_0_1=W1_0_2", "W1_1_0=W1_1_1=W1_1_2"]),
        expect="refuted",
    )
    return d


if __name__ == "__main__":
    main(derive)
