"""Commands about the library: folders, index, watch, status, doctor."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable

from photosearch.cli.output import ProgressLine, _emit, _open, _paths
from photosearch.progress import Progress


def cmd_folders(args: argparse.Namespace) -> int:
    from photosearch.app import folders

    write = args.action in ("add", "remove", "pause", "resume")
    with _open(args, write=write, purpose=f"photosearch folders {args.action}") as lib:
        if args.action == "add":
            rows = folders.add_folders(lib, args.paths)
            _emit(
                args,
                [r.__dict__ for r in rows],
                lambda: (
                    [f"added {r.path}" for r in rows]
                    + ["run 'photosearch index' (or 'photosearch watch') to index them"]
                ),
            )
        elif args.action == "remove":
            counts = folders.remove_folders(lib, args.paths)
            _emit(args, counts, lambda: [f"removed {p} ({n} photos)" for p, n in counts.items()])
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
    from photosearch.app.index import run_index

    for p in args.add or []:
        with _open(args, write=True, purpose="photosearch folders add") as lib:
            folders.add_folder(lib, p)
    with _open(args, write=True, purpose="photosearch index") as lib:
        line = ProgressLine(quiet=args.quiet)
        try:
            data = run_index(lib, batch_size=args.batch_size, on_progress=line)
        except KeyboardInterrupt:
            print("interrupted; what was indexed is kept", file=sys.stderr)
            return 130
        counts = data["counts"]
        _emit(
            args,
            data,
            lambda: [
                f"{counts['indexed']:,} photos indexed, {counts['error']:,} skipped, {counts['pending']:,} pending"
            ],
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
            print(f"watching {n} folder(s); Ctrl+C stops", file=sys.stderr)

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
            f"stopped: {counts['indexed']:,} photos indexed, {counts['pending']:,} pending, "
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


def cmd_doctor(args: argparse.Namespace) -> int:
    from photosearch.app.doctor import check

    report = check(_paths(args), repair=args.repair, full=args.full)

    def human() -> Iterable[str]:
        for line in report.repairs:
            yield f"repaired: {line}"
        if not report.findings:
            yield "all checks passed"
        for f in report.findings:
            hint = " (doctor --repair fixes this)" if f.repairable and not args.repair else ""
            yield f"{f.severity:7}  {f.check:10} {f.message}{hint}"
        yield ("clean" if report.clean else f"{len(report.errors)} problems found") + (
            f", {len(report.warnings)} warnings" if report.warnings else ""
        )

    _emit(args, report.to_json(), human)
    return 0 if report.clean else 1


def cmd_forget(args: argparse.Namespace) -> int:
    from photosearch.app.forget import forget, what_would_go
    from photosearch.errors import QueryError

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
