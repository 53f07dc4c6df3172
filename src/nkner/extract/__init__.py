"""Extraction of entities and facts from new reports (see :mod:`nkner.extract.run`).

``nkner.extract`` is both this package and the documented function ``nkner.extract(text)``: Python
binds a package's submodule as an attribute of its parent once it is imported, which would hide
the function defined in ``nkner/__init__.py``.  The package is therefore callable itself (its
module class gets a ``__call__``), so ``nkner.extract("...")`` works whether or not this package
was imported first, and ``nkner.extract.annotate`` / ``nkner.extract.run`` keep working too.
"""
import sys
import types

from nkner.extract.run import annotate, extract, extract_text, load

__all__ = ["annotate", "extract", "extract_text", "load"]


class _CallablePackage(types.ModuleType):
    def __call__(self, text_or_texts, nlp=None, doc_date=None, **options):
        """Same as :func:`nkner.extract.run.extract`."""
        return self.run.extract(text_or_texts, nlp=nlp, doc_date=doc_date, **options)


sys.modules[__name__].__class__ = _CallablePackage
