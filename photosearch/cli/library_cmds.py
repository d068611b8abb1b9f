"""Commands about the library: folders, index, watch, status, doctor."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable

from photosearch.cli.output import ProgressLine, _emit, _open, _paths
from photosearch.errors import QueryError
from photosearch.progress import Progress, plural


def _photos(n: int) -> str:
    return f"{n:,} photo{'' if n == 1 else 's'}"


def cmd_folders(args: argparse.Namespace) -> int:
    from photosearch.app import folders
    from photosearch.app.handover import NoOwner, hand_over

    write = args.action in ("add", "remove", "pause", "resume", "exclude", "include", "text-on", "text-off")
    if write and not args.paths:
        what = (
            "an added FOLDER (and the sub-folder patterns)"
            if args.action in ("exclude", "include")
            else "a FOLDER"
        )
        raise QueryError(f"folders {args.action} needs {what}")
    folder_args = args.paths[:1] if args.action in ("exclude", "include") else args.paths
    if write and any(not p.strip() for p in folder_args):  # "$DIR" with DIR unset: '' is the current folder
        raise QueryError(f"folders {args.action}: a folder's name is empty ('') — nothing was changed")
    if write:  # a running owner (the window, `watch`) does it, so it indexes or forgets at once
        paths = [
            p if args.action in ("exclude", "include") and i else os.path.abspath(os.path.expanduser(p))
            for i, p in enumerate(args.paths)
        ]
        try:
            answer = hand_over(
                _paths(args).data_dir,
                "folders",
                {"action": args.action, "yes": args.yes, "paths": paths},
                timeout=300,
            )
        except NoOwner:
            pass
        else:
            _emit(args, answer["folders"], lambda: [*answer["lines"], "(done by the running PhotoSearch)"])
            return 0
    with _open(args, write=write, purpose=f"photosearch folders {args.action}") as lib:
        if args.action == "add":
            reps = [folders.add_folder_report(lib, p, confirm=args.yes) for p in args.paths]
            _emit(
                args,
                [{**r.row.__dict__, "absorbed": r.absorbed} for r in reps],
                lambda: (
                    [
                        line
                        for r in reps
                        for line in (
                            f"{'already added' if r.existed else 'added'} {r.row.path}",
                            *(
                                f"  it now covers the added folder {a} (its photos are kept)"
                                for a in r.absorbed
                            ),
                        )
                    ]
                    + ["run 'photosearch index' (or 'photosearch watch') to index them"]
                ),
            )
        elif args.action in ("exclude", "include"):
            taking_in = args.action == "include"
            before = (  # what 'include' can take back in (the folder's list as it was)
                {p.casefold() for p in folders.edit_exclusions(lib, args.paths[0], [], exclude=False)}
                if taking_in
                else set()
            )
            pats = folders.edit_exclusions(lib, args.paths[0], args.paths[1:], exclude=not taking_in)
            missed = [p for p in args.paths[1:] if taking_in and p.casefold() not in before]
            _emit(
                args,
                {"folder": args.paths[0], "exclude": list(pats)},
                lambda: [
                    *(f"{p!r} was not left out of {args.paths[0]}: nothing to take back in" for p in missed),
                    f"left out of {args.paths[0]}: {', '.join(pats) or 'nothing'}",
                ],
            )
        elif args.action == "remove":
            counts = folders.remove_folders(lib, args.paths)
            _emit(args, counts, lambda: [f"removed {p} ({_photos(n)})" for p, n in counts.items()])
        elif args.action in ("text-on", "text-off"):
            for p in args.paths:
                folders.set_folder_read_text(lib, p, args.action == "text-on")
            on = args.action == "text-on"
            _emit(
                args,
                {"read_text": on, "folders": args.paths},
                lambda: [
                    f"{'reading' if on else 'not reading'} the text in the photos of {p}" for p in args.paths
                ],
            )
        elif args.action in ("pause", "resume"):
            for p in args.paths:
                folders.set_folder_paused(lib, p, args.action == "pause")
            _emit(
                args,
                {"paused" if args.action == "pause" else "resumed": args.paths},
                lambda: [f"{args.action}d {p}" for p in args.paths],
            )
        else:
            rows = folders.list_folders(lib)
            _emit(
                args,
                [r.__dict__ for r in rows],
                lambda: (
                    [f"{r.state:8} {r.path}" for r in rows]
                    or ["no folders yet: photosearch folders add PATH"]
                ),
            )
    return 0


def cmd_index(args: argparse.Namespace) -> int:
    from photosearch.app import folders
    from photosearch.app.handover import NoOwner, hand_over
    from photosearch.app.index import run_index
    from photosearch.config import read_text_default

    line = ProgressLine(quiet=args.quiet)
    try:  # a running owner (the window, `watch`) indexes: show its progress
        fields = set(Progress.__dataclass_fields__)
        answer = hand_over(
            _paths(args).data_dir,
            "index",
            {"add": [os.path.abspath(p) for p in args.add or []]},
            on_progress=lambda d: line(Progress(**{k: v for k, v in d.items() if k in fields})),
        )
        line.close()
        c = answer["counts"]
        _emit(
            args,
            answer,
            lambda: [
                f"{_photos(c['indexed'])} indexed, {c['error']:,} skipped, {c['pending']:,} pending "
                "(done by the running PhotoSearch)"
            ],
        )
        return 0
    except NoOwner:
        pass
    for p in args.add or []:
        with _open(args, write=True, purpose="photosearch folders add") as lib:
            folders.add_folder(lib, p)
    with _open(args, write=True, purpose="photosearch index") as lib:
        try:
            data = run_index(
                lib,
                batch_size=args.batch_size,
                on_progress=line,
                read_text=not args.no_text and read_text_default(),
            )
        except KeyboardInterrupt:
            print("interrupted; what was indexed is kept", file=sys.stderr)
            return 130
        counts = data["counts"]
        _emit(
            args,
            data,
            lambda: (
                [
                    f"{_photos(counts['indexed'])} indexed, {counts['error']:,} skipped, {counts['pending']:,} pending"
                ]
                + (
                    [f"text read in {data['text']['read']:,} / {data['text']['total']:,} photos"]
                    if data.get("text")
                    else []
                )
                + (
                    [f"text not read: {data['text']['unavailable']}"]
                    if data.get("text") and data["text"].get("unavailable")
                    else []
                )
            ),
        )
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    """Run the indexing service in the foreground until Ctrl+C or SIGTERM."""
    import signal
    import threading

    from photosearch.app import folders
    from photosearch.app.watch import watch

    stop = threading.Event()
    line = ProgressLine(quiet=args.quiet or args.json)

    def on_progress(p: Progress) -> None:
        if args.json:
            sys.stdout.write(json.dumps({"event": "progress", **p.to_json()}, default=str) + "\n")
            sys.stdout.flush()
        else:
            line(p)

    def on_started(n: int) -> None:
        if not args.quiet and not args.json:
            print(f"watching {plural(n, 'folder')}; Ctrl+C stops", file=sys.stderr)

    with _open(args, write=True, purpose="photosearch watch") as lib:
        folders.add_folders(lib, args.add or [])
        old = signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            data = watch(
                lib,
                stop,
                on_progress=on_progress,
                on_started=on_started,
                debounce=args.debounce,
                poll_interval=args.poll_interval,
            )
        finally:
            signal.signal(signal.SIGTERM, old)
            line.close()
    counts = data["counts"]
    if args.json:
        sys.stdout.write(json.dumps(data, default=str) + "\n")
    elif not args.quiet:
        print(
            f"stopped: {plural(counts['indexed'], 'photo')} indexed, {counts['pending']:,} pending, "
            f"{counts['error']:,} skipped; {data['encoded']:,} embedded this run",
            file=sys.stderr,
        )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from photosearch.app.status import status

    paths = _paths(args)
    with _open(args) as lib:
        data = status(lib)
    model_id, counts, index, encoder = data["model"], data["counts"], data["index"], data["image_encoder"]
    holder, folders, skipped = data["writer"], data["folders"], data["skipped"]

    def human() -> Iterable[str]:
        yield f"data:    {paths.data_dir}"
        yield f"model:   {model_id or 'none installed'}"
        yield (
            f"photos:  {plural(counts['indexed'], 'photo')} indexed, {counts['pending']:,} pending, "
            f"{counts['error']:,} skipped"
        )
        if data.get("text") and data["text"]["total"]:
            yield f"text:    read in {data['text']['read']:,} / {plural(data['text']['total'], 'photo')}"
        if index:
            yield f"index:   {index['health']} ({plural(index['embeddings'], 'embedding')})"
            for why in index.get("why_counts_differ") or []:
                yield f"         {why}"
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


def cmd_doctor(args: argparse.Namespace) -> int:
    from photosearch.app.doctor import check, machine

    report = check(_paths(args), repair=args.repair, full=args.full)
    speed = machine(_paths(args), speed_seconds=10.0 if getattr(args, "speed", False) else None)

    def human() -> Iterable[str]:
        yield from speed.lines()
        for line in report.repairs:
            yield f"repaired: {line}"
        if not report.findings:
            yield "all checks passed"
        for f in report.findings:
            hint = " (doctor --repair fixes this)" if f.repairable and not args.repair else ""
            yield f"{f.severity:7}  {f.check:10} {f.message}{hint}"
        yield ("clean" if report.clean else f"{plural(len(report.errors), 'problem')} found") + (
            f", {plural(len(report.warnings), 'warning')}" if report.warnings else ""
        )

    _emit(args, {**report.to_json(), "machine": speed.to_json()}, human)
    return 0 if report.clean else 1


def cmd_forget(args: argparse.Namespace) -> int:
    from photosearch.app.forget import forget, what_would_go

    paths = _paths(args)
    if not args.yes:
        names = ", ".join(p.name for p in what_would_go(paths)) or "nothing"
        raise QueryError(
            f"this deletes the library's catalog, index, thumbnails, backups and logs in "
            f"{paths.data_dir} ({names}); your photos and models stay. Run again with --yes"
        )
    done = forget(paths)
    _emit(
        args,
        {"removed": done.removed, "bytes_freed": done.bytes_freed},
        lambda: [
            f"forgot the library in {paths.data_dir}: removed {', '.join(done.removed) or 'nothing'} "
            f"({done.bytes_freed / 1e6:.1f} MB); your photos and models are untouched"
        ],
    )
    return 0
