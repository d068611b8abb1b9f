"""``photosearch models``: list, install, import, use, remove, calibrate. Parses and prints; every model verb is
``photosearch.app.models`` (checked by the ``cli-through-app`` import contract)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

from photosearch.cli.output import LiveLine, ProgressLine, _emit, _open, _paths
from photosearch.errors import IndexLocked, ManifestError, PhotoSearchError, QueryError
from photosearch.progress import Progress, format_duration, plural

_TEXT_NOTE = " to read text in photos not read yet; photos already read keep their text"

MODELS_HELP = """\
actions:
  list                    installed models (* = in use), text readers, and the models available to download
  install NAME            download once (progress bar, resumable, every file checked), then offline; NAME is
                          an id from 'list' or a name you know from Immich, rclip or the hub
                          (ViT-B-32__laion2b_s34b_b79k, rclip, Xenova/clip-vit-base-patch32)
  install NAME --dry-run  the exact URLs it would request (nothing downloaded)
  import FOLDER           a model folder: PhotoSearch's package, Immich, rclip or transformers.js layout; a
                          folder holding one text-recognition .onnx is a text reader (--script SCRIPT)
  use NAME                switch: photos are re-embedded while searches keep the old model (--later: only
                          choose it); a text reader is used at once
  remove NAME             delete an installed model and the embeddings made with it
  verify [NAME]           check installed models (or NAME): every file's sha256, both towers run once
  calibrate [--model ID]  set a model's relevance line for text on this library (--forget: drop it)

The first model installed or imported becomes the one in use (--use: any).

examples:
  photosearch models list
  photosearch models install openclip-vit-b-32-256-datacomp
  photosearch models import ~/Downloads/ViT-B-32__openai --use
  photosearch models import ~/Downloads/cyrillic-rec --script cyrillic
  photosearch models use openclip-vit-b-32-laion2b
"""


def version() -> str:
    """This PhotoSearch's version, as installed (``photosearch --version``)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("photosearch")
    except PackageNotFoundError:
        return "unknown (not installed: run from a source tree)"


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
    from photosearch.app.models import finish_switch
    from photosearch.progress import WorkControl

    control = WorkControl()
    line = ProgressLine(quiet=getattr(args, "quiet", False) or getattr(args, "json", False))
    final = None
    try:
        for p in finish_switch(lib, control):
            if p.phase == "switching":
                line(Progress("embedding", p.done, p.total, rate=p.rate, eta=p.eta, errors=p.errors))
            final = p
    except KeyboardInterrupt:
        control.cancel()
        print(
            "interrupted; the switch resumes with 'photosearch index' or 'photosearch models use'",
            file=sys.stderr,
        )
        return None
    finally:
        line.close()
    return final.phase if final else None


def cmd_models(args: argparse.Namespace) -> int:
    try:
        return _models(args)
    except PhotoSearchError as e:
        if not getattr(args, "json", False):
            raise
        _emit(args, {"error": str(e), "kind": type(e).__name__, "exit_code": e.exit_code}, list)
        return e.exit_code


def _forgot(gone: dict[str, Any]) -> str:
    """``models calibrate --forget`` in words."""
    if not gone["forgotten"]:
        return f"{gone['model']} had no calibration on this library; its text line: {gone['now']}"
    return f"forgot this library's calibration of {gone['model']}; its text line now: {gone['now']}"


def _handed_over(args: argparse.Namespace) -> int | None:
    """``models import/install/use`` while the window (or ``photosearch watch``) owns the library: the owner
    does it and shows it at once; we print its answer. None when no process owns the library."""
    import os
    from types import SimpleNamespace

    from photosearch.app.handover import NoOwner, hand_over

    if args.action == "calibrate":
        args.name = getattr(args, "model", None) or args.name
    elif args.action not in ("import", "install", "use") or not args.name or getattr(args, "dry_run", False):
        return None
    name = os.path.abspath(os.path.expanduser(args.name)) if args.action == "import" else args.name
    bar = DownloadBar(quiet=args.quiet or args.json) if args.action == "install" else None

    def relay(d: dict[str, Any]) -> None:
        if bar is not None and "download" in d:
            bar(SimpleNamespace(**d["download"]))

    try:
        answer = hand_over(
            _paths(args).data_dir,
            "models",
            {
                "action": args.action,
                "name": name,
                "use": getattr(args, "use", False),
                "allow_unverified": getattr(args, "allow_unverified", False),
                "scripts": list(getattr(args, "script", None) or []),
                "forget": getattr(args, "forget", False),
            },
            on_progress=relay,
            timeout=3600,
        )
    except NoOwner:
        return None
    finally:
        if bar is not None:
            bar.close()
    by = "(done by the running PhotoSearch)"
    if args.action == "calibrate" and "forgotten" in answer:
        gone = {k: v for k, v in answer.items() if k != "action"}
        _emit(args, gone, lambda: [_forgot(gone), by])
        return 0
    if args.action == "calibrate":
        from photosearch.app.calibrate import Calibrated

        done = Calibrated(**{k: v for k, v in answer.items() if k != "action"})
        _emit(args, done.to_json(), lambda: [*done.lines(), by])
        return 0
    if args.action == "import":
        lines = [
            f"installed model {answer['installed']} ({answer['layout']} layout)",
            *[f"  {k}: {v}" for k, v in answer["checks"].items()],
        ]
    elif args.action == "install":
        got, already = answer["installed"], bool(answer.get("already"))
        in_use = answer["chosen"] or answer.get("active") == got
        lines = [
            (f"{got} is already installed" if already else f"installed model {got}")
            + (f" (commit {answer['commit'][:12]})" if answer.get("commit") else "")
            + ("; nothing downloaded" if already else "")
            + ("" if in_use else f"; switch with 'photosearch models use {got}'")
        ]
    elif answer["active"] == args.name:
        lines = [f"now using {args.name}" + (_TEXT_NOTE if answer.get("text_reader") else "")]
    else:
        lines = [
            f"still using {answer['active']}; the running PhotoSearch is embedding {answer['to_embed']:,} "
            f"{'photo' if answer['to_embed'] == 1 else 'photos'} with {args.name} and switches when it is done"
        ]
    _emit(args, answer, lambda: [*lines, by])
    return 0


#: the options that apply to each action only (anything else was silently ignored: 'remove --dry-run'
#: removed the model)
_OPTION_OF = {
    "dry_run": ("--dry-run", ("install",)),
    "allow_unverified": ("--allow-unverified", ("install",)),
    "use": ("--use", ("install", "import")),
    "later": ("--later", ("use",)),
    "script": ("--script", ("import",)),
    "model": ("--model", ("calibrate",)),
    "forget": ("--forget", ("calibrate",)),
}


def _check_options(args: argparse.Namespace) -> None:
    for dest, (flag, actions) in _OPTION_OF.items():
        if getattr(args, dest, None) and args.action not in actions:
            raise QueryError(
                f"{flag} is for 'models {' / '.join(actions)}', not 'models {args.action}': nothing was changed"
            )
    if args.action == "list" and args.name:
        raise QueryError(
            f"'models list' takes no NAME ('photosearch models verify {args.name}' checks one): nothing was "
            "changed"
        )


def _models(args: argparse.Namespace) -> int:
    from photosearch.app import models as app_models

    _check_options(args)  # before anything: an option of another action is a mistake, not a no-op
    handed = _handed_over(args)  # first: a running owner does the change
    if handed is not None:
        return handed
    paths = _paths(args)
    if args.action == "list":
        with _open(args) as lib:
            listing = app_models.list_models(paths, lib)
        sources = listing.text_lines
        data = {
            "active": listing.active,
            "switching_to": listing.switching_to,
            "default": listing.default,
            "default_reason": listing.default_reason,
            "installed": [r.to_json() for r in listing.installed],
            "available": [r.to_json() for r in listing.available],
            "text_readers": [r.to_json() for r in listing.text_readers],
            "relevance_lines": sources,  # installed model -> where its text line comes from in this library
        }

        def human() -> Iterable[str]:
            yield (
                "installed:"
                if listing.installed
                else "installed: none (photosearch models install NAME, or import PATH)"
            )
            for r in listing.installed:
                mark = "*" if r.active else ">" if r.switching_to else " "
                if r.problem:
                    yield f" {mark} {r.id:32} cannot be used: {r.problem}"
                    yield (
                        f"   {'':32} install it again ('photosearch models install NAME' or 'models import "
                        f"FOLDER': the photos embedded with it stay), or remove it: photosearch models remove {r.id}"
                    )
                    continue
                nc = "" if r.commercial_use else ", NOT for commercial use"
                yield (
                    f" {mark} {r.id:32} {r.name} ({r.family}, {r.dim}-d, {r.licence}{nc}) {_mb(r.size_on_disk)} "
                    f"on disk, {plural(r.embeddings or 0, 'photo')} embedded"
                )
                if r.runs:
                    yield f"   {'':32} runs: {r.runs}"
                if sources.get(r.id):
                    hint = " ('photosearch models calibrate')" if sources[r.id] == "uncalibrated" else ""
                    yield f"   {'':32} relevance line for text: {sources[r.id]}{hint}"
            if listing.switching_to:
                yield f"   (> switching to {listing.switching_to}: 'photosearch index' finishes it)"
            yield "available to install (photosearch models install NAME):"
            for r in listing.available:
                nc = "" if r.commercial_use else ", NOT for commercial use"
                star = " (default)" if r.default else ""
                unv = " [unverified: file list resolved from the hub at install]" if r.unverified else ""
                yield (
                    f"   {r.id:32} {r.name}{star} — {r.licence}{nc}, {'/'.join(r.languages)}, "
                    f"{r.quality or 'quality ?'}, {r.speed_class}, {r.needs}{unv}"
                )
            yield "text readers (the text pass reads with the one marked *; photosearch models use NAME):"
            for t in listing.text_readers:
                where = "ships with the OCR package" if t.bundled else f"{_mb(t.size_on_disk)} on disk"
                pub = f", matches rapidocr's {t.published}" if t.published else ""
                yield (
                    f" {'*' if t.chosen else ' '} {t.id:32} {t.name} — text reader, reads "
                    f"{', '.join(t.scripts)}; {t.licence}, {where}{pub}"
                )

        _emit(args, data, human)
        return 0
    if args.action == "install":
        registry = app_models.load_registry()  # read once for every step below
        # its id, or a name known elsewhere (Immich, rclip, the hub)
        entry = app_models.registry_entry(args.name, registry)
        if entry.id != args.name and not args.json:
            print(f"note: {app_models.known_as(args.name, registry)}", file=sys.stderr)
        args.name = entry.id
        if args.dry_run:
            lines = app_models.dry_run(args.name, registry)
            _emit(args, {"model": entry.id, "requests": lines}, lambda: lines)
            return 0
        if not entry.commercial_use and not args.json:
            print(f"note: {entry.name}: licence {entry.licence} — not for commercial use", file=sys.stderr)
        from photosearch.app.model_install import (
            choose_installed,
            download_model,
            install_and_choose,
            installed_already,
        )

        have = installed_already(paths, entry.id, registry)
        if have is not None:  # sound and installed: not a byte again
            with _open(args, write=True, purpose="photosearch models install") as lib:
                chosen = choose_installed(lib, have, use=args.use).chosen
                now = lib.active_model_id()
            commit = (have.manifest.extra.get("download") or {}).get("commit")
            _emit(
                args,
                {"installed": have.id, "already": True, "active": chosen, "commit": commit, "files": {}},
                lambda: [
                    f"{have.id} is already installed"
                    + (f" (commit {commit[:12]})" if commit else "")
                    + "; nothing downloaded"
                    + ("; in use" if now == have.id else f"; switch with 'photosearch models use {have.id}'")
                ],
            )
            return 0
        bar = DownloadBar(quiet=args.quiet or args.json)
        try:  # the download needs no library; the install and the choice happen together, or not at all
            fetched = download_model(
                args.name, paths, progress=bar, allow_unverified=args.allow_unverified, registry=registry
            )
        except KeyboardInterrupt:
            bar.close()
            print(
                f"interrupted: the download is kept ({paths.downloads_dir / entry.id}); "
                f"'photosearch models install {entry.id}' resumes it",
                file=sys.stderr,
            )
            raise
        finally:
            bar.close()
        try:
            lib = _open(args, write=True, purpose="photosearch models install")
        except IndexLocked as e:  # the download stays for the next try: say so
            raise IndexLocked(
                f"{e}; the download is kept ({paths.downloads_dir / entry.id}): 'photosearch models install "
                f"{entry.id}' installs it then"
            ) from e
        with lib:
            installed = install_and_choose(lib, fetched, use=args.use)
        pkg, chosen = installed.package, installed.chosen
        dl = pkg.manifest.extra.get("download") or {}
        _emit(
            args,
            {
                "installed": pkg.id,
                "active": chosen,
                "commit": dl.get("commit"),
                "files": dl.get("files", {}),
            },
            lambda: [
                f"installed model {pkg.id}"
                + (f" (commit {dl['commit'][:12]})" if dl.get("commit") else "")
                + ("" if chosen else f"; switch with 'photosearch models use {pkg.id}'")
            ],
        )
        return 0
    if args.action == "import":
        from photosearch.app.model_install import import_and_choose

        with _open(args, write=True, purpose="photosearch models import") as lib:  # before: all or nothing
            added = import_and_choose(lib, args.name, args.script, use=args.use)
        imported, layout = added.package, added.layout
        checks = imported.manifest.extra.get("import_checks", {})
        _emit(
            args,
            {"installed": imported.id, "layout": layout, "checks": checks},
            lambda: [
                f"installed model {imported.id} ({layout} layout)",
                *[f"  {k}: {v}" for k, v in checks.items()],
            ],
        )
        return 0
    if args.action == "use" and app_models.is_text_reader(paths, args.name):
        with _open(args, write=True, purpose="photosearch models use") as lib:
            app_models.use_text_reader(lib, args.name)
        _emit(args, {"text_reader": args.name}, lambda: [f"now using {args.name}{_TEXT_NOTE}"])
        return 0
    if args.action == "use":
        with _open(args, write=True, purpose="photosearch models use") as lib:
            missing = app_models.use_model(lib, args.name)
            outcome = "switched" if missing == 0 else None
            if missing and not args.later:
                if not args.json:
                    print(
                        f"embedding {plural(missing, 'photo')} with {args.name}; searches keep using "
                        f"{lib.active_model_id()} until it is done",
                        file=sys.stderr,
                    )
                outcome = _run_switch(args, lib)
            active = lib.active_model_id()
            still = app_models.photos_to_embed(lib, args.name)
        _emit(
            args,
            {
                "active": active,
                "target": args.name,
                "to_embed": still,
                "switched": outcome == "switched" or active == args.name,
            },
            lambda: [
                f"now using {args.name}"
                if active == args.name
                else f"still using {active}; {plural(still, 'photo')} left to embed with {args.name} "
                "('photosearch index' continues the switch)"
            ],
        )
        return 0
    if args.action == "calibrate":
        from photosearch.app.calibrate import calibrate_model, forget_calibration

        with _open(args, write=True, purpose="photosearch models calibrate") as lib:
            if getattr(args, "forget", False):
                gone = forget_calibration(lib, getattr(args, "model", None) or args.name)
                _emit(args, gone, lambda: [_forgot(gone)])
                return 0
            done = calibrate_model(lib, getattr(args, "model", None) or args.name)
        _emit(args, done.to_json(), done.lines)
        return 0
    if args.action == "verify":
        from photosearch.app.model_checks import verify_models

        checked = verify_models(paths, args.name)
        _emit(
            args,
            {"models": [{"id": v.id, "kind": v.kind, "ok": v.ok, "problem": v.problem} for v in checked]},
            lambda: (
                [
                    f"ok      {v.kind} {v.id}" if v.ok else f"BROKEN  {v.kind} {v.id}: {v.problem}"
                    for v in checked
                ]
                or ["no model is installed (photosearch models install NAME, or import PATH)"]
            ),
        )
        broken = [v.id for v in checked if not v.ok]
        if broken and not args.json:
            print(
                f"photosearch: {', '.join(broken)}: install again (models import / install) or remove "
                "(models remove NAME)",
                file=sys.stderr,
            )
        return ManifestError.exit_code if broken else 0
    if args.action == "remove":
        with _open(args, write=True, purpose="photosearch models remove") as lib:
            reader = app_models.is_text_reader(paths, args.name)
            dropped = app_models.remove_model(lib, args.name)
            now = None if reader else lib.active_model_id()
        if reader:
            _emit(args, {"removed": args.name}, lambda: [f"removed text reader {args.name}"])
            return 0
        left = (
            f"searches use {now} now"
            if now
            else "no model is installed now: photosearch models install NAME (or import PATH)"
        )
        _emit(
            args,
            {"removed": args.name, "embeddings": dropped, "active": now},
            lambda: [f"removed model {args.name} and its {plural(dropped, 'embedding')}; {left}"],
        )
        return 0
    raise QueryError(f"'models {args.action}' is not available in this version")
