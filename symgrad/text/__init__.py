"""Maths in and out: symgrad's own whitelist grammar (plain text and LaTeX), the
reader that builds exact expressions from it, and expressions shown to people.

User text never reaches ``eval``, ``sympify`` or ``parse_expr``.
"""
