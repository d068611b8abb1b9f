"""The first run suggests the folders where photos usually are: Pictures and DCIM on an attached phone or
card — only those that exist, and none an added folder already covers."""

from __future__ import annotations

from pathlib import Path

from photosearch.app.folders import suggested_folders
from photosearch.config import Paths
from photosearch.library.library import Library


def test_pictures_and_a_cards_dcim_are_suggested(tmp_path: Path) -> None:
    pictures = tmp_path / "home" / "Pictures"
    pictures.mkdir(parents=True)
    card, phone, stick = (
        tmp_path / "media" / "CARD",
        tmp_path / "media" / "PHONE",
        tmp_path / "media" / "STICK",
    )
    (card / "DCIM" / "100CANON").mkdir(parents=True)
    (phone / "dcim").mkdir(parents=True)
    stick.mkdir(parents=True)  # no DCIM: not suggested
    got = suggested_folders(pictures=pictures, media_roots=[card, phone, stick])
    assert got == [str(pictures), str(card / "DCIM"), str(phone / "dcim")]
    assert suggested_folders(pictures=tmp_path / "nowhere", media_roots=[]) == []


def test_folders_already_covered_are_not_suggested(tmp_path: Path, data_dir: Path) -> None:
    pictures = tmp_path / "Pictures"
    (pictures / "2024").mkdir(parents=True)
    card = tmp_path / "CARD"
    (card / "DCIM").mkdir(parents=True)
    with Library(Paths.resolve(data_dir), write=True, purpose="test") as lib:
        lib.add_folder(pictures)
        assert suggested_folders(lib, pictures=pictures, media_roots=[card]) == [str(card / "DCIM")]
