"""The words symgrad's outputs use, each explained once in plain words (``symgrad explain``).

Every entry opens with a plain-words sentence, then says how symgrad uses the term.
"""

from __future__ import annotations

from symgrad.errors import SymgradError
from symgrad.text.suggest import closest

GLOSSARY: dict[str, str] = {
    "tie": (
        "Parameters that start with the same value, such as w0 = w1. symgrad asks whether "
        "gradient descent keeps them equal. Several tied groups are written a=b, c=d."
    ),
    "tied subspace": (
        "All parameter values that respect the tie, for instance every point with w0 = w1. "
        "If the tied parameters get equal gradients everywhere on it, one gradient step stays "
        "on it, so every step does: that is what a proof of a tie shows."
    ),
    "proven": (
        "The tie holds for every step, every learning rate and all data (or all data meeting "
        "your --assume, or your --dataset). Backed by an exact identity, never by samples. "
        "Exit code 0."
    ),
    "refuted": (
        "The tie breaks: symgrad found exact numbers (a witness) where the tied parameters get "
        "different gradients, so gradient descent separates them. A successful refutation "
        "exits with code 1, like a failed test: the claim 'the tie persists' is false."
    ),
    "unknown": (
        "symgrad could not decide within the time budget (--timeout), or the mathematics is "
        "beyond what it can settle exactly. It says why, and never guesses. Exit code 3."
    ),
    "witness": (
        "A concrete counterexample with exact numbers: a point (parameter values on the tie and "
        "data values) where two tied parameters get different gradients, or where a claimed "
        "derivative and the true one give different values."
    ),
    "condition": (
        "The data on which a tie survives: the solutions of 'gradient difference = 0' for every "
        "tied value, such as x0 = x1. It is solved exactly, every branch included."
    ),
    "measure zero": (
        "A set so thin that data drawn at random lands on it with probability 0, such as the "
        "line x0 = x1 in the plane. A tie that survives only there breaks for random data: "
        "'the degenerate case'."
    ),
    "almost surely": (
        "With probability 1. Random data misses a measure-zero set almost surely, so a tie "
        "that needs such data breaks almost surely."
    ),
    "almost everywhere": (
        "Everywhere except on a measure-zero set. A claimed derivative of relu(w*x) that is "
        "right except where w*x = 0 (the kink) is correct almost everywhere."
    ),
    "kink": (
        "A point where a function has a corner, so no derivative exists there: relu at 0, abs "
        "at 0, max where its arguments tie. symgrad uses PyTorch's convention there (relu'(0) "
        "= 0) and says so."
    ),
    "stationary point": (
        "A point where every gradient is 0, so gradient descent does not move at all. From a "
        "stationary init every tie trivially persists."
    ),
    "certificate": (
        "What backs a verdict, so it can be checked: for a proof, the exact identity that "
        "makes the gradient difference 0 (a symmetry, a normal form); for a refutation, the "
        "witness and the exact arithmetic that shows its values differ. Shown with -v."
    ),
    "re-check": (
        "Before a verdict is printed, a second route that shares no code with the first checks "
        "it again: the witness re-evaluated with plain differentiation, a symmetry re-applied "
        "to the loss. If the re-check fails the verdict is unknown, never the unchecked one."
    ),
    "exact rational arithmetic": (
        "Computing with fractions such as 1/3 exactly, never rounding. A difference shown "
        "nonzero this way is nonzero for certain, unlike a floating-point comparison."
    ),
    "interval arithmetic": (
        "Computing with ranges guaranteed to contain the true value, such as [0.8414, 0.8415] "
        "for sin(1). If the range of a difference excludes 0, the difference is certainly "
        "nonzero: how values like tanh(1) are compared without trusting floats."
    ),
    "permutation invariance": (
        "Swapping some parameters (say two hidden neurons with all their weights) leaves the "
        "loss unchanged. Then parameters that start equal get equal gradients for ever: the "
        "usual reason a tie is proven."
    ),
    "effective width": (
        "How many neurons a hidden layer really has while training: 8 neurons started "
        "identical stay identical and behave as 1 (symgrad collapse)."
    ),
    "tie group": (
        "Parameters that must stay equal to each other, such as w0 = w1 = w2: one group. "
        "Several groups (a=b, c=d) may each stay equal without the groups being equal to "
        "one another; symgrad collapse reports the groups that persist."
    ),
    "correct": (
        "The claimed derivative equals the true one exactly, for every value of the symbols "
        "(or for every value your --assume allows), proven by an exact identity. Exit code 0."
    ),
    "incorrect": (
        "The claimed derivative differs from the true one: symgrad shows exact numbers (a "
        "witness) where the two give different values. Exit code 1."
    ),
    "learning rate": (
        "The step size eta of gradient descent: each step moves a parameter by eta times its "
        "gradient. A proven tie holds for every eta; a refutation after several steps names "
        "the eta it used."
    ),
    "structural equality": (
        "The two expressions are the same once SymPy writes both in its canonical form, so "
        "their difference is literally 0: the cheapest exact proof, no simplification needed."
    ),
    "rational normal form": (
        "Both sides written as one fraction of polynomials with common factors cancelled "
        "(SymPy's cancel): for expressions made of + - * / and integer powers this decides "
        "exactly whether a difference is 0."
    ),
    "CAS simplification": (
        "Asking the computer algebra system (SymPy's simplify, after rewriting tanh, sigmoid "
        "and friends in terms of exp) to reduce a difference to 0; run with a time limit, and "
        "trusted only when the result is exactly 0."
    ),
    "degenerate case": (
        "Data on a measure-zero set, such as every point having x0 = x1: a tie that survives "
        "only there is kept by special data, never by data drawn at random."
    ),
    "invariant set": (
        "A set of parameter values that gradient descent never leaves: start inside and every "
        "step stays inside. symgrad collapse finds the smallest one of the form 'these "
        "entries equal, those fixed' that contains your init."
    ),
    "exit codes": (
        "0 the claim holds (proven, correct); 1 it fails (refuted, incorrect: a successful "
        "answer, not a crash); 2 bad input or usage; 3 unknown or out of time; 130 Ctrl-C."
    ),
}

_ALIASES = {
    "measure-zero": "measure zero",
    "recheck": "re-check",
    "re-checked": "re-check",
    "rechecked": "re-check",
    "tied": "tie",
    "ties": "tie",
    "stationary": "stationary point",
    "intervals": "interval arithmetic",
    "exact": "exact rational arithmetic",
    "rational": "exact rational arithmetic",
    "permutation": "permutation invariance",
    "symmetry": "permutation invariance",
    "width": "effective width",
    "exit": "exit codes",
    "exit code": "exit codes",
    "degenerate": "degenerate case",
    "eta": "learning rate",
    "lr": "learning rate",
    "structural": "structural equality",
    "normal form": "rational normal form",
    "cas": "CAS simplification",
    "cas simplification": "CAS simplification",
    "simplification": "CAS simplification",
    "simplify": "CAS simplification",
    "invariant": "invariant set",
    "group": "tie group",
    "tie groups": "tie group",
    "counterexample": "witness",
}


def lookup(term: str) -> tuple[str, str]:
    """The entry for ``term`` (case, dashes and plurals forgiven): its name and its text."""
    key = " ".join(term.lower().replace("_", " ").split())
    key = _ALIASES.get(key, key)
    for plural in ("es", "s"):
        if key not in GLOSSARY and key.endswith(plural) and key[: -len(plural)] in GLOSSARY:
            key = key[: -len(plural)]
    if key not in GLOSSARY:
        known = [*GLOSSARY, *_ALIASES]
        guess = closest(key, known, cutoff=0.6)
        hint = f" (did you mean {_ALIASES.get(guess, guess)!r}?)" if guess else ""
        raise SymgradError(
            f"no glossary entry for {term[:40]!r}{hint}; 'symgrad explain' lists them all"
        )
    return key, GLOSSARY[key]


def glossary_text() -> str:
    """Every entry, one paragraph each."""
    return "\n\n".join(f"{name}: {text}" for name, text in GLOSSARY.items())
