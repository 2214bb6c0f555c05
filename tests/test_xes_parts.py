"""A large XES log read in parts, one per core: the same frame as one read of the whole file."""

import polars as pl
import pytest

from connectors.xes import _as_text, join_parts
from connectors.xes_parts import cut_points, defaults_of, read_in_parts


def _one_read(path) -> pl.DataFrame:
    import rustxes

    frame = rustxes.import_xes(str(path))[0]
    return frame.select([_as_text(n, frame.schema[n]) for n in sorted(frame.columns)])


def _joined(read: tuple[list[pl.DataFrame], dict]) -> pl.DataFrame:
    frames, defaults = read
    frame = join_parts([f.select([_as_text(n, f.schema[n]) for n in f.columns]) for f in frames], defaults)
    return frame.select(sorted(frame.columns))


@pytest.mark.parametrize(
    "name, parts",
    [
        ("BPIC15_1.xes.gz", 2),
        ("reviewing.xes", 3),
        ("receipt_wabo.xes.gz", 5),
        ("helpdesk.xes.gz", 2),
        ("roadtraffic100traces.xes", 2),
    ],
)
def test_a_log_read_in_parts_is_the_log_read_whole(shared_data, name, parts):
    read = read_in_parts(shared_data / name, parts, min_bytes=0)
    assert len(read[0]) == parts
    assert all(f.height for f in read[0])
    # every event, attribute and <global> default, in order (receipt's later parts have no trace with a 'group',
    # which the trace-scoped default fills)
    assert _joined(read).equals(_one_read(shared_data / name))


def test_the_log_defaults_are_read_from_its_header():
    header = (
        b'<?xml version="1.0"?>\n<log xmlns="http://www.xes-standard.org/"><global scope="trace"><string '
        b'key="group" value="UNKNOWN"/></global><global scope="event"><date key="time:timestamp" '
        b'value="1970-01-01T00:00:00.000+01:00"/><int key="n" value="007"/></global><string key="x" value="y"/>'
    )
    assert defaults_of(header) == {
        "case:group": ("string", "UNKNOWN"),
        "time:timestamp": ("date", "1970-01-01T00:00:00.000+01:00"),
        "n": ("int", "007"),
    }
    parts = [pl.DataFrame({"case:group": ["a"], "n": ["1"]}), pl.DataFrame({"other": ["b"]})]
    joined = join_parts(parts, {k: v for k, v in defaults_of(header).items() if k != "time:timestamp"})
    assert joined.rows() == [("a", "1", None), ("UNKNOWN", "7", "b")]


def test_parts_are_cut_just_before_a_trace_and_each_is_a_whole_document(tmp_path):
    head = b'<?xml version="1.0"?>\n<log><global scope="event"><string key="org:resource" value="x"/></global>\n'
    traces = [
        b'<trace><string key="concept:name" value="c%d"/><event><string key="concept:name" value="a &lt;'
        b'trace"/>%s</event></trace>\n' % (i, b'<string key="org:resource" value="y"/>' if i == 0 else b"")
        for i in range(4)
    ]
    data = head + b"".join(traces) + b"</log>\n"
    points = cut_points(data, 2)  # at the first trace to start at or after the middle of the traces
    assert points == [len(head), len(head) + len(traces[0]) + len(traces[1]), len(data)]
    assert cut_points(head + b"</log>", 2) == []  # no trace: nothing to cut
    (tmp_path / "small.xes").write_bytes(data)
    assert read_in_parts(tmp_path / "small.xes", 2) is None  # under the size where a second process pays off
    frames, defaults = read_in_parts(tmp_path / "small.xes", 2, min_bytes=0)
    assert [f["case:concept:name"].to_list() for f in frames] == [["c0", "c1"], ["c2", "c3"]]
    assert frames[1]["concept:name"].to_list() == ["a <trace", "a <trace"]
    # only c0's event has org:resource: the global default fills the others, in the second part too
    joined = join_parts([f.select([_as_text(n, f.schema[n]) for n in f.columns]) for f in frames], defaults)
    assert joined["org:resource"].to_list() == ["y", "x", "x", "x"]


def test_a_reader_that_fails_is_an_error_named_by_its_part_and_nothing_hangs(tmp_path, monkeypatch):
    import connectors.xes_parts as parts

    trace = b'<trace><event><string key="concept:name" value="a"/></event></trace>'
    (tmp_path / "log.xes").write_bytes(b"<log>" + trace * 4 + b"</log>")
    monkeypatch.setattr(parts.sys, "executable", "/bin/false")  # a child that stops before it reads its pipe
    with pytest.raises(ValueError, match=r"the reader of part part0.xes stopped with exit code 1"):
        read_in_parts(tmp_path / "log.xes", 2, min_bytes=0)
