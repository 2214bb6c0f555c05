"""The mart catalogue: every mart is `mining/sql/<role>/<name>.sql` plus `<name>.yml`, read once and checked here.

The folders say what a mart is for (dbt's jaffle-shop layout):

- `intermediate/`: marts no question asks, that other marts read: the events sorted once
  (`event_sequence`), every wait of a case (`bottleneck_waits`), the deadline clocks, and what the night
  derives to attribute contacts to cases (`contact_grace`, `contact_queues`);
- `marts/`: the marts a question asks (`vaerdistrom query`, the dashboards), at one of its levels;
- `refresh/`: no marts: the queries of the keys a night's batches could change, which the `by_contact` and
  `by_citizen` refresh strategies update.

`sources.yml` declares the tables the marts read that are no mart (staging's events, contacts and cases, the rule
and conformance tables); `questions.yml` the questions and their levels. A mart's SQL names what it reads as
`{{ name }}` (a mart or a source): the dependency graph comes from those references alone. Its .yml holds its
contract: description, grain ("one row per ..."), columns with unit and description, data tests (`not_null`,
`unique` on a column or a combination, `accepted_values`), the refresh strategy a night updates it by, its row
kind (what a filter keeps of it), the columns carrying the case period, the content columns readers are
fingerprinted by, and the question levels it answers. A mart is added by writing those two files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import duckdb
import yaml

from vaerdistrom.errors import VaerdistromError

SQL = Path(__file__).with_name("sql")
ROLES = ("intermediate", "marts")
# how a night updates a mart: computed whole; per case (its rows belong to one case each, computed from that case's
# rows only: updated for the cases batches touched); by key (computed whole, only the keys whose rows changed
# written); by contact / by citizen (its rows belong to one contact or citizen each: updated for the keys batches
# could change while the marts it reads for the whole municipality kept their content, else by key)
REFRESH = ("whole", "per_case", "by_key", "by_contact", "by_citizen")
# what a filter that selects cases keeps of a mart: cases (one row per case, or per contact, wait or check of a
# case: the kept cases' rows as they are), citizens (the whole journeys of the citizens with a kept case), as_built
# (what the night derived, read as it is), aggregate (computed again with its own SQL from those rows)
ROWS = ("cases", "citizens", "as_built", "aggregate")
VIEWS = ("events", "instances")
KEYS = {"by_contact": ("contact_id",), "by_citizen": ("citizen_key",)}
PLACEHOLDER = re.compile(r"\{\{ (\w+) \}\}")
FIELDS = {
    "description",
    "grain",
    "refresh",
    "key",
    "rows",
    "period",
    "content",
    "by_transition",
    "answers",
    "tests",
    "columns",
}


class CatalogueError(VaerdistromError, ValueError):
    """A mart's files do not agree with each other or with the catalogue."""


@dataclass(frozen=True)
class DataTest:
    """One data test: `not_null`, `unique` (of the columns together) or `accepted_values` (`values`)."""

    kind: str
    columns: tuple[str, ...]
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Column:
    name: str
    unit: str
    description: str


@dataclass(frozen=True)
class Answer:
    """A question level a mart answers, in a view (None: the question counts one way only)."""

    question: str
    level: str
    view: str | None = None


@dataclass(frozen=True)
class Mart:
    """One mart: its SQL, what it reads (its placeholders, in order) and its contract."""

    name: str
    role: str
    sql: str
    reads: tuple[str, ...]
    needs: tuple[str, ...]  # the marts among `reads`
    description: str
    grain: str
    refresh: str
    rows: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # columns grouping its rows (by_*): a whole rebuild writes only the groups that changed
    period: tuple[str, ...] = ()  # the case's first and last event, on each row: a period filter is a predicate
    content: tuple[str, ...] = ()  # small: the marts reading it are fingerprinted with these columns of its rows
    by_transition: str | None = None  # rows grouped by transition: a transition's rows of this input give its rows
    answers: tuple[Answer, ...] = ()
    tests: tuple[DataTest, ...] = ()

    @property
    def per_case(self) -> bool:
        return self.refresh == "per_case"


@dataclass(frozen=True)
class Source:
    """A table the marts read that is no mart; `fingerprint` (rule tables): the rows a reader's fingerprint covers."""

    name: str
    table: str
    description: str
    fingerprint: str | None = None


@dataclass(frozen=True)
class Question:
    name: str
    levels: tuple[str, ...]  # the first is the default
    default_view: str | None = None


@dataclass(frozen=True)
class Catalogue:
    root: Path
    marts: dict[str, Mart]  # each after the marts it reads
    sources: dict[str, Source]
    questions: dict[str, Question]

    def relations(self) -> dict[str, str]:
        """Placeholder -> the warehouse table it names, for every source and mart."""
        return {s.name: s.table for s in self.sources.values()} | {m: f"marts.{m}" for m in self.marts}

    def of_rows(self, *kinds: str) -> tuple[str, ...]:
        """The marts whose row kind is one of `kinds`."""
        return tuple(m.name for m in self.marts.values() if m.rows in kinds)

    def answering(self, question: str, level: str, view: str | None) -> str:
        """The mart answering a question's level in `view` (None: the question's default view)."""
        view = view or self.questions[question].default_view
        return next(
            m.name
            for m in self.marts.values()
            for a in m.answers
            if (a.question, a.level, a.view) == (question, level, view)
        )

    def order(self, names: list[str], stop: frozenset[str] = frozenset()) -> list[str]:
        """The marts `names` and everything they need, each after what it reads; what a mart in `stop` reads is
        not followed (it is taken as built)."""
        done: list[str] = []

        def visit(n: str) -> None:
            if n not in self.marts:
                raise KeyError(f"no mart named {n!r} (there are: {', '.join(self.marts)})")
            if n not in stop:
                for dep in self.marts[n].needs:
                    visit(dep)
            if n not in done:
                done.append(n)

        for n in names:
            visit(n)
        return done


def render(mart: Mart, relations: dict[str, str]) -> str:
    """The query of `mart` with its placeholders replaced by `relations` (placeholder -> table)."""
    text = mart.sql
    for placeholder, table in relations.items():
        text = text.replace("{{ " + placeholder + " }}", table)
    if "{{" in text:
        raise ValueError(f"{mart.role}/{mart.name}.sql: placeholder without a table: {text[text.index('{{') :][:40]}")
    return text


def _tuple(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogueError(f"{where}: a list of names")
    return tuple(value)


def _tests(spec: dict, name: str) -> tuple[list[Column], list[DataTest]]:
    """The columns of a mart's .yml and its tests (the table's and each column's)."""
    tests = []
    for test in spec.get("tests") or []:
        if not (isinstance(test, dict) and list(test) == ["unique"]):
            raise CatalogueError(f"{name}.yml: a table test is `unique: [columns]`, not {test!r}")
        tests.append(DataTest("unique", _tuple(test["unique"], f"{name}.yml: unique")))
    columns = []
    for c in spec.get("columns") or []:
        if not (
            isinstance(c, dict)
            and {"name", "unit", "description"} <= set(c) <= {"name", "unit", "description", "tests"}
        ):
            raise CatalogueError(f"{name}.yml: each column has a name, unit, description (and tests): {c!r}")
        columns.append(Column(c["name"], str(c["unit"]), str(c["description"])))
        for test in c.get("tests") or []:
            if test in ("not_null", "unique"):
                tests.append(DataTest(test, (c["name"],)))
            elif isinstance(test, dict) and list(test) == ["accepted_values"]:
                tests.append(
                    DataTest("accepted_values", (c["name"],), _tuple(test["accepted_values"], f"{name}.{c['name']}"))
                )
            else:
                raise CatalogueError(f"{name}.yml: column {c['name']}: unknown test {test!r}")
    return columns, tests


def _mart(sql: Path, sources: dict[str, Source], names: set[str]) -> Mart:
    """The mart of one .sql file and its .yml, each field checked."""
    name, where = sql.stem, f"{sql.parent.name}/{sql.stem}.yml"
    spec = yaml.safe_load(sql.with_suffix(".yml").read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or set(spec) - FIELDS:
        raise CatalogueError(f"{where}: unknown fields {sorted(set(spec or {}) - FIELDS)} (known: {sorted(FIELDS)})")
    text = sql.read_text(encoding="utf-8")
    reads = tuple(dict.fromkeys(PLACEHOLDER.findall(text)))
    unknown = [r for r in reads if r not in names and r not in sources]
    if unknown:
        raise CatalogueError(f"{sql.parent.name}/{sql.name} reads {{{{ {unknown[0]} }}}}: no mart or source")
    columns, tests = _tests(spec, name)
    mart = Mart(
        name=name,
        role=sql.parent.name,
        sql=text,
        reads=reads,
        needs=tuple(r for r in reads if r in names),
        description=str(spec.get("description", "")).strip(),
        grain=str(spec.get("grain", "")),
        refresh=spec.get("refresh", ""),
        rows=spec.get("rows", ""),
        columns=tuple(columns),
        key=_tuple(spec.get("key"), f"{where}: key"),
        period=_tuple(spec.get("period"), f"{where}: period"),
        content=_tuple(spec.get("content"), f"{where}: content"),
        by_transition=spec.get("by_transition"),
        answers=tuple(Answer(**a) for a in spec.get("answers") or []),
        tests=tuple(tests),
    )
    if not mart.grain.startswith("one row per ") or not mart.description:
        raise CatalogueError(f"{where}: a description and a grain saying 'one row per ...'")
    if mart.refresh not in REFRESH or mart.rows not in ROWS:
        raise CatalogueError(f"{where}: refresh is one of {', '.join(REFRESH)}; rows one of {', '.join(ROWS)}")
    if bool(mart.key) != mart.refresh.startswith("by_") or KEYS.get(mart.refresh, mart.key) != mart.key:
        raise CatalogueError(f"{where}: a key goes with refresh by_key ({KEYS} for by_contact and by_citizen)")
    have = {c.name for c in mart.columns}
    named = set(mart.key + mart.period + mart.content).union(*(t.columns for t in mart.tests))
    if named - have:
        raise CatalogueError(f"{where}: names columns it does not list: {', '.join(sorted(named - have))}")
    if mart.by_transition is not None and mart.by_transition not in mart.needs:
        raise CatalogueError(f"{where}: by_transition names a mart it does not read: {mart.by_transition}")
    return mart


def _questions(root: Path, marts: dict[str, Mart]) -> dict[str, Question]:
    """questions.yml, checked against the marts' answers: each level of each view answered by exactly one mart."""
    spec = yaml.safe_load((root / "questions.yml").read_text(encoding="utf-8"))
    questions = {q: Question(q, tuple(s["levels"]), s.get("default_view")) for q, s in spec.items()}
    answered: dict[tuple, list[str]] = {}
    for mart in marts.values():
        for a in mart.answers:
            q = questions.get(a.question)
            if (
                q is None
                or a.level not in q.levels
                or (a.view is None) != (q.default_view is None)
                or a.view not in (None, *VIEWS)
            ):
                raise CatalogueError(f"{mart.name}.yml answers {a}: no such question, level or view (questions.yml)")
            answered.setdefault((a.question, a.level, a.view), []).append(mart.name)
    for q in questions.values():
        for level in q.levels:
            names = answered.get((q.name, level, q.default_view), [])
            if len(names) != 1:
                raise CatalogueError(f"{q.name} {level}: answered by {len(names)} marts in its default view {names}")
    if any(len(names) > 1 for names in answered.values()):
        raise CatalogueError(f"one question level answered twice: {answered}")
    return questions


def load(root: Path = SQL) -> Catalogue:
    """The catalogue in folder `root`: its sources, its marts (each after what it reads) and its questions."""
    spec = yaml.safe_load((root / "sources.yml").read_text(encoding="utf-8"))
    sources = {n: Source(n, s["table"], s["description"], s.get("fingerprint")) for n, s in spec.items()}
    files = sorted(p for role in ROLES for p in (root / role).glob("*.*") if p.suffix in (".sql", ".yml"))
    alone = [
        p.relative_to(root).as_posix()
        for p in files
        if not p.with_suffix(".yml" if p.suffix == ".sql" else ".sql").exists()
    ]
    if alone:
        raise CatalogueError(f"a mart is a .sql and a .yml file; alone: {', '.join(alone)}")
    sqls = [p for p in files if p.suffix == ".sql"]
    names = {p.stem for p in sqls}
    if len(names) != len(sqls) or names & set(sources):
        raise CatalogueError("a mart's name is taken twice (in two folders, or by a source)")
    found = {p.stem: _mart(p, sources, names) for p in sqls}
    try:
        ordered = TopologicalSorter({n: found[n].needs for n in sorted(found)}).static_order()
        marts = {n: found[n] for n in ordered}
    except CycleError as e:
        raise CatalogueError(f"the marts read each other in a circle: {' <- '.join(e.args[1])}") from None
    return Catalogue(root, marts, sources, _questions(root, marts))


CATALOGUE = load()
MARTS = CATALOGUE.marts


def failures(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, names: list[str] | None = None) -> list[str]:
    """What fails of the marts' contracts in the warehouse `con` (default: every mart): a column listed but not
    built or built but not listed, and every data test, each named as 'mart: test column(s): what was found'."""
    found = []
    for mart in (catalogue.marts[n] for n in names or catalogue.marts):
        built = [
            c
            for (c,) in con.execute(
                "select column_name from duckdb_columns() where schema_name = 'marts' "
                "and table_name = ? order by column_index",
                [mart.name],
            ).fetchall()
        ]
        listed = [c.name for c in mart.columns]
        found += [f"{mart.name}: column {c}: listed in its .yml, not built" for c in listed if c not in built]
        found += [f"{mart.name}: column {c}: built, not listed in its .yml" for c in built if c not in listed]
        for test in mart.tests:
            if not set(test.columns) <= set(built):
                continue
            columns = ", ".join(test.columns)
            if test.kind == "not_null":
                sql = (
                    f"select count(*)::varchar || ' nulls' from marts.{mart.name} where {columns} is null "
                    "having count(*) > 0"
                )
            elif test.kind == "unique":
                sql = (
                    f"select count(*)::varchar || ' repeated, e.g. ' || any_value(k::varchar) from (select "
                    f"({columns}) as k from marts.{mart.name} group by all having count(*) > 1)"
                )
                sql = f"select * from ({sql}) where not starts_with(#1, '0 ')"
            else:
                sql = (
                    f"select 'unexpected ' || string_agg(distinct {columns}::varchar, ', ' order by "
                    f"{columns}::varchar) from marts.{mart.name} where {columns} not in $values having count(*) > 0"
                )
            for (what,) in con.execute(sql, {"values": list(test.values)} if test.values else {}).fetchall():
                found.append(f"{mart.name}: {test.kind} {columns}: {what}")
    return found
