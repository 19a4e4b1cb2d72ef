"""jakmeta.book: how the review reaches a reader. Tables and plots of the chapters, the version,
dates and downloads of a release, and re-executing the notebooks.

- :mod:`jakmeta.book.display`    the one table-rendering helper of the chapters
- :mod:`jakmeta.book.computed`   the "how this was computed" note under every headline
  (``<details class="jm-computed">``: row id, protocol entry, functions, reproducing command)
- :mod:`jakmeta.book.tables`     the descriptive tables of the data chapters
- :mod:`jakmeta.book.plots`      forest, funnel, traffic-light and completeness plots
- :mod:`jakmeta.book.release`    version, dates, downloads and the change log (a Sphinx extension)
- :mod:`jakmeta.book.notebooks`  re-executing the chapters; the nbval hint

The top floor: uses :mod:`jakmeta.review`, :mod:`jakmeta.evidence` and :mod:`jakmeta.stats`.
"""

from __future__ import annotations

__all__ = ["computed", "display", "notebooks", "plots", "release", "tables"]
