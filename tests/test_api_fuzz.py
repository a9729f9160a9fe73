"""The public API validates its arguments: anything but a SymgradError is a bug.

Hypothesis calls every entry point with values of the wrong type, the wrong
shape and hostile content; the only exception allowed out is a SymgradError.
"""

import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symgrad
from symgrad.errors import SymgradError

ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["w0*x0 + w1*x1", "w0=w1", "zero", "identical", "x0=x1", "w0", "x>0", "", "1/0"]
    ),
    st.lists(st.sampled_from(["w0=w1", "w0", 3, None, "x0=x1"]), max_size=3),
    st.dictionaries(
        st.sampled_from(["w0", "w1", "x0", 1]), st.sampled_from([0, "1/2", None, "a"]), max_size=3
    ),
    st.just(sympy.Symbol("w0")),
    st.just(object()),
)
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))


def _only_symgrad_errors(function, *args, **kwargs):
    try:
        function(*args, **kwargs)
    except SymgradError:
        pass


@FUZZ
@given(ANY, ANY, ANY, ANY, ANY, ANY)
def test_prove_arguments(loss, ties, params, init, assume, dataset):
    _only_symgrad_errors(
        symgrad.prove,
        loss,
        ties=ties,
        params=params,
        init=init,
        assume=assume,
        dataset=dataset,
        timeout=5,
    )


@FUZZ
@given(ANY, ANY, ANY, ANY, ANY)
def test_prove_options(mode, functions, timeout, steps, condition):
    _only_symgrad_errors(
        symgrad.prove,
        "w0*x0 + w1*x1",
        ties=["w0=w1"],
        mode=mode,
        functions=functions,
        timeout=timeout if timeout not in (None,) else 5,
        steps=steps,
        condition=condition,
    )


@FUZZ
@given(ANY, ANY, ANY, ANY)
def test_check_arguments(loss, wrt, claim, assume):
    _only_symgrad_errors(symgrad.check, loss, wrt, claim, assume=assume, timeout=5)


@FUZZ
@given(ANY, ANY, ANY)
def test_gradients_and_parse(text, params, at):
    _only_symgrad_errors(symgrad.parse_expression, text)
    _only_symgrad_errors(symgrad.gradients, text, params, at=at)


@FUZZ
@given(ANY, ANY, ANY, ANY, ANY)
def test_model_and_collapse(name, inputs, hidden, activation, init):
    _only_symgrad_errors(symgrad.model, name, inputs=inputs, hidden=hidden, activation=activation)
    _only_symgrad_errors(
        symgrad.collapse, symgrad.model("two-layer", hidden=2), init=init, timeout=5
    )


@FUZZ
@given(ANY, ANY, ANY, ANY)
def test_simulate_and_parametric(init, steps, lr, rows):
    from symgrad.ties.simulate import simulate

    _only_symgrad_errors(
        simulate, symgrad.model("two-layer", hidden=2), init=init, steps=steps, lr=lr, rows=rows
    )
    _only_symgrad_errors(symgrad.prove_parametric, init, inputs=steps, hidden=lr, samples=rows)
