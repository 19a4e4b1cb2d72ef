"""Allow ``python -m jakmeta``."""

from jakmeta.cli import main

raise SystemExit(main())
