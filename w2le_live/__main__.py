"""``python -m w2le_live`` is ``w2le-live``."""

import sys

from w2le_live.cli import main

sys.exit(main())
