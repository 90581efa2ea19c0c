"""The combined query language: conditions on any kind joined by AND, OR,
NOT and the temporal operators, over time (docs/api.md, "Combined queries").

``grammar.lark`` is the text form, ``parse`` reads it into the typed tree
(``tree``), ``json`` is the same tree as JSON, ``kinds`` says what each
condition matches (from the projections), ``plan`` makes the SQL."""
