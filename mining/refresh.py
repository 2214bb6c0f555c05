"""How a night updates a built mart without computing all of it again: the refresh strategies of the catalogue.

`per_case`: the mart's rows of the cases new batches touched are deleted and computed again
from those cases' rows (the events, and every per-case mart it reads, kept to those cases).
`by_contact` / `by_citizen`: the same for the contacts or citizens new batches could change
(`mining/sql/refresh/touched_*.sql` lists them), while the small marts read for the whole
municipality kept their content. `by_key` (and the two before, when those moved): computed
whole, but only the keys whose rows changed are written over the built table.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from mining.catalogue import Catalogue, render
from vaerdistrom.schema import TOUCHED_CASES
from warehouse.changes import replace_changed
from warehouse.migrations import rollback


@dataclass(frozen=True)
class Grain:
    """Marts whose rows belong to one contact, or one citizen, each: only the keys that `touched` (a query of
    `mining/sql/refresh`, reading `$since`) lists are computed again, from `inputs` kept to those keys."""

    key: str
    touched: str
    inputs: tuple[str, ...]


GRAINS = {
    "by_contact": Grain("contact_id", "touched_contacts.sql", ("contacts",)),
    "by_citizen": Grain("citizen_key", "touched_citizens.sql", ("case_variants", "contact_cases")),
}


def rebuild_changed(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, name: str) -> str:
    """Mart `name` computed whole, but only the keys whose rows changed written over the built table ('changed');
    'full' when its columns changed and the table was replaced."""
    mart = catalogue.marts[name]
    con.execute("create or replace temp table _rebuilt as\n" + render(mart, catalogue.relations())).fetchall()
    try:
        new, old = ([r[:2] for r in con.execute(f"describe {t}").fetchall()] for t in ("_rebuilt", f"marts.{name}"))
        if new == old:
            replace_changed(con, "_rebuilt", f"marts.{name}", mart.key)
            return "changed"
        con.execute(f"create or replace table marts.{name} as select * from _rebuilt")
        return "full"
    finally:
        con.execute("drop table if exists _rebuilt")


def touched_keys(catalogue: Catalogue, name: str) -> str:
    """The query listing the keys of mart `name` (by_contact or by_citizen) that batches after `$since` could
    change."""
    folder = catalogue.root / "refresh"
    text = (folder / GRAINS[catalogue.marts[name].refresh].touched).read_text(encoding="utf-8")
    contacts = (folder / GRAINS["by_contact"].touched).read_text(encoding="utf-8")
    return (
        text.replace("{{ touched_contacts }}", f"({contacts})")
        .replace("{{ mart }}", f"marts.{name}")
        .replace("{{ contact_cases }}", "marts.contact_cases")
    )


def update_keys(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, name: str, since: int) -> None:
    """Mart `name`'s rows for the keys batches after `since` could change: deleted, then computed from the inputs'
    rows of those keys (and every row of its other inputs)."""
    grain = GRAINS[catalogue.marts[name].refresh]
    con.execute(
        f"create or replace temp table _touched_keys as {touched_keys(catalogue, name)}", {"since": since}
    ).fetchall()
    relations = catalogue.relations()
    for placeholder in grain.inputs:
        con.execute(
            f"create or replace temp view _touched_{placeholder} as select x.* from {relations[placeholder]} "
            f"as x semi join _touched_keys as t on t.{grain.key} = x.{grain.key}"
        )
        relations[placeholder] = f"_touched_{placeholder}"
    try:
        _recompute(
            con,
            catalogue,
            name,
            f"exists (select 1 from _touched_keys as t where t.{grain.key} = x.{grain.key})",
            relations,
        )
    finally:
        for placeholder in grain.inputs:
            con.execute(f"drop view if exists _touched_{placeholder}")
        con.execute("drop table if exists _touched_keys")


def _recompute(
    con: duckdb.DuckDBPyConnection, catalogue: Catalogue, name: str, matches: str, relations: dict[str, str]
) -> None:
    """Mart `name`'s rows `x` that `matches` (a condition on x) deleted and computed again over `relations` (which
    hold only those rows' inputs), in one transaction."""
    try:
        con.execute("begin transaction")
        con.execute(f"delete from marts.{name} as x where {matches}").fetchall()
        con.execute(f"insert into marts.{name} by name\n" + render(catalogue.marts[name], relations)).fetchall()
        con.execute("commit")
    except BaseException:
        rollback(con)
        raise


def update_cases(con: duckdb.DuckDBPyConnection, catalogue: Catalogue, name: str, since: int) -> None:
    """Mart `name`'s rows for the cases batches after `since` touched: deleted, then computed from those cases."""
    con.execute(f"create or replace temp table _touched as {TOUCHED_CASES}", [since]).fetchall()
    if not con.execute("select count(*) from _touched").fetchall()[0][0]:
        return
    touched = "semi join _touched as t on t.case_id = x.case_id and t.process is not distinct from x.process"
    relations = catalogue.relations()  # a whole mart it reads (variants, say) as built tonight, before it
    con.execute(f"create or replace temp view _touched_events as select x.* from staging.events as x {touched}")
    relations["events"] = "_touched_events"
    needs = set(catalogue.order([name]))  # the per-case marts it reads (others may not be built)
    per_case = [m for m, mart in catalogue.marts.items() if mart.per_case and m in needs]
    for mart in per_case:
        con.execute(f"create or replace temp view _touched_{mart} as select x.* from marts.{mart} as x {touched}")
        relations[mart] = f"_touched_{mart}"
    try:
        _recompute(
            con,
            catalogue,
            name,
            "exists (select 1 from _touched as t where t.case_id = x.case_id and "
            "t.process is not distinct from x.process)",
            relations,
        )
    finally:
        for mart in per_case:
            con.execute(f"drop view if exists _touched_{mart}")
        con.execute("drop view if exists _touched_events")
        con.execute("drop table if exists _touched")
