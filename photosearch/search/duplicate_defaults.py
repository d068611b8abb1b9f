"""The duplicate finder's default thresholds, in a module with no imports: the CLI's help and the window's
forms show them without loading numpy and Pillow (``photosearch.search.duplicates`` does; importing it to
parse arguments cost a cold ``photosearch search`` about 0.2 s)."""

DEFAULT_THRESHOLD = 0.90
DEFAULT_MAX_DISTANCE = 32
