"""Re-apply H-models' hunks onto wt-app's restructured files in a merged checkout (cwd)."""

import re
import subprocess
import sys
from pathlib import Path


def edit(p, pairs):
    s = Path(p).read_text()
    for old, new in pairs:
        if old not in s:
            sys.exit(f"{p}: not found: {old[:80]!r}")
        s = s.replace(old, new, 1)
    Path(p).write_text(s)


mine = (
    subprocess.run(["git", "show", "wt-models:photosearch/cli.py"], capture_output=True, text=True).stdout
    or Path("/work/wt-models/photosearch/cli.py").read_text()
)
block = mine[mine.index("def cmd_models(") : mine.index("def cmd_doctor(")].rstrip() + "\n"
p = "photosearch/cli/models_cmd.py"
s = Path(p).read_text()
s = s[: s.index("def cmd_models(")] + block
s = s.replace(
    "from photosearch.errors import QueryError", "from photosearch.errors import PhotoSearchError, QueryError"
)
Path(p).write_text(s)

edit(
    "photosearch/cli/__init__.py",
    [
        (
            """    m.add_argument("-q", "--quiet", action="store_true", help="no progress bar")""",
            """    m.add_argument("--dry-run", action="store_true", help="(install) print the exact URLs it would request")
    m.add_argument(
        "--allow-unverified",
        action="store_true",
        help="(install) accept files for which neither the registry nor the hub gives a hash",
    )
    m.add_argument("-q", "--quiet", action="store_true", help="no progress bar")""",
        ),
        (
            """    s.add_argument("--fusion", default="product", choices=["product", "slerp", "sum"])""",
            """    s.add_argument("--fusion", default="product", choices=["product", "slerp", "sum"])
    s.add_argument(
        "--lang",
        help="language of the query, for multilingual models (e.g. de, fr_FR, deu_Latn; default: the locale's)",
    )""",
        ),
    ],
)
edit(
    "photosearch/cli/search_cmds.py",
    [
        (
            """    query = _query(args, text, images, weight=args.weight, fusion=args.fusion)""",
            """    from photosearch.app.models import apply_query_language

    apply_query_language(_paths(args), getattr(args, "lang", None))  # NLLB: the query's FLORES-200 code
    query = _query(args, text, images, weight=args.weight, fusion=args.fusion)""",
        ),
    ],
)
edit(
    "photosearch/gui/main_window.py",
    [
        (
            """    def _open_library(self) -> None:
        paths = self.paths
""",
            """    def _open_library(self) -> None:
        from photosearch.app.models import apply_query_language

        paths = self.paths
        apply_query_language(paths)  # the query language chosen in the model manager
""",
        ),
        (
            """    def _engine_loaded(self) -> None:
""",
            """    def _engine_loaded(self) -> None:
        eng = self.search.engine
        if eng is not None:  # the active model's name, visible in the window
            self.setWindowTitle(f"PhotoSearch — {eng.runtime.package.manifest.name}")
""",
        ),
        (
            """    @property
    def model_dialog(self) -> ModelDialog | None:
        return self.models.dialog
""",
            '''    @property
    def model_dialog(self) -> ModelDialog | None:
        return self.models.dialog

    def open_model_manager(self) -> Any:
        """⚙ → Models…: the model manager (install, import, switch, remove)."""
        from photosearch.gui.model_manager import ModelManagerDialog

        self.model_manager = ModelManagerDialog(self, self)
        self.model_manager.open()
        return self.model_manager

    def model_changed(self) -> None:
        self.models.load_engine()  # the old engine serves until the new one is loaded
''',
        ),
        (
            '''"Choose a model package folder (with manifest.json)"''',
            '''"Choose a model folder (any supported layout)"''',
        ),
    ],
)
edit(
    "photosearch/gui/folder_controller.py",
    [
        (
            """    def show_skipped(self) -> SkippedDialog:""",
            '''    def open_model_manager(self) -> Any:
        """The folders dialog's "Models…" button."""
        return self.host.open_model_manager()  # type: ignore[attr-defined]

    def show_skipped(self) -> SkippedDialog:''',
        ),
    ],
)
s = Path("photosearch/gui/model_controller.py").read_text()
s = s.replace(
    """        from photosearch.models.install import install_package_dir

        models_dir = self.host.paths.models_dir
""",
    """        from photosearch.app.models import import_model

        paths = self.host.paths
""",
    1,
)
s = re.sub(
    r"install_package_dir\(src, models_dir\)",
    "import_model(src, paths)[0]  # any supported layout",
    s,
    count=1,
)
s = s.replace(
    """                lib.set_active_model(model_id)""",
    """                from photosearch.app.models import use_model

                use_model(lib, model_id)  # the background switch when another model is active""",
    1,
)
Path("photosearch/gui/model_controller.py").write_text(s)
edit(
    "tests/unit/test_architecture.py",
    [
        (
            """    "photosearch/models/registry.py",  # PHOTOSEARCH_REGISTRY
""",
            "",
        ),
        (
            """    "photosearch/models/download.py",  # PHOTOSEARCH_HUB_URL
""",
            "",
        ),
    ],
)
edit(
    "photosearch/models/hub.py",
    [
        (
            """    return (os.environ.get(ENV_HUB_URL) or os.environ.get(ENV_HF_ENDPOINT) or DEFAULT_HUB_URL).rstrip("/")""",
            """    from photosearch.config import setting

    return (setting(ENV_HUB_URL) or setting(ENV_HF_ENDPOINT) or DEFAULT_HUB_URL).rstrip("/")""",
        ),
    ],
)
edit(
    "photosearch/models/registry.py",
    [
        (
            """    env = os.environ.get(ENV_REGISTRY)""",
            """    from photosearch.config import setting

    env = setting(ENV_REGISTRY)""",
        ),
        ("import os\n", ""),
    ],
)
print("ported")

# model switching lives in indexing/ after wt-app (models/switching.py is a re-export shim there)
for p in ("photosearch/app/models.py", "photosearch/gui/model_manager.py"):
    s = Path(p).read_text()
    Path(p).write_text(s.replace("photosearch.models.switching", "photosearch.indexing.switching"))
print("switching imports moved")

# H-models' modules are fully annotated now: they leave wt-app's mypy override list
s = Path("pyproject.toml").read_text()
for mod in ('    "photosearch.models.adapters",\n', '    "photosearch.models.download",\n'):
    s = s.replace(mod, "", 1)
Path("pyproject.toml").write_text(s)
print("mypy overrides trimmed")
