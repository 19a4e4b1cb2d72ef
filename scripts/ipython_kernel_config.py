"""IPython kernel configuration installed by the Makefile into .venv/etc/ipython/.

Every kernel that Jupyter Book, nbval or ``python -m jakmeta.book.notebooks`` starts logs
"[IPKernelApp] WARNING | Kernel is running over TCP without encryption ...". Here the kernels talk
to their client over 127.0.0.1 only (and, under scripts/offline, in a namespace with nothing but
loopback), so the line is noise that hides real warnings: drop exactly that line, nothing else.
"""

import logging


class _DropPlainTcpNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "TCP without encryption" not in record.getMessage()


logging.getLogger("IPKernelApp").addFilter(_DropPlainTcpNotice())
