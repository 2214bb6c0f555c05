"""Every export parses with its declared format and encoding, and agrees with the ground truth."""

import json
import re

import polars as pl
import pyarrow.parquet as pq
import pytest
from support.exports import (
    read_borgerservice,
    read_digital_post,
    read_momentum,
    read_nexus,
    read_pladsanvisning,
    read_sbsys,
    read_telefoni,
    truth,
    truth_cases,
    truth_contacts,
)

CPR_DASH = re.compile(r"^\d{6}-\d{4}$")
CPR_DIGITS = re.compile(r"^\d{10}$")


def file_info(out, path):
    return next(f for f in truth(out)["files"] if f["path"] == path)


def test_sbsys_is_cp1252_semicolon_crlf_with_danish_letters(baseline):
    raw = (baseline / "sbsys" / "sagsaktiviteter.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # cp1252: 'ø' is the single byte 0xF8, not valid UTF-8
    assert b"\xf8" in raw and b"\r\n" in raw and not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("cp1252")
    header = text.split("\r\n", 1)[0]
    assert header.split(";")[:7] == [
        "Sagsnummer",
        "Sagsmodel",
        "KLE-nummer",
        "Sagstitel",
        "Aktivitet",
        "Fase",
        "Udført",
    ]
    df = read_sbsys(baseline)
    assert "Byggeri og Miljø" in set(df["Afdeling"])
    assert any("Ærøvej" in t or "Åbakken" in t or "Østergade" in t for t in df["Sagstitel"].unique())
    parsed = df["Udført"].str.strptime(pl.Datetime, "%d-%m-%Y %H:%M", strict=True)
    assert parsed.null_count() == 0
    assert df["Part CPR"].str.contains(CPR_DASH.pattern).all()
    hours = df["Forbrugt tid (timer)"].drop_nulls()
    assert hours.str.contains(r"^\d+(,\d+)?$").all() and hours.str.contains(",").any()  # decimal comma


def test_sbsys_matches_truth(baseline):
    df = read_sbsys(baseline)
    info = file_info(baseline, "sbsys/sagsaktiviteter.csv")
    assert df.height == info["rows"] == info["events"]
    assert df["Sagsnummer"].n_unique() == info["cases"]
    t = truth(baseline)["processes"]
    by_model = dict(df.group_by("Sagsmodel").len().iter_rows())
    assert by_model == {"Byggesag": t["byggesag"]["events"], "Helhedsplan": t["helhedsplan"]["events"]}


def test_nexus_jsonl_with_offsets_and_lifecycle(baseline):
    df = read_nexus(baseline)
    info = file_info(baseline, "nexus/haendelser.jsonl")
    assert df.height == info["rows"] and df["case_id"].n_unique() == info["cases"]
    ts = df["tidspunkt"].str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%:z", strict=True)
    assert ts.null_count() == 0
    offsets = set(df["tidspunkt"].str.slice(-6))
    assert offsets == {"+01:00", "+02:00"}  # winter and summer time both present in a year
    assert set(df["status"]) == {"STARTED", "FINISHED"}
    assert df["haendelsesId"].to_list() == list(range(1, df.height + 1))
    assert df["cpr"].str.contains(CPR_DIGITS.pattern).all()
    # every STARTED has its FINISHED of the same activity right after it in the case, except an
    # activity still in progress when the export was taken (the last event of an open case)
    pairs = df.with_columns(
        nxt=pl.col("aktivitet").shift(-1).over("case_id"), nst=pl.col("status").shift(-1).over("case_id")
    )
    unmatched = pairs.filter(
        (pl.col("status") == "STARTED")
        & ~((pl.col("nxt") == pl.col("aktivitet")) & (pl.col("nst") == "FINISHED")).fill_null(False)
    )
    assert unmatched["nxt"].null_count() == unmatched.height  # all are last events of their case
    open_cases = {c["case_id"] for c in truth_cases(baseline) if c["process"] == "visitation" and not c["closed"]}
    assert set(unmatched["case_id"]) <= open_cases
    assert "Visitation og Bestiller" in set(df["organisation"])


def test_momentum_parquet_schema_and_truth(baseline):
    schema = pq.read_schema(baseline / "momentum" / "sygedagpenge.parquet")
    assert str(schema.field("tidspunkt").type) == "timestamp[us, tz=UTC]"
    assert str(schema.field("foerste_fravaersdag").type) == "date32[day]"
    df = read_momentum(baseline)
    info = file_info(baseline, "momentum/sygedagpenge.parquet")
    assert df.height == info["rows"] and df["forloebsid"].n_unique() == info["cases"]
    assert set(df["livscyklus"]) == {"start", "complete"}
    assert set(df["kategori"]) == {"1", "2", "3"}
    first = df.group_by("forloebsid").agg(pl.col("tidspunkt").min(), pl.col("foerste_fravaersdag").first())
    lag_days = (first["tidspunkt"].dt.date() - first["foerste_fravaersdag"]).dt.total_days()
    assert lag_days.min() >= 16 and lag_days.max() <= 32  # notified 0.75-1.25 x 24 days after the first sick day


def test_pladsanvisning_excel_with_real_date_cells(baseline):
    df = read_pladsanvisning(baseline)
    info = file_info(baseline, "pladsanvisning/pladsanvisning.xlsx")
    assert df.height == info["rows"] and df["Ansøgningsnr"].n_unique() == info["cases"]
    assert df.schema["Tidspunkt"] == pl.Datetime and df.schema["Garantidato"] == pl.Datetime
    assert df["Barnets CPR"].str.contains(CPR_DASH.pattern).all()
    assert df["Ansøgers CPR"].str.contains(CPR_DASH.pattern).all()
    per_case = df.group_by("Ansøgningsnr").agg(
        pl.col("Barnets CPR").first(),
        pl.col("Ansøgers CPR").first(),
        pl.col("Garantidato").first(),
        pl.col("Tidspunkt").min(),
    )
    assert (per_case["Barnets CPR"] != per_case["Ansøgers CPR"]).all()
    # the child was born 2-6 months before the application; the guarantee is at least 26 weeks after birth
    birth = per_case["Barnets CPR"].str.slice(0, 6).str.strptime(pl.Date, "%d%m%y")
    age_days = (per_case["Tidspunkt"].dt.date() - birth).dt.total_days()
    assert age_days.min() >= 59 and age_days.max() <= 181
    assert ((per_case["Garantidato"].dt.date() - birth).dt.total_days() >= 26 * 7).all()
    assert per_case["Garantidato"].dt.weekday().max() <= 5  # the first working day of a month
    assert "Optaget på venteliste" in set(df["Hændelse"])


def test_telefoni_csv_utf8_bom(baseline):
    raw = (baseline / "telefoni" / "opkald.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfOpkaldsID,Starttidspunkt,")
    df = read_telefoni(baseline)
    assert df.columns[0] == "OpkaldsID"  # the BOM is not part of the first column name
    info = file_info(baseline, "telefoni/opkald.csv")
    assert df.height == info["rows"] == info["contacts"]
    ts = df["Starttidspunkt"].str.strptime(pl.Datetime, "%Y-%m-%d %H:%M:%S", strict=True)
    assert ts.is_sorted()
    assert set(df["Retning"]) == {"Indgående", "Udgående"}
    assert set(df["Besvaret"]) == {"Ja", "Nej"}
    assert df["CPR"].drop_nulls().str.contains(CPR_DIGITS.pattern).all()
    assert 0 < df["CPR"].null_count() < df.height  # identified only sometimes
    assert 0 < df["Sagsnummer"].drop_nulls().len() < df.height * 0.3
    hours = ts.dt.hour()
    assert hours.min() >= 8 and hours.max() <= 15


def test_digital_post_jsonl_utc(baseline):
    df = read_digital_post(baseline)
    info = file_info(baseline, "digital_post/beskeder.jsonl")
    assert df.height == info["rows"]
    assert df["tidspunkt"].str.ends_with("Z").all()
    assert df["tidspunkt"].str.strptime(pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%SZ", strict=True).is_sorted()
    assert set(df["kanal"]) == {"E-mail", "Digital Post"}
    dp = df.filter(pl.col("kanal") == "Digital Post")
    # Digital Post always identifies the sender (MitID), e-mail only sometimes
    assert dp.filter(pl.col("retning") == "Indgående")["afsender"].struct.field("cpr").null_count() == 0


def test_borgerservice_queue_log(baseline):
    raw = (baseline / "borgerservice" / "koelog.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfBesoegsID;Billetnummer;")
    df = read_borgerservice(baseline)
    info = file_info(baseline, "borgerservice/koelog.csv")
    assert df.height == info["rows"]
    fmt = "%d.%m.%Y %H:%M:%S"
    created, called, ended = (
        df[c].str.strptime(pl.Datetime, fmt, strict=True) for c in ("Oprettet", "Kaldt", "Afsluttet")
    )
    assert (created <= called).all() and (called <= ended).all()
    assert df["BesoegsID"].n_unique() == df.height
    waited = df["Ventetid (min)"].str.replace(",", ".").cast(pl.Float64)
    assert (waited - (called - created).dt.total_seconds() / 60).abs().max() <= 0.051
    assert df["Billetnummer"].str.contains(r"^[A-ZÆØÅ]\d{3,}$").all()


def test_contact_truth_covers_every_contact_row(baseline):
    t = truth_contacts(baseline)
    files = {
        "telefoni": read_telefoni(baseline)["OpkaldsID"],
        "digital_post": read_digital_post(baseline)["beskedId"],
        "borgerservice": read_borgerservice(baseline)["BesoegsID"],
    }
    assert t.height == sum(s.len() for s in files.values()) == truth(baseline)["totals"]["contacts"]
    for system, keys in files.items():
        assert sorted(t.filter(pl.col("system") == system)["key"].to_list()) == sorted(keys.cast(pl.Utf8).to_list())


def test_contacts_point_at_real_cases_and_show_the_right_case_number(baseline):
    t = truth_contacts(baseline)
    case_ids = {c["case_id"] for c in truth_cases(baseline)}
    with_case = t.filter(pl.col("true_case_id").is_not_null())
    assert set(with_case["true_case_id"]) <= case_ids
    shown = t.filter(pl.col("case_ref_shown").is_not_null())
    assert (shown["case_ref_shown"] == shown["true_case_id"]).all()
    # the telephony file shows the same case numbers as the truth says
    tel = read_telefoni(baseline).join(
        t.filter(pl.col("system") == "telefoni").select(pl.col("key").alias("OpkaldsID"), "true_case_id"),
        on="OpkaldsID",
    )
    sel = tel.filter(pl.col("Sagsnummer").is_not_null())
    assert (sel["Sagsnummer"] == sel["true_case_id"]).all()
    # unrelated contacts (passports, general questions) have no case and are not failure demand
    noise = t.filter(pl.col("true_case_id").is_null())
    assert noise.height > 0 and not noise["failure_demand"].any()
    assert set(noise.filter(pl.col("channel") == "visit")["reason"]) <= {
        "Pas",
        "Kørekort",
        "Sundhedskort",
        "NemID/MitID",
    }


def test_case_truth_agrees_with_events(baseline):
    cases = truth_cases(baseline)
    t = truth(baseline)
    for process, p in t["processes"].items():
        mine = [c for c in cases if c["process"] == process]
        assert len(mine) == p["cases"]
        assert sum(c["n_events"] for c in mine) == p["events"]
    nexus_counts = dict(read_nexus(baseline).group_by("case_id").len().iter_rows())
    for c in cases:
        if c["system"] == "nexus":
            assert nexus_counts.get(c["case_id"], 0) == c["n_events"]


def test_one_citizen_spans_systems(baseline):
    """Helhedsplan citizens also have a sickness-benefit case: the same person in the ESDH and Momentum."""
    sb = read_sbsys(baseline).filter(pl.col("Sagsmodel") == "Helhedsplan")
    t5_cprs = set(sb["Part CPR"].str.replace("-", ""))
    mo_cprs = set(read_momentum(baseline)["cpr"].str.replace("-", ""))
    shared = t5_cprs & mo_cprs
    assert len(shared) >= 0.8 * len(t5_cprs)
    nexus_cprs = set(read_nexus(baseline)["cpr"])
    assert len(t5_cprs & nexus_cprs) > 0


def test_cpr_appears_inside_free_text_sometimes(baseline):
    """Free-text fields carry CPR numbers now and then, as in real exports (pseudonymisation must catch them)."""
    notes = read_telefoni(baseline)["Notat"].drop_nulls()
    assert notes.str.contains(r"\d{6}-\d{4}").sum() > 0
    titles = read_sbsys(baseline)["Sagstitel"]
    assert titles.str.contains(r"\d{6}-\d{4}").sum() > 0
    subjects = read_digital_post(baseline)["emne"]
    assert subjects.str.contains(r"\d{6}-\d{4}").sum() > 0


def test_no_local_time_falls_in_the_dst_gap_or_overlap(baseline):
    """Every naive local time exists exactly once in Europe/Copenhagen."""
    for series, fmt in (
        (read_sbsys(baseline)["Udført"], "%d-%m-%Y %H:%M"),
        (read_telefoni(baseline)["Starttidspunkt"], "%Y-%m-%d %H:%M:%S"),
        (read_borgerservice(baseline)["Oprettet"], "%d.%m.%Y %H:%M:%S"),
    ):
        local = series.str.strptime(pl.Datetime, fmt, strict=True)
        assert (
            local.dt.replace_time_zone("Europe/Copenhagen", ambiguous="raise", non_existent="raise").null_count() == 0
        )


def test_staff_work_on_working_days_in_office_hours(baseline):
    """Caseworkers (not systems, not citizens' own submissions) act on Danish working days, 08:00-15:59."""
    from vaerdistrom.calendar import danish_holidays

    df = read_sbsys(baseline).filter(~pl.col("Initialer").is_in(["SYS", "UDV"]))
    ts = df["Udført"].str.strptime(pl.Datetime, "%d-%m-%Y %H:%M", strict=True)
    off = set()
    for year in (2025, 2026):
        off |= set(danish_holidays(year))
    days = ts.dt.date()
    assert not days.is_in(sorted(off)).any()
    assert (ts.dt.weekday() <= 5).all()
    assert ts.dt.hour().min() >= 8 and ts.dt.hour().max() <= 15


def test_config_snippet_describes_every_file_and_process(baseline):
    import tomllib

    cfg = tomllib.loads((baseline / "vaerdistrom.toml").read_text(encoding="utf-8"))
    paths = {s["path"] for s in cfg["sources"].values()}
    assert paths == {f["path"] for f in truth(baseline)["files"]}
    assert set(cfg["processes"]) == {"visitation", "pladsanvisning", "sygedagpenge", "byggesag", "helhedsplan"}
    assert cfg["processes"]["visitation"]["deadline_days"] == 28
    assert cfg["sources"]["sbsys"]["encoding"] == "cp1252"
    # the mapped columns exist in the files
    header = (baseline / "sbsys" / "sagsaktiviteter.csv").read_bytes().decode("cp1252").split("\r\n")[0].split(";")
    assert set(cfg["sources"]["sbsys"]["mapping"].values()) <= set(header)


def test_ground_truth_json_is_complete(baseline):
    t = truth(baseline)
    assert t["generator"]["seed"] == 11 and t["generator"]["scenario"] == "baseline"
    for key, p in t["processes"].items():
        assert p["bottleneck"]["n"] > 0 and p["bottleneck"]["mean_wait_days"] > 0
        assert p["deviations"], key
        assert all(d["probability"] is not None for d in p["deviations"])
        assert p["contacts"]["inbound"] > 0 and p["contacts"]["outbound"] > 0
    assert t["totals"]["rows"] == sum(f["rows"] for f in t["files"])
    json.dumps(t)
