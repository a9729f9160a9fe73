"""Proofs for every width: symbolic sizes k (inputs), d (hidden) and n (samples).

The loss is built with indexed parameters and sums over symbolic ranges
(``W1[i, j]``, ``Sum(..., (j, 0, d - 1))``). It is differentiated with respect
to a generic parameter of each family (``W1[p, q]``; SymPy produces
``KroneckerDelta`` sums), the tie is substituted (``W1[i, j] -> a[i]``,
``W2[j] -> v``, ...), and the delta sums are evaluated with the generic index
known to lie in its range (``d = q + 1 + r`` with ``r >= 0``). If the result
no longer contains the neuron index q, every neuron has the same gradient for
all sizes: that independence is the certificate. Otherwise the permutation
route applies at the level of the indexed loss: it is a sum over the neuron
index of one summand built from that neuron's parameters.

Refutations instantiate the sizes (a counterexample for one size refutes the
claim "for all sizes") and reuse the exact witness of the concrete prover.

>>> result = prove_parametric("two-layer", init="identical", inputs="k", hidden="d",
...                           samples="n", activation="identity", bias=False)
>>> result.verdict, result.scope
('proven', 'for all d >= 1, k >= 1, n >= 1')
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy

from symgrad.errors import BudgetError, ModelError
from symgrad.results import ParametricResult
from symgrad.runtime.budget import binds_timeout
from symgrad.runtime.worker import run_with_budget
from symgrad.text.parse import check_name
from symgrad.ties.models import ACTIVATIONS

SAMPLE, INPUT = sympy.symbols("s i", integer=True)
HIDDEN_INDICES = sympy.symbols("j l", integer=True)


def size(value: object, name: str) -> sympy.Expr:
    """A size: a whole number, or a name (a positive integer symbol)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ModelError(f"{name}={value} must be at least 1")
        return sympy.Integer(value)
    text = str(value).strip()
    if text.isdigit():
        return size(int(text), name)
    check_name(text, name)
    if text in RESERVED_SIZE_NAMES or re.fullmatch(r"[Wbuc]\d+", text):
        raise ModelError(
            f"{name}={text}: {text} names the model's data or weights; call the size another "
            "name, such as n, k or d"
        )
    return sympy.Symbol(text, integer=True, positive=True)


#: names of the symbolic model's own indexed data and parameters
RESERVED_SIZE_NAMES = frozenset({"x", "y", "w", "W", "b", "a", "c", "p", "v", "u"})


def is_symbolic(*values: object) -> bool:
    """True if any size is a name rather than a number."""
    for value in values:
        if value is None or isinstance(value, int):
            continue
        for part in str(value).split(","):
            if part.strip() and not part.strip().isdigit():
                return True
    return False


@dataclass(frozen=True)
class Family:
    """A parameter family: its generic element, neuron index positions and tied value."""

    name: str
    generic: sympy.Expr
    neuron_indices: tuple[sympy.Symbol, ...]
    tied: sympy.Expr


@dataclass(frozen=True)
class ParametricModel:
    name: str
    loss: sympy.Expr
    families: tuple[Family, ...]
    tie: Callable[[sympy.Expr], sympy.Expr]
    sizes: Mapping[str, sympy.Expr]
    ranges: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    hidden_indices: tuple[sympy.Symbol, ...]
    options: Mapping[str, object]


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ModelError(f"activation={name!r} is not one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def _replace_bases(expr: sympy.Expr, mapping: Mapping[sympy.IndexedBase, Callable]) -> sympy.Expr:
    return expr.replace(
        lambda e: isinstance(e, sympy.Indexed) and e.base in mapping,
        lambda e: mapping[e.base](*e.indices),
    )


def build_parametric(
    name: str,
    inputs: object = "k",
    hidden: object = "d",
    samples: object = 1,
    activation: str = "tanh",
    output_activation: str = "identity",
    bias: bool = True,
    loss: str = "mse",
    outputs: object = 1,
) -> ParametricModel:
    """The preset ``name`` with indexed parameters and symbolic sizes."""
    if str(outputs) not in ("1", "None"):
        raise ModelError("symbolic sizes support one output (outputs=1)")
    k = size(inputs, "inputs")
    n = size(samples, "samples")
    if name in ("linear", "mse-linear"):
        return _parametric_linear(name, k, n)
    if name not in ("two-layer", "mlp"):
        raise ModelError(
            f"symbolic sizes are supported for linear, mse-linear, two-layer and mlp, not {name}"
        )
    if loss not in ("mse", "linear"):
        raise ModelError("symbolic sizes support loss=mse or loss=linear")
    widths = [size(h, "hidden") for h in (str(hidden).split(",") if name == "mlp" else [hidden])]
    if len(widths) > 2:
        raise ModelError("symbolic sizes support one or two hidden layers")
    network = _IndexedNetwork(k, widths, bias)
    output = network.output(_activation(activation), _activation(output_activation))
    y = sympy.IndexedBase("y", real=True)
    per_sample = (y[SAMPLE] - output) ** 2 if loss == "mse" else output
    sizes = {
        "k": k,
        "n": n,
        **{f"d{m + 1}" if len(widths) > 1 else "d": w_ for m, w_ in enumerate(widths)},
    }
    options = {
        "inputs": k,
        "hidden": ",".join(map(str, widths)),
        "samples": n,
        "activation": activation,
        "output_activation": output_activation,
        "bias": bias,
        "loss": loss,
    }
    return ParametricModel(
        name,
        sympy.Sum(per_sample, (SAMPLE, 0, n - 1)),
        tuple(network.families),
        lambda e: _replace_bases(e, network.replacements),
        sizes,
        tuple(network.ranges),
        tuple(network.generics[1:]),
        options,
    )


def _parametric_linear(name: str, k: sympy.Expr, n: sympy.Expr) -> ParametricModel:
    """``sum_s sum_i w[i] x[s, i]`` (or its squared error) with every ``w[i]`` tied to ``c``."""
    s, i = SAMPLE, INPUT
    x = sympy.IndexedBase("x", real=True)
    y = sympy.IndexedBase("y", real=True)
    p = sympy.Symbol("p", integer=True, nonnegative=True)
    w = sympy.IndexedBase("w", real=True)
    c = sympy.Symbol("c", real=True)
    z = sympy.Sum(w[i] * x[s, i], (i, 0, k - 1))
    per_sample = (y[s] - z) ** 2 if name == "mse-linear" else z
    return ParametricModel(
        name,
        sympy.Sum(per_sample, (s, 0, n - 1)),
        (Family("w", w[p], (p,), c),),
        lambda e: _replace_bases(e, {w: lambda *_: c}),
        {"k": k, "n": n},
        ((p, k),),
        (p,),
        {"inputs": k, "samples": n},
    )


class _IndexedNetwork:
    """An MLP with indexed weights ``W{l}[src, dst]``, biases ``b{l}[dst]`` and symbolic widths.

    Each layer's parameters form a :class:`Family` at generic indices (p, q, r), and the
    identical init replaces them by one symbol per family (``a[p]`` for the first layer,
    whose rows may differ; ``u{l}``, ``c{l}``, ``v`` after it).
    """

    def __init__(self, k: sympy.Expr, widths: list[sympy.Expr], bias: bool) -> None:
        self.k, self.widths, self.bias = k, widths, bias
        self.units = [k, *widths]
        self.indices = [INPUT, *HIDDEN_INDICES[: len(widths)]]
        self.generics = [
            sympy.Symbol("p", integer=True, nonnegative=True),
            *sympy.symbols("q r", integer=True, nonnegative=True)[: len(widths)],
        ]
        self.ranges = [(self.generics[0], k)] + list(zip(self.generics[1:], widths))
        self.families: list[Family] = []
        self.replacements: dict[sympy.IndexedBase, Callable] = {}

    def output(self, act, out_act) -> sympy.Expr:
        """The network's output for sample ``s``, registering each layer's family."""
        x = sympy.IndexedBase("x", real=True)
        current = x[SAMPLE, INPUT]
        for layer in range(1, len(self.widths) + 1):
            current = act(self._layer(layer, current))
        last = len(self.widths) + 1
        V = sympy.IndexedBase(f"W{last}", real=True)  # noqa: N806
        v = sympy.Symbol("v", real=True)
        self.replacements[V] = lambda jj, v=v: v
        self.families.append(Family(f"W{last}", V[self.generics[-1]], (self.generics[-1],), v))
        index = self.indices[-1]
        output = sympy.Sum(V[index] * current, (index, 0, self.widths[-1] - 1))
        if self.bias:
            output = output + sympy.Symbol(f"b{last}", real=True)
        return out_act(output)

    def _layer(self, layer: int, current: sympy.Expr) -> sympy.Expr:
        """Hidden ``layer``'s pre-activation from the previous layer's values ``current``."""
        W = sympy.IndexedBase(f"W{layer}", real=True)  # noqa: N806
        b = sympy.IndexedBase(f"b{layer}", real=True)
        src, dst = self.indices[layer - 1], self.indices[layer]
        pre = sympy.Sum(current * W[src, dst], (src, 0, self.units[layer - 1] - 1))
        generic_src, generic_dst = self.generics[layer - 1], self.generics[layer]
        if layer == 1:
            a = sympy.IndexedBase("a", real=True)
            self.replacements[W] = lambda ii, jj, a=a: a[ii]
            family = Family(
                f"W{layer}", W[generic_src, generic_dst], (generic_dst,), a[generic_src]
            )
        else:
            u = sympy.Symbol(f"u{layer}", real=True)
            self.replacements[W] = lambda ii, jj, u=u: u
            family = Family(f"W{layer}", W[generic_src, generic_dst], (generic_src, generic_dst), u)
        self.families.append(family)
        if self.bias:
            pre = pre + b[dst]
            cb = sympy.Symbol(f"c{layer}", real=True)
            self.replacements[b] = lambda jj, cb=cb: cb
            self.families.append(Family(f"b{layer}", b[generic_dst], (generic_dst,), cb))
        return pre


def _in_range(expr: sympy.Expr, ranges) -> sympy.Expr:
    """Evaluate delta sums and range conditions knowing each generic index lies in its range."""
    slack = {}
    for index, bound in ranges:
        if bound.is_Symbol:
            slack[bound] = (
                index + 1 + sympy.Symbol(f"_slack_{index}", integer=True, nonnegative=True)
            )
    forward = expr.subs(slack).doit()
    restore = {
        sympy.Symbol(f"_slack_{index}", integer=True, nonnegative=True): bound - index - 1
        for index, bound in ranges
        if bound.is_Symbol
    }
    result = forward.subs(restore)
    return result.replace(
        lambda e: isinstance(e, sympy.Sum) and e.function.has(sympy.KroneckerDelta),
        lambda e: e.doit(),
    )


def _optimizers() -> tuple[str, ...]:
    from symgrad.ties.prove import OPTIMIZERS

    return OPTIMIZERS


def _scope(sizes: Mapping[str, sympy.Expr]) -> str:
    names = sorted({str(v) for v in sizes.values() if v.is_Symbol})
    return "for all " + ", ".join(f"{n} >= 1" for n in names) if names else "for these sizes"


def _syntactic_permutation(model: ParametricModel) -> bool:
    """Each hidden index occurs only bound by its Sum and as the neuron index of parameters."""
    for index in model.hidden_indices:
        for node in sympy.preorder_traversal(model.loss):
            if isinstance(node, sympy.Indexed) and index in node.free_symbols:
                if not str(node.base).startswith(("W", "b")):
                    return False
    return True


@binds_timeout
def prove_parametric(
    name: str,
    init: str = "identical",
    inputs: object = "k",
    hidden: object = "d",
    samples: object = 1,
    activation: str = "tanh",
    output_activation: str = "identity",
    bias: bool = True,
    loss: str = "mse",
    outputs: object = 1,
    timeout: float = 30.0,
) -> ParametricResult:
    """Decide the tie of ``init`` for every size of the symbolic model."""
    start = time.monotonic()
    model = build_parametric(
        name, inputs, hidden, samples, activation, output_activation, bias, loss, outputs
    )
    description = f"{name}(" + ", ".join(f"{k}={v}" for k, v in model.options.items()) + ")"
    if name in ("linear", "mse-linear"):
        return _linear_zero(model, init, description, start)
    if init != "identical":
        raise ModelError("for networks with symbolic sizes, use --init identical")
    ties = tuple(f"{f.generic} = {f.tied} for every neuron" for f in model.families)
    gradients, independent, notes = _tied_gradients(model, timeout)
    if independent:
        method = (
            "the indexed gradient of each family on the tied subspace does not depend on "
            "the neuron index"
        )
    elif _syntactic_permutation(model):
        method = (
            "permutation invariance of the indexed loss: a sum over the neuron index of "
            "one summand built from that neuron's parameters"
        )
    else:
        method = ""
    return ParametricResult(
        "proven" if method else "unknown",
        description,
        _scope(model.sizes),
        method or "no route decided",
        gradients,
        {},
        ties,
        notes=notes,
        elapsed_s=round(time.monotonic() - start, 4),
        optimizers=_optimizers() if method else (),
    )


def _tied_gradients(model: ParametricModel, timeout: float) -> tuple[dict, bool, tuple[str, ...]]:
    """Each family's gradient at a generic index on the tied subspace, and whether none of
    them depends on the neuron index (then every neuron has the same gradient)."""

    def tied_gradients() -> dict[str, sympy.Expr]:
        return {
            str(family.generic): _in_range(
                model.tie(sympy.diff(model.loss, family.generic)), model.ranges
            )
            for family in model.families
        }

    try:
        gradients = run_with_budget(tied_gradients, timeout, "indexed differentiation")
    except BudgetError as error:
        return {}, False, (f"the general gradient was not computed: {error}",)
    independent = all(
        not any(
            index in gradients[str(f.generic)].free_symbols
            for index in f.neuron_indices
            if index in model.hidden_indices
        )
        for f in model.families
    )
    return gradients, independent, ()


def _concrete(model: ParametricModel) -> dict[str, int] | None:
    """The smallest concrete sizes that keep the model's concrete sizes (k = 2 if k is a name)."""
    k, n = model.sizes["k"], model.sizes["n"]
    return {"inputs": int(k) if k.is_Integer else 2, "samples": int(n) if n.is_Integer else 1}


def _linear_zero(model: ParametricModel, init: str, description: str, start: float):
    """All weights tied (zero, constant or identical init of the single neuron)."""
    from symgrad.ties.models import build
    from symgrad.ties.prove import prove

    if init not in ("zero", "constant", "identical"):
        raise ModelError("init for a linear model with symbolic sizes: zero, constant or identical")
    sizes = _concrete(model)
    if model.sizes["k"] == 1:
        # one weight: nothing is tied, exactly as for the concrete model
        prove(build(model.name, **sizes), init="zero" if init == "zero" else "constant")
    family = model.families[0]
    p = family.generic.indices[0]
    p2 = sympy.Symbol("p'", integer=True, nonnegative=True)
    derivative = model.tie(sympy.diff(model.loss, family.generic))
    if model.sizes["k"].is_Integer:
        # concrete inputs: the pair of weights 0 and 1 stands for every pair
        p, p2 = sympy.Integer(0), sympy.Integer(1)
        derivative = derivative.xreplace({family.generic.indices[0]: p}).doit()
        other = (
            model.tie(sympy.diff(model.loss, family.generic))
            .xreplace({family.generic.indices[0]: p2})
            .doit()
        )
    else:
        derivative = _in_range(derivative, model.ranges)
        other = derivative.xreplace({p: p2})
    difference = sympy.simplify(derivative - other)
    gradients = {str(family.generic): derivative}
    ties = (f"w[i] = c for all i (init {init})",)
    if difference == 0:
        return ParametricResult(
            "proven",
            description,
            _scope(model.sizes),
            "the gradient does not depend on the weight index",
            gradients,
            {},
            ties,
            elapsed_s=round(time.monotonic() - start, 4),
            optimizers=_optimizers(),
        )
    concrete = build(model.name, **sizes)
    instance = prove(concrete, init="zero" if init == "zero" else "constant")
    condition, measure_zero = _linear_condition(difference, family.tied, p, p2)
    witness = instance.witness
    return ParametricResult(
        "refuted" if instance.verdict == "refuted" else "unknown",
        description,
        _scope(model.sizes),
        "the gradient depends on the weight index; a concrete instance gives the exact witness",
        gradients,
        {f"dJ/dw[{p}] - dJ/dw[{p2}]": difference},
        ties,
        condition=condition,
        witness=witness,
        witness_summary=instance.to_dict()["summary"],
        instance=f"k = {sizes['inputs']}, n = {sizes['samples']}",
        elapsed_s=round(time.monotonic() - start, 4),
        measure_zero=measure_zero,
    )


def _pull_out(expr: sympy.Expr, tied: sympy.Symbol) -> sympy.Expr:
    """Sum(c*a + b) -> c*Sum(a) + Sum(b): powers of the tied value c outside every sum."""

    def split(total: sympy.Sum) -> sympy.Expr:
        body = sympy.expand(total.function)
        if not body.has(tied):
            return total
        try:
            polynomial = sympy.Poly(body, tied)
        except sympy.PolynomialError:
            return total
        return sympy.Add(
            *(
                tied ** m[0] * sympy.Sum(coefficient, *total.limits)
                for m, coefficient in zip(polynomial.monoms(), polynomial.coeffs())
            )
        )

    return expr.replace(lambda e: isinstance(e, sympy.Sum), split)


def _linear_condition(difference, tied, p, p2) -> tuple[str, bool]:
    """Solve 'difference = 0 for every tied value' for the data (sums and entries as unknowns).

    The difference is a polynomial in the tied value c; it vanishes for every c
    iff each coefficient does, so the condition is data-only.
    """
    from sympy.simplify.simplify import factor_sum

    from symgrad.exact.solve import Unsolved, real_solutions
    from symgrad.results import ConditionBranch
    from symgrad.ties.condition import drop_subsumed

    difference = _pull_out(difference, tied)
    difference = difference.replace(lambda e: isinstance(e, sympy.Sum), factor_sum)
    sums = sorted(difference.atoms(sympy.Sum), key=str)
    bound = {v for total in sums for v in total.variables}
    indexed = sorted(
        (a for a in difference.atoms(sympy.Indexed) if not a.free_symbols & bound), key=str
    )
    atoms = [*sums, *indexed]
    standins = {a: sympy.Symbol(f"_u{m}", real=True) for m, a in enumerate(atoms)}
    back = {v: k for k, v in standins.items()}
    numerator = sympy.numer(sympy.together(difference.xreplace(standins)))
    equations = sympy.Poly(numerator, tied).coeffs() if numerator.has(tied) else [numerator]
    equations = [e for e in equations if e != 0]
    unknowns = sorted({s for e in equations for s in e.free_symbols if s in back}, key=str)
    pair = (
        f"for the pair of weights {p}, {p2} (every pair alike)"
        if p.is_Integer
        else f"for every pair of indices {p} != {p2}"
    )
    try:
        solutions = real_solutions(equations, unknowns)
    except Unsolved:
        text = " and ".join(f"{e.xreplace(back)} = 0" for e in equations)
        return f"{pair}: {text}", True
    solved = drop_subsumed(
        [
            ConditionBranch(
                tuple(sorted(sol.substitution.items(), key=lambda item: str(item[0]))),
                sol.conditions,
            )
            for sol in solutions
        ]
    )
    branches = []
    for branch in solved:
        parts = []
        for a, b in branch.equations:
            lhs, rhs = back[a], b.xreplace(back)
            equal_inputs = isinstance(lhs, sympy.Indexed) and isinstance(rhs, sympy.Indexed)
            parts.append(f"{lhs} = {rhs}" + (" (all inputs equal)" if equal_inputs else ""))
        parts += [str(c.xreplace(back)) for c in branch.conditions]
        branches.append(" and ".join(parts))
    text = " or ".join(f"({b})" if " and " in b and len(branches) > 1 else b for b in branches)
    measure_zero = all(branches)
    return f"{pair}: {text}", measure_zero
