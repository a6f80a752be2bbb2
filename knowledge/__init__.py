"""The knowledge base's data files (no code): topics, laws, posts, replies, intents, dictionaries.

The files ship inside the package and are found through ``importlib.resources``, so a checkout and an
installed wheel read them the same way. pufabot reads them as ordinary files (jieba and the loaders
want paths), so the package must be installed unzipped, which pip always does.
"""

from importlib import resources
from pathlib import Path


def _directory() -> Path:
    root = resources.files(__name__)
    if not isinstance(root, Path):
        raise RuntimeError(f"knowledge/ is not on the file system ({root!r}): install pufabot unzipped")
    return root


KNOWLEDGE_DIR = _directory()
