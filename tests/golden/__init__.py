"""Golden outputs: every command on the demo corpus, byte for byte.

``tests/test_golden.py`` re-runs the cases in :mod:`tests.golden.cases` and compares
their output with the files under ``tests/golden/expected/``. After an intentional
change of output (a new lexicon version, a new column), regenerate them with::

    python -m tests.golden.regenerate            # every case
    python -m tests.golden.regenerate compare_json kwic_table   # some cases

and review ``git diff tests/golden/expected`` before committing.
"""
