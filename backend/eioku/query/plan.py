"""A query's tree as one SQL statement over the projection tables.

Each condition reads the spans of its kind (appearances for detections) in
the run the selection policy picks for each video (``selected_runs``, or
``eioku_selected_run`` for a request that overrides the policy), as a jump
does, and gathers them per video into a multirange (``range_agg``: spans that
overlap or touch become one). The operators are multirange algebra, per
video: AND is ``*``, OR is ``+``, NOT is the video's time ``-`` the item; the
temporal operators pair the ranges of their two sides. The result's ranges
are the moments. Values are bound parameters (query/kinds.py); the SQL is
made only of the fixed fragments below and of names the planner chose.

A span of no length (a detection at one instant) counts as 1 ms.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

from eioku.artifacts.envelope import MAX_SPAN_MS
from eioku.db.steps import Statement, Steps
from eioku.domain.models import NO_OVERRIDE, SelectionOverride
from eioku.query import kinds
from eioku.query.tree import And, Condition, Node, Not, Or, Sequence, Temporal, conditions
from eioku.services.navigation import _require_lexemes
from eioku.store.videos import get_video

MAX_LIMIT = 1000
EMPTY = "'{}'::int8multirange"
# the video's time, for NOT: [0, duration), the longest span allowed when it is unknown
VIDEO_TIME = f"int8multirange(int8range(0, COALESCE(v.duration_ms, {MAX_SPAN_MS + 1})))"
SPAN = "int8range(p.start_ms, GREATEST(p.end_ms, p.start_ms + 1))"
HULL = "int8range(LEAST(lower(a), lower(b)), GREATEST(upper(a), upper(b)))"


class Order(StrEnum):
    RANK = "rank"  # the longest moments first (the most time where the query holds)
    TIME = "time"  # the library's recording order, then time in the video


@dataclass(frozen=True)
class Moment:
    video_id: uuid.UUID
    filename: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class QueryResult:
    moments: list[Moment]
    total: int  # moments found, of which ``moments`` are the first ``limit``


@dataclass
class _Plan:
    selection: SelectionOverride
    video_id: uuid.UUID | None
    ctes: list[str] = field(default_factory=list)
    params: dict[str, object] = field(default_factory=dict)
    names: dict[Condition, str] = field(default_factory=dict)  # one CTE per distinct condition

    def condition(self, cond: Condition) -> str:
        """The name of the CTE with ``cond``'s multirange per video (asset_id, m)."""
        if cond in self.names:
            return self.names[cond]
        name = f"c{len(self.names)}"
        self.names[cond] = name
        kind = kinds.kind_named(cond.kind)
        match, params = kinds.match_sql(kind, cond.value, f"{name}_v")
        self.params.update(params)
        self.params[f"{name}_t"] = kind.projection.artifact_type
        one = " AND p.asset_id = :asset_id" if self.video_id else ""
        if self.selection.mode is None:
            runs = (f"selected_runs sr JOIN {kind.table} p ON p.run_id = sr.run_id "
                    f"WHERE sr.artifact_type = :{name}_t"
                    + (" AND sr.asset_id = :asset_id" if self.video_id else ""))
        else:
            runs = (f"videos sv CROSS JOIN LATERAL (SELECT eioku_selected_run(sv.video_id, :{name}_t, "
                    f":sel_mode, :sel_profile) AS run_id) sr JOIN {kind.table} p ON p.run_id = sr.run_id "
                    f"AND p.asset_id = sv.video_id WHERE TRUE"
                    + (" AND sv.video_id = :asset_id" if self.video_id else ""))
        # materialized: computed once, then hash-joined (inlined, the planner, misjudging
        # its size, aggregated a second condition's spans again for each video of the first)
        self.ctes.append(f"{name} AS MATERIALIZED (SELECT p.asset_id, range_agg({SPAN}) AS m "
                         f"FROM {runs}{one} AND {match} GROUP BY p.asset_id)")
        return name

    def expr(self, node: Node) -> str:
        """SQL for ``node``'s multirange in video ``v``."""
        if isinstance(node, Condition):
            name = self.condition(node)
            return f"COALESCE({name}.m, {EMPTY})"
        if isinstance(node, Not):
            return f"({VIDEO_TIME} - {self.expr(node.item)})"
        left, right = self.expr(node.left), self.expr(node.right)
        if isinstance(node, Or):
            return f"({left} + {right})"
        if isinstance(node, And) and node.within_ms is None:
            return f"({left} * {right})"
        if isinstance(node, Sequence) and node.op is Temporal.DURING:
            return (f"(SELECT COALESCE(range_agg(a), {EMPTY}) FROM unnest({left}) a "
                    f"WHERE {right} @> a)")
        window = self._window(node.within_ms)
        gap = None if window is None else f" <= :{window}"
        if isinstance(node, And):  # at most the window apart (overlapping counts as 0)
            pair = f"GREATEST(lower(a), lower(b)) - LEAST(upper(a), upper(b)){gap}"
        elif node.op is Temporal.BEFORE:
            pair = "upper(a) <= lower(b)" + ("" if gap is None else f" AND lower(b) - upper(a){gap}")
        else:  # AFTER
            pair = "upper(b) <= lower(a)" + ("" if gap is None else f" AND lower(a) - upper(b){gap}")
        return (f"(SELECT COALESCE(range_agg({HULL}), {EMPTY}) FROM unnest({left}) a, unnest({right}) b "
                f"WHERE {pair})")

    def _window(self, within_ms: int | None) -> str | None:
        if within_ms is None:
            return None
        name = f"w{sum(1 for k in self.params if k.startswith('w'))}"
        self.params[name] = within_ms
        return name

    def may_match(self, node: Node) -> str:
        """A test on the joined CTEs that every video with a moment passes:
        a video none of a positive query's conditions has is not computed."""
        if isinstance(node, Condition):
            return f"{self.names[node]}.asset_id IS NOT NULL"
        if isinstance(node, Not):
            return "TRUE"
        left, right = self.may_match(node.left), self.may_match(node.right)
        if isinstance(node, Or):
            return "TRUE" if "TRUE" in (left, right) else f"({left} OR {right})"
        return " AND ".join(c for c in (left, right) if c != "TRUE") or "TRUE"


def query_statement(tree: Node, *, video_id: uuid.UUID | None = None, limit: int = 100,
                    order: Order = Order.RANK, selection: SelectionOverride = NO_OVERRIDE) -> Statement:
    plan = _Plan(selection, video_id)
    expr = plan.expr(tree)
    joins = " ".join(f"LEFT JOIN {name} ON {name}.asset_id = v.video_id" for name in plan.names.values())
    where = plan.may_match(tree) + (" AND v.video_id = :asset_id" if video_id else "")
    ordering = ("(upper(r) - lower(r)) DESC, t, video_id, lower(r)" if order is Order.RANK
                else "t, video_id, lower(r)")
    sql = (f"WITH {', '.join(plan.ctes)}, "
           f"per_video AS (SELECT v.video_id, v.filename, COALESCE(v.recorded_at, v.created_at) AS t, "
           f"{expr} AS m FROM videos v {joins} WHERE {where}) "
           f"SELECT video_id, filename, lower(r) AS start_ms, upper(r) AS end_ms, "
           f"count(*) OVER () AS total FROM per_video, unnest(m) r "
           f"ORDER BY {ordering} LIMIT :limit")
    params = {**plan.params, "limit": limit, **selection.sql_args}
    if video_id is not None:
        params["asset_id"] = video_id
    return Statement(sql, params)


def query_steps(tree: Node, *, video_id: uuid.UUID | None = None, limit: int = 100,
                order: Order = Order.RANK, selection: SelectionOverride = NO_OVERRIDE) -> Steps[QueryResult]:
    """The query's moments, ranked, in one video or the whole library. When
    nothing matches: an unknown video is a 404, words with nothing to search
    for a 422 (checked only then, as find does)."""
    statement = query_statement(tree, video_id=video_id, limit=limit, order=order, selection=selection)
    rows = yield statement
    if not rows:
        if video_id is not None:
            yield from get_video(video_id)
        for cond in conditions(tree):
            if cond.value is not None and kinds.kind_named(cond.kind).projection.is_text:
                yield from _require_lexemes(cond.value)
    moments = [Moment(r.video_id, r.filename, r.start_ms, r.end_ms) for r in rows]
    return QueryResult(moments, rows[0].total if rows else 0)

