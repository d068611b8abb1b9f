"""What image decoders say about one photo stays out of the terminal: the photo's skip reason (or nothing,
when its pixels are fine) is what the person needs, and the decoders' own words go to the log at INFO (the
GUI's log file; ``photosearch -v``) or nowhere.

- Pillow's log lines (e.g. ``PIL.TiffImagePlugin`` errors about a broken file): relayed to our log.
- Pillow's and pillow-heif's warnings (a corrupt EXIF block, a tag past the end of the file, a palette with
  transparency): one process-wide filter, set once at import (the EXIF read by the metadata pass is
  covered too). ``warnings.catch_warnings()`` around each decode swapped the process's filter list from
  several decode threads at once, let warnings through, and could leave every warning ignored.
- libtiff's error and warning handlers, which print on the process's stderr from C ("ZIPDecode: Decoding
  error at scanline 68, incorrect data check."): cleared (Pillow raises its own error for the photo).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import warnings

from PIL import Image

log = logging.getLogger("photosearch.library.imaging")


class _RelayDecoderLog(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        log.info("%s: %s", record.name, record.getMessage())


warnings.filterwarnings("ignore", module=r"(PIL|pillow_heif)(\.|$)")
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

_pil_log = logging.getLogger("PIL")
if not any(isinstance(h, _RelayDecoderLog) for h in _pil_log.handlers):
    _pil_log.addHandler(_RelayDecoderLog())
    _pil_log.propagate = False

_libtiff_quiet = False
_libtiff_lock = threading.Lock()


def quiet_libtiff() -> None:
    """Clear the handlers of every libtiff loaded in this process (Pillow's own copy), once: called before
    the first TIFF is decoded, when Pillow's decoder has loaded it. Linux (``/proc/self/maps``); elsewhere
    nothing changes."""
    global _libtiff_quiet
    if _libtiff_quiet:
        return
    import ctypes  # here, not at import: a search that decodes no TIFF never loads it

    with _libtiff_lock:
        if _libtiff_quiet:
            return
        _libtiff_quiet = True
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
                libs = {line.split()[-1] for line in f if "libtiff" in line and ".so" in line}
        except OSError:
            return
        for path in libs:
            with contextlib.suppress(OSError, AttributeError):
                lib = ctypes.CDLL(path)
                for name in ("TIFFSetErrorHandler", "TIFFSetWarningHandler"):
                    setter = getattr(lib, name)
                    setter.restype = ctypes.c_void_p
                    setter.argtypes = [ctypes.c_void_p]
                    setter(None)
