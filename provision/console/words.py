"""The console's words, said from their home :mod:`seed.words.console`: Russian (trainers and trainees are the
customer's staff), English on request."""

from __future__ import annotations

from seed.words.console import CONSOLE
from seed.words.word import LANGS

__all__ = ["LANGS", "words"]


def words(lang: str) -> dict[str, str]:
    """Every word of the console in ``lang`` (Russian unless "en"), by key, as the templates read them."""
    return {key: word.of(lang) for key, word in CONSOLE.items()}
