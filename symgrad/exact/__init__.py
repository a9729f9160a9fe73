"""The exact engine: the function vocabulary, gradients, exact and interval values,
zero tests and real solution sets.

Nothing here reads user text or renders results; every module works on SymPy
expressions. Which step may say "zero" or "nonzero" is fixed in :mod:`.zero`.
"""
