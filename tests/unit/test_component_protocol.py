"""The fitted components follow spaCy's component protocol: learned state set in ``initialize``,
saved through ``to_bytes``/``to_disk`` honouring ``exclude``, settings from the config only, and a
``score`` that spaCy's ``Scorer`` (``nlp.evaluate``) reports (Docs built by hand; no trained model)."""
from __future__ import annotations

import spacy
from spacy import util
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example

from test_components import PAIRS, _training_doc
from test_triggers import TAGS

FITTED = ("nkner_event_triggers", "nkner_event_typer", "nkner_relations")


@Language.component("test_hand_tags", assigns=["token.tag"])
def hand_tags(doc: Doc) -> Doc:
    """Stands in for a tagger: the tags of test_triggers.TAGS."""
    for tok in doc:
        tok.tag_ = TAGS.get(tok.text, "VBD" if tok.text in ("deported", "fled") else
                            "DT" if tok.is_alpha else ".")
    return doc


def gold_examples(nlp: Language) -> list[Example]:
    return [Example(nlp.make_doc(ref.text), ref) for ref in (_training_doc(*args) for args in PAIRS)]


def pipeline(**relations_cfg) -> Language:
    nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "nkner.Tokenizer.v1"}}})
    nlp.add_pipe("nkner_sentences")
    nlp.add_pipe("test_hand_tags")
    for name in FITTED:
        nlp.add_pipe(name, config=relations_cfg if name == "nkner_relations" else {})
    return nlp


def outputs(nlp: Language, texts: list[tuple]) -> list:
    """Entities, event types and relations of the fitted components on new texts with gold entities."""
    docs = [with_gold_ents(nlp, args, FITTED) for args in texts]
    return [([(e.start_char, e.end_char, e.label_, e._.event_type) for e in d.ents], d._.relations) for d in docs]


def with_gold_ents(nlp: Language, args, names=("nkner_event_typer", "nkner_relations")) -> Doc:
    """A new text with its gold entities set, then the named fitted components run on it."""
    gold = _training_doc(*args)
    doc = nlp.make_doc(gold.text)
    doc.ents = [doc.char_span(e.start_char, e.end_char, label=e.label_) for e in gold.ents]
    for name in ("nkner_sentences", "test_hand_tags", *names):
        doc = nlp.get_pipe(name)(doc)
    return doc


def test_initialize_fits_every_component_on_the_gold_and_seeds_come_from_the_config():
    nlp = pipeline()
    assert not any(nlp.get_pipe(n).model.is_trained for n in FITTED)
    nlp.initialize(lambda: gold_examples(nlp))
    trig, typer, rel = (nlp.get_pipe(n) for n in FITTED)
    assert trig.model.is_trained and typer.model.is_trained and rel.model.is_trained
    assert typer.n_examples == 2 * len(PAIRS)  # "deported" and "fled" in each document
    assert sorted(typer.model.classes) == ["flight", "repatriation"]
    assert rel.n_examples > 0 and rel.cv_f1 is not None and rel.threshold in rel.thresholds
    # the learned state the components' own fit gives on the same gold: initialize adds nothing else
    from nkner.pipeline.components import RelationExtractor
    by_hand = RelationExtractor(None)
    by_hand.fit([_training_doc(*args) for args in PAIRS])
    assert (by_hand.threshold, by_hand.single, by_hand.cv_f1) == (rel.threshold, rel.single, rel.cv_f1)
    doc = with_gold_ents(nlp, ("Vietnam", "migrants"))
    assert [e._.event_type for e in doc.ents if e.label_ == "EVENT"] == ["repatriation", "flight"]


def test_a_fixed_threshold_in_the_config_is_the_one_used():
    nlp = pipeline(threshold=0.45)
    nlp.initialize(lambda: gold_examples(nlp))
    rel = nlp.get_pipe("nkner_relations")
    assert rel.threshold == 0.45 and rel.cv_f1 is None  # no cross-validation


def test_round_trips_through_bytes_and_disk_give_identical_output(tmp_path):
    nlp = pipeline()
    nlp.initialize(lambda: gold_examples(nlp))
    texts = [("Vietnam", "migrants"), ("Cuba", "sailors", False)]
    expected = outputs(nlp, texts)
    assert any(rels for _, rels in expected)
    again = util.get_lang_class("en").from_config(nlp.config)
    assert outputs(again, texts) != expected  # not fitted yet: the state comes from the bytes
    again.from_bytes(nlp.to_bytes())
    assert outputs(again, texts) == expected
    nlp.to_disk(tmp_path / "nlp")
    assert outputs(spacy.load(tmp_path / "nlp"), texts) == expected
    # the saved config holds the settings; the component's own files hold only learned state
    assert not (tmp_path / "nlp" / "nkner_relations" / "cfg.txt").exists()
    assert spacy.load(tmp_path / "nlp").config["components"]["nkner_relations"]["threshold"] is None


def test_exclude_is_honoured_by_every_fitted_component(tmp_path):
    nlp = pipeline()
    nlp.initialize(lambda: gold_examples(nlp))
    for name in FITTED:
        comp = nlp.get_pipe(name)

        def fresh():
            return util.get_lang_class("en").from_config(nlp.config).get_pipe(name)
        only_cfg = fresh().from_bytes(comp.to_bytes(exclude=["model"]))
        assert not only_cfg.model.is_trained and only_cfg.n_examples == comp.n_examples > 0
        assert not fresh().from_bytes(comp.to_bytes(), exclude=["model"]).model.is_trained
        only_model = fresh().from_bytes(comp.to_bytes(), exclude=["cfg"])
        assert only_model.model.is_trained and only_model.n_examples == 0
        comp.to_disk(tmp_path / name, exclude=["cfg"])
        assert not (tmp_path / name / "cfg").exists() and (tmp_path / name / "model").is_dir()
    rel = util.get_lang_class("en").from_config(nlp.config).get_pipe("nkner_relations")
    rel.from_bytes(nlp.get_pipe("nkner_relations").to_bytes(), exclude=["cfg"])
    assert rel.threshold == 0.5 and rel.single == ["quantity"]  # the defaults, not the learned state


def test_scores_count_exact_matches_and_reach_spacys_scorer():
    nlp = pipeline()
    nlp.initialize(lambda: gold_examples(nlp))
    ref = _training_doc("China", "refugees")          # 3 gold relations, 2 EVENTs
    pred = _training_doc("China", "refugees")
    pred._.relations = pred._.relations[:1] + [dict(pred._.relations[1], type="agent")]  # 1 right, 1 wrong type
    events = [e for e in pred.ents if e.label_ == "EVENT"]
    events[1]._.event_type = "detention"               # 1 of 2 event types right
    eg = Example(pred, ref)
    rel = nlp.get_pipe("nkner_relations").score([eg])
    assert (rel["rel_micro_p"], rel["rel_micro_r"]) == (0.5, 1 / 3)
    assert rel["rel_per_type"]["agent"] == {"p": 0.5, "r": 0.5, "f": 0.5}
    assert rel["rel_per_type"]["affected"] == {"p": 0.0, "r": 0.0, "f": 0.0}
    typ = nlp.get_pipe("nkner_event_typer").score([eg])
    assert typ["event_type_acc"] == 0.5 and typ["event_types_f"] == 0.5
    assert set(typ["event_types_per_type"]) == {"repatriation", "flight", "detention"}
    assert nlp.get_pipe("nkner_event_triggers").score([eg])["event_triggers_f"] == 1.0
    scores = nlp.evaluate(gold_examples(nlp))
    for key in ("event_triggers_f", "event_type_acc", "event_types_per_type", "rel_micro_f", "rel_per_type"):
        assert key in scores
