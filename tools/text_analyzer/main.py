"""text_analyzer tool: statistics of a text: words, sentences, paragraphs, frequent words,
average lengths, lexical diversity and reading time.

Arguments (env `name`/`NAME`, or PRAXIS_ARGS): `text` or `file_path` (alias
`input_file`); `top` (integer, default 10). Prints JSON.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from toolargs import ToolInputError, argument, fail, read_text  # noqa: E402

MAX_BYTES = 20 * 1024 * 1024
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
STOPWORDS_TEXT = (
    "a an and are as at be but by for from has have he her his i in is it its of on or "
    "she that the their them they this to was were will with you your we our not"
)
STOPWORDS = frozenset(STOPWORDS_TEXT.split())


def analyze(text: str, top: int) -> dict:
    words = [w.lower() for w in WORD.findall(text)]
    sentences = [s for s in SENTENCE_END.split(text) if WORD.search(s)]
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    content = [w for w in words if w not in STOPWORDS]
    frequent = Counter(content or words).most_common(top)
    n_words = len(words)
    return {
        "characters": len(text),
        "characters_no_spaces": len(re.sub(r"\s", "", text)),
        "words": n_words,
        "unique_words": len(set(words)),
        "sentences": len(sentences),
        "paragraphs": len(paragraphs),
        "average_word_length": round(sum(map(len, words)) / n_words, 2) if n_words else 0.0,
        "average_sentence_words": round(n_words / len(sentences), 2) if sentences else 0.0,
        "lexical_diversity": round(len(set(words)) / n_words, 3) if n_words else 0.0,
        "reading_time_minutes": round(n_words / 200, 2),
        "top_words": [{"word": w, "count": c} for w, c in frequent],
    }


def main() -> int:
    text, file_path = argument("text"), argument("file_path") or argument("input_file")
    if file_path:
        try:
            text = read_text(file_path, MAX_BYTES)
        except ToolInputError as exc:
            return fail(str(exc))
    if text is None:
        return fail("give 'text' or 'file_path'", 2)
    top = argument("top")
    try:
        top = 10 if top in (None, "") else int(top)
    except (TypeError, ValueError):
        return fail(f"'top' must be a whole number, got {top!r}", 2)
    if not 0 <= top <= 1000:
        return fail("'top' must be between 0 and 1000", 2)
    print(json.dumps(analyze(str(text), top)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
