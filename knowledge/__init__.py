"""The knowledge base's data files (no code): topics, posts, matcher dictionaries."""
from pathlib import Path

KNOWLEDGE_DIR = Path(__file__).resolve().parent
