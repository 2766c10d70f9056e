"""`python -m scripts.classify`: JSON Lines of model records on stdin, classifications on stdout."""

import sys

from scripts.classify.cli import main

sys.exit(main())
