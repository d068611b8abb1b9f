"""The ``models`` verb of the hand-over: ``photosearch models import/install/use`` done by the running owner
(``photosearch.app.handover.models_request`` calls it), through ``photosearch.app.models``."""

from __future__ import annotations

from typing import Any

from photosearch.app.handover import HandoverError, Progress


def _download_dict(p: Any) -> dict[str, Any]:
    return {
        k: getattr(p, k, None)
        for k in (
            "file",
            "file_index",
            "file_count",
            "file_done",
            "file_total",
            "done",
            "total",
            "rate",
            "eta",
        )
    }


def models_request(args: dict[str, Any], lib: Any, progress: Progress) -> dict[str, Any]:
    """Do ``photosearch models import/install/use`` in the owner, through ``photosearch.app.models`` (runs on
    the hand-over thread: an import or a download takes a while). Download progress is streamed. Returns
    what the CLI prints: ``action``, ``installed``/``layout``/``checks`` or ``target``/``to_embed``, and
    ``active`` (the model searches use afterwards) and ``chosen`` (this model became, or is becoming, it)."""
    from photosearch.app import models as app_models
    from photosearch.app.model_install import (
        choose_installed,
        download_model,
        import_and_choose,
        install_and_choose,
        installed_already,
    )

    action = str(args.get("action"))
    name = str(args.get("name") or "")
    paths = lib.paths
    if action == "import":
        done = import_and_choose(lib, name, list(args.get("scripts") or ()), use=bool(args.get("use")))
        pkg, layout, chosen = done.package, done.layout, done.chosen
        checks = pkg.manifest.extra.get("import_checks", {})
        return {
            "action": action,
            "installed": pkg.id,
            "layout": layout,
            "checks": checks,
            "chosen": chosen,
            "active": lib.active_model_id(),
        }
    if action == "install":
        registry = app_models.load_registry()  # read once for both steps
        have = installed_already(paths, name, registry)
        if have is not None:  # sound and installed: nothing downloaded
            done = choose_installed(lib, have, use=bool(args.get("use")))
        else:
            fetched = download_model(
                name,
                paths,
                progress=lambda p: progress({"download": _download_dict(p)}),
                allow_unverified=bool(args.get("allow_unverified")),
                registry=registry,
            )
            done = install_and_choose(lib, fetched, use=bool(args.get("use")))
        pkg, chosen = done.package, done.chosen
        dl = pkg.manifest.extra.get("download") or {}
        return {
            "action": action,
            "installed": pkg.id,
            "chosen": chosen,
            "active": lib.active_model_id(),
            "commit": dl.get("commit"),
            "files": dl.get("files", {}),
            "already": have is not None,
        }
    if action == "use":
        missing = app_models.use_model(lib, name)
        if app_models.is_text_reader(paths, name):
            return {
                "action": action,
                "target": name,
                "to_embed": 0,
                "chosen": True,
                "active": name,
                "text_reader": True,
            }
        return {
            "action": action,
            "target": name,
            "to_embed": missing,
            "chosen": True,
            "active": lib.active_model_id(),
        }
    if action == "calibrate":
        from photosearch.app.calibrate import calibrate_model, forget_calibration

        if args.get("forget"):
            return {"action": action, **forget_calibration(lib, name or None)}
        return {"action": action, **calibrate_model(lib, name or None).to_json()}
    raise HandoverError(f"the running PhotoSearch cannot do 'models {action}'", 2)
