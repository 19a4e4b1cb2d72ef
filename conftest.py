"""pytest configuration shared by `pytest tests` and `pytest --nbval chapters/*.ipynb`.

jakmeta.book.notebooks adds, to a failing nbval cell, what to look at: the data rows and code changed
since the notebook was last committed, and the command (`make notebooks`) that stores new outputs.
"""

pytest_plugins = ["jakmeta.book.notebooks"]
