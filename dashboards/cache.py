"""What a page reads, cached: Streamlit's caches around the one `data.Reader` of a snapshot version.

The app's sessions share one read-only connection per snapshot version (`st.cache_resource`);
each answer is cached per snapshot version and arguments (`st.cache_data`), so a page opened
again, by this session or another, reads nothing. A new night's snapshot is a new version:
new connection, new answers. `Context` is what a page is handed: these reads for its view,
and its language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboards import data
from dashboards.i18n import t

Version = tuple[int, int]


@st.cache_resource(max_entries=2, show_spinner=False)
def _reader(path: str, version: Version) -> data.Reader:
    """The app's one connection to a snapshot version (a new night's snapshot gets a new one)."""
    return data.Reader(Path(path))


@st.cache_data(max_entries=512, show_spinner=False)
def _mart(path: str, version: Version, name: str, view: data.View) -> pd.DataFrame:
    return _reader(path, version).mart(name, view)


@st.cache_data(max_entries=256, show_spinner=False)
def _over(path: str, version: Version, name: str, view: data.View, text: str, params: tuple) -> pd.DataFrame:
    return _reader(path, version).over(name, view, text, dict(params))


@st.cache_data(max_entries=512, show_spinner=False)
def _sql(path: str, version: Version, text: str, params: tuple) -> pd.DataFrame:
    return _reader(path, version).sql(text, list(params))


@st.cache_data(max_entries=8, show_spinner=False)
def _processes(path: str, version: Version) -> list[str]:
    return _reader(path, version).processes()


@st.cache_data(max_entries=64, show_spinner=False)
def _org_units(path: str, version: Version, process: str | None) -> list[str]:
    return _reader(path, version).org_units(process)


@st.cache_data(max_entries=64, show_spinner=False)
def _variants(path: str, version: Version, process: str | None) -> pd.DataFrame:
    return _reader(path, version).variants(process)


@st.cache_data(max_entries=64, show_spinner=False)
def _has_variant(path: str, version: Version, process: str | None, prefix: str) -> bool:
    return _reader(path, version).has_variant(process, prefix)


@st.cache_data(max_entries=8, show_spinner=False)
def _date_range(path: str, version: Version) -> tuple[dt.date, dt.date]:
    return _reader(path, version).date_range()


@st.cache_data(max_entries=8, show_spinner=False)
def _last_run(path: str, version: Version) -> tuple[dt.date, str] | None:
    return _reader(path, version).last_run()


@st.cache_data(max_entries=64, show_spinner=False)
def _kept_count(path: str, version: Version, view: data.View) -> int:
    return _reader(path, version).kept_count(view)


@st.cache_data(max_entries=64, show_spinner=False)
def _case_list(path: str, version: Version, view: data.View, limit: int | None) -> pd.DataFrame:
    return _reader(path, version).case_list(view, limit)


@st.cache_data(max_entries=64, show_spinner=False)
def _wait_days(path: str, version: Version, view: data.View, process: str, source: str, target: str) -> pd.DataFrame:
    return _reader(path, version).wait_days(view, process, source, target)


@st.cache_data(max_entries=64, show_spinner=False)
def _mart_of_transition(
    path: str, version: Version, view: data.View, name: str, process: str, source: str, target: str
) -> pd.DataFrame:
    return _reader(path, version).mart_of_transition(view, name, process, source, target)


@dataclass(frozen=True)
class Context:
    """What a page reads and how it speaks: the snapshot (its file and version), the language, the view (the
    global filters). Every read is cached per snapshot version."""

    path: Path
    version: Version
    lang: str
    view: data.View

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    def mart(self, name: str, view: data.View | None = None) -> pd.DataFrame:
        """Mart `name`'s rows for the view (or for `view`)."""
        return _mart(str(self.path), self.version, name, view or self.view)

    def over(self, name: str, text: str, **params: object) -> pd.DataFrame:
        """The query `text` over mart `name` for the view (`{mart}` in it names what to read)."""
        return _over(str(self.path), self.version, name, self.view, text, tuple(sorted(params.items())))

    def sql(self, text: str, *params: object) -> pd.DataFrame:
        """The rows of the query `text` on the snapshot, whatever the view (`$1`... are `params`)."""
        return _sql(str(self.path), self.version, text, tuple(params))

    def processes(self) -> list[str]:
        return _processes(str(self.path), self.version)

    def org_units(self, process: str | None) -> list[str]:
        return _org_units(str(self.path), self.version, process)

    def variants(self, process: str | None) -> pd.DataFrame:
        return _variants(str(self.path), self.version, process)

    def has_variant(self, process: str | None, prefix: str) -> bool:
        return _has_variant(str(self.path), self.version, process, prefix)

    def date_range(self) -> tuple[dt.date, dt.date]:
        return _date_range(str(self.path), self.version)

    def last_run(self) -> tuple[dt.date, str] | None:
        return _last_run(str(self.path), self.version)

    def n_kept(self) -> int:
        """How many cases the view keeps."""
        return _kept_count(str(self.path), self.version, self.view)

    def case_list(self, limit: int | None) -> pd.DataFrame:
        """The view's cases, longest first (the first `limit`)."""
        return _case_list(str(self.path), self.version, self.view, limit)

    def wait_days(self, process: str, source: str, target: str) -> pd.DataFrame:
        """How many of the view's waits of one transition lasted each whole number of days."""
        return _wait_days(str(self.path), self.version, self.view, process, source, target)

    def mart_of_transition(self, name: str, process: str, source: str, target: str) -> pd.DataFrame:
        """Mart `name`'s rows of one transition for the view."""
        return _mart_of_transition(str(self.path), self.version, self.view, name, process, source, target)
