"""Keep one cache folder per running local runtime: prune those of runtimes that are gone.

WHY: every start of `make local` is a new user pool and runtime, so the tokens and sessions the client kept for
an earlier start can never be used again, and `<cache>/local-<pool>` folders would pile up. Each local folder
records which outputs file and runtime it belongs to; a folder whose outputs file is gone (the runtime stopped)
or now names another runtime (it restarted) is deleted. Another runtime that still runs keeps its folder.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from client.private_files import read_private_json, write_private_json
from client.targets import Target, merged_outputs

logger = logging.getLogger(__name__)

LOCAL_PREFIX = "local-"
RUNTIME_RECORD = "runtime.json"


def claim_local_cache(root: Path, target: Target) -> None:
    """Record that `root/<target.cache_key>` belongs to `target`, then delete every local folder whose runtime is gone.

    Args:
        root: the client's cache root (holding one folder per target).
        target: a local target read from an outputs file.
    """
    own = root / target.cache_key
    outputs_file = str(target.outputs_file.resolve()) if target.outputs_file else ""
    write_private_json(own / RUNTIME_RECORD, {"runtime_arn": target.runtime_arn, "outputs_file": outputs_file})
    for folder in root.glob(f"{LOCAL_PREFIX}*"):
        if folder != own and folder.is_dir() and _runtime_is_gone(folder):
            shutil.rmtree(folder, ignore_errors=True)
            logger.debug("folder=<%s> | pruned the cache of a local runtime that is gone", folder)


def _runtime_is_gone(folder: Path) -> bool:
    """True when the folder has no record (written before records existed) or its runtime no longer runs."""
    record = read_private_json(folder / RUNTIME_RECORD)
    if record is None or not record.get("outputs_file"):
        return True
    try:
        document = json.loads(Path(record["outputs_file"]).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False  # unreadable right now (being written?): keep it, the next run decides
    return not isinstance(document, dict) or merged_outputs(document).get("RuntimeArn") != record.get("runtime_arn")
