"""Where the default pipeline is found: in a checkout, ``models/nkner_default``; installed from the
wheels that ``make dist`` writes, the model package :data:`MODEL_PACKAGE` (built by ``spacy
package``).  ``NKNER_MODEL`` or an explicit path override both."""
from __future__ import annotations

from pathlib import Path

#: the installed model package's import name: ``spacy package`` names it ``<lang>_<meta name>``, and
#: ``nkner train`` names the default ``nkner_<backbone>`` (project.yml's ``package`` var)
MODEL_PACKAGE = "en_nkner_mdner"
#: the model in a checkout (absent when nkner is installed from its wheel)
CHECKOUT_MODEL = Path(__file__).resolve().parents[3] / "models" / "nkner_default"


def installed_model_path(package: str = MODEL_PACKAGE) -> Path | None:
    """The data directory of the installed model package, or None when it is not installed."""
    from spacy import util

    if not util.is_package(package):
        return None
    root = util.get_package_path(package)
    meta = util.load_meta(root / "meta.json")
    return root / f"{package}-{meta['version']}"


def default_model_path() -> Path:
    """The checkout's ``models/nkner_default`` when it exists, else the installed model package
    (else the checkout path, which the caller reports as missing)."""
    if (CHECKOUT_MODEL / "config.cfg").exists():
        return CHECKOUT_MODEL
    return installed_model_path() or CHECKOUT_MODEL
