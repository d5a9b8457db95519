"""The loaders, on real files: small fixtures written here, the sample corpus, and the shared corpora."""

from __future__ import annotations

import json
import re
import tracemalloc
from dataclasses import fields as dataclass_fields
from datetime import date
from itertools import islice
from pathlib import Path

import pytest

from embeddings.load import SUPPORTED_SUFFIXES, FieldMap, LoadError, iter_releases, parse_date, parse_dateline
from embeddings.types import Release
from tests.conftest import SAMPLES
from tests.conftest import shared_path as shared


def load(*paths: str | Path, **kwargs: object) -> tuple[list[Release], list[LoadError]]:
    releases: list[Release] = []
    errors: list[LoadError] = []
    for item in iter_releases(paths, **kwargs):  # type: ignore[arg-type]
        (releases if isinstance(item, Release) else errors).append(item)  # type: ignore[arg-type]
    return releases, errors


def one(*paths: str | Path, **kwargs: object) -> Release:
    releases, errors = load(*paths, **kwargs)
    assert errors == []
    assert len(releases) == 1
    return releases[0]


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding=encoding, newline="")
    return path


def words(text: str) -> list[str]:
    return text.split()


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("KABUL, Afghanistan (Jan. 25, 2013)\nDuring a security operation", date(2013, 1, 25)),
        ("WASHINGTON, Aug. 19, 2020 - The Department announced", date(2020, 8, 19)),
        ("WASHINGTON – Aug. 19, 2020 – The Department announced", date(2020, 8, 19)),
        ("The cargo was handed over on August 19, 2020.", date(2020, 8, 19)),
        ("LONDON, 19 August 2020 — The trust said", date(2020, 8, 19)),
        ("Released 2020-08-19 by the press office", date(2020, 8, 19)),
        ("KABUL, Afghanistan (Sept. 25, 2011)", date(2011, 9, 25)),
        ("KABUL, Afghanistan (Sept 25, 2011)", date(2011, 9, 25)),
        ("RIVERTON, Sep. 3, 2024 —", date(2024, 9, 3)),
        ("WHEN: FRIDAY, MARCH 31, 2017", date(2017, 3, 31)),
        ("the 4th of July, 2019", date(2019, 7, 4)),
        # no year in the dateline: the ISAF reference code above it gives one
        ("2010-08-CA-256 For Immediate Release\nKABUL, Afghanistan (Aug. 22) - An Afghan", date(2010, 8, 22)),
        ("2009-12-CA–072\nDec. 17: Militants Detained", date(2009, 12, 17)),
        ("2011-01-S-004\nKABUL, Afghanistan (Dec. 31) - Forces", date(2010, 12, 31)),
    ],
)
def test_parse_dateline_finds_the_date(text: str, expected: date) -> None:
    assert parse_dateline(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Call 555-1234 before 2020 ends; case 18-484 covers 12 3 2020.",
        "2013-01-S-025\n\nThe operation took place in Ghazni.",  # a reference code alone is no date
        "KABUL, Afghanistan (Feb. 07)\nNo year anywhere.",
        "Revenue reached 2,019 units in March.",
        "Marches 3, 2020 were held",  # not a month name
        "On Feb. 30, 2020 nothing happened",  # not a real day
        "",
    ],
)
def test_parse_dateline_ignores_numbers_that_are_not_dates(text: str) -> None:
    assert parse_dateline(text) is None


def test_parse_dateline_only_reads_the_head() -> None:
    assert parse_dateline("x" * 700 + " August 19, 2020") is None


@pytest.mark.parametrize(
    ("expected", "forms"),
    [
        (date(2018, 4, 13), ["2018-04-13", "2018-04-13T00:00:00-04:00"]),
        (date(2013, 1, 25), ["Jan. 25, 2013"]),
        (date(2019, 9, 5), ["Sept. 5, 2019", "5 Sept 2019"]),
        (date(2024, 3, 5), ["Tuesday, 5 March 2024"]),
        (date(2023, 2, 15), ["15/02/2023"]),
        (date(2021, 6, 8), [date(2021, 6, 8)]),
    ],
)
def test_parse_date(expected: date, forms: list[object]) -> None:
    assert [parse_date(form) for form in forms] == [expected] * len(forms)


# "March 2024" has no day: it is not guessed.
@pytest.mark.parametrize("value", ["March 2024", "2024", "TBD", "", None, 20240303])
def test_parse_date_guesses_nothing_without_a_whole_date(value: object) -> None:
    assert parse_date(value) is None


# --- text and markdown ---------------------------------------------------------------------------


def test_txt_with_dateline(tmp_path: Path) -> None:
    body = (
        "Riverton Opens New Ferry Pier\n\n"
        "RIVERTON, March 3, 2024 — The council opened the $2 million pier today.\n\n"
        "It has 12 berths."
    )
    release = one(write(tmp_path / "pier_2024.txt", body + "\n\n"))
    assert release.id == "pier_2024"
    assert release.title == "Riverton Opens New Ferry Pier"
    assert release.date == date(2024, 3, 3)
    assert release.text == body  # the title line stays in the text; surrounding blank space goes
    assert release.organisation is None  # a dateline city is not an organisation
    assert release.origin == str(tmp_path / "pier_2024.txt")


def test_txt_title_skips_boilerplate_and_long_first_lines_become_a_sentence(tmp_path: Path) -> None:
    first = (
        "JSC Example (part of the Example Group) has donated medical supplies to the Republic of Peru "
        "to fight COVID-19 as part of its humanitarian activities. More text follows here."
    )
    release = one(write(tmp_path / "000_046ecda70bd87ce3.txt", f"Press release\n{first}\nOn August 19, 2020."))
    assert release.id == "000_046ecda70bd87ce3"
    assert release.title.startswith("JSC Example (part of the Example Group) has donated")
    assert len(release.title) <= 120
    assert release.title.endswith("…")
    assert release.date == date(2020, 8, 19)
    assert release.text.startswith("Press release\n")


def test_seed_release_loads_with_its_id_and_date() -> None:
    release = one(shared("seed/000_046ecda70bd87ce3.txt"))
    assert release.id == "000_046ecda70bd87ce3"
    assert release.date == date(2020, 8, 19)
    assert "Rosoboronexport" in release.title
    assert "Alexander Mikheev" in release.text


def test_md_front_matter(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.md",
        '---\r\nid: hu-2025-7\r\ntitle: "Halden Wins Award"\r\ndate: January 17, 2025\r\n'
        "organization: Halden University\r\ntags: [x, y]\r\n---\r\n\r\n# Halden Wins Award\r\n\r\n"
        "The award is worth $10,000.\r\n",
    )
    release = one(path)
    assert release.id == "hu-2025-7"
    assert release.title == "Halden Wins Award"
    assert release.date == date(2025, 1, 17)
    assert release.organisation == "Halden University"
    assert release.text == "# Halden Wins Award\n\nThe award is worth $10,000."


def test_md_without_front_matter_takes_the_heading(tmp_path: Path) -> None:
    release = one(write(tmp_path / "b.md", "## Nimbus Ships Version 6\n\nASHFORD, 2 May 2023 — It shipped."))
    assert release.title == "Nimbus Ships Version 6"
    assert release.text.startswith("## Nimbus Ships Version 6")
    assert release.date == date(2023, 5, 2)


def test_front_matter_date_wins_over_dateline_and_source_names_organisation(tmp_path: Path) -> None:
    text = "---\ndate: 2021-01-02\nsource: City Council\n---\nTitle\n\nRIVERTON, March 3, 2024 — Body."
    release = one(write(tmp_path / "c.txt", text))
    assert release.date == date(2021, 1, 2)
    assert release.organisation == "City Council"


def test_isaf_header_gives_organisation_but_not_from_body(tmp_path: Path) -> None:
    isaf = one(write(tmp_path / "a.txt", "2011-11-S-034\nISAF Joint Command - Afghanistan\n\nKABUL (x)\nText."))
    assert isaf.organisation == "ISAF"
    late = one(write(tmp_path / "b.txt", "Title\n\nOne.\n\nTwo.\n\nThree.\n\nLater ISAF said so."))
    assert late.organisation is None


# --- html ------------------------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Harbour Ferry Returns | News | Riverton Ferries</title>
<meta property="og:site_name" content="Riverton Ferries">
<meta property="article:published_time" content="2023-07-01T10:00:00Z">
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/timetables">Timetables</a></li>
<li><a href="/tickets">Buy tickets online</a></li></ul></nav></header>
<main><article>
<h1>Harbour Ferry Returns</h1>
<p>RIVERTON, July 1, 2023 — The harbour ferry returned to service today after a six-month
refit costing $780,000, carrying 412 passengers on its first day between Quay Point and Eastfield.</p>
<p>The refitted vessel, the MV Heron, now has space for 24 bicycles and a fully accessible lower deck,
and runs every 20 minutes from 6 a.m. to 10 p.m. on weekdays and 8 a.m. to 11 p.m. at weekends.</p>
<p>&ldquo;Passengers told us they wanted bikes on board,&rdquo; said operations manager Alan Brooke,
who has worked on the harbour ferries for 22 years. Fares are unchanged at $3.40 for a single crossing.</p>
</article></main>
<footer><p>Copyright 2019 Riverton Ferries. Privacy policy. Cookie settings.</p></footer>
</body></html>
"""


def test_html_main_text_without_chrome(tmp_path: Path) -> None:
    release = one(write(tmp_path / "ferry.html", PAGE))
    assert release.id == "ferry"
    assert release.title == "Harbour Ferry Returns"
    assert release.date == date(2023, 7, 1)
    assert release.organisation == "Riverton Ferries"
    assert release.text.startswith("RIVERTON, July 1, 2023")
    assert "$780,000" in release.text and "$3.40" in release.text
    for chrome in ("Timetables", "Buy tickets", "Copyright", "Cookie settings"):
        assert chrome not in release.text
    assert len(release.text.split("\n\n")) == 3  # one paragraph per <p>, blank line between


def test_html_date_is_not_guessed_from_a_copyright_line(tmp_path: Path) -> None:
    page = PAGE.replace('<meta property="article:published_time" content="2023-07-01T10:00:00Z">', "")
    page = page.replace("RIVERTON, July 1, 2023 — ", "")
    assert one(write(tmp_path / "ferry.htm", page)).date is None


# --- records: json, jsonl, csv ---------------------------------------------------------------------

RECORDS = [
    {
        "release_id": 1589,
        "Headline": " First  Headline ",
        "published_at": "2019-03-04",
        "Body": "One.\n\nTwo.",
        "agency": "Port Authority",
        "url": "https://example.org/a",
    },
    {
        "headline": "Second",
        "content": "WASHINGTON, Aug. 19, 2020 — Text.",
        "components": ["Tax Division", "X"],
    },
]


def test_jsonl_common_field_names(tmp_path: Path) -> None:
    path = write(tmp_path / "feed.jsonl", "\n".join(json.dumps(r) for r in RECORDS) + "\n\n")
    first, second = load(path)[0]
    assert (first.id, first.title, first.date, first.text) == (
        "1589",
        "First Headline",
        date(2019, 3, 4),
        "One.\n\nTwo.",
    )
    assert (first.organisation, first.origin) == ("Port Authority", "https://example.org/a")
    # no id: stem and line number; no date field: the dateline; a list: its first element
    assert (second.id, second.date, second.organisation) == ("feed-2", date(2020, 8, 19), "Tax Division")
    assert second.origin == f"{path}#2"


@pytest.mark.parametrize("wrap", [lambda r: r, lambda r: {"releases": r}, lambda r: {"meta": {}, "stuff": r}])
def test_json_list_or_wrapped_list(tmp_path: Path, wrap: object) -> None:
    releases, errors = load(write(tmp_path / "feed.json", json.dumps(wrap(RECORDS))))  # type: ignore[operator]
    assert errors == []
    assert [r.id for r in releases] == ["1589", "feed-2"]


def test_json_single_object_is_one_release(tmp_path: Path) -> None:
    release = one(write(tmp_path / "single.json", json.dumps({"title": "T", "text": "Body text."})))
    assert (release.id, release.title, release.origin) == ("single", "T", str(tmp_path / "single.json"))


def test_json_text_as_list_of_paragraphs(tmp_path: Path) -> None:
    release = one(write(tmp_path / "p.json", json.dumps([{"title": "T", "text": ["One.", "Two."]}])))
    assert release.text == "One.\n\nTwo."


def test_fieldmap_overrides_names(tmp_path: Path) -> None:
    record = {"key": "k1", "heading": "H", "when": "2022-02-02", "story": "S.", "by": "Org", "text": "not me"}
    path = write(tmp_path / "x.jsonl", json.dumps(record))
    fields = FieldMap(id="key", title="heading", date="when", text="story", organisation="by")
    release = one(path, fields=fields)
    assert (release.id, release.title, release.date, release.text, release.organisation) == (
        "k1", "H", date(2022, 2, 2), "S.", "Org",
    )  # fmt: skip


def test_csv_records(tmp_path: Path) -> None:
    path = write(
        tmp_path / "t.csv",
        'ID,Title,Date,Organisation,Text\n7,A,2021-06-08,Uni,"Para one.\n\nPara two."\n,B,,,"B text, with comma"\n',
    )
    a, b = load(path)[0]
    assert (a.id, a.title, a.date, a.organisation, a.text) == (
        "7",
        "A",
        date(2021, 6, 8),
        "Uni",
        "Para one.\n\nPara two.",
    )
    assert (b.id, b.organisation, b.text, b.origin) == ("t-2", None, "B text, with comma", f"{path}#2")


def test_csv_semicolons(tmp_path: Path) -> None:
    release = one(write(tmp_path / "s.csv", 'title;body\nA;"Text; quoted"\n'))
    assert (release.title, release.text) == ("A", "Text; quoted")


# --- walking and bad input -------------------------------------------------------------------------


def test_folder_walk_is_recursive_sorted_and_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "B\n\nb.")
    write(tmp_path / "a" / "z.md", "Z\n\nz.")
    write(tmp_path / "a" / "notes.pdf", b"%PDF-1.4")
    write(tmp_path / ".hidden.txt", "H\n\nh.")
    write(tmp_path / ".git" / "c.txt", "C\n\nc.")
    write(tmp_path / "ABOUT", "not a release")
    releases, errors = load(tmp_path)
    assert errors == []
    assert [r.id for r in releases] == ["z", "b"]


def test_missing_and_unsupported_paths_are_errors(tmp_path: Path) -> None:
    pdf = write(tmp_path / "r.pdf", b"%PDF-1.4")
    good = write(tmp_path / "good.txt", "Good\n\nText.")
    releases, errors = load(tmp_path / "nope", pdf, good, tmp_path / "nope.txt")
    assert [r.id for r in releases] == ["good"]
    assert [e.reason for e in errors[::2]] == ["no such file or folder"] * 2
    assert errors[0].origin == str(tmp_path / "nope")
    assert errors[1].reason.startswith("unsupported file type '.pdf' (supported: ")


def test_bad_files_each_give_a_specific_error_and_the_rest_still_load(tmp_path: Path) -> None:
    write(tmp_path / "01_empty.txt", "")
    write(tmp_path / "02_blank.md", "  \n\n ")
    write(tmp_path / "03_binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(tmp_path / "04_big.txt", "Big\n\n" + "x" * 5000)
    write(tmp_path / "05_latin1.txt", "Caf\xe9 Opens\n\nThe caf\xe9 opened.", encoding="latin-1")
    write(tmp_path / "06_cp1252.txt", "\u201cQuoted\u201d Title\n\nText \u2013 more.", encoding="cp1252")
    write(tmp_path / "07_bom.txt", "\ufeffBOM Title\n\nText.")
    write(
        tmp_path / "08_lines.jsonl",
        '{"id": "ok1", "text": "a"}\n{"id": "bad", "text": \n[1, 2]\n{"id": "ok2", "text": "b"}\n',
    )
    write(tmp_path / "09_broken.json", '[{"text": "a"},\n {"text": }]')
    write(tmp_path / "10_notext.jsonl", '{"id": "n1", "title": "No body"}\n{"id": "n2", "text": "  "}\n')
    write(tmp_path / "11_nocol.csv", "id,headline,when\n1,A,2020-01-01\n")
    write(tmp_path / "12_empty.json", "[]")
    write(tmp_path / "13_frontonly.md", "---\ntitle: T\n---\n\n")
    write(tmp_path / "14_good.txt", "Good One\n\nRIVERTON, May 1, 2022 — Fine.")
    releases, errors = load(tmp_path, max_file_bytes=4096)
    by_origin = {Path(e.origin).name: e.reason for e in errors}
    assert by_origin == {
        "01_empty.txt": "empty file",
        "02_blank.md": "empty file (only whitespace)",
        "03_binary.txt": "binary file (contains NUL bytes), not text",
        "04_big.txt": "file is 5,005 bytes, over the 4,096 bytes limit (max_file_bytes)",
        "08_lines.jsonl#2": "line 2: invalid JSON (Expecting value at column 23)",
        "08_lines.jsonl#3": "line 3: expected a JSON object, got a list",
        "09_broken.json": "invalid JSON at line 2, column 11: Expecting value",
        "10_notext.jsonl#1": "record has no text field (looked for: text, body, content, article, full_text; "
        "fields: id, title)",
        "10_notext.jsonl#2": "record's 'text' field is empty",
        "11_nocol.csv": "no text column (looked for: text, body, content, article, full_text; "
        "columns are: id, headline, when)",
        "12_empty.json": "no records (the list is empty)",
        "13_frontonly.md": "no text after the front matter",
    }
    loaded = {r.id: r for r in releases}
    assert sorted(loaded) == ["05_latin1", "06_cp1252", "07_bom", "14_good", "ok1", "ok2"]
    assert loaded["05_latin1"].title == "Café Opens"
    assert loaded["06_cp1252"].title == "\u201cQuoted\u201d Title"
    assert loaded["07_bom"].title == "BOM Title"
    assert loaded["14_good"].date == date(2022, 5, 1)


def test_errors_are_single_lines(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", '{"text": "x\ny"}\n')
    errors = load(tmp_path)[1]
    assert errors and all("\n" not in e.reason and e.reason for e in errors)


def test_duplicate_ids_are_reported_once_loaded(tmp_path: Path) -> None:
    write(tmp_path / "a.jsonl", '{"id": 1, "text": "first"}\n{"id": "1", "text": "second"}\n')
    releases, errors = load(tmp_path)
    assert [r.text for r in releases] == ["first"]
    assert errors == [
        LoadError(f"{tmp_path / 'a.jsonl'}#2", f"duplicate id '1' (first loaded from {tmp_path / 'a.jsonl'}#1)")
    ]


def test_supported_suffixes() -> None:
    assert frozenset({".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv"}) == SUPPORTED_SUFFIXES


# --- the sample corpus -----------------------------------------------------------------------------


def test_sample_corpus_loads_fully() -> None:
    releases, errors = load(SAMPLES)
    assert errors == []
    assert len(releases) == 14
    assert len({r.id for r in releases}) == 14
    assert {Path(r.origin.split("#")[0]).suffix for r in releases} == {
        ".txt",
        ".md",
        ".html",
        ".jsonl",
        ".csv",
    }
    assert all(r.title and r.date and r.text for r in releases)
    assert {r.date.year for r in releases if r.date} == {2021, 2022, 2023, 2024, 2025}
    assert len({r.organisation for r in releases if r.organisation}) >= 5
    lengths = sorted(len(words(r.text)) for r in releases)
    assert lengths[-1] >= 1400  # the long one, for map-reduce summaries
    assert all(150 <= n <= 500 for n in lengths[:-1])
    assert all("\n\n" in r.text for r in releases)
    by_id = {r.id: r for r in releases}
    bridge = by_id["riverton_bridge_repair"]
    assert bridge.title == "Riverton Council Approves $4.8 Million Repair of Millbrook Bridge"
    assert bridge.date == date(2024, 3, 3)
    assert bridge.organisation == "Riverton City Council"
    assert "$4.8 million" in bridge.text
    assert "Accept all cookies" not in by_id["rta_night_buses"].text
    assert "RTA-2024-017" in by_id["rta_night_buses"].text
    assert by_id["rgh-2025-winter-vaccines"].date == date(2025, 9, 30)  # from its "Sept." dateline
    assert by_id["greenmarsh_otter_survey"].title.startswith("Otters Found")  # not "FOR IMMEDIATE RELEASE"


# --- the shared corpora ----------------------------------------------------------------------------


def test_doj_jsonl_first_200_records() -> None:
    path = shared("corpora/doj/releases.jsonl")
    with path.open(encoding="utf-8") as f:
        raw = [json.loads(line) for line in islice(f, 200)]
    items = list(islice(iter_releases([path]), 200))
    assert all(isinstance(i, Release) for i in items)
    for release, record in zip(items, raw, strict=True):
        assert isinstance(release, Release)
        assert release.id == str(record["id"])
        assert release.title == " ".join(record["title"].split())
        assert release.text == record["text"]
        assert release.date == date.fromisoformat(record["date"])
        assert release.organisation == (record["components"][0] if record["components"] else None)
        assert release.origin == record["url"]


def test_doj_jsonl_streams() -> None:
    path = shared("corpora/doj/releases.jsonl")
    tracemalloc.start()
    try:
        items = list(islice(iter_releases([path]), 200))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(items) == 200
    assert peak < path.stat().st_size / 5  # far less than the 52 MB file


def test_isaf_records_never_carry_annotations(tmp_path: Path) -> None:
    path = shared("corpora/isaf/releases.jsonl")
    with path.open(encoding="utf-8") as f:
        raw = [json.loads(line) for line in f]
    releases, errors = load(path)
    assert errors == []
    assert len(releases) == len(raw)
    assert "annotations" not in {f.name for f in dataclass_fields(Release)}
    for release, record in zip(releases, raw, strict=True):
        assert release.id == record["id"]
        assert release.text == record["text"]
        assert release.origin == f"{path}#{raw.index(record) + 1}"
    # The same records with different annotations, or none, give exactly the same releases.
    altered = tmp_path / "releases.jsonl"
    stripped = tmp_path / "stripped" / "releases.jsonl"
    stripped.parent.mkdir()
    altered.write_text(
        "".join(
            json.dumps({**r, "annotations": {"start_date": "1999-01-01", "title": "X", "province": ["nowhere"]}}) + "\n"
            for r in raw
        )
    )
    stripped.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "annotations"}) + "\n" for r in raw))
    for other in (altered, stripped):
        again = load(other)[0]
        assert [(r.id, r.title, r.text, r.date, r.organisation) for r in again] == [
            (r.id, r.title, r.text, r.date, r.organisation) for r in releases
        ]


def test_isaf_titles_dates_and_organisation() -> None:
    releases, _ = load(shared("corpora/isaf/releases.jsonl"))
    by_id = {r.id: r for r in releases}
    first = by_id["isaf-0000"]
    assert first.date == date(2013, 1, 25)  # the release's dateline, not the event date
    assert first.title.startswith("During a security operation in Andar district")
    assert by_id["isaf-0001"].organisation == "ISAF"
    boilerplate = re.compile(r"(?i)for immediate release|isaf joint command\s*-\s*afghanistan$|^\d{4}-\d\d-[A-Z]+-\d+$")
    for release in releases:
        assert release.title and len(release.title) <= 120
        assert not boilerplate.search(release.title), release.title
        assert not release.title.startswith("KABUL, Afghanistan ("), release.title
    assert sum(r.date is not None for r in releases) / len(releases) > 0.85
    assert {r.organisation for r in releases} <= {"ISAF", None}


def test_doj_html_sample_matches_jsonl() -> None:
    pages = sorted(shared("corpora/doj/html-sample").glob("release_*.html"))[:25]
    wanted = {int(p.stem.split("_")[1]) for p in pages}
    records: dict[int, dict[str, object]] = {}
    with shared("corpora/doj/releases.jsonl").open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record["id"] in wanted:
                records[record["id"]] = record
    releases, errors = load(*pages)
    assert errors == []
    assert len(releases) == len(pages) >= 20
    for release in releases:
        record = records[int(release.id.split("_")[1])]
        assert release.title == " ".join(str(record["title"]).split())
        assert release.date == date.fromisoformat(str(record["date"]))
        page_words = set(words(release.text))
        record_words = words(str(record["text"]))
        assert sum(w in page_words for w in record_words) / len(record_words) > 0.9
        assert not release.text.startswith(release.title)
        assert "\n\n" in release.text


def test_one_path_as_a_string_and_utf16_text(tmp_path: Path) -> None:
    path = write(tmp_path / "u16.txt", "\ufeffUTF-16 Title\n\nCaf\u00e9 text.", encoding="utf-16-le")
    release = one(str(path))
    assert (release.title, release.text) == ("UTF-16 Title", "UTF-16 Title\n\nCafé text.")


def test_jsonl_lines_are_decoded_one_by_one(tmp_path: Path) -> None:
    path = write(
        tmp_path / "mixed.jsonl",
        '{"text": "caf\u00e9"}\n'.encode() + '{"text": "na\u00efve"}\n'.encode("cp1252"),
    )
    releases, errors = load(path)
    assert errors == []
    assert [r.text for r in releases] == ["café", "naïve"]


# --- hostile input: each bad part fails alone, the rest loads -----------------------------------------


def test_a_pathologically_nested_jsonl_line_fails_alone(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "before", "text": "The first good record."}),
        "[" * 100_000,
        '{"id": "deep", "text": ' + "[" * 5_000 + "]" * 5_000 + "}",
        json.dumps({"id": "after", "text": "The record after the nested lines."}),
    ]
    path = write(tmp_path / "nested.jsonl", "\n".join(lines) + "\n")
    releases, errors = load(path)
    assert [r.id for r in releases] == ["before", "after"]
    assert [e.origin for e in errors] == [f"{path}#2", f"{path}#3"]
    assert all(e.reason.startswith(f"line {n}: JSON nested too deeply") for n, e in zip((2, 3), errors, strict=True))


def test_a_pathologically_nested_json_file_is_one_clear_error(tmp_path: Path) -> None:
    path = write(tmp_path / "nested.json", "[" * 100_000)
    good = write(tmp_path / "good.txt", "Good\n\nText.")
    releases, errors = load(path, good)
    assert [r.id for r in releases] == ["good"]
    assert [(e.origin, e.reason.split(" (")[0]) for e in errors] == [
        (str(path), "JSON nested too deeply to be a release")
    ]


def test_a_folder_1500_levels_deep_is_walked(tmp_path: Path, deep_folder: Path) -> None:
    write(deep_folder / "bottom.txt", "Bottom\n\nAt the bottom of a deep folder.")
    write(tmp_path / "deep" / "top.txt", "Top\n\nAt the top.")
    releases, errors = load(tmp_path / "deep")
    assert errors == []
    assert [r.id for r in releases] == ["bottom", "top"], "sorted path order: d/... sorts before top.txt"


def test_a_symlink_loop_is_walked_once(tmp_path: Path) -> None:
    write(tmp_path / "in" / "a" / "one.txt", "One\n\nThe one release.")
    (tmp_path / "in" / "a" / "loop").symlink_to(tmp_path / "in")
    releases, errors = load(tmp_path / "in")
    assert errors == [] and [r.id for r in releases] == ["one"]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("late.txt", b"Late NUL\n\n" + b"Plain text. " * 1000 + b"\x00\x00 binary tail"),
        ("late.md", b"# Late NUL\n\n" + b"Plain text. " * 1000 + b"\x00"),
        ("late.html", b"<html><body><p>" + b"Plain text. " * 1000 + b"\x00</p></body></html>"),
        ("late.csv", b"id,text\n1," + b"Plain text. " * 1000 + b"\x00\n"),
        ("utf16.txt", "\ufeffUTF-16 title\n\nText with a NUL \x00 in it.".encode("utf-16-le")),
    ],
    ids=["txt", "md", "html", "csv", "utf16"],
)
def test_nul_bytes_after_the_first_8_kb_are_refused_like_those_before(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = write(tmp_path / name, content)
    releases, errors = load(path)
    assert releases == []
    assert [e.reason for e in errors] == ["binary file (contains NUL bytes), not text"]


def test_nul_characters_in_a_record_are_refused_with_the_record(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", '{"id": "a", "text": "bin\\u0000ary"}\n{"id": "b", "text": "fine"}\n')
    releases, errors = load(path)
    assert [r.id for r in releases] == ["b"]
    assert [e.reason for e in errors] == ["record's text contains NUL characters (binary data), not text"]


def test_malformed_csv_gives_records_or_errors_never_an_exception(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.csv", 'id,title,text\n1,"Unclosed,quote\n2,Fine,Some text\n3,Extra,a,b,c\n4\n')
    releases, errors = load(path)
    assert releases or errors
    assert all("\n" not in e.reason for e in errors)
