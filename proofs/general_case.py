"""Seed 000/002, "a general problematic case": symmetric roles give equal loss gradients.

For J = (x1 - f(θ, x0))**2, dJ/dθi = -2 (x1 - f) df/dθi, so whenever θi and θj
play symmetric roles in f (df/dθi = df/dθj on the tie), their loss gradients
agree and the tie persists. Shown with f an arbitrary function and with concrete f;
a non-symmetric f shows that the hypothesis is needed.
"""

from symgrad import gradients, parse_expression
from symgrad.derivation import Derivation, main, prove

CLAIM = (
    "For J = (y - f(θ, x))**2, parameters with symmetric roles in f get equal loss "
    "gradients, so equally initialised they stay equal."
)
EXPECTED = "proven"


def derive() -> Derivation:
    d = Derivation("general_case", CLAIM, EXPECTED)
    loss = parse_expression("(y - f(a*x + b*x))**2", functions=["f"])
    a, b = sorted(loss.free_symbols & {s for s in loss.free_symbols if s.name in "ab"}, key=str)
    grads = gradients(loss, [a, b])
    d.show("With f arbitrary, the chain rule gives dJ/da =", grads[a])
    d.show("and dJ/db =", grads[b])
    d.check(
        "a and b enter f symmetrically, so the tie a = b persists for every f:",
        prove("(y - f(a*x + b*x))**2", ties=["a=b"], functions=["f"]),
        expect="proven",
        headline=True,
    )
    d.check(
        "A concrete f: a width-2 tanh layer with output weights v, tie w0 = w1 and v0 = v1:",
        prove("(y - v0*tanh(w0*x) - v1*tanh(w1*x))**2", ties=["w0=w1", "v0=v1"]),
        expect="proven",
    )
    d.check(
        "A concrete f where a and b are not symmetric (f = a*x + b*x**2): the tie breaks,",
        prove("(y - a*x - b*x**2)**2", ties=["a=b"]),
        expect="refuted",
    )
    d.say("so the hypothesis df/da = df/db on the tie is what makes the general argument work.")
    return d


if __name__ == "__main__":
    main(derive)
