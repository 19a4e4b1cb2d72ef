"""jakmeta.evidence: the data package in ``data/``. What did each trial report, where was each value
read, is the package consistent, and what does each code mean in words?

- :mod:`jakmeta.evidence.package`  loading and validating the data package (``load_package``,
  ``validate_package``, ``DataPackage``)
- :mod:`jakmeta.evidence.rob`      risk of bias as recorded per trial, scope and domain
- :mod:`jakmeta.evidence.labels`   words for the codes of the data (outcomes, judgements, trials,
  citation keys)

Uses nothing above it (no analysis, no page).
"""

from __future__ import annotations

from jakmeta.evidence import labels, package, rob
from jakmeta.evidence.package import (
    DataPackage,
    DataValidationError,
    load_package,
    validate_package,
)

__all__ = ["DataPackage", "DataValidationError", "labels", "load_package", "package", "rob",
           "validate_package"]
