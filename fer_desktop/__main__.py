"""python -m fer_desktop: the same as the fer-desktop command."""

import sys

from fer_desktop.cli import main

sys.exit(main())
