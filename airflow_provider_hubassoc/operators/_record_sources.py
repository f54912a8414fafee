"""The records an export reads when it is given no id list: every record of the type, or those modified in the
data interval (the hook's :meth:`~..hooks.associations.HubSpotAssociationsHook.iter_record_ids` and
:meth:`~..hooks.associations.HubSpotAssociationsHook.iter_modified_record_ids`), streamed: ids are chunked as
they come, never all held.

Resume: after each chunk the checkpoint keeps the last id done (and, for the list, the cursor of the page it
came on). A resumed export starts the list at that page past that id, or the search past that id
(``hs_object_id GT``), so no record is read twice or skipped; both go by id ascending (HubSpot's list pages by
id, and the search is sorted by ``hs_object_id``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc._compat import AirflowFailException
from airflow_provider_hubassoc.exceptions import HubSpotInputError
from airflow_provider_hubassoc.hooks.api.object_listing import epoch_millis
from airflow_provider_hubassoc.operators._pair_input import check_one_source

if TYPE_CHECKING:
    from airflow_provider_hubassoc._compat import Context
    from airflow_provider_hubassoc.hooks.associations import HubSpotAssociationsHook
    from airflow_provider_hubassoc.hooks.models import AssociationRow, BatchResult
    from airflow_provider_hubassoc.operators._checkpoint import Checkpoint
    from airflow_provider_hubassoc.operators._job import ChunkCallback

#: ``records=``: every record of ``from_object_type`` (list), or those modified in the data interval (search)
RECORD_MODES = ("all", "modified")
#: the checkpoint's ``extra`` key of the resume point
RESUME_KEY = "records_after"
#: columns of exported association rows, and the one ``with_asked_id=True`` adds
EXPORT_COLUMNS = ("from_object_type", "from_id", "to_object_type", "to_id", "type_ids", "categories", "labels")
ASKED_COLUMN = "asked_from_id"


def export_columns(with_asked_id: bool) -> tuple[str, ...]:
    return (*EXPORT_COLUMNS, ASKED_COLUMN) if with_asked_id else EXPORT_COLUMNS


def check_records(records: str | None, since: Any, until: Any, **id_sources: Any) -> None:
    """Exactly one of ``records`` and the id sources (``record_ids=``, ``input_path=``), and
    ``modified_since``/``modified_until`` only with ``records="modified"``."""
    if records is None:
        if since is not None or until is not None:
            raise ValueError('modified_since/modified_until go with records="modified"')
        check_one_source(*id_sources.items())
        return
    if records not in RECORD_MODES:
        raise ValueError(f"records must be one of {RECORD_MODES}, got {records!r}")
    if any(source is not None for source in id_sources.values()):
        raise ValueError("records= reads the records from HubSpot: give it without record_ids/input_path")
    if records == "all" and (since is not None or until is not None):
        raise ValueError('modified_since/modified_until go with records="modified"')


def modified_window(context: Context, since: Any, until: Any) -> tuple[int, int]:
    """``[since, until)`` in epoch ms: the explicit values, else the run's data interval."""
    low = since if since not in (None, "") else (context or {}).get("data_interval_start")
    high = until if until not in (None, "") else (context or {}).get("data_interval_end")
    if low is None or high is None:
        raise AirflowFailException(
            'records="modified" needs a data interval (a scheduled run) or modified_since= and modified_until='
        )
    try:
        window = epoch_millis(_moment(low)), epoch_millis(_moment(high))
    except HubSpotInputError as error:
        raise AirflowFailException(error.message) from None
    if window[1] <= window[0]:
        raise AirflowFailException(f"the modified window is empty: since {low} is not before until {high}")
    return window


def _moment(value: Any) -> datetime | int | str:
    return value if isinstance(value, (datetime, int, str)) else str(value)


class RecordSource:
    """The ids of one export attempt, remembered from the yield until their chunk is checkpointed.

    :param resume: the checkpoint's resume point (:data:`RESUME_KEY`), or ``None`` to start at the beginning.
    """

    def __init__(
        self,
        hook: HubSpotAssociationsHook,
        object_type: str,
        mode: str,
        window: tuple[int, int] | None,
        resume: Mapping[str, Any] | None,
    ) -> None:
        self.hook, self.object_type, self.mode, self.window = hook, object_type, mode, window
        self.resume = dict(resume or {})
        self.count = 0
        #: position -> (id, page cursor) of ids yielded and not yet checkpointed
        self._pending: dict[int, tuple[int, str | None]] = {}

    def __iter__(self) -> Iterator[int]:
        after_id = self.resume.get("id")
        if self.mode == "all":
            listed = self.hook.iter_record_ids(self.object_type, after=self.resume.get("page"), after_id=after_id)
            pairs: Iterator[tuple[int, str | None]] = ((item.id, item.page) for item in listed)
        else:
            assert self.window is not None  # "modified" always has its window
            since, until = self.window
            found = self.hook.iter_modified_record_ids(self.object_type, since, until, after_id=after_id)
            pairs = ((record_id, None) for record_id in found)
        for record_id, page in pairs:
            self._pending[self.count] = (record_id, page)
            self.count += 1
            yield record_id

    def done(self, end: int) -> dict[str, Any]:
        """The resume point once the first ``end`` ids of this attempt are read (and forget them)."""
        last = self._pending.get(end - 1)
        for position in [p for p in self._pending if p < end]:
            del self._pending[position]
        if last is not None:
            self.resume = {"id": last[0], "page": last[1]}
        return self.resume

    def saver(self, checkpoint: Checkpoint | None, base: ChunkCallback) -> ChunkCallback:
        """``base`` (the export's checkpoint saver) with the resume point saved beside each chunk's counts."""

        def save(start: int, end: int, running: BatchResult) -> None:
            point = self.done(end)
            if checkpoint is not None:
                checkpoint.extra[RESUME_KEY] = point
            base(start, end, running)

        return save


def with_asked(row: dict[str, Any], source: AssociationRow) -> dict[str, Any]:
    """An exported row with the id asked for (``from_id`` unless HubSpot answered under a merged record)."""
    row[ASKED_COLUMN] = source.asked_from_id if source.asked_from_id is not None else source.from_id
    return row
