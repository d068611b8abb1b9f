"""Nothing leaves the machine: the telemetry of the libraries we use is switched off before any of them
loads. Imported first by ``photosearch/__init__.py``, so every entry point (CLI, GUI, tests, benchmarks)
gets it before ``onnxruntime`` or ``openvino`` can be imported.

* ONNX Runtime (Linux wheels included) writes ``~/.cache/Microsoft/DeveloperTools/.onnxruntime/``
  (``deviceid``, ``onnxruntime.db``) when its environment starts and may contact Microsoft's collector;
  ``ORT_DISABLE_TELEMETRY=1`` turns both off (measured: no file, no connection).
* OpenVINO's ``import openvino`` imports its model converter (``openvino.tools.ovc``), which sends a
  Google Analytics event through the ``openvino_telemetry`` package and writes ``~/intel/openvino_ga_cid``
  and ``~/intel/stats``. Its only switches are a consent file in the home folder or ``CI=true``; neither is
  ours to set, so the telemetry package is made unimportable here and OpenVINO falls back to its built-in
  no-op stub (``openvino.tools.ovc.telemetry_stub``). Nothing we run needs the converter's telemetry.
* Generic opt-outs honoured by other libraries (Hugging Face Hub, "Do Not Track") are set too.
"""

from __future__ import annotations

import sys

from photosearch.config import export_setting

# environment variable -> value: read by the libraries when they start
OPT_OUTS = {
    "ORT_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "DO_NOT_TRACK": "1",
}
# modules that only report usage: imports of them fail (their callers fall back to no-op stubs)
BLOCKED_MODULES = ("openvino_telemetry",)


def silence_telemetry() -> None:
    """Set every opt-out and block the telemetry-only modules. Idempotent; cheap (no imports)."""
    for name, value in OPT_OUTS.items():
        export_setting(name, value)
    for mod in BLOCKED_MODULES:
        if mod not in sys.modules:
            sys.modules[mod] = None  # type: ignore[assignment]  # "import X" then raises ImportError
