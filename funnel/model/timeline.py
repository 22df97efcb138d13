"""A deal's visits to stages, read from its `history`: when it entered and left each, for how long, where it
was lost. The one reading of a history for aging (days in stage), cards (how far a deal got) and reports.

- a visit: consecutive entries of one stage are one visit, a backward move starts a new one, a visit ends when
  the next begins; entries with an unknown stage or without a timestamp are not visits;
- entered the current stage: the start of the visit holding the last entry of the deal's stage (else, for a
  hand-written history without it, the last entry's moment; else `created`);
- lost from: the stage a lost deal was lost at, derived once — its `lost_at` when that is an active stage, else
  the active stage the history shows just before the deal's last `lost` entry (an imported or hand-written deal).

A *summary* (`summarize`) is what views read of a history, in plain JSON form: the record cache keeps one per deal
beside its values, computed by the rules here when the row is written, so a board or a report never decodes a
history. A Timeline made with a summary reads it instead of the history; each item is decoded on first use.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Callable

from .schema import LOST_AT, Schema, Stage
from ..valueclass import valueclass


def lost_from_stage(record, stage_of: Callable[[str], Stage | None]) -> Stage | None:
    """The active stage `record` (a deal that is, or is to be, lost) was lost at; None when nothing says.
    `stage_of`: a stage by id (schema.stage)."""
    stage = stage_of(record.fields.get(LOST_AT) or "")
    if stage is not None and stage.terminal is None:
        return stage
    visited = []
    for entry in record.fields.get("history") or ():
        here = stage_of(entry.get("stage") or "")
        if here is not None and isinstance(entry.get("at"), datetime):
            visited.append(here)
    closing = max((index for index, here in enumerate(visited) if here.terminal == "lost"), default=len(visited))
    return next((here for here in reversed(visited[:closing]) if here.terminal is None), None)


def lost_from(record, schema: Schema) -> Stage | None:
    return lost_from_stage(record, schema.stage)


def entered_current_stage(record) -> date | None:
    """The date the deal entered its current stage (see the module's docstring)."""
    fields = record.fields
    return entered_stage(fields.get("history"), fields.get("stage"), fields.get("created"))


def entered_stage(history: list | None, current: str | None, created) -> date | None:
    """`entered_current_stage` from a deal's `history`, `stage` and `created` values (a view reads them as
    whole columns)."""
    history = history or []
    for index in range(len(history) - 1, -1, -1):
        entry = history[index]
        if entry.get("at") is not None and entry.get("stage") == current:
            # back to the start of this visit: earlier consecutive entries of the same stage
            while index > 0 and history[index - 1].get("stage") == current and history[index - 1].get("at"):
                index -= 1
            return history[index]["at"].date()
    if history and history[-1].get("at") is not None:
        return history[-1]["at"].date()
    return created if isinstance(created, date) else None


class cached_property:  # noqa: N801 (named as the one it stands for)
    """functools.cached_property without the lock Python 3.11's takes on every first read (3.12 dropped it):
    a report reads a few of these per deal, 10,000 deals at a time, never from two threads."""

    def __init__(self, function):
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def entered_date(text: str | None) -> date | None:
    """The summary's `entered` (plain) as a date."""
    return None if text is None else date.fromisoformat(text)


def summarize(record, pipeline: "Pipeline", items: tuple[str, ...] | None = None) -> dict:
    """A deal's summary: what views read of its history, as plain JSON values (ISO texts, stage ids), each
    computed here by the one rule for it — `entered` (entered_current_stage), and the Timeline's `runs`,
    `reach`, `closed` (closed_at) and `lost_from`. Depends on the schema (the pipeline), never on today.
    `items`: only those (a Timeline computes what is asked, on first use)."""
    line = Timeline(record, pipeline)
    return {name: _SUMMARY[name](line) for name in (SUMMARY_ITEMS if items is None else items)}


def _reach_plain(line: "Timeline") -> list:
    main, optional = line.reach
    return [[_iso(moment) for moment in main], {stage_id: _iso(moment) for stage_id, moment in optional.items()}]


_SUMMARY: dict[str, Callable[["Timeline"], object]] = {
    "entered": lambda line: _iso(entered_current_stage(line.record)),
    "runs": lambda line: [[stage.id, at.isoformat()] for stage, at in line.runs],
    "reach": _reach_plain,
    "closed": lambda line: _iso(line.closed_at),
    "lost_from": lambda line: line.lost_from,
    "spans": lambda line: line.spans,
}
SUMMARY_ITEMS = tuple(_SUMMARY)

_PIPELINES: dict[int, "Pipeline"] = {}


def pipeline_of(schema: Schema) -> "Pipeline":
    """The Pipeline of `schema`, made once per schema object (a cache summarizes thousands of deals)."""
    pipeline = _PIPELINES.get(id(schema))
    if pipeline is None or pipeline.schema is not schema:
        pipeline = _PIPELINES[id(schema)] = Pipeline(schema)
    return pipeline


class Pipeline:
    """The schema's stages arranged for reading histories fast (10,000 deals per report)."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.stage_by_id = {stage.id: stage for stage in schema.stages}
        self.main_path = list(schema.main_path)
        # per stage index: the position in main_path of the last main-path stage at or before it (-1: none)
        self.main_upto = [sum(1 for main in self.main_path if main.index <= stage.index) - 1
                          for stage in schema.stages]
        # per stage index: the last main-path position a history entry of that stage reaches (won: all of them;
        # lost: none, `lost` is not later than anything)
        self.reach_upto = [len(self.main_path) - 1 if stage.terminal == "won" else -1 if stage.terminal
                           else self.main_upto[stage.index] for stage in schema.stages]
        self.optional_ids = {stage.id for stage in schema.active_stages if stage.optional}


@valueclass(frozen=True)
class Visit:
    """One stay of a deal in a stage: from `entered` until `left` (None while it is still there)."""

    stage: Stage
    entered: datetime
    left: datetime | None

    def __init__(self, stage, entered, left):  # one per stay of every deal a report walks: written out
        self.__dict__.update(stage=stage, entered=entered, left=left)

    def days(self, today: date | None = None) -> float | None:
        """Its length in (fractional) days; an open visit counts whole days up to `today` (None without one)."""
        if self.left is not None:
            return (self.left - self.entered).total_seconds() / 86400
        return None if today is None else max(0, (today - self.entered.date()).days)


class Timeline:
    """What one deal's history says, read on demand (a forecast never walks a history):

    - `runs`: (stage, when entered) per visit; `visits`: the same as Visits, with when each ended;
    - `reached`: active stage id -> the first moment the deal reached it, by SPEC's definition: the history
      shows the stage, a later active stage or the won stage (a jumped-over stage counts); an optional stage
      only when the deal was in it; a lost deal counts up to its `lost_at`;
    - `closed_at`: when a won or lost deal was closed (its last entry of that stage);
    - `lost_from`: the active stage a lost deal was lost at (lost_from_stage).

    `summary`: the deal's summary (`summarize`; a mapping of its plain items), read instead of the history."""

    def __init__(self, record, pipeline: Pipeline, summary=None, stage_id=None):
        self.record = record
        self.pipeline = pipeline
        self.summary = summary
        # `stage_id`: the record's `stage`, when the caller read it already (a whole column)
        self.stage: Stage | None = pipeline.stage_by_id.get(record.fields.get("stage") if stage_id is None
                                                            else stage_id)

    @property
    def outcome(self) -> str | None:
        return self.stage.terminal if self.stage is not None else None

    @property
    def is_open(self) -> bool:
        return self.stage is not None and self.stage.terminal is None

    @cached_property
    def runs(self) -> list[tuple[Stage, datetime]]:
        return self.read_runs()

    def read_runs(self) -> list[tuple[Stage, datetime]]:
        """`runs`, made anew and not kept: a report that walks each deal's runs once (velocity) holds one deal's
        at a time, not 100,000 deals' lists."""
        if "runs" in self.__dict__:
            return self.runs
        stage_by_id = self.pipeline.stage_by_id
        if self.summary is not None:
            fromiso = datetime.fromisoformat
            return [(stage_by_id[stage_id], fromiso(at)) for stage_id, at in self.summary["runs"]]
        runs: list[tuple[Stage, datetime]] = []
        previous = None
        for entry in self.record.fields.get("history") or ():
            stage, at = stage_by_id.get(entry.get("stage")), entry.get("at")
            if stage is not None and stage is not previous and isinstance(at, datetime):
                runs.append((stage, at))
                previous = stage
        return runs

    @property
    def spans(self) -> list[list]:
        """Each visit as [stage id, the day it began (ISO, the moment's own date), its length in seconds — None
        for the last, which goes on], in order: what velocity reads, from the summary when there is one, so no
        moment is parsed."""
        if self.summary is not None and "runs" not in self.__dict__:
            return self.summary["spans"]
        runs = self.read_runs()
        return [[stage.id, start.date().isoformat(),
                 (runs[index + 1][1] - start).total_seconds() if index + 1 < len(runs) else None]
                for index, (stage, start) in enumerate(runs)]

    @property
    def visits(self) -> list[Visit]:
        runs = self.runs
        return [Visit(stage, start, runs[index + 1][1] if index + 1 < len(runs) else None)
                for index, (stage, start) in enumerate(runs)]

    def last_entry(self, stage: Stage | None) -> datetime | None:
        """When the deal last entered `stage` (None when it never did)."""
        return next((start for here, start in reversed(self.runs) if here is stage), None)

    @property
    def first_entered(self) -> datetime | None:
        """When the deal's first visit began (its first history entry, on a valid deal)."""
        runs = self.runs
        return runs[0][1] if runs else None

    @cached_property
    def closed_at(self) -> datetime | None:
        if self.stage is None or self.stage.terminal is None:
            return None
        if self.summary is not None:
            return _moment(self.summary["closed"])
        return self.last_entry(self.stage)

    @cached_property
    def lost_from(self) -> str | None:
        if self.outcome != "lost":
            return None
        if self.summary is not None:
            return self.summary["lost_from"]
        stage = lost_from_stage(self.record, self.pipeline.stage_by_id.get)
        return stage.id if stage is not None else None

    @cached_property
    def reach(self) -> tuple[list[datetime | None], dict[str, datetime | None]]:
        """(the first moment the deal reached each main-path stage, in order, as far as it got; optional stage id
        -> the first moment it was in it). A moment is None where only the deal's current stage tells."""
        if self.summary is not None:
            main, optional = self.summary["reach"]
            return [_moment(moment) for moment in main], {stage_id: _moment(moment)
                                                          for stage_id, moment in optional.items()}
        pipeline = self.pipeline
        stage_by_id, upto, optional_ids = pipeline.stage_by_id, pipeline.reach_upto, pipeline.optional_ids
        main: list[datetime | None] = []
        optional: dict[str, datetime | None] = {}

        def says_more(stage: Stage) -> bool:
            return upto[stage.index] >= len(main) or (stage.id in optional_ids and stage.id not in optional)

        def cover(stage: Stage, moment: datetime | None) -> None:
            # entries are in time order, so the main path is covered from its start: appending suffices
            main.extend([moment] * (upto[stage.index] + 1 - len(main)))
            if stage.id in optional_ids and stage.id not in optional:
                optional[stage.id] = moment

        for entry in self.record.fields.get("history") or ():
            stage = stage_by_id.get(entry.get("stage"))
            if stage is not None and says_more(stage):
                at = entry.get("at")
                if isinstance(at, datetime):
                    cover(stage, at)
        # the current stage may say more than the history: a won deal went through the main path, a lost one
        # as far as its lost_at, an open one is where it is (a hand-written history may lack that entry)
        stage = self.stage
        if stage is not None and stage.terminal == "lost":
            stage = stage_by_id.get(self.lost_from)
        if stage is not None and says_more(stage):
            cover(stage, self.closed_at)
        return main, optional

    @property
    def reach_depth(self) -> int:
        """How many main-path stages the deal reached (`len(reach[0])`): from a summary, without reading a
        moment."""
        if self.summary is not None and "reach" not in self.__dict__:
            return len(self.summary["reach"][0])
        return len(self.reach[0])

    @property
    def optional_reached(self):
        """The optional stage ids the deal was in (`reach[1]`'s keys), likewise."""
        if self.summary is not None and "reach" not in self.__dict__:
            return self.summary["reach"][1].keys()
        return self.reach[1].keys()

    @property
    def reached(self) -> dict[str, datetime | None]:
        """Active stage id -> the first moment the deal reached it (see `reach`)."""
        main, optional = self.reach
        reached = {stage.id: moment for stage, moment in zip(self.pipeline.main_path, main)}
        reached.update(optional)
        return reached


def timeline(record, schema: Schema, pipeline: Pipeline | None = None) -> Timeline:
    """One deal's Timeline (pass a Pipeline when reading many deals of one schema)."""
    return Timeline(record, pipeline or Pipeline(schema))
