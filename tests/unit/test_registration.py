"""Every factory, tokenizer and callback that a config names is registered through the package's
entry points, so a fresh interpreter builds the pipeline without importing nkner's modules first."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_a_fresh_interpreter_resolves_every_name_the_configs_use():
    code = """
import spacy
from spacy.util import registry
nlp = spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": "nkner.Tokenizer.v1"}}})
for name in ("nkner_sentences", "nkner_pattern_rules", "nkner_event_triggers", "nkner_event_typer",
             "nkner_relations", "nkner_normalizer"):
    assert spacy.language.Language.has_factory(name), name
registry.callbacks.get("nkner.refit_linear_components.v1")
registry.callbacks.get("nkner.transfer_ner_weights.v1")
for name in ("nkner_sentences", "nkner_pattern_rules", "nkner_normalizer"):
    nlp.add_pipe(name)
doc = nlp("UNHCR said 600 were deported.\\nNew line")
assert len(list(doc.sents)) == 2
import sys
assert "nkner.training.train" not in sys.modules and "nkner.extract" not in sys.modules
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert res.returncode == 0, res.stderr
