"""The dashboards' words and number formats, in Danish (the default) and English.

Every label the app shows is a key of `TEXT`; `t(key, lang)` gives it in the chosen
language. Numbers, percentages, days, hours, kroner and dates are formatted with Babel's
CLDR data for da_DK and en_GB (shipped in the package: nothing is downloaded), so Danish
shows `1.234,5` and English `1,234.5`.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

LANGS = ("da", "en")
LOCALES = {"da": "da_DK", "en": "en_GB"}

TEXT: dict[str, tuple[str, str]] = {  # key: (Danish, English)
    "app_title": ("vaerdistrom: værdistrøm og borgerrejse", "vaerdistrom: value stream and citizen journey"),
    "language": ("Sprog", "Language"),
    "filters": ("Filtre", "Filters"),
    "page": ("Side", "Page"),
    "variant_help": ("De mest almindelige varianter, flest sager først; skriv for at søge i trinene",
                     "The most common variants, most cases first; type to search their steps"),
    "variant_label": ("{n} sager · {k} trin: {steps}", "{n} cases · {k} steps: {steps}"),
    "period_backwards": ("Perioden slutter før den begynder: slutdatoen bruges ikke.",
                         "The period ends before it starts: the end date is not used."),
    "process": ("Proces", "Process"),
    "all_processes": ("Alle processer", "All processes"),
    "period_from": ("Fra", "From"),
    "period_to": ("Til", "To"),
    "org_unit": ("Enhed", "Org unit"),
    "all_units": ("Alle enheder", "All units"),
    "variant": ("Variant", "Variant"),
    "all_variants": ("Alle varianter", "All variants"),
    "no_snapshot": ("Der er ikke publiceret data endnu: kør `vaerdistrom run` (eller `vaerdistrom demo`) og "
                    "genindlæs siden.",
                    "No data has been published yet: run `vaerdistrom run` (or `vaerdistrom demo`) and reload "
                    "the page."),
    "nothing_selected": ("Filtrene udvælger ingen sager. Vælg en anden periode, enhed eller variant.",
                         "The filters select no cases. Choose another period, unit or variant."),
    "bad_date": ("Adressens {name} ({value}) er ikke en dato som 2025-03-31: den bruges ikke.",
                 "The address's {name} ({value}) is not a date like 2025-03-31: it is not used."),
    "snapshot_outdated": ("Den publicerede fil mangler {mart}, som denne side viser: den er skrevet af en ældre "
                          "version. Kør `vaerdistrom run` igen.",
                          "The published file lacks {mart}, which this page shows: an older version wrote it. Run "
                          "`vaerdistrom run` again."),
    "suppressed": ("Tal for færre end {k} sager vises ikke.", "Figures for fewer than {k} cases are not shown."),
    "published_at": ("Data fra natten {night} (status: {status})", "Data from the night of {night} (status: {status})"),
    "download_csv": ("Hent CSV", "Download CSV"),
    # pages
    "page_overview": ("Overblik", "Overview"),
    "page_flow": ("Procesflow", "Process flow"),
    "page_bottlenecks": ("Flaskehalse", "Bottlenecks"),
    "page_rework": ("Omarbejde", "Rework"),
    "page_contacts": ("Henvendelser", "Contacts"),
    "page_journey": ("Borgerrejse", "Citizen journey"),
    "page_deviations": ("Afvigelser", "Deviations"),
    "page_compare": ("Sammenlign", "Compare"),
    "page_cases": ("Sager", "Cases"),
    # measures
    "n_cases": ("Sager", "Cases"),
    "median_lead_time_days": ("Median gennemløbstid (dage)", "Median lead time (days)"),
    "p90_lead_time_days": ("90 % af sagerne inden for (dage)", "90% of cases within (days)"),
    "mean_waiting_days": ("Gns. ventetid pr. sag (dage)", "Mean waiting per case (days)"),
    "mean_process_hours": ("Gns. arbejdstid pr. sag (timer)", "Mean hands-on time per case (hours)"),
    "process_cycle_efficiency": ("Procescykluseffektivitet", "Process cycle efficiency"),
    "mean_cost_dkk": ("Gns. omkostning pr. sag (kr.)", "Mean cost per case (DKK)"),
    "total_cost_dkk": ("Samlet omkostning (kr.)", "Total cost (DKK)"),
    "rework_cost_dkk": ("Omarbejde (kr.)", "Rework (DKK)"),
    "first_time_right": ("Rigtigt første gang", "First time right"),
    "share_within_deadline": ("Inden for frist", "Within deadline"),
    "contacts_per_case": ("Henvendelser pr. sag", "Contacts per case"),
    "rework_rate": ("Andel sager med omarbejde", "Share of cases with rework"),
    "share_failure_demand": ("Fejlefterspørgsel", "Failure demand"),
    "citizen_side": ("Borgerens side", "The citizen's side"),
    "finance_side": ("Økonomiens side", "The finance side"),
    "trend": ("Udvikling nat for nat", "Trend, night by night"),
    "biggest_bottleneck": ("Største flaskehals", "Biggest bottleneck"),
    "most_rework": ("Mest omarbejde", "Most rework"),
    "most_contacts": ("Flest henvendelser under ventetid", "Most contacts while waiting"),
    "deadline_compliance": ("Overholdelse af frister", "Deadline compliance"),
    "total_wait_days": ("Samlet ventetid (dage)", "Total waiting (days)"),
    "median_case_wait_days": ("Median ventetid pr. sag (dage)", "Median wait per case (days)"),
    "p90_case_wait_days": ("90 % venter højst (dage)", "90% wait at most (days)"),
    "share_of_waiting": ("Andel af al ventetid", "Share of all waiting"),
    "from_activity": ("Fra aktivitet", "From activity"),
    "to_activity": ("Til aktivitet", "To activity"),
    "activity": ("Aktivitet", "Activity"),
    "activities_shown": ("Aktiviteter vist (%)", "Activities shown (%)"),
    "paths_shown": ("Stier vist (%)", "Paths shown (%)"),
    "overlay": ("Vis på kanterne", "Show on the edges"),
    "frequency": ("Hyppighed", "Frequency"),
    "performance": ("Ventetid (median)", "Waiting time (median)"),
    "n_transitions": ("Overgange", "Transitions"),
    "median_wait_hours": ("Median ventetid", "Median wait"),
    "variants": ("Varianter", "Variants"),
    "share_of_cases": ("Andel af sagerne", "Share of cases"),
    "steps": ("Trin", "Steps"),
    "highlights": ("Hvor skal vi sætte ind?", "Where to act?"),
    "contact_cost_dkk": ("Henvendelser (kr.)", "Contacts (DKK)"),
    "contact_hours": ("Tid på henvendelser (timer)", "Time on contacts (hours)"),
    "wait": ("Venten", "Wait"),
    "one_wait": ("Se én venten nærmere", "Look closer at one wait"),
    "distribution": ("Fordeling (dage, antal ventener)", "Distribution (days, number of waits)"),
    "n_waits": ("Ventener", "Waits"),
    "trend_months": ("Median ventetid måned for måned (dage)", "Median wait month by month (days)"),
    "per_org_unit": ("Pr. enhed (den enhed, der havde næste trin)", "Per org unit (the unit that did the next step)"),
    "cases_waiting": ("De sager, der ventede længst", "The cases that waited longest"),
    "case": ("Sag", "Case"),
    "days_waited": ("Ventede (dage)", "Waited (days)"),
    "wait_started": ("Ventetiden begyndte", "Wait began"),
    "rework_hours": ("Omarbejde (timer)", "Rework (hours)"),
    "n_rework_events": ("Gange gjort igen", "Times done again"),
    "n_cases_with_rework": ("Sager med omarbejde", "Cases with rework"),
    "n_repeat": ("Gentaget af samme", "Repeated by the same person"),
    "n_redo": ("Gjort om af en anden", "Redone by another person"),
    "n_self_loop": ("Straks igen", "Again at once"),
    "n_loop_back": ("Tilbage i processen", "Back in the process"),
    "n_contacts": ("Henvendelser", "Contacts"),
    "n_phone": ("Telefon", "Phone"),
    "n_email": ("E-mail", "E-mail"),
    "n_digital_post": ("Digital Post", "Digital Post"),
    "n_visit": ("Personligt fremmøde", "Visit"),
    "calls_per_wait": ("Hvilke ventetider får borgerne til at henvende sig?",
                       "Which waits make citizens get in touch?"),
    "n_inbound": ("Henvendelser fra borgeren", "Contacts from the citizen"),
    "waiting_weeks": ("Ventetid i alt (uger)", "Waiting in all (weeks)"),
    "inbound_per_waiting_week": ("Henvendelser pr. venteuge", "Contacts per week of waiting"),
    "n_citizens": ("Borgere", "Citizens"),
    "share_several_processes": ("Borgere i flere processer", "Citizens in several processes"),
    "median_units": ("Enheder pr. borger (median)", "Org units per citizen (median)"),
    "contacts_per_citizen": ("Henvendelser pr. borger", "Contacts per citizen"),
    "n_org_units": ("Enheder borgeren mødte", "Org units the citizen met"),
    "n_handovers": ("Overdragelser mellem enheder", "Handovers between units"),
    "one_citizen": ("Én borgers rejse", "One citizen's journey"),
    "citizen_pseudonym": ("Borger (pseudonym)", "Citizen (pseudonym)"),
    "time": ("Tidspunkt", "Time"),
    "handovers": ("Overdragelser: fra enhed (rækker) til enhed (kolonner)",
                  "Handovers: from unit (rows) to unit (columns)"),
    "no_conformance": ("Ingen proces har en tilsigtet model (BPMN) endnu: angiv `bpmn` for processen i "
                       "vaerdistrom.toml.",
                       "No process has an intended model (BPMN) yet: set `bpmn` for the process in "
                       "vaerdistrom.toml."),
    "fitness": ("Fitness", "Fitness"),
    "fitness_method": ("Målt ved", "Measured by"),
    "precision": ("Præcision", "Precision"),
    "share_fitting": ("Sager der følger modellen", "Cases that fit the model"),
    "deviations_ranked": ("Afvigelser efter hvad de koster", "Deviations by what they cost"),
    "kind": ("Slags", "Kind"),
    "inserted": ("Ekstra trin", "Inserted step"),
    "skipped": ("Sprunget over", "Skipped step"),
    "wrong_order": ("Forkert rækkefølge", "Wrong order"),
    "extra_median_lead_time_days": ("Ekstra median gennemløbstid (dage)", "Extra median lead time (days)"),
    "mean_cost_dkk_without": ("Gns. omkostning uden afvigelsen", "Mean cost without the deviation"),
    "rules": ("Regler", "Rules"),
    "no_rules": ("Ingen regler er sat op i vaerdistrom.toml.", "No rules are set up in vaerdistrom.toml."),
    "rule": ("Regel", "Rule"),
    "n_kept": ("Overholdt", "Kept"),
    "n_violated": ("Brudt", "Violated"),
    "n_pending": ("Afventer", "Pending"),
    "share_kept": ("Andel overholdt", "Share kept"),
    "compare_by": ("Sammenlign", "Compare"),
    "period": ("Periode mod periode", "Period against period"),
    "one_unit_only": ("Processen har kun én enhed.", "The process has only one org unit."),
    "measure": ("Mål", "Measure"),
    "n_cases_listed": ("{n} sager (de 500 længste vises; hent dem alle som CSV)",
                       "{n} cases (the 500 longest are shown; download them all as CSV)"),
    "started": ("Begyndt", "Started"),
    "lead_time_days": ("Gennemløbstid (dage)", "Lead time (days)"),
    "waiting_days": ("Ventetid (dage)", "Waiting (days)"),
    "cost_dkk": ("Omkostning", "Cost"),
    "n_events": ("Hændelser", "Events"),
    "deadline_status": ("Frist", "Deadline"),
    "one_case": ("Én sags forløb", "One case's timeline"),
    "lifecycle": ("Livscyklus", "Lifecycle"),
    "resource": ("Medarbejder", "Resource"),
    "contacts_on_case": ("Henvendelser om sagen", "Contacts about the case"),
    "channel": ("Kanal", "Channel"),
    "direction": ("Retning", "Direction"),
    "month": ("Måned", "Month"),
    "days": ("dage", "days"),
    "hours": ("timer", "hours"),
    "kr": ("kr.", "DKK"),
}


def t(key: str, lang: str, **values) -> str:
    """The label `key` in `lang` ('da' or 'en'), with `values` put into its `{placeholders}`."""
    da, en = TEXT[key]
    text = da if lang == "da" else en
    return text.format(**values) if values else text


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def number(x: float | int | None, lang: str, decimals: int = 1) -> str:
    """`x` with thousands separators and `decimals` decimals in the language's style; '–' when missing."""
    if _missing(x):
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    return format_decimal(x, format=pattern, locale=LOCALES[lang])


def percent(x: float | None, lang: str, decimals: int = 1) -> str:
    """A share (0.25) as a percentage in the language's style ('25,0 %' in Danish, '25.0%' in English)."""
    if _missing(x):
        return "–"
    pattern = Locale.parse(LOCALES[lang]).percent_formats[None].pattern  # '#,##0 %' in Danish, '#,##0%' in English
    if decimals > 0:
        pattern = re.sub(r"0(?!.*0)", "0." + "0" * decimals, pattern)
    return format_percent(x, format=pattern, locale=LOCALES[lang])


def kroner(x: float | None, lang: str) -> str:
    """An amount in Danish kroner, without øre ('12.345 kr.' / 'DKK 12,345')."""
    if _missing(x):
        return "–"
    value = number(x, lang, 0)
    return f"{value} kr." if lang == "da" else f"DKK {value}"


def days(x: float | None, lang: str, decimals: int = 1) -> str:
    """A number of days with its unit."""
    return "–" if _missing(x) else f"{number(x, lang, decimals)} {t('days', lang)}"


def date(x: dt.date | dt.datetime | None, lang: str) -> str:
    """A date in the language's medium style ('23. nov. 2026' / '23 Nov 2026')."""
    if x is None:
        return "–"
    return format_date(x, format="medium", locale=LOCALES[lang])
