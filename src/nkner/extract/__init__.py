"""Extraction of entities and facts from new reports (see :mod:`nkner.extract.run`)."""
from nkner.extract.run import annotate, extract, extract_text, load

__all__ = ["annotate", "extract", "extract_text", "load"]
