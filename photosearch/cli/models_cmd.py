"""``photosearch models``: list, install, import, use, remove (H-models' part of the CLI, moved here verbatim
from cli.py when the CLI became a package)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

from photosearch.cli.output import LiveLine, ProgressLine, _emit, _open, _paths
from photosearch.errors import QueryError
from photosearch.progress import Progress, format_duration


def _mb(n: float | None) -> str:
    return "?" if n is None else f"{n / 1e6:,.1f} MB"


class DownloadBar(LiveLine):
    """Model download progress (``DownloadProgress``) as a live line with a bar."""

    def __init__(self, quiet: bool = False, stream: Any = None) -> None:
        super().__init__(stream, quiet)

    def __call__(self, p: Any) -> None:
        self.show(lambda: format_download(p), final=p.total is not None and p.done >= p.total)


def format_download(p: Any) -> str:
    parts = [f"Downloading {p.file} ({p.file_index + 1}/{p.file_count})", f"{_mb(p.done)} of {_mb(p.total)}"]
    if p.total:
        width = 24
        filled = int(width * p.done / p.total)
        parts.insert(1, "[" + "#" * filled + "-" * (width - filled) + f"] {100 * p.done / p.total:3.0f}%")
    if p.rate:
        parts.append(f"{p.rate / 1e6:.1f} MB/s")
    if p.eta is not None:
        parts.append(f"{format_duration(p.eta)} left")
    return "  ".join(parts)


def _run_switch(args: argparse.Namespace, lib: Any) -> str | None:
    from photosearch.models.switching import continue_switch
    from photosearch.progress import WorkControl

    control = WorkControl()
    line = ProgressLine(quiet=getattr(args, "quiet", False) or getattr(args, "json", False))
    final = None
    try:
        for p in continue_switch(lib, control):
            if p.phase == "switching":
                line(Progress("embedding", p.done, p.total, rate=p.rate, eta=p.eta, errors=p.errors))
            final = p
    except KeyboardInterrupt:
        control.cancel()
        print("interrupted; the switch resumes with 'photosearch index' or 'photosearch models use'",
              file=sys.stderr)
        return None
    finally:
        line.close()
    return final.phase if final else None


def cmd_models(args: argparse.Namespace) -> int:
    from photosearch.models.install import remove_package
    from photosearch.models.registry import load_registry
    from photosearch.models.switching import TARGET_MODEL_KEY, begin_switch, cancel_switch, switch_target

    paths = _paths(args)
    if args.action == "list":
        registry = load_registry()
        with _open(args) as lib:
            active = lib.active_model_id()
            target = switch_target(lib)
            installed = lib.installed_models()
            data = {"active": active, "switching_to": target, "default": registry.default,
                    "default_reason": registry.default_reason, "installed": [
                        {"id": m.id, "name": m.manifest.name, "family": m.manifest.family,
                         "dim": m.manifest.embedding_dim, "licence": m.manifest.licence,
                         "commercial_use": m.manifest.commercial_use, "languages": list(m.manifest.languages),
                         "embeddings": lib.catalog.count_embeddings(m.id)} for m in installed]}
        have = {m["id"] for m in data["installed"]}
        data["available"] = [e.to_json() for e in registry.models if e.id not in have]

        def human() -> Iterable[str]:
            yield "installed:" if data["installed"] else "installed: none (photosearch models install NAME, or import PATH)"
            for m in data["installed"]:
                mark = "*" if m["id"] == active else ">" if m["id"] == target else " "
                nc = "" if m["commercial_use"] else ", NON-COMMERCIAL"
                yield (f" {mark} {m['id']:32} {m['name']} ({m['family']}, {m['dim']}-d, {m['licence']}{nc}) "
                       f"{m['embeddings']:,} photos embedded")
            if target:
                yield f"   (> switching to {target}: 'photosearch index' finishes it)"
            yield "available to install (photosearch models install NAME):"
            for e in registry.models:
                if e.id in have:
                    continue
                q = e.quality.get("coco5k_t2i_recall_1_5_10") or [None]
                nc = "" if e.commercial_use else ", NON-COMMERCIAL"
                size = f"~{e.approx_download_mb:,.0f} MB" if e.approx_download_mb else _mb(e.total_size)
                star = " (default)" if e.id == registry.default else ""
                yield (f"   {e.id:32} {e.name}{star} — {e.licence}{nc}, {'/'.join(e.languages)}, "
                       f"COCO R@1 {q[0] if q[0] is not None else '?'}, {e.speed_class}, {size}")

        _emit(args, data, human)
        return 0
    if args.action == "install":
        from photosearch.models.install import install_from_registry

        entry = load_registry().get(args.name)
        if not entry.commercial_use and not args.json:
            print(f"note: {entry.name} is licensed {entry.licence}: not for commercial use", file=sys.stderr)
        bar = DownloadBar(quiet=args.quiet or args.json)
        try:
            pkg = install_from_registry(entry, paths, progress=bar)
        finally:
            bar.close()
        with _open(args, write=True, purpose="photosearch models install") as lib:
            first = lib.catalog.get_meta("active_model") is None
            if first or args.use:
                begin_switch(lib, pkg.id)
        _emit(args, {"installed": pkg.id, "active": first or args.use}, lambda: [
            f"installed model {pkg.id}" + ("" if (first or args.use) else f"; switch with 'photosearch models use {pkg.id}'")])
        return 0
    if args.action == "import":
        from photosearch.models.adapters import detect_layout, import_model_folder

        layout = detect_layout(args.name)
        pkg = import_model_folder(args.name, paths.models_dir, work_dir=paths.downloads_dir)
        with _open(args, write=True, purpose="photosearch models import") as lib:
            first = lib.catalog.get_meta("active_model") is None
            if first or args.use:
                begin_switch(lib, pkg.id)
        checks = pkg.manifest.extra.get("import_checks", {})
        _emit(args, {"installed": pkg.id, "layout": layout, "checks": checks}, lambda: [
            f"installed model {pkg.id} ({layout} layout)", *[f"  {k}: {v}" for k, v in checks.items()]])
        return 0
    if args.action == "use":
        with _open(args, write=True, purpose="photosearch models use") as lib:
            missing = begin_switch(lib, args.name)
            outcome = "switched" if missing == 0 else None
            if missing and not args.later:
                if not args.json:
                    print(f"embedding {missing:,} photos with {args.name}; searches keep using "
                          f"{lib.active_model_id()} until it is done", file=sys.stderr)
                outcome = _run_switch(args, lib)
            active = lib.active_model_id()
            still = len(lib.catalog.hashes_missing_embedding(args.name))
        _emit(args, {"active": active, "target": args.name, "to_embed": still,
                     "switched": outcome == "switched" or active == args.name}, lambda: [
            f"now using {args.name}" if active == args.name else
            f"still using {active}; {still:,} photos left to embed with {args.name} "
            "('photosearch index' continues the switch)"])
        return 0
    if args.action == "remove":
        with _open(args, write=True, purpose="photosearch models remove") as lib:
            remove_package(args.name, paths.models_dir)
            lib.catalog.delete_model_embeddings(args.name)
            if lib.catalog.get_meta("active_model") == args.name:
                lib.catalog.set_meta("active_model", None)
            if lib.catalog.get_meta(TARGET_MODEL_KEY) == args.name:
                cancel_switch(lib)
        _emit(args, {"removed": args.name}, lambda: [f"removed model {args.name}"])
        return 0
    raise QueryError(f"'models {args.action}' is not available in this version")


