"""The event-trigger verifier, the dense feature block of the linear classifiers, and the relation
extractor's contextual-vector features (Docs built by hand; no trained nkner model needed)."""
from __future__ import annotations

import numpy as np
import pytest

import nkner.pipeline.extensions  # noqa: F401
from nkner.corpus.segment import make_doc
from nkner.pipeline.components import RelationExtractor
from nkner.pipeline.features import (candidate_pairs, entity_labels_by_token, is_trigger_candidate,
                                     relation_dense, token_vectors, trigger_features)
from nkner.pipeline.linear import LinearModel
from nkner.pipeline.triggers import EventTriggerVerifier

TAGS = {"deported": "VBD", "expelled": "VBD", "arrested": "VBD", "detained": "VBD", "fled": "VBD",
        "published": "VBD", "read": "VBD", "report": "NN", "table": "NN", "letter": "NN", "book": "NN",
        "refugees": "NNS", "defectors": "NNS", "China": "NNP", "Russia": "NNP", "Laos": "NNP", "Seoul": "NNP"}
EVENTS = {"deported", "expelled", "arrested", "detained", "fled"}


def tagged(text: str, events: set[str] = EVENTS, actors=("China", "Russia", "Laos", "Seoul", "refugees",
                                                         "defectors")):
    """A Doc with hand-set tags and entities: the given words as EVENT, the actors as ACTOR."""
    doc = make_doc(text)
    for tok in doc:
        tok.tag_ = TAGS.get(tok.text, "DT" if tok.is_alpha else ".")
    doc.ents = [doc.char_span(t.idx, t.idx + len(t), label="EVENT" if t.text in events else "ACTOR",
                              alignment_mode="strict")
                for t in doc if t.text in events or t.text in actors]
    return doc


def training_docs():
    texts = ["China deported refugees . Russia published the report .",
             "Russia expelled defectors . Laos read the book .",
             "Laos arrested refugees . China published the letter .",
             "Seoul detained defectors . Seoul read the table .",
             "refugees fled China . defectors read the report ."]
    return [tagged(t) for t in texts]


def test_trigger_candidates_are_alphabetic_verbs_and_nouns():
    doc = tagged("China deported refugees . Russia read the report .")
    assert [t.text for t in doc if is_trigger_candidate(t)] == ["China", "deported", "refugees", "Russia", "read",
                                                                 "report"]
    labels_of = entity_labels_by_token(doc)
    assert labels_of == {0: "ACTOR", 2: "ACTOR", 4: "ACTOR"}  # EVENTs are left out
    f = trigger_features(doc[1], labels_of)
    assert f["w=deported"] == 1.0 and f["tag=VBD"] == 1.0 and f["prev=china"] == 0.5


def test_verifier_adds_missed_triggers_and_drops_implausible_events():
    verifier = EventTriggerVerifier(None, drop_below=0.3, add_at=0.6, vector_scale=0.0)
    n = verifier.fit(training_docs())
    assert n == sum(1 for d in training_docs() for t in d
                    if is_trigger_candidate(t) and not any(t.i in range(e.start, e.end)
                                                           for e in d.ents if e.label_ != "EVENT"))
    # the NER missed "expelled" and wrongly called "report" an EVENT
    doc = tagged("Laos expelled refugees . Seoul published the report .", events={"report"})
    assert [e.text for e in doc.ents if e.label_ == "EVENT"] == ["report"]
    verifier(doc)
    assert [e.text for e in doc.ents if e.label_ == "EVENT"] == ["expelled"]
    assert verifier.last_changes == {"dropped": 1, "added": 1}
    assert [e.text for e in doc.ents if e.label_ == "ACTOR"] == ["Laos", "refugees", "Seoul"]


def test_verifier_sides_can_be_switched_off_and_settings_come_from_the_config(tmp_path):
    import spacy

    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "nkner.Tokenizer.v1"}}})
    verifier = nlp.add_pipe("nkner_event_triggers", config={"drop_below": 0.0, "add_at": 1.1, "vector_scale": 0.0})
    verifier.fit(training_docs())
    doc = tagged("Laos expelled refugees . Seoul published the report .", events={"report"})
    verifier(doc)
    assert [e.text for e in doc.ents if e.label_ == "EVENT"] == ["report"]  # nothing changed
    nlp.to_disk(tmp_path / "nlp")
    back = spacy.load(tmp_path / "nlp").get_pipe("nkner_event_triggers")
    assert (back.drop_below, back.add_at, back.vector_scale) == (0.0, 1.1, 0.0)
    assert back.model.classes == verifier.model.classes and back.n_examples == verifier.n_examples > 0
    # the settings are the config's: another config over the same learned state changes them
    other = spacy.load(tmp_path / "nlp", config={"components": {"nkner_event_triggers": {"drop_below": 0.3}}})
    assert other.get_pipe("nkner_event_triggers").drop_below == 0.3
    toks = list(tagged("Laos expelled refugees .")[:])
    labels_of = {}
    assert np.allclose(back.scores(toks, labels_of), verifier.scores(toks, labels_of))


def test_without_tags_the_verifier_stays_untrained_and_changes_nothing():
    untagged = [make_doc("China deported refugees .")]
    untagged[0].ents = [untagged[0].char_span(6, 14, label="EVENT")]
    verifier = EventTriggerVerifier(None)
    assert verifier.fit(untagged) == 0 and not verifier.model.is_trained
    doc = tagged("Laos expelled refugees . Seoul published the report .", events={"report"})
    assert [e.text for e in verifier(doc).ents if e.label_ == "EVENT"] == ["report"]


def test_untrained_verifier_leaves_the_doc_alone():
    doc = tagged("China deported refugees .")
    before = [(e.start, e.end, e.label_) for e in doc.ents]
    EventTriggerVerifier(None)(doc)
    assert [(e.start, e.end, e.label_) for e in doc.ents] == before


# ------------------------------------------------------------------------------------------------
# dense block


def test_linear_model_learns_from_a_dense_block_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(200, 4))
    labels = ["yes" if row[2] > 0 else "no" for row in dense]
    feats = [{"bias": 1.0}] * 200  # nothing to learn from the named features
    model = LinearModel().fit(feats, labels, c=10.0, dense=dense)
    assert model.n_dense == 4
    pred = np.array(model.classes)[model.predict_proba(feats, dense).argmax(axis=1)]
    assert (pred == np.array(labels)).mean() > 0.95
    model.to_disk(tmp_path / "m")
    back = LinearModel.from_disk(tmp_path / "m")
    assert back.n_dense == 4
    assert np.allclose(back.predict_proba(feats[:5], dense[:5]), model.predict_proba(feats[:5], dense[:5]))
    with pytest.raises(ValueError, match="dense block"):
        model.predict_proba(feats[:5])
    with pytest.raises(ValueError, match="rows"):
        LinearModel().fit(feats, labels, dense=dense[:10])


def _with_vectors(doc, width: int = 3):
    doc.tensor = np.arange(len(doc) * width, dtype=np.float32).reshape(len(doc), width)
    return doc


def test_relation_dense_rows_hold_head_tail_and_between_vectors():
    doc = _with_vectors(tagged("China deported the refugees ."))
    assert token_vectors(doc).shape == (len(doc), 3)
    china, deported, refugees = doc.ents
    rows = relation_dense([(deported, china), (deported, refugees)], scale=0.5)
    v = doc.tensor
    assert np.allclose(rows[0], 0.5 * np.concatenate([v[1], v[0], np.zeros(3)]))  # adjacent: no words between
    assert np.allclose(rows[1], 0.5 * np.concatenate([v[1], v[3], v[2]]))  # "the" between
    assert relation_dense([(deported, china)], scale=0.0) is None
    plain = tagged("China deported the refugees .")
    assert token_vectors(plain) is None
    assert relation_dense([(plain.ents[1], plain.ents[0])], scale=0.5) is None
    assert relation_dense([(plain.ents[1], plain.ents[0])], scale=0.5, width=3).shape == (1, 9)


def test_relation_extractor_uses_vectors_when_the_backbone_gives_them(tmp_path):
    from test_components import _training_doc

    docs = [_with_vectors(_training_doc(a, v)) for a, v in [("China", "refugees"), ("Beijing", "defectors"),
                                                            ("Laos", "escapees")]]
    rx = RelationExtractor(None, vector_scale=0.15)
    rx.fit(docs)
    assert rx.model.n_dense == 9
    rx.to_disk(tmp_path / "rel")
    back = RelationExtractor(None).from_disk(tmp_path / "rel")
    assert back.vector_scale == 0.15 and back.model.n_dense == 9
    new = _with_vectors(_training_doc("Vietnam", "migrants"))
    assert rx(new)._.relations == back(_with_vectors(_training_doc("Vietnam", "migrants")))._.relations
    # a Doc without vectors gets the relations of all-zero vectors (zeros in the dense block)
    without = back(_training_doc("Vietnam", "migrants"))._.relations
    zeros = _training_doc("Vietnam", "migrants")
    zeros.tensor = np.zeros((len(zeros), 3), dtype=np.float32)
    assert without == back(zeros)._.relations
    assert without != rx(_with_vectors(_training_doc("Vietnam", "migrants")))._.relations or \
        not np.any(rx.model.coef[:, -9:])
    off = RelationExtractor(None, vector_scale=0.0)
    off.fit(docs)
    assert off.model.n_dense == 0 and len(candidate_pairs(docs[0])) > 0
