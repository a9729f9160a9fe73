"""Soundness: tie questions whose answers are known by hand.

symgrad must never say ``proven`` for a false tie nor ``refuted`` for a true
one. Every case here is decided (no ``unknown``).
"""

import pytest

from symgrad import model, prove

SWAPPED = [{"x0": 1, "x1": 2}, {"x0": 2, "x1": 1}]
DIAGONAL = [{"x0": 1, "x1": 1}, {"x0": "0.5", "x1": "0.5"}]
MSE_ROWS = [{"x0": 1, "x1": 2, "y": 0}, {"x0": 2, "x1": 1, "y": 0}]

# (label, loss, keyword arguments, verdict known by hand)
CASES = [
    # the seeds
    ("seed linear", "w0*x0 + w1*x1", {"ties": ["w0=w1"]}, "refuted"),
    ("seed linear zero init", "w0*x0 + w1*x1", {"ties": ["w0=w1"], "init": "zero"}, "refuted"),
    ("seed linear x0 = x1", "w0*x0 + w1*x1", {"ties": ["w0=w1"], "assume": "x0=x1"}, "proven"),
    ("seed mse", "(y - w0*x0 - w1*x1)**2", {"ties": ["w0=w1"]}, "refuted"),
    (
        "seed mse x0 = x1",
        "(y - w0*x0 - w1*x1)**2",
        {"ties": ["w0=w1"], "assume": "x0=x1"},
        "proven",
    ),
    ("seed symmetric roles", "(y - w0*x - w1*x)**2", {"ties": ["w0=w1"]}, "proven"),
    ("seed arbitrary f", "(y - f(a*x + b*x))**2", {"ties": ["a=b"], "functions": ["f"]}, "proven"),
    (
        "seed concrete f",
        "(y - v0*tanh(w0*x) - v1*tanh(w1*x))**2",
        {"ties": ["w0=w1", "v0=v1"]},
        "proven",
    ),
    ("asymmetric f", "(y - a*x - b*x**2)**2", {"ties": ["a=b"]}, "refuted"),
    (
        "arbitrary f, different inputs",
        "(y - f(a*x0) - f(b*x1))**2",
        {"ties": ["a=b"], "functions": ["f"]},
        "refuted",
    ),
    # traps where floats would agree
    ("coefficient 1 + 1e-40", "w0*x + (1 + 10**-40)*w1*x", {"ties": ["w0=w1"]}, "refuted"),
    ("additive 1e-50", "w0*x + w1*x + 10**-50*w1", {"ties": ["w0=w1"]}, "refuted"),
    ("decimal 0.1 is exact", "0.1*w0*x + w1*x/10", {"ties": ["w0=w1"]}, "proven"),
    ("0.333 is not 1/3", "0.333*w0*x + w1*x/3", {"ties": ["w0=w1"]}, "refuted"),
    ("tiny exp difference", "exp(w0*x) + exp(w1*x + 10**-30)", {"ties": ["w0=w1"]}, "refuted"),
    # identities that need simplification
    ("sin^2 + cos^2", "w0*x*(sin(x)**2 + cos(x)**2) + w1*x", {"ties": ["w0=w1"]}, "proven"),
    ("cosh^2 - sinh^2", "w0*x*(cosh(x)**2 - sinh(x)**2) + w1*x", {"ties": ["w0=w1"]}, "proven"),
    ("sigmoid symmetry", "w0*x*(sigmoid(x) + sigmoid(-x)) + w1*x", {"ties": ["w0=w1"]}, "proven"),
    ("tanh via sigmoid", "w0*x*tanh(x) + w1*x*(2*sigmoid(2*x) - 1)", {"ties": ["w0=w1"]}, "proven"),
    ("exp of a sum", "w0*exp(x)*exp(y) + w1*exp(x + y)", {"ties": ["w0=w1"]}, "proven"),
    ("expanded square", "w0*(x + 1)**2 + w1*(x**2 + 2*x + 1)", {"ties": ["w0=w1"]}, "proven"),
    ("almost a square", "w0*(x + 1)**2 + w1*(x**2 + 2*x + 2)", {"ties": ["w0=w1"]}, "refuted"),
    # polynomial ties without data
    ("product w0*w1", "w0*w1", {"ties": ["w0=w1"]}, "proven"),
    ("w0^2 w1", "w0**2*w1", {"ties": ["w0=w1"]}, "refuted"),
    ("(w0 - w1)^3", "(w0 - w1)**3*x", {"ties": ["w0=w1"]}, "proven"),
    ("quadratic from zero", "w0**2 + 2*w1**2", {"init": "w0=0,w1=0"}, "proven"),
    ("quadratic from c", "w0**2 + 2*w1**2", {"init": "w0=c,w1=c"}, "refuted"),
    ("exp sum", "exp(w0) + exp(w1)", {"ties": ["w0=w1"]}, "proven"),
    ("weighted exp", "exp(w0) + 2*exp(w1)", {"ties": ["w0=w1"]}, "refuted"),
    (
        "three-way tie",
        "log(1 + w0**2) + log(1 + w1**2) + log(1 + w2**2)",
        {"ties": ["w0=w1=w2"]},
        "proven",
    ),
    # piecewise activations at the kink
    ("relu symmetric", "relu(w0*x) + relu(w1*x)", {"ties": ["w0=w1"]}, "proven"),
    ("relu vs linear at zero", "relu(w0*x) + w1*x", {"ties": ["w0=w1"], "init": "zero"}, "refuted"),
    ("max at the tie", "max(w0, w1)*x", {"ties": ["w0=w1"]}, "proven"),
    ("abs of the difference", "abs(w0 - w1)*x", {"ties": ["w0=w1"]}, "proven"),
    # datasets: full batch versus SGD
    (
        "full batch swapped",
        "w0*x0 + w1*x1",
        {"ties": ["w0=w1"], "dataset": SWAPPED, "mode": "full-batch"},
        "proven",
    ),
    ("sgd swapped", "w0*x0 + w1*x1", {"ties": ["w0=w1"], "dataset": SWAPPED}, "refuted"),
    ("sgd diagonal", "w0*x0 + w1*x1", {"ties": ["w0=w1"], "dataset": DIAGONAL}, "proven"),
    (
        "mse full batch cancels",
        "(y - w0*x0 - w1*x1)**2",
        {"ties": ["w0=w1"], "dataset": MSE_ROWS, "mode": "full-batch"},
        "proven",
    ),
    ("mse sgd", "(y - w0*x0 - w1*x1)**2", {"ties": ["w0=w1"], "dataset": MSE_ROWS}, "refuted"),
]

MODEL_CASES = [
    (
        "two-layer identity identical",
        dict(name="two-layer", activation="identity", bias=False),
        {"init": "identical"},
        "proven",
    ),
    (
        "two-layer tanh identical",
        dict(name="two-layer", activation="tanh"),
        {"init": "identical"},
        "proven",
    ),
    (
        "two-layer sigmoid identical",
        dict(name="two-layer", activation="sigmoid"),
        {"init": "identical"},
        "proven",
    ),
    (
        "two-layer relu identical",
        dict(name="two-layer", activation="relu"),
        {"init": "identical"},
        "proven",
    ),
    (
        "two-layer generic identical",
        dict(name="two-layer", activation="generic"),
        {"init": "identical"},
        "proven",
    ),
    ("mlp identical", dict(name="mlp", hidden="3,2"), {"init": "identical"}, "proven"),
    (
        "tanh zero init no bias",
        dict(name="two-layer", activation="tanh", bias=False),
        {"init": "zero"},
        "proven",
    ),
    (
        "sigmoid zero init no bias",
        dict(name="two-layer", activation="sigmoid", bias=False),
        {"init": "zero"},
        "refuted",
    ),
    (
        "tied inputs, free outputs",
        dict(name="two-layer", activation="tanh", samples=2),
        {"ties": ["W1_0_0=W1_0_1", "W1_1_0=W1_1_1"]},
        "refuted",
    ),
    ("single layer identical", dict(name="single-layer"), {"init": "identical"}, "refuted"),
    (
        "single layer equal targets",
        dict(name="single-layer"),
        {"init": "identical", "assume": "y0=y1"},
        "proven",
    ),
    ("softmax zero init", dict(name="softmax", outputs=2), {"init": "zero"}, "refuted"),
    ("rows within a row", dict(name="rows"), {"ties": ["t0_0=t0_1"]}, "refuted"),
    (
        "rows within a row, equal inputs",
        dict(name="rows"),
        {"ties": ["t0_0=t0_1"], "assume": "x0_0=x0_1"},
        "proven",
    ),
]


@pytest.mark.parametrize("label, loss, kwargs, expected", CASES, ids=[c[0] for c in CASES])
def test_custom_loss_verdicts(label, loss, kwargs, expected):
    assert prove(loss, **kwargs).verdict == expected


@pytest.mark.parametrize(
    "label, spec, kwargs, expected", MODEL_CASES, ids=[c[0] for c in MODEL_CASES]
)
def test_model_verdicts(label, spec, kwargs, expected):
    spec = dict(spec)
    net = model(spec.pop("name"), **spec)
    assert prove(net, **kwargs).verdict == expected


def test_suite_has_at_least_forty_questions():
    assert len(CASES) + len(MODEL_CASES) >= 40
