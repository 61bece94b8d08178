"""``python -m evals``: the eval harness CLI (also ``voiceshop eval``)."""

import sys

from evals.cli import main

sys.exit(main())
