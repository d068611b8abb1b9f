"""Edges, each in plain words: control characters in file names are escaped wherever the CLI prints them;
Pillow's log lines about a broken file stay out of the terminal (the skip reason says it); a regular file
where the data folder needs a folder gives a clear message."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from photosearch.terminal import shown
from tests.reliability._util import install_model, make_photos, run_cli


def test_shown_escapes_control_characters() -> None:
    assert shown("a\x1b[31mred\x1b[0m.jpg") == "a\\x1b[31mred\\x1b[0m.jpg"
    assert shown("two\nlines\r.jpg") == "two\\x0alines\\x0d.jpg"
    assert shown("evil\u202egpj.exe") == "evil\\u202egpj.exe"
    assert shown("café 写真.jpg") == "café 写真.jpg"  # ordinary text untouched


def test_file_names_with_escape_sequences_are_printed_escaped(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    install_model(data_dir, tiny_model)
    photos = tmp_path / "photos"
    src = make_photos(photos / "src", 2)
    nasty = ["\x1b[31mred\x1b[0m.jpg", "title\x1b]0;pwned\x07.jpg", "new\nline.jpg"]
    for name, s in zip(nasty[:2], src, strict=True):
        s.rename(photos / name)
    (photos / nasty[2]).write_bytes(b"%!PS-Adobe-3.0\n")  # skipped, so listed with its (escaped) name
    (photos / "src").rmdir()
    r = run_cli(data_dir, "index", "--add", str(photos))
    assert r.returncode == 0, r.stderr
    outputs = [r.stdout + r.stderr]
    for args in (("status",), ("search", "-k", "5", "a red circle"), ("doctor",)):
        r = run_cli(data_dir, *args)
        outputs.append(r.stdout + r.stderr)
    text = "".join(outputs)
    assert "\x1b" not in text and "\x07" not in text, repr(text)
    assert "\\x1b[31mred" in text  # shown, escaped
    assert "new\\x0aline.jpg" in text  # the skipped file, on one line
    # --json keeps the exact name (JSON escapes it itself)
    status = json.loads(run_cli(data_dir, "status", "--json").stdout)
    assert any(s["path"].endswith("new\nline.jpg") for s in status["skipped"])


def _tiff_with_too_many_samples(path: Path) -> None:
    """A small TIFF whose header claims 1000 samples per pixel (Pillow logs an error, then refuses it)."""
    entries = [
        (256, 3, 1, 4),
        (257, 3, 1, 4),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 8),
        (277, 3, 1, 1000),
        (278, 3, 1, 4),
        (279, 4, 1, 16),
    ]
    ifd_at = 8 + 16
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, value in entries:
        ifd += struct.pack("<HHI", tag, typ, count) + (
            struct.pack("<HH", value, 0) if typ == 3 else struct.pack("<I", value)
        )
    ifd += struct.pack("<I", 0)
    path.write_bytes(b"II*\x00" + struct.pack("<I", ifd_at) + b"\x80" * 16 + ifd)


def test_pillow_log_lines_stay_out_of_the_terminal(tmp_path: Path, data_dir: Path, tiny_model: Path) -> None:
    install_model(data_dir, tiny_model)
    photos = tmp_path / "photos"
    make_photos(photos, 1)
    _tiff_with_too_many_samples(photos / "broken.tif")
    r = run_cli(data_dir, "index", "-q", "--add", str(photos))
    assert r.returncode == 0, r.stderr
    assert "More samples per pixel" not in r.stderr and "PIL" not in r.stderr, r.stderr
    skipped = {
        Path(s["path"]).name: s["reason"]
        for s in json.loads(run_cli(data_dir, "status", "--json").stdout)["skipped"]
    }
    assert "broken.tif" in skipped and skipped["broken.tif"]
    r = run_cli(data_dir, "-v", "status")  # with -v the detail is in the log output
    assert r.returncode == 0


def test_a_file_named_thumbs_in_the_data_folder_gets_a_clear_message(
    tmp_path: Path, data_dir: Path, tiny_model: Path
) -> None:
    install_model(data_dir, tiny_model)
    (data_dir / "thumbs").rmdir()
    (data_dir / "thumbs").write_text("not a folder")
    photos = tmp_path / "photos"
    make_photos(photos, 1)
    r = run_cli(data_dir, "index", "-q", "--add", str(photos))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "thumbs is a file" in r.stderr and "move or rename" in r.stderr, r.stderr
