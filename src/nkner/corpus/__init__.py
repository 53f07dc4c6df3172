"""The annotated corpus: load documents with their metadata, entities and relations.

>>> import nkner.corpus
>>> docs = nkner.corpus.load()          # list of Document
>>> docs[0].text, docs[0].entities[:3], docs[0].relations[:3]
"""
from nkner.corpus.store import CorpusError, Document, Entity, Relation, load, load_document

__all__ = ["CorpusError", "Document", "Entity", "Relation", "load", "load_document"]
