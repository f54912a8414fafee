"""The raw-bytes check of the common batch write answer (``hooks/_quick.py``): it may only spare the full decode
of an answer the full check accepts; every doubt falls back to that check, which still names what is wrong."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from airflow_provider_hubassoc.exceptions import HubSpotAnswerError
from airflow_provider_hubassoc.hooks._answers import decode
from airflow_provider_hubassoc.hooks._quick import quick_write_answer
from airflow_provider_hubassoc.hooks._shapes import batch_write

PAIRS = [(100 + i, i % 3 + 1) for i in range(6)]
ENVELOPE = {"startedAt": "2026-01-01T00:00:00.000Z", "completedAt": "2026-01-01T00:00:00.010Z"}


def default_answer(pairs: list[tuple[int, int]] = PAIRS) -> bytes:
    """``batch/associate/default`` as the emulator and HubSpot's examples write it: both directions."""
    results = []
    for f, t in pairs:
        spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}
        results.append({"from": {"id": str(f)}, "to": {"id": str(t)}, "associationSpec": spec})
        results.append(
            {"from": {"id": str(t)}, "to": {"id": str(f)}, "associationSpec": {**spec, "associationTypeId": 280}}
        )
    return compact({"status": "COMPLETE", "results": results, **ENVELOPE, "requestedAt": None, "links": {}})


def create_answer(pairs: list[tuple[int, int]] = PAIRS) -> bytes:
    """``batch/create``: ``LabelsBetweenObjectPair`` items, ids as numbers (reference §2)."""
    results = [
        {"fromObjectTypeId": "0-1", "fromObjectId": f, "toObjectTypeId": "0-2", "toObjectId": t, "labels": ["Bench"]}
        for f, t in pairs
    ]
    return compact({"status": "COMPLETE", "results": results, **ENVELOPE, "errors": [], "numErrors": 0})


def compact(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


class Answer:
    status_code = 201

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.headers = {"Content-Type": "application/json;charset=utf-8"}


def checks(pairs: list[tuple[int, int]] = PAIRS) -> tuple[Any, Any]:
    shape = batch_write(lambda: pairs)
    return shape, quick_write_answer(lambda: pairs)


def full(content: bytes) -> Any:
    """The full decode and check, as before the quick path."""
    return decode(Answer(content), "POST", "/batch", required=True, shape=checks()[0])  # type: ignore[arg-type]


@pytest.mark.parametrize("answer", [default_answer, create_answer])
def test_the_common_answer_is_taken_without_building_its_results(answer):
    envelope = checks()[1](answer())
    assert envelope is not None and envelope["results"] == [] and envelope["status"] == "COMPLETE"
    assert full(answer())["results"]  # the full check accepts it too


BAD = {
    "a record not asked for": lambda: default_answer().replace(b'"id":"101"', b'"id":"999"', 1),
    "a pair not asked for": lambda: create_answer().replace(b'"fromObjectId":101,', b'"fromObjectId":102,', 1),
    "a null id": lambda: default_answer().replace(b'"id":"101"', b'"id":null', 1),
    "a non-integer id": lambda: create_answer().replace(b'"fromObjectId":101,', b'"fromObjectId":"10a",', 1),
    "a float id": lambda: create_answer().replace(b'"fromObjectId":101,', b'"fromObjectId":101.5,', 1),
    "a truncated body": lambda: default_answer()[:-7],
    "results not a list": lambda: compact({"results": "x", **ENVELOPE}),
    "a second results key": lambda: default_answer()[:-1] + b',"results":"x"}',
    "an error naming an unasked record": lambda: create_answer().replace(
        b'"errors":[]', b'"errors":[{"category":"X","message":"m","context":{"fromObjectId":["555"]}}]'
    ),
    "a control character in a string": lambda: create_answer().replace(b'"Bench"', b'"Be\x01nch"', 1),
    "labels not a list": lambda: create_answer().replace(b'"labels":["Bench"]', b'"labels":"Bench"', 1),
    "not an object": lambda: b"[" + default_answer() + b"]",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_wrong_answer_is_left_to_the_full_check_which_refuses_it(name):
    content = BAD[name]()
    assert checks()[1](content) is None
    with pytest.raises(HubSpotAnswerError, match="answer not as documented"):
        full(content)


@pytest.mark.parametrize(
    "content",
    [
        default_answer().replace(b'"id":"101"', b'"id":"0101"', 1),  # a leading zero: int() reads 101
        default_answer().replace(b',"to":', b', "to":'),  # whitespace
        default_answer().replace(b'{"id":"100"}', b'{"id":100}'),  # an id as a number where HubSpot sends strings
        create_answer().replace(b'"fromObjectId":100,', b'"fromObjectId":"100",'),  # and the other way round
        default_answer().replace(b'"status":"COMPLETE"', '"status":"COMPLÉTÉ"'.encode()),  # not ASCII
        default_answer().replace(b'"results"', b'"r\\u0065sults"'),  # an escaped key
        create_answer().replace(b'"errors":[]', b'"errors":[{"category":"X","message":"m"}]'),  # any error
    ],
)
def test_an_unusual_but_valid_answer_falls_back_and_the_full_check_decides(content):
    assert checks()[1](content) is None
    full(content)  # accepted as before


def test_the_quick_check_never_accepts_what_the_full_check_refuses():
    """Byte-level fuzzing of both answers: whenever the quick check takes a mutant, the full check does too."""
    rng = random.Random(23)
    alphabet = b'{}[]",:0123456789 anull-\\'
    taken = 0
    for original in (default_answer(), create_answer()):
        for _ in range(1500):
            content = bytearray(original)
            for _ in range(rng.randint(1, 3)):
                at = rng.randrange(len(content))
                action = rng.random()
                if action < 0.4:
                    content[at] = rng.choice(alphabet)
                elif action < 0.7:
                    del content[at]
                else:
                    content.insert(at, rng.choice(alphabet))
            if checks()[1](bytes(content)) is not None:
                taken += 1
                full(bytes(content))  # raises if the full check refuses it
    assert taken > 0  # some harmless mutants (a timestamp digit) are taken: the comparison ran
