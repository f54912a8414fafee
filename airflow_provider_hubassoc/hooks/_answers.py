"""One gate for HubSpot's 2xx answers: each is checked against the shape its endpoint documents before anything
is counted, written or yielded.

A proxy's maintenance page, a WAF's HTML, a truncated or empty body, a record that was not asked for: read as
they come, each turned into "no associations" (an export of 0 rows) or "written" (``succeeded: 3``). Here each
raises :class:`~airflow_provider_hubassoc.exceptions.HubSpotAnswerError`, naming method, path, status, content
type and the body's first bytes. The check runs inside the transport's attempt (:func:`decode` is the
``check`` of :meth:`~._transport.HubSpotTransport.request`), so a read retries it like a 5xx and a write takes
it as a lost answer (the replay-safe path of :mod:`._writes`).

Kept cheap: the body is decoded once, here; shape checks look at what the caller reads per record (ids,
lists), and a row's own fields are checked by the decoding that reads them (:func:`row_problem` only runs to
name the field once that decoding failed).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_hubassoc.exceptions import HubSpotAnswerError
from airflow_provider_hubassoc.hooks._failures import as_int
from airflow_provider_hubassoc.hooks._json import loads

if TYPE_CHECKING:
    import requests

#: how much of a bad answer's body its error quotes
HEAD_BYTES = 200

#: a shape check: returns what is wrong with a decoded body, or ``None``
Shape = Callable[[Any], "str | None"]


def answer_error(
    method: str, path: str, status: int | None, content_type: str | None, content: bytes, problem: str
) -> HubSpotAnswerError:
    """The error of an answer of the wrong shape; quotes at most :data:`HEAD_BYTES` of the body."""
    head = content[:HEAD_BYTES].decode("utf-8", "replace")
    more = "..." if len(content) > HEAD_BYTES else ""
    return HubSpotAnswerError(
        f"answer not as documented: {problem} (Content-Type {content_type or 'missing'!r}, "
        f"{len(content)} bytes: {head!r}{more})",
        status=status,
        method=method,
        path=path,
        content_type=content_type,
        head=head,
    )


def decode(
    response: requests.Response,
    method: str,
    path: str,
    *,
    required: bool = False,
    shape: Shape | None = None,
    quick: Callable[[bytes], Any] | None = None,
) -> Any:
    """The decoded JSON of a 2xx answer, or raise :class:`HubSpotAnswerError`.

    :param required: the endpoint always answers a body (a batch read): an empty one is an error, not "none".
    :param shape: the endpoint's shape check, run on the decoded body.
    :param quick: tried first on a JSON answer's bytes: a body it returns is taken as checked; ``None`` means
        decode and check the whole answer (:mod:`._quick`).
    """
    content = response.content
    status = response.status_code
    if not content:
        if required:
            raise answer_error(method, path, status, response.headers.get("Content-Type"), content, "empty body")
        return None
    content_type = response.headers.get("Content-Type")
    if content_type is None or "json" not in content_type.lower():
        raise answer_error(method, path, status, content_type, content, "not JSON")
    if quick is not None:
        body = quick(content)
        if body is not None:
            return body
    try:
        body = loads(content)
    except ValueError as error:
        raise answer_error(method, path, status, content_type, content, f"invalid JSON ({error})") from None
    if body is None and required:
        raise answer_error(method, path, status, content_type, content, "null body")
    problem = shape(body) if shape is not None else None
    if problem is not None:
        raise answer_error(method, path, status, content_type, content, problem)
    return body


def batch_read(asked: Container[int], unasked: set[int] | None = None) -> Shape:
    """A batch read's answer (``BatchResponsePublicAssociationMultiWithErrors``): an object with a ``results``
    list of records, each with a ``from.id`` the request asked for and a ``to`` list; ``errors`` a list of
    objects. Per record, not per row: rows are checked where they are decoded (:func:`row_problem`).

    :param unasked: collects the ``from.id`` s not asked for instead of refusing them, for the caller to check
        they are merge survivors of ids it asked for (``api/_merges.py``; reference §20.8).
    """

    def check(body: Any) -> str | None:
        if unasked is not None:
            unasked.clear()  # per attempt
        if type(body) is not dict:
            return f"expected an object, got {type(body).__name__}"
        results = body.get("results")
        if type(results) is not list:
            return "field 'results' missing or not a list"
        for item in results:
            if type(item) is not dict:
                return "a 'results' item is not an object"
            source = item.get("from")
            from_id = as_int(source.get("id")) if type(source) is dict else None
            if from_id is None:
                return f"field 'from.id' missing or not an integer: {str(source)[:80]}"
            if from_id not in asked:
                if unasked is None:
                    return f"record {from_id} listed, which the request did not ask for"
                unasked.add(from_id)
            if type(item.get("to", [])) is not list:
                return f"field 'to' of record {from_id} is not a list"
            problem = paging_problem(item)
            if problem is not None:
                return problem
        return errors_problem(body)

    return check


def errors_problem(body: Mapping[str, Any]) -> str | None:
    """``errors``, when there, a list of objects (``StandardError``, reference §11.1)."""
    errors = body.get("errors")
    if errors is not None and (type(errors) is not list or any(type(e) is not dict for e in errors)):
        return "field 'errors' is not a list of objects"
    return None


def paging_problem(item: Mapping[str, Any]) -> str | None:
    """``paging.next.after`` (reference §2), when there: an object holding an object holding a cursor."""
    paging = item.get("paging")
    if paging is None:
        return None
    following = paging.get("next") if type(paging) is dict else None
    if type(paging) is not dict or (following is not None and type(following) is not dict):
        return f"field 'paging' not as documented: {str(paging)[:120]}"
    after = (following or {}).get("after")
    if after is not None and (isinstance(after, bool) or not isinstance(after, (str, int))):
        return f"field 'paging.next.after' is not a cursor: {str(after)[:120]}"
    return None


def row_problem(item: Any) -> str | None:
    """Which field of a ``MultiAssociatedObjectWithLabel`` row is wrong (``None``: none the provider reads);
    called only once a row's decoding failed, to name the field."""
    if not isinstance(item, Mapping):
        return f"a 'to' item is not an object: {str(item)[:80]}"
    if as_int(item.get("toObjectId")) is None:
        return f"field 'toObjectId' missing or not an integer: {str(item)[:120]}"
    types = item.get("associationTypes")
    if types is not None and not isinstance(types, list):
        return f"field 'associationTypes' is not a list: {str(item)[:120]}"
    for spec in types or []:
        if not isinstance(spec, Mapping):
            return f"an 'associationTypes' item is not an object: {str(spec)[:80]}"
        if spec.get("typeId") is not None and as_int(spec.get("typeId")) is None:
            return f"field 'typeId' not an integer: {str(spec)[:120]}"
    return None


def row_error(method: str, path: str, status: int, record: Mapping[str, Any]) -> HubSpotAnswerError:
    """A batch read record whose rows failed to decode, naming the field (the answer itself was JSON)."""
    rows = record.get("to") or []
    problems = (row_problem(row) for row in rows) if isinstance(rows, list) else iter(["'to' is not a list"])
    problem = next((p for p in problems if p is not None), "rows not as documented")
    return HubSpotAnswerError(
        f"answer not as documented: record {record.get('from', {}).get('id')}: {problem}",
        status=status,
        method=method,
        path=path,
        content_type="application/json",
        head=str(record)[:HEAD_BYTES],
    )
