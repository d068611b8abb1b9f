"""The ``photosearch`` command line: everything the GUI does, with ``--json`` output.

The only place in the core that prints. Errors become one-line messages and exit codes.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from photosearch.config import Paths
from photosearch.errors import PhotoSearchError, QueryError
from photosearch.progress import Progress, format_duration

log = logging.getLogger("photosearch.cli")

QUERY_HELP = """\
query syntax:
  beach                      photos of a beach
  beach + sunset             both things (equal weights)
  beach + 0.5:sunset         "sunset" counts half as much
  beach - people             avoid photos that match "people"
  beach + 0.5:sunset - people    all three: weights go before a colon, "-" terms push photos away
  dog - 0.5:grass            a milder push (" + " and " - " need spaces: "t-shirt" is one term)
  --image ref.jpg            photos like ref.jpg
  --image ref.jpg "at night" like ref.jpg, but changed as the text says (composed query);
                             --weight sets the image↔text balance (0 = image only, 1 = text only),
                             --fusion product (default) | slerp | sum

relevance cutoff:
  each result's score is compared with the same query's scores over a random sample of the library
  (z = (score - median) / robust spread); results below the model's threshold are marked weak
  ("passed": false in --json), and a query with no result above it says "no good matches".
"""


# ---------------------------------------------------------------------------------------------------
# helpers


def _paths(args: argparse.Namespace) -> Paths:
    return Paths.resolve(args.data_dir)


def _open(args: argparse.Namespace, write: bool = False, purpose: str | None = None):  # noqa: ANN202
    from photosearch.library.library import Library

    return Library(_paths(args), write=write, purpose=purpose)


def _emit(args: argparse.Namespace, data: Any, human: Callable[[], Iterable[str]]) -> None:
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        for line in human():
            print(line)


class LiveLine:
    """One live status line on stderr: redrawn in place at most 10 times a second on a TTY; elsewhere a
    plain line at most every 2 s. Final lines are always shown."""

    def __init__(self, stream: Any = None, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0
        self._open = False  # a TTY line is drawn and not yet ended with a newline

    def show(self, render: Callable[[], str], final: bool = False) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        if not final and now - self._last < (0.1 if self.tty else 2.0):
            return
        self._last = now
        line = render()
        if self.tty:
            self.stream.write("\r\x1b[K" + line + ("\n" if final else ""))
            self._open = not final
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._open and not self.quiet:
            self.stream.write("\n")
            self._open = False


class ProgressLine(LiveLine):
    """Indexing progress events as a live line."""

    def __call__(self, p: Progress) -> None:
        self.show(lambda: format_progress(p), final=p.phase in ("done", "cancelled", "saving"))


def format_progress(p: Progress) -> str:
    if p.phase == "embedding":
        parts = [f"Indexing {p.done:,}/{p.total:,}"]
        if p.rate:
            parts.append(f"{p.rate:.1f} photos/s")
        if p.eta is not None:
            parts.append(f"{format_duration(p.eta)} left")
        if p.errors:
            parts.append(f"{p.errors} skipped")
        if p.paused:
            parts.append("paused")
        return " · ".join(parts)
    if p.phase == "scanning":
        return f"Scanning folders… {p.message}".rstrip() if not p.total else f"Scanned {p.total:,} photos"
    if p.phase == "done":
        return f"Done: {p.done:,} photos processed, {p.encoded:,} embedded, {p.errors:,} skipped"
    return f"{p.phase.capitalize()}… {p.message}".rstrip()


def _date(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M") if ts else "-"


def _parse_date(s: str | None, end: bool = False) -> float | None:
    if not s:
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            dt = datetime.strptime(s, fmt)
        except ValueError:
            continue
        if end:
            if fmt == "%Y":
                dt = dt.replace(year=dt.year + 1)
            elif fmt == "%Y-%m":
                dt = dt.replace(year=dt.year + dt.month // 12, month=dt.month % 12 + 1)
            else:
                dt = datetime.fromordinal(dt.toordinal() + 1)
            return dt.timestamp() - 1e-3
        return dt.timestamp()
    raise QueryError(f"can't read the date {s!r}; use YYYY, YYYY-MM or YYYY-MM-DD")


# ---------------------------------------------------------------------------------------------------
# commands


def cmd_folders(args: argparse.Namespace) -> int:
    write = args.action in ("add", "remove", "pause", "resume", "exclude", "include")
    if write:  # a running owner (the window, `watch`) does it, so it indexes or forgets at once
        from photosearch.app.handover import NoOwner, hand_over

        req = {"action": args.action, "yes": args.yes, "paths": [
            p if args.action in ("exclude", "include") and i else os.path.abspath(os.path.expanduser(p))
            for i, p in enumerate(args.paths)]}
        try:
            answer = hand_over(_paths(args).data_dir, "folders", req, timeout=300)
        except NoOwner:
            pass
        else:
            _emit(args, answer["folders"], lambda: [*answer["lines"], "(done by the running PhotoSearch)"])
            return 0
    with _open(args, write=write, purpose=f"photosearch folders {args.action}") as lib:
        if args.action == "add":
            reps = [lib.add_folder_report(p, confirm=args.yes) for p in args.paths]
            _emit(args, [{**r.row.__dict__, "absorbed": r.absorbed} for r in reps], lambda: [
                f"{'already added' if r.existed else 'added'} {r.row.path}" + "".join(
                    f"\n  it now covers the added folder {a} (its photos are kept)" for a in r.absorbed)
                for r in reps] + ["run 'photosearch index' (or 'photosearch watch') to index them"])
        elif args.action in ("exclude", "include"):
            if not args.paths:
                raise QueryError(f"folders {args.action} needs an added FOLDER (and the sub-folder patterns)")
            edit = lib.exclude if args.action == "exclude" else lib.include
            pats = edit(args.paths[0], args.paths[1:]) if args.paths[1:] else lib.folder_excludes(args.paths[0])
            _emit(args, {"folder": args.paths[0], "exclude": list(pats)},
                  lambda: [f"left out of {args.paths[0]}: {', '.join(pats) or 'nothing'}"])
        elif args.action == "remove":
            counts = {p: lib.remove_folder(p) for p in args.paths}
            if lib.active_model_id():
                from photosearch.indexing.pipeline import Indexer

                Indexer(lib).collect_garbage()
            _emit(args, counts, lambda: [f"removed {p} ({n:,} photo{'' if n == 1 else 's'})" for p, n in counts.items()])
        elif args.action in ("pause", "resume"):
            for p in args.paths:
                lib.set_folder_paused(p, args.action == "pause")
            _emit(args, {"paused" if args.action == "pause" else "resumed": args.paths},
                  lambda: [f"{args.action}d {p}" for p in args.paths])
        else:
            rows = lib.folders()
            _emit(args, [r.__dict__ for r in rows],
                  lambda: [f"{r.state:8} {r.path}" for r in rows] or ["no folders yet: photosearch folders add PATH"])
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from photosearch.app.handover import NoOwner, hand_over
    from photosearch.indexing.pipeline import Indexer
    from photosearch.progress import WorkControl

    try:  # a running owner (the window, `watch`) indexes: show its progress
        line = ProgressLine(quiet=args.quiet)
        fields = set(Progress.__dataclass_fields__)
        answer = hand_over(_paths(args).data_dir, "index", {"add": [os.path.abspath(p) for p in args.add or []]},
                           on_progress=lambda d: line(Progress(**{k: v for k, v in d.items() if k in fields})))
        line.close()
        c = answer["counts"]
        _emit(args, answer, lambda: [f"{c['indexed']:,} photo{'' if c['indexed'] == 1 else 's'} indexed, "
                                     f"{c['error']:,} skipped, {c['pending']:,} pending (done by the running "
                                     "PhotoSearch)"])
        return 0
    except NoOwner:
        pass
    for p in args.add or []:
        with _open(args, write=True, purpose="photosearch folders add") as lib:
            lib.add_folder(p)
    with _open(args, write=True, purpose="photosearch index") as lib:
        indexer = Indexer(lib, batch_size=args.batch_size)
        control = WorkControl()
        line = ProgressLine(quiet=args.quiet)
        final: Progress | None = None
        try:
            for p in indexer.run(control):
                line(p)
                final = p
        except KeyboardInterrupt:
            control.cancel()
            indexer.save()
            print("interrupted; what was indexed is kept", file=sys.stderr)
            return 130
        counts = lib.catalog.counts_by_status()
        # what ran the image encoder ("onnxruntime" or "openvino"; None when nothing needed encoding)
        backend = indexer.runtime.image.backend if lib.active_model_id() else None
        data = {**(final.to_json() if final else {}), "counts": counts, "image_backend": backend}
        _emit(args, data, lambda: [
            f"{counts['indexed']:,} photos indexed, {counts['error']:,} skipped, {counts['pending']:,} pending"])
    return 0


def _filters(args: argparse.Namespace):  # noqa: ANN202
    from photosearch.search.engine import Filters

    f = Filters(
        folder=os.path.abspath(args.folder) if getattr(args, "folder", None) else None,
        date_from=_parse_date(getattr(args, "date_from", None)),
        date_to=_parse_date(getattr(args, "date_to", None), end=True),
        formats=tuple(x.strip().lower() for x in args.type.split(",")) if getattr(args, "type", None) else None,
        orientation=getattr(args, "orientation", None),
    )
    return f if f.active() else None


def _engine(lib, warm_text: bool = False):  # noqa: ANN001, ANN202
    """The search engine; with ``warm_text`` the text model loads on a second thread while the vector
    index is checked and loaded (both mostly outside the GIL), which shortens a cold ``search``."""
    return lib.search_engine(overlap_loads=warm_text)


def _print_results(args: argparse.Namespace, resp, query: dict[str, Any]) -> None:  # noqa: ANN001
    data = {"query": query, "kind": resp.kind, "library_size": resp.library_size,
            "no_good_matches": resp.no_good_matches, "message": resp.message,
            "cutoff": resp.extra.get("cutoff"), "results": [r.to_json() for r in resp.results]}

    def human() -> Iterable[str]:
        if not resp.results:
            yield "no results" if resp.library_size else "the library is empty: add a folder and index it"
            return
        if resp.no_good_matches:
            yield f"no good matches ({resp.message or 'nothing stands out'}); the nearest photos are:"
        for r in resp.results:
            mark = "" if r.passed else "  (weak)"
            yield f"{r.rank:3}  {r.score:.4f}  {r.path}{mark}"

    _emit(args, data, human)


def cmd_search(args: argparse.Namespace) -> int:
    text = " ".join(args.text).strip()
    if not text and not args.image:
        raise QueryError("give some text to search for, or --image PATH")
    with _open(args) as lib:
        eng = _engine(lib, warm_text=bool(text))
        filters = _filters(args)
        if args.image and text:
            resp = eng.search_composed(args.image, text, args.k, weight=args.weight, fusion=args.fusion,
                                       filters=filters)
        elif args.image:
            resp = eng.search_image(args.image, args.k, filters)
        else:
            resp = eng.search_text(text, args.k, filters)
        _print_results(args, resp, {"text": text or None, "image": args.image})
    return 0


def cmd_similar(args: argparse.Namespace) -> int:
    with _open(args) as lib:
        eng = _engine(lib)
        resp = eng.search_image(args.path, args.k, _filters(args), exclude_self=True)
        _print_results(args, resp, {"similar": args.path})
    return 0


def cmd_duplicates(args: argparse.Namespace) -> int:
    from photosearch.errors import IndexLocked
    from photosearch.search.duplicates import find_duplicates

    try:  # the writer records perceptual hashes computed now; a reader computes them and forgets
        lib, store = _open(args, write=True, purpose="photosearch duplicates"), True
    except IndexLocked:
        lib, store = _open(args), False
    with lib:
        groups = find_duplicates(_engine(lib), threshold=args.threshold, max_distance=args.max_distance,
                                 store_hashes=store)
    data = {"threshold": args.threshold, "max_distance": args.max_distance, "groups": [g.to_json() for g in groups]}

    def human() -> Iterable[str]:
        if not groups:
            yield "no near-duplicates found"
        for i, g in enumerate(groups, 1):
            yield f"group {i}: {len(g.files)} photos{' (identical files)' if g.identical else ''}"
            for f in g.files:
                yield f"  {f.path}"

    _emit(args, data, human)
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    """Run the indexing service in the foreground until Ctrl+C or SIGTERM."""
    import signal
    import threading

    from photosearch.indexing.service import IndexingService

    stop = threading.Event()
    line = ProgressLine(quiet=args.quiet or args.json)
    last: dict[str, Any] = {}

    def on_progress(p: Progress) -> None:
        if args.json:
            sys.stdout.write(json.dumps({"event": "progress", **p.to_json()}, default=str) + "\n")
            sys.stdout.flush()
        elif p.phase == "idle":
            if p.done:
                line(Progress("done", p.done, p.total, errors=p.errors, encoded=p.encoded))
        else:
            line(p)
        last["p"] = p

    with _open(args, write=True, purpose="photosearch watch") as lib:
        for path in args.add or []:
            lib.add_folder(path)
        if not lib.folders():
            raise QueryError("no folders to watch: photosearch folders add PATH (or --add PATH)")
        svc = IndexingService(lib, on_progress=on_progress, debounce=args.debounce, poll_interval=args.poll_interval)
        old = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        from photosearch.app.handover import Owner, folder_request, index_request

        owner = Owner(lib.paths.data_dir, {"folders": lambda a, _p: folder_request(a, lib, svc),
                                           "index": lambda a, p: index_request(a, lib, svc, p)})
        try:
            svc.start()
            owner.start()  # other processes' `folders add/remove/...` come here
            if not args.quiet and not args.json:
                print(f"watching {len(lib.folders())} folder(s); Ctrl+C stops", file=sys.stderr)
            while not stop.wait(0.5):
                if not svc.running:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            owner.stop()
            svc.stop()
            signal.signal(signal.SIGTERM, old)
            line.close()
        counts = lib.catalog.counts_by_status()
        data = {"event": "stopped", "encoded": svc.encoded, "errors": svc.errors, "counts": counts,
                "watch": {p: m for p, (m, _) in svc.watch_modes().items()}}
    if args.json:
        sys.stdout.write(json.dumps(data, default=str) + "\n")
    elif not args.quiet:
        print(f"stopped: {counts['indexed']:,} photos indexed, {counts['pending']:,} pending, "
              f"{counts['error']:,} skipped; {svc.encoded:,} embedded this run", file=sys.stderr)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from photosearch.store.lock import WriterLock

    paths = _paths(args)
    with _open(args) as lib:
        cat = lib.catalog
        model_id = lib.active_model_id()
        counts = cat.counts_by_status()
        folders = [{"path": f.path, "state": f.state, "watch": f.watch_mode, "watch_note": f.watch_note,
                    "photos": len(cat.files_in_folder(f.id)), "last_scan": f.last_scan_at} for f in lib.folders()]
        index: dict[str, Any] = {}
        if model_id:
            meta = cat.index_meta(model_id)
            n_emb = cat.count_embeddings(model_id)
            if meta is None:
                health = "not built yet" if n_emb else "empty"
            else:
                p = paths.index_dir / meta.file
                ok = p.is_file() and p.stat().st_size == meta.size
                health = "ok" if ok else "needs rebuild (file missing or damaged)"
            index = {"model": model_id, "embeddings": n_emb, "health": health,
                     "saved_generation": meta.generation if meta else None,
                     "saved_count": meta.count if meta else 0,
                     "unsaved": cat.max_embedding_id(model_id) > (meta.high_water if meta else 0)}
        from photosearch.models.encoders import describe_image_backend

        vision = None
        if model_id:
            with contextlib.suppress(PhotoSearchError, OSError):
                vision = lib.runtime(model_id).package.vision_path
        encoder = describe_image_backend(lib.settings, vision)
        skipped = [{"path": f.path, "reason": f.error} for f in cat.errors()]
        holder = WriterLock(paths.lock_file).holder() if WriterLock(paths.lock_file).is_locked_elsewhere() else None
        data = {"data_dir": str(paths.data_dir), "model": model_id,
                "models_installed": [m.id for m in lib.installed_models()],
                "folders": folders, "counts": counts, "index": index, "skipped": skipped,
                "writer": holder, "image_encoder": encoder}

    def human() -> Iterable[str]:
        yield f"data:    {paths.data_dir}"
        yield f"model:   {model_id or 'none installed'}"
        yield f"photos:  {counts['indexed']:,} indexed, {counts['pending']:,} pending, {counts['error']:,} skipped"
        if index:
            yield f"index:   {index['health']} ({index['embeddings']:,} embeddings)"
        chosen = f" ({encoder['setting']})" if encoder["setting"] != encoder["backend"] else ""
        yield f"encoder: images on {encoder['backend']}{chosen}"
        if encoder["hint"]:
            yield f"hint:    {encoder['hint']}"
        if holder:
            yield f"writer:  pid {holder.get('pid')} ({holder.get('purpose')})"
        yield "folders:" if folders else "folders: none (photosearch folders add PATH)"
        for f in folders:
            note = f" — {f['watch_note']}" if f["watch_note"] else ""
            yield f"  {f['state']:8} {f['photos']:7,}  {f['path']}{note}"
        if skipped:
            yield f"skipped files ({len(skipped)}):"
            for s in skipped[:50]:
                yield f"  {s['path']}: {s['reason']}"
            if len(skipped) > 50:
                yield f"  … and {len(skipped) - 50} more (--json lists all)"

    _emit(args, data, human)
    return 0


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


def cmd_doctor(args: argparse.Namespace) -> int:
    from photosearch import doctor

    report = doctor.run(_paths(args), repair=args.repair, full=args.full)

    def human() -> Iterable[str]:
        for line in report.repairs:
            yield f"repaired: {line}"
        if not report.findings:
            yield "all checks passed"
        for f in report.findings:
            hint = " (doctor --repair fixes this)" if f.repairable and not args.repair else ""
            yield f"{f.severity:7}  {f.check:10} {f.message}{hint}"
        yield ("clean" if report.clean else f"{len(report.errors)} problems found") + (
            f", {len(report.warnings)} warnings" if report.warnings else "")

    _emit(args, report.to_json(), human)
    return 0 if report.clean else 1


# ---------------------------------------------------------------------------------------------------
# parser


def build_parser() -> argparse.ArgumentParser:
    def global_options(defaults: bool) -> argparse.ArgumentParser:
        # Sub-commands take the same options, but must not overwrite a value given before the
        # sub-command with their own default: theirs are SUPPRESSed.
        g = argparse.ArgumentParser(add_help=False)
        g.add_argument("--data-dir", default=None if defaults else argparse.SUPPRESS,
                       help="where the catalog, index and models live "
                       "(default: the platform's data folder; or PHOTOSEARCH_DATA_DIR)")
        g.add_argument("-v", "--verbose", action="count", default=0 if defaults else argparse.SUPPRESS,
                       help="more log output")
        return g

    common = global_options(defaults=False)
    p = argparse.ArgumentParser(prog="photosearch", parents=[global_options(defaults=True)],
                                description="Find photos in your own library by meaning — offline and private.",
                                epilog=QUERY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    f = sub.add_parser("folders", parents=[common], help="add, remove, pause or list photo folders")
    f.add_argument("action", choices=["add", "remove", "list", "pause", "resume", "exclude", "include"])
    f.add_argument("paths", nargs="*", help="folders; for exclude/include: FOLDER then sub-folder names or patterns")
    f.add_argument("--yes", action="store_true", help="(add) also a disk's root, a home or a system folder")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_folders)

    i = sub.add_parser("index", parents=[common], help="index new and changed photos in the added folders")
    i.add_argument("--add", action="append", metavar="PATH", help="add this folder first")
    i.add_argument("--batch-size", type=int, default=16)
    i.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_index)

    def query_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("-k", type=int, default=20, help="how many results (default 20)")
        sp.add_argument("--json", action="store_true", help="rank, path, score (cosine), passed, … as JSON")
        sp.add_argument("--folder", help="only photos under this folder")
        sp.add_argument("--from", dest="date_from", metavar="DATE", help="taken on or after (YYYY[-MM[-DD]])")
        sp.add_argument("--to", dest="date_to", metavar="DATE", help="taken on or before (YYYY[-MM[-DD]])")
        sp.add_argument("--type", help="file types, e.g. jpeg,png,heic")
        sp.add_argument("--orientation", choices=["landscape", "portrait", "square"])

    s = sub.add_parser("search", parents=[common], help="search by text, by a photo, or both",
                       epilog=QUERY_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("text", nargs="*", help="what to look for (with --image: what should be different)")
    s.add_argument("--image", metavar="PATH", help="a reference photo (inside or outside the library)")
    s.add_argument("--weight", type=float, default=0.5, help="image↔text balance for composed queries (0..1)")
    s.add_argument("--fusion", default="product", choices=["product", "slerp", "sum"])
    query_opts(s)
    s.set_defaults(func=cmd_search)

    sim = sub.add_parser("similar", parents=[common], help="photos similar to PATH")
    sim.add_argument("path")
    query_opts(sim)
    sim.set_defaults(func=cmd_similar)

    from photosearch.search.duplicates import DEFAULT_MAX_DISTANCE, DEFAULT_THRESHOLD

    dup = sub.add_parser("duplicates", parents=[common], help="groups of near-identical photos (copies, resized, "
                         "re-encoded, slightly cropped)")
    dup.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                     help=f"least embedding similarity of two copies, 0..1 (default {DEFAULT_THRESHOLD})")
    dup.add_argument("--max-distance", type=int, default=DEFAULT_MAX_DISTANCE,
                     help=f"most perceptual-hash bits two copies may differ in, of 64 (default {DEFAULT_MAX_DISTANCE}; "
                          "64 = embeddings only)")
    dup.add_argument("--json", action="store_true")
    dup.set_defaults(func=cmd_duplicates)

    st = sub.add_parser("status", parents=[common], help="folders, counts, model, index health, skipped files")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)

    w = sub.add_parser("watch", parents=[common], help="keep the index up to date as folders change (foreground)")
    w.add_argument("--add", action="append", metavar="PATH", help="add this folder first")
    w.add_argument("--debounce", type=float, default=0.5, help="seconds of quiet before changes are applied")
    w.add_argument("--poll-interval", type=float, default=5.0,
                   help="seconds between checks of folders that can't be watched (network shares, watch limit)")
    w.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    w.add_argument("--json", action="store_true", help="progress events as JSON lines on stdout")
    w.set_defaults(func=cmd_watch)

    m = sub.add_parser("models", parents=[common], help="list, import, use or remove models")
    m.add_argument("action", choices=["list", "install", "import", "use", "remove"])
    m.add_argument("name", nargs="?", help="model id, or a folder for import")
    m.add_argument("--use", action="store_true", help="(import, install) make it the active model")
    m.add_argument("--later", action="store_true",
                   help="(use) only choose the model; 'photosearch index' or 'watch' re-embeds and switches")
    m.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_models)

    d = sub.add_parser("doctor", parents=[common], help="check the catalog, index, thumbnails and models; "
                       "--repair fixes what can be fixed")
    d.add_argument("--repair", action="store_true", help="repair what can be repaired (takes the writer lock)")
    d.add_argument("--full", action="store_true", help="full SQLite integrity check and model checksums (slower)")
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_doctor)
    return p


def setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    if args.command == "models" and args.action != "list" and not args.name:
        parser.error(f"models {args.action} needs a NAME")
    try:
        return int(args.func(args) or 0)
    except PhotoSearchError as e:
        print(f"photosearch: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:  # a full or read-only disk that no layer below turned into a clear message
        if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            what = "is full: free some space and try again" if e.errno != errno.EROFS else "is read-only"
            print(f"photosearch: the disk {what} ({e.filename or e})", file=sys.stderr)
            return 6
        raise


if __name__ == "__main__":
    sys.exit(main())
