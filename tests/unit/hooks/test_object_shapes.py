"""The objects ``batch/read`` shape: a record or a miss nobody asked for, or a key left unanswered, is named."""

from __future__ import annotations

from airflow_provider_hubassoc.hooks.api._object_shapes import batch_read_shape


def record(record_id, **properties):
    return {"id": str(record_id), "properties": properties}


def test_an_answer_covering_every_key_passes():
    shape = batch_read_shape(["A@x.io", "b@x.io"], "email")
    body = {
        "results": [record(1, email="a@x.io")],
        "errors": [{"category": "OBJECT_NOT_FOUND", "context": {"ids": ["b@x.io"]}}],
    }
    assert shape(body) is None


def test_an_unasked_record_is_named():
    problem = batch_read_shape(["a@x.io"], "email")({"results": [record(1, email="z@x.io")]})
    assert "did not ask for" in problem


def test_an_unasked_miss_is_named():
    body = {"results": [], "errors": [{"category": "OBJECT_NOT_FOUND", "context": {"ids": ["z@x.io", "a@x.io"]}}]}
    assert "did not ask for" in batch_read_shape(["a@x.io"], "email")(body)


def test_a_key_neither_answered_nor_missed_is_named():
    assert "neither answered" in batch_read_shape(["a@x.io", "b@x.io"], "email")(
        {"results": [record(1, email="a@x.io")]}
    )


def test_by_id_a_merged_record_answers_its_old_ids():
    shape = batch_read_shape(["5", "7"], None)
    assert shape({"results": [record(9, hs_merged_object_ids="5;7")]}) is None
    assert "did not ask for" in shape({"results": [record(9, hs_merged_object_ids="6")]})


def test_an_undocumented_error_is_named():
    body = {"results": [], "errors": [{"category": "RATE_LIMITS", "context": {}}]}
    assert "does not document" in batch_read_shape(["a@x.io"], "email")(body)
