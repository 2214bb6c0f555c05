"""`vaerdistrom import`: from event-log files to a config, a mined warehouse and a published snapshot.

The sources are guessed from the files (`warehouse.detect`), written as `vaerdistrom.toml`
(or added to the one already in the folder, which keeps its comments), and the night runs
once without Prefect (`flows.pipeline.run_night`): load, mine, record, publish. Every other
command then works in that folder with no flags. A folder's local pseudonymisation key is
made here too, for `import`, `init` and `demo` alike.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from connectors.files import ReadError
from vaerdistrom.errors import UsageError
from warehouse.config import Config, Source, load_config
from warehouse.detect import guess_source
from warehouse.pseudonym import CPR_PATTERN, KEY_ENV, contains_cpr, create_key_file, redact

KEY_FILE = "pseudonym.key"  # a folder's local pseudonymisation key, beside its config

HEADER = """# vaerdistrom.toml: inferred from {files} by `vaerdistrom import`.
# Edit it (column mapping, processes, deadlines, an intended BPMN) and run `vaerdistrom run`.
# Paths are relative to this file.

warehouse = {warehouse}
key_file = "pseudonym.key"            # pseudonymisation key (or set VAERDISTROM_PSEUDONYM_KEY); never commit it

[municipality]
name = {municipality}
"""


class ImportRefused(UsageError, ValueError):
    """A file given to `vaerdistrom import` that is not there, is empty or cannot be read: bad input (exit code 2)."""


@dataclass
class Planned:
    """What an import adds to a config: new sources (name -> source, notes) and files it holds already."""

    sources: dict[str, tuple[Source, list[str]]] = field(default_factory=dict)
    known: list[tuple[Path, str]] = field(default_factory=list)  # (file, the source that reads it)


def name_of(path: Path) -> str:
    """A source or process name from a file's name: lower case, letters, digits and underscores; a CPR number in
    the name becomes 'cpr'."""
    stem = re.sub(r"\.(xes\.gz|csv\.gz|[a-z0-9]+)$", "", (redact(path.name) or "").lower())
    return re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]+", "_", stem)).strip("_") or "import"


def relative(path: Path, root: Path) -> str:
    """The path as the config names it: relative to the config's folder when inside it, else absolute; a CPR number
    in it written as a pattern of `?` (a file named after a citizen is found without the number being written)."""
    path = path.resolve()
    try:
        text = path.relative_to(root.resolve()).as_posix()
    except ValueError:
        text = str(path)
    return CPR_PATTERN.sub(
        lambda m: re.sub(r"[0-9]", "?", m.group(0)) if contains_cpr(m.group(0)) else m.group(0), text
    )


def files_of(source: Source, root: Path) -> list[Path]:
    """The files a configured source reads (its path may be a pattern)."""
    from warehouse.load import matching_files

    return matching_files(source.path, root) if source.path else []


def plan(
    files: list[Path],
    config: Path,
    *,
    process: str | None = None,
    timestamp_format: str | None = None,
    encoding: str | None = None,
    **given: str | None,
) -> Planned:
    """The sources the files become (their columns guessed, or `given`); a file an existing source already reads is
    only noted."""
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise ImportRefused(f"no such file: {missing[0]}")
    empty = [f for f in files if f.stat().st_size == 0]
    if empty:
        raise ImportRefused(f"{empty[0]}: the file is empty (0 bytes): nothing to import")
    try:
        planned = _plan(files, config, process, given)
    except UsageError:
        raise
    except (ReadError, ValueError) as e:
        raise ImportRefused(str(e)) from e
    extra = {k: v for k, v in (("timestamp_format", timestamp_format), ("encoding", encoding)) if v}
    if extra:
        planned.sources = {
            name: (src.model_copy(update=extra), notes) for name, (src, notes) in planned.sources.items()
        }
    return planned


def _plan(files: list[Path], config: Path, process: str | None, given: dict[str, str | None]) -> Planned:
    root = config.parent
    existing: dict[str, Source] = load_config(config)[0].sources if config.exists() else {}
    by_path = {f.resolve(): n for n, s in existing.items() for f in files_of(s, root)}
    planned = Planned()
    for f in files:
        if f.resolve() in by_path:
            planned.known.append((f, by_path[f.resolve()]))
            continue
        name = base = name_of(f)
        i = 2
        while name in existing or name in planned.sources:
            name, i = f"{base}_{i}", i + 1
        src, notes = guess_source(f, process=(redact(process) if process else None) or name, **given)
        planned.sources[name] = (src.model_copy(update={"path": relative(f, root)}), notes)
    return planned


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string is a JSON string


def source_toml(name: str, src: Source) -> str:
    """One source as TOML: the fields that differ from their defaults, then its mapping."""
    data = src.model_dump(exclude_defaults=True, exclude_none=True)
    mapping = data.pop("mapping", None)
    lines = [f"[sources.{name}]"] + [f"{k} = {_toml(v)}" for k, v in data.items()]
    if mapping:
        lines += ["", f"[sources.{name}.mapping]          # canonical field -> the file's column"]
        lines += [f"{k} = {_toml(v)}" for k, v in mapping.items()]
    return "\n".join(lines) + "\n"


def process_toml(key: str) -> str:
    """A process's table; its key quoted unless it is a bare TOML key (a name given with spaces, say)."""
    label = _toml(key.replace("_", " "))
    table = key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml(key)
    return f"[processes.{table}]\nname_da = {label}\nname_en = {label}\n"


def write(config: Path, planned: Planned, *, warehouse: str) -> tuple[Config, Path]:
    """The config written (a new one) or extended (sources and processes appended to the existing file), and read
    back with the pseudonymisation key it needs at hand."""
    from warehouse.load import resolve_key

    _write(config, planned, warehouse=warehouse)
    cfg, root = load_config(config)
    resolve_key(cfg, root)
    return cfg, root


def _write(config: Path, planned: Planned, *, warehouse: str) -> None:
    if not planned.sources:
        return
    processes = {s.process for s, _ in planned.sources.values() if s.process}
    if config.exists():
        known = set(load_config(config)[0].processes)
        text = config.read_text(encoding="utf-8").rstrip("\n") + "\n"
        files = " ".join(", ".join(s.path for s, _ in planned.sources.values()).split())  # one comment line
        text += f"\n# added by `vaerdistrom import` from {files}\n"
    else:
        known = set()
        files = " ".join(", ".join(s.path for s, _ in planned.sources.values()).split())
        text = HEADER.format(
            files=files,
            warehouse=_toml(warehouse),
            municipality=_toml(redact(config.resolve().parent.name) or "Kommune"),
        )
    for name, (src, _) in planned.sources.items():
        text += "\n" + source_toml(name, src)
    for key in sorted(processes - known):
        text += "\n" + process_toml(key)
    tmp = config.with_name(config.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    try:
        load_config(tmp)  # what was written reads back as a valid config, or nothing is replaced
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(config)


def local_key(folder: Path) -> Literal["environment", "existing", "created"]:
    """The folder's pseudonymisation key (`KEY_FILE`, owner-only) created, unless the environment holds a key or the
    file is there: says which."""
    if os.environ.get(KEY_ENV):
        return "environment"
    if (folder / KEY_FILE).exists():
        return "existing"
    create_key_file(folder / KEY_FILE)
    return "created"


def write_example(folder: Path) -> Path:
    """The commented example config (one source of each kind) written as `folder/vaerdistrom.toml`; an existing one
    is never overwritten."""
    from importlib.resources import files

    config = folder / "vaerdistrom.toml"
    if config.exists():
        raise UsageError(f"{config} exists; not overwriting it")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        config.write_text(files("warehouse").joinpath("example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write {config}: {e.strerror or e}") from None
    return config
