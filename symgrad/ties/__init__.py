"""Tie verdicts: the problem (loss, parameters, data, ties, init, assumptions),
preset networks, the proof ladder (:mod:`.prove`), data conditions, multi-step
witnesses, collapse, simulation, symbolic sizes, and the independent
certificate check (:mod:`.certify`) every ``proven``/``refuted`` passes.
"""
