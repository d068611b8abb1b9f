"""The PySide6 desktop app: the only package of photosearch that imports Qt."""
