"""The core never imports Qt: only photosearch/gui/ may (the CLI and the indexing service run headless).
The GUI never touches SQLite or hnswlib directly: it goes through the library, engine and service."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "photosearch"
QT_MODULES = ("PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "shiboken2", "qtpy", "sip")
STORAGE_MODULES = ("sqlite3", "hnswlib")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name):
            # importlib.import_module("PySide6...") / __import__("PySide6")
            name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if name in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
                out.add(str(node.args[0].value))
    return out


def _hits(mods: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(m for m in mods if m.split(".")[0] in banned)


def test_no_qt_import_outside_the_gui_package() -> None:
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if (PACKAGE / "gui") in path.parents:
            continue
        hits = _hits(imported_modules(path), QT_MODULES)
        if hits:
            offenders[str(path.relative_to(ROOT))] = hits
    assert not offenders, f"Qt imported outside photosearch/gui/: {offenders}"


def test_the_gui_does_not_touch_sqlite_or_hnswlib() -> None:
    offenders = {}
    for path in (PACKAGE / "gui").rglob("*.py"):
        hits = _hits(imported_modules(path), STORAGE_MODULES)
        if hits:
            offenders[str(path.relative_to(ROOT))] = hits
    assert not offenders, f"the GUI imports storage modules directly: {offenders}"


def test_the_checker_sees_imports() -> None:
    sample = ROOT / "photosearch" / "gui" / "main_window.py"
    assert "PySide6.QtWidgets" in imported_modules(sample)


def test_importing_the_core_loads_no_qt() -> None:
    code = (
        "import sys\n"
        "import photosearch.cli, photosearch.search.engine, photosearch.indexing.pipeline\n"
        "import photosearch.library.library\n"
        "try:\n    import photosearch.indexing.service\nexcept ImportError:\n    pass\n"
        f"qt = sorted(m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r})\n"
        "print(','.join(qt))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"Qt modules loaded by the core: {out.stdout.strip()}"
