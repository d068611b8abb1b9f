"""The ``photosearch`` command line: everything the GUI does, with ``--json`` output.

A front end: it parses arguments, calls ``photosearch.app`` and prints (the only place outside the GUI that
does). Errors become one-line messages and exit codes. ``build_parser`` and ``main`` are here; the commands
are in ``library_cmds`` (folders, index, watch, status, doctor), ``search_cmds`` (search, similar,
duplicates) and ``models_cmd``; output helpers in ``output``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import re
import sys
import threading
from typing import NoReturn

from photosearch.cli.library_cmds import cmd_doctor, cmd_folders, cmd_forget, cmd_index, cmd_status, cmd_watch
from photosearch.cli.models_cmd import MODELS_HELP, cmd_models, version
from photosearch.cli.output import LiveLine, ProgressLine, ranged
from photosearch.cli.search_cmds import (
    album_parser,
    cmd_duplicates,
    cmd_places,
    cmd_search,
    cmd_similar,
    steering_opts,
)
from photosearch.errors import PhotoSearchError
from photosearch.terminal import shown

log = logging.getLogger("photosearch.cli")

__all__ = ["LiveLine", "ProgressLine", "build_parser", "main"]

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

  --image a.jpg --image b.jpg   photos like both (what they share); with text: "these, but in winter"
  --like x.jpg --unlike y.jpg    steer the results toward x and away from y (👍/👎, repeatable)
  --sort date | newest | oldest  the good matches only, by date taken (date = newest first)

relevance line:
  text: does the query describe the photo better than everyday captions ("a picture", "a dog") do?
  photos: how far a result stands out from the query's scores over the library; a copy always passes.
  Results below the line are marked weak ("passed": false in --json); a query with none above it says
  "no good matches". --strictness 1 (loosest) … 5 (strictest); 3, the default, is the model's calibrated
  line (a model without a calibration says "uncalibrated"; 'photosearch models calibrate' sets its text
  line on your own library, without labels).
"""


# ---------------------------------------------------------------------------------------------------
# parser


#: other words people use for an action (checked before spelling: difflib took 'uninstall' for 'install')
SYNONYMS = {
    **dict.fromkeys(("uninstall", "delete", "rm", "del"), "remove"),
    **dict.fromkeys(("download", "get", "pull", "fetch"), "install"),
    **dict.fromkeys(("switch", "activate", "select", "set"), "use"),
    **dict.fromkeys(("check", "test", "validate"), "verify"),
    **dict.fromkeys(("ls", "show"), "list"),
}


class _VersionAction(argparse.Action):
    """``--version``: the installed version is looked up only when asked for (importlib.metadata costs every
    other command's start, and an unprivileged user may not be able to import it: tests/reliability)."""

    def __call__(self, parser: argparse.ArgumentParser, *_args: object, **_kw: object) -> None:
        print(f"photosearch {version()}")
        parser.exit()


class _SuggestingParser(argparse.ArgumentParser):
    """A mistyped command or action gets the nearest one suggested ('albums' → 'album', 'serch' → 'search')."""

    def error(self, message: str) -> NoReturn:
        m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if m:
            import difflib  # only on a mistake: a correct command line never loads it

            choices = re.findall(r"'([^']*)'", m.group(2)) or [c.strip() for c in m.group(2).split(",")]
            meant = SYNONYMS.get(m.group(1).lower())  # another word for it ('uninstall' is not 'install')
            near = [meant] if meant in choices else []
            near = near or difflib.get_close_matches(m.group(1).lower(), choices, n=1, cutoff=0.6)
            if near:
                message += f"; did you mean '{near[0]}'?"
        super().error(message)


class _CommandParser(_SuggestingParser):
    """A sub-command's parser: options may come anywhere among its values (``folders add --yes PATH``,
    ``models import --use PATH``). Plain argparse binds an optional positional to nothing when an option
    comes between the verb and the value, then refuses the value as an unrecognized argument. A line with
    ``--`` is parsed as before: argparse's intermixed parsing would drop the ``--`` and read what follows
    it as options (``search -- -people``)."""

    _intermixing = False

    def parse_known_args(  # type: ignore[override]  # argparse's own signature, typed
        self, args: list[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._intermixing or (args is not None and "--" in args):  # intermixed: calls back here twice
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def build_parser() -> argparse.ArgumentParser:
    def global_options(defaults: bool) -> _CommandParser:
        # Sub-commands take the same options, but must not overwrite a value given before the
        # sub-command with their own default: theirs are SUPPRESSed.
        g = _CommandParser(add_help=False)
        g.add_argument(
            "--data-dir",
            default=None if defaults else argparse.SUPPRESS,
            help="where the catalog, index and models live "
            "(default: the platform's data folder; or PHOTOSEARCH_DATA_DIR)",
        )
        g.add_argument(
            "-v",
            "--verbose",
            action="count",
            default=0 if defaults else argparse.SUPPRESS,
            help="more log output",
        )
        return g

    common = global_options(defaults=False)
    p = _SuggestingParser(
        prog="photosearch",
        parents=[global_options(defaults=True)],
        description="Find photos in your own library by meaning — offline and private.",
        epilog=QUERY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action=_VersionAction, nargs=0, help="show the version and exit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_CommandParser)

    f = sub.add_parser("folders", parents=[common], help="add, remove, pause or list photo folders")
    f.add_argument(
        "action",
        choices=["add", "remove", "list", "pause", "resume", "exclude", "include", "text-on", "text-off"],
        help="text-on/text-off: read the text in the folder's photos (on by default) or not",
    )
    f.add_argument(
        "paths",
        nargs="*",
        default=[],  # not "required" (intermixed parsing would name it missing beside a missing action)
        help="folders; for exclude/include: FOLDER then sub-folder names or patterns",
    )
    f.add_argument("--yes", action="store_true", help="(add) also a disk's root, a home or a system folder")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_folders)

    i = sub.add_parser("index", parents=[common], help="index new and changed photos in the added folders")
    i.add_argument("--add", action="append", metavar="PATH", help="add this folder first")
    i.add_argument(
        "--batch-size",
        type=ranged(int, 1, 256),  # 256 photos at 224 px are ~150 MB of tensors, twice over while decoding
        default=16,
        help="photos per encoder run (1..256, default 16)",
    )
    i.add_argument("--no-text", action="store_true", help="skip reading the text in photos (the second pass)")
    i.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_index)

    def query_opts(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "-k",
            "-t",
            "--top",
            "--limit",
            dest="k",
            type=int,
            default=20,
            help="how many results (default 20)",
        )
        sp.add_argument("--json", action="store_true", help="rank, path, score (cosine), passed, … as JSON")
        sp.add_argument(
            "-f",
            "--filepath-only",
            action="store_true",
            help="print only the good matches' paths, one a line, as they are on disk (for xargs, feh, …)",
        )
        sp.add_argument(
            "--null", action="store_true", help="with -f: end each path with NUL, not newline (for xargs -0)"
        )
        sp.add_argument("--folder", help="only photos under this folder")
        sp.add_argument("--from", dest="date_from", metavar="DATE", help="taken on or after (YYYY[-MM[-DD]])")
        sp.add_argument("--to", dest="date_to", metavar="DATE", help="taken on or before (YYYY[-MM[-DD]])")
        sp.add_argument("--type", help="file types, e.g. jpg,png,heic (a file ending or a format)")
        sp.add_argument("--orientation", choices=["landscape", "portrait", "square"])
        sp.add_argument("--place", help="only photos taken in this country, region or city (needs GPS)")
        sp.add_argument("--camera", help="only photos taken with this camera (make or model)")
        sp.add_argument(
            "--literal", action="store_true", help="no place/time/camera words read from the text"
        )
        sp.add_argument(
            "--no-location",
            action="store_true",
            help="--json without coordinates or place names; --export-to: copies without them",
        )
        sp.add_argument("--export-to", metavar="FOLDER", help="also copy the good matches into this folder")
        steering_opts(sp)

    s = sub.add_parser(
        "search",
        parents=[common],
        help="search by text, by a photo, or both",
        epilog=QUERY_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument("text", nargs="*", help="what to look for (with --image: what should be different)")
    s.add_argument(
        "--image", metavar="PATH", action="append", help="a reference photo (repeat it for several photos)"
    )
    s.add_argument("--weight", type=float, default=0.5, help="image↔text balance for composed queries (0..1)")
    s.add_argument("--fusion", default="product", choices=["product", "slerp", "sum"])
    s.add_argument(
        "--text-only",
        action="store_true",
        help="only photos whose text (read in them) has these words; quotes: an exact phrase (no model needed)",
    )
    s.add_argument(
        "--lang",
        help="language of the query, for multilingual models (e.g. de, fr_FR, deu_Latn; default: the locale's)",
    )
    query_opts(s)
    s.set_defaults(func=cmd_search)

    pl = sub.add_parser(
        "places", parents=[common], help="where the photos were taken: country → city, counts"
    )
    pl.add_argument("--json", action="store_true")
    pl.set_defaults(func=cmd_places)

    sim = sub.add_parser("similar", parents=[common], help="photos similar to PATH")
    sim.add_argument("path")
    query_opts(sim)
    sim.set_defaults(func=cmd_similar)
    album_parser(sub, common)

    from photosearch.app.defaults import DEFAULT_MAX_DISTANCE, DEFAULT_THRESHOLD

    dup = sub.add_parser(
        "duplicates",
        parents=[common],
        help="groups of near-identical photos (copies, resized, re-encoded, slightly cropped)",
    )
    dup.add_argument(
        "--threshold",
        type=ranged(float, 0.0, 1.0),
        default=DEFAULT_THRESHOLD,
        help=f"least embedding similarity of two copies, 0..1 (default {DEFAULT_THRESHOLD})",
    )
    dup.add_argument(
        "--max-distance",
        type=ranged(int, 0, 64),
        default=DEFAULT_MAX_DISTANCE,
        help=f"most perceptual-hash bits two copies may differ in, of 64 (default {DEFAULT_MAX_DISTANCE}; "
        "64 = embeddings only)",
    )
    dup.add_argument("--json", action="store_true")
    dup.set_defaults(func=cmd_duplicates)

    st = sub.add_parser(
        "status", parents=[common], help="folders, counts, model, index health, skipped files"
    )
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)

    w = sub.add_parser(
        "watch", parents=[common], help="keep the index up to date as folders change (foreground)"
    )
    w.add_argument("--add", action="append", metavar="PATH", help="add this folder first")
    w.add_argument(
        "--debounce",
        type=ranged(float, 0.0),
        default=0.5,
        help="seconds of quiet before changes are applied",
    )
    w.add_argument(
        "--poll-interval",
        type=ranged(float, 0.0, above=True),
        default=5.0,
        help="seconds between checks of folders that can't be watched (network shares, watch limit)",
    )
    w.add_argument("-q", "--quiet", action="store_true", help="no progress line")
    w.add_argument("--json", action="store_true", help="progress events as JSON lines on stdout")
    w.set_defaults(func=cmd_watch)

    m = sub.add_parser(
        "models",
        parents=[common],
        help="list, install, import, use, remove, verify or calibrate models",
        epilog=MODELS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    m.add_argument("action", choices=["list", "install", "import", "use", "remove", "verify", "calibrate"])
    m.add_argument("name", nargs="?", help="model id, or a folder for import")
    m.add_argument("--use", action="store_true", help="(import, install) make it the active model")
    m.add_argument(
        "--later",
        action="store_true",
        help="(use) only choose the model; 'photosearch index' or 'watch' re-embeds and switches",
    )
    m.add_argument("--dry-run", action="store_true", help="(install) print the exact URLs it would request")
    m.add_argument(
        "--model", help="(calibrate) the model to calibrate on this library (default: the one in use)"
    )
    m.add_argument(
        "--forget",
        action="store_true",
        help="(calibrate) drop this library's calibration: the model's own line again",
    )
    m.add_argument(
        "--script",
        action="append",
        default=[],
        help="(import of a text-recognition model) a script it reads, e.g. cyrillic; repeat for several",
    )
    m.add_argument(
        "--allow-unverified",
        action="store_true",
        help="(install) accept files for which neither the registry nor the hub gives a hash",
    )
    m.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_models)

    d = sub.add_parser(
        "doctor",
        parents=[common],
        help="check the catalog, index, thumbnails and models; --repair fixes what can be fixed",
    )
    d.add_argument(
        "--repair", action="store_true", help="repair what can be repaired (takes the writer lock)"
    )
    d.add_argument(
        "--full", action="store_true", help="full SQLite integrity check and model checksums (slower)"
    )
    d.add_argument(
        "--speed", action="store_true", help="a 10-second indexing self-test: photos/s on this machine"
    )
    d.add_argument("--json", action="store_true")
    d.set_defaults(func=cmd_doctor)
    fg = sub.add_parser(
        "forget",
        parents=[common],
        help="delete everything PhotoSearch derived from your photos (catalog, index, thumbnails, backups, logs); "
        "photos and models stay",
    )
    fg.add_argument("--yes", action="store_true", help="really delete")
    fg.add_argument("--json", action="store_true")
    fg.set_defaults(func=cmd_forget)
    return p


class _ShownFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:  # the logging API's name
        return shown(super().formatMessage(record))  # the message; a traceback after it keeps its lines


def setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    for h in logging.getLogger().handlers:  # file names in log lines are shown escaped too
        h.setFormatter(_ShownFormatter("%(levelname)s %(name)s: %(message)s"))


DISK_ERRORS = {
    errno.ENOSPC: "the disk is full: free some space and try again",
    errno.EDQUOT: "the disk is full: free some space and try again",
    errno.EROFS: "the disk is read-only",
    errno.EFBIG: "a file is larger than the disk or a file-size limit allows",  # FAT32's 4 GB, ulimit -f
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    if args.command == "models" and args.action not in ("list", "calibrate", "verify") and not args.name:
        parser.error(f"models {args.action} needs a NAME")
    try:
        return int(args.func(args) or 0)
    except PhotoSearchError as e:
        print(f"photosearch: {shown(e)}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        if threading.active_count() > 1:  # a loader thread (ONNX Runtime, an import) may still be running:
            # the interpreter's shutdown would wait for it or tear its native objects down under it (an abort,
            # 'terminate called without an active exception'); what had to be saved was saved on the way out
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(130)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:  # a full or read-only disk that no layer below turned into a clear message
        if e.errno in DISK_ERRORS:
            # a copy or a rename names its source first: the file being written is the second one
            print(
                f"photosearch: {DISK_ERRORS[e.errno]} ({shown(e.filename2 or e.filename or e)})",
                file=sys.stderr,
            )
            return 6
        raise


if __name__ == "__main__":
    sys.exit(main())
