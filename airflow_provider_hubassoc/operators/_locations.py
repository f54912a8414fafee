"""Where an operator will write, checked before HubSpot is touched.

A ``checkpoint_path`` that is a file, or a ``failures_path`` / ``output_path`` that is a directory, would
otherwise be found when the first chunk is saved: after HubSpot was already written to or read. Local paths are
checked cheaply (kind, nearest existing parent a writable directory); an object store is asked by creating and
removing a small probe object, since its permissions cannot be read.
"""

from __future__ import annotations

import os
import uuid
from typing import Literal

from airflow_provider_hubassoc._compat import AirflowFailException, ObjectStoragePath

_LOCAL_PROTOCOLS = ("", "file", "local")


class LocationError(AirflowFailException):
    """An output, failures or checkpoint location that cannot be written: named by its parameter."""


def check_writable_location(path: str, param: str, kind: Literal["file", "directory"]) -> None:
    """Refuse ``path`` unless this task can write a ``kind`` there (a file: also its ``.partial`` sibling).

    :param path: a local path or an ``ObjectStoragePath`` URL.
    :param param: the operator argument it came from, named in the error.
    :raises LocationError: the path is of the other kind, or its parent cannot be created or written.
    """
    location = ObjectStoragePath(path)
    if location.protocol in _LOCAL_PROTOCOLS:
        _check_local(location.path, path, param, kind)
        return
    if kind == "file" and location.is_dir():
        raise LocationError(f"{param} {path!r} is a directory: give a file path such as .../rows.csv")
    if kind == "directory" and location.is_file():
        raise LocationError(f"{param} {path!r} is a file: give a directory (a prefix) for checkpoints")
    probe = (location if kind == "directory" else location.parent) / f".hubassoc-probe-{uuid.uuid4().hex}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except Exception as error:  # any store's refusal (permissions, bucket, credentials), named with the parameter
        raise LocationError(
            f"{param} {path!r} cannot be written (a probe object could not be created and removed there): "
            f"{type(error).__name__}: {error}"
        ) from None


def _check_local(local: str, path: str, param: str, kind: str) -> None:
    if kind == "file" and os.path.isdir(local):
        raise LocationError(f"{param} {path!r} is a directory: give a file path such as .../rows.csv")
    if kind == "directory" and os.path.exists(local) and not os.path.isdir(local):
        raise LocationError(f"{param} {path!r} is a file: give a directory for checkpoints")
    folder = local if kind == "directory" else os.path.dirname(os.path.abspath(local))
    existing = folder
    while not os.path.exists(existing):  # the directories a write would create: their nearest existing parent
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if not os.path.isdir(existing):
        raise LocationError(f"{param} {path!r} cannot be created: {existing!r} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise LocationError(f"{param} {path!r} cannot be written: no write permission in {existing!r}")
