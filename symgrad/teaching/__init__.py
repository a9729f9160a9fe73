"""Teaching: checking a student's derivative (:mod:`.check`), named mistakes
(:mod:`.diagnose`), matrix claims for every size, derivations line by line, and
grading a class (:mod:`.grade`).
"""
