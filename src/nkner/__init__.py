"""nkner: an annotated corpus and entity/fact extractor for reports on North Korean refugees.

>>> import nkner
>>> nlp = nkner.load()                  # the shipped spaCy pipeline
>>> report = nkner.extract("Chinese authorities deported 600 North Koreans in October 2023.")
>>> import nkner.corpus; docs = nkner.corpus.load()   # the gold corpus
"""
__version__ = "0.1.0"


def load(model=None):
    """The nkner spaCy pipeline (the shipped default unless ``model`` names another)."""
    from nkner.extract.run import load as _load
    return _load(model)


def extract(text_or_texts, nlp=None, doc_date=None):
    """Entities, facts and statements (extraction contract v1) for one text or a list of texts."""
    from nkner.extract.run import extract as _extract
    return _extract(text_or_texts, nlp=nlp, doc_date=doc_date)
