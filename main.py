"""Start the PhotoSearch desktop app from a source checkout: ``python main.py``."""

from __future__ import annotations

import sys

from photosearch.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
