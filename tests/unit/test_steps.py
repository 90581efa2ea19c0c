"""The :name -> %(name)s translation the async read path relies on (db/steps.py)."""

from __future__ import annotations

import pytest
from eioku.db.steps import to_psycopg


@pytest.mark.parametrize(("sql", "expected"), [
    ("SELECT :a", "SELECT %(a)s"),
    ("x = :a AND y = ANY(:keys_2)", "x = %(a)s AND y = ANY(%(keys_2)s)"),
    ("SELECT (:p)::int, x::text", "SELECT (%(p)s)::int, x::text"),  # casts stay casts
    ("SELECT 'a:b' || :c", "SELECT 'a:b' || %(c)s"),  # a colon inside a word is no parameter
    ("x LIKE '50%' AND y = :y", "x LIKE '50%%' AND y = %(y)s"),  # a literal % survives psycopg
    (r"SELECT '\:notme', :me", r"SELECT '\:notme', %(me)s"),
])
def test_bind_parameters_translate_like_sqlalchemy_reads_them(sql, expected):
    assert to_psycopg(sql) == expected
