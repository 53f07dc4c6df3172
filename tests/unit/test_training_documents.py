"""Which gold trains a model: train and dev, never test; the LODO estimate uses the core texts."""
from __future__ import annotations

import pytest

from nkner.corpus.store import load
from nkner.training.train import lodo_documents, training_documents


def test_training_documents_are_the_train_and_dev_gold():
    docs = training_documents()
    assert docs and {d.split for d in docs} <= {"train", "dev"} and all(d.is_gold for d in docs)
    assert {d.id for d in docs} == {d.id for d in load(gold_only=True) if d.split != "test"}


def test_test_documents_are_refused_by_name():
    test_ids = [d.id for d in load(split="test")][:2]
    with pytest.raises(ValueError, match=f"{test_ids[0]}.*for reporting only"):
        training_documents(test_ids)
    with pytest.raises(ValueError, match="test split is for reporting only"):
        training_documents(splits=("train", "test"))


def test_lodo_uses_the_five_core_texts():
    assert [d.id for d in lodo_documents()] == [d.id for d in load(core=True)] and len(lodo_documents()) == 5
