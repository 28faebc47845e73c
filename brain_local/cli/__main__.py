"""``python -m brain_local.cli``: the ``brain`` command."""

import sys

from brain_local.cli import main

sys.exit(main())
