"""Owners' restrictions judged on meaning, in any language the encoder knows.

Each topic of the taxonomy gets a small one-against-the-rest logistic head over the multilingual sentence
embeddings, learned from its examples (positives) against every other topic's examples, its own near misses and
the benign prompts of the prompt classifier's examples (negatives); a deterministic share of both is held out for
the bench. A free-text phrase stops a use when it appears word for word or when the prompt is at least
`phrase_similarity` close to it in meaning. A hit names the words that carried it: the words whose removal lowers
the score most. Heads are trained once and kept in the prompt-head store under the digest of the taxonomy.

Of a topic's names, only its `literal` words are matched word for word in prompts: "drinking" names alcohol in "no
drinking" but not in "lin drinking orange juice"; there the heads, which learned the near misses, decide. Phrases
are matched word for word too.
The taxonomy's examples name the owner `lin`; that name is dropped before training, so no head learns it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from policies.restrictions import RestrictionTaxonomy
from safety.classifiers.multilingual import ENCODER_ID, MultilingualEncoder
from safety.classifiers.prompt import BENIGN, PromptHead, PromptHeadStore, is_held_out, load_examples
from safety.deobfuscate import deobfuscate
from safety.restrictions import TOPIC_PREFIX, LiteralRestrictions, RestrictionHit

_OTHER = "other"
_CACHE_SIZE = 512
_MAX_WORDS_EXPLAINED = 40


# The taxonomy's examples are written about one owner, "lin"; training reads them without that name, exactly as
# judging reads a prompt without its own owner's name (one function for both, so the two can never drift apart).
_EXAMPLE_OWNER = "lin"


def _without_name(reading: str, owner: str | None) -> str:
    """The text as the heads learned to read it: without the owner's name (or @handle), which training dropped.
    Left in, a name the heads never saw moves a borderline prompt across the threshold."""
    if not owner:
        return reading
    name = owner.lower().lstrip("@")
    kept = [w for w in reading.split() if w.lower().strip("@.,;:!?'\"()") != name]
    return " ".join(kept) if kept else reading


def training_split(taxonomy: RestrictionTaxonomy) -> dict[str, tuple[list[str], list[str], list[str], list[str]]]:
    """topic → (train positives, held-out positives, train near misses, held-out near misses)."""
    share = taxonomy.held_out_share
    out = {}
    for topic in taxonomy.topics:
        pos_train = [p for p in topic.examples if not is_held_out(p, share)]
        pos_held = [p for p in topic.examples if is_held_out(p, share)]
        miss_train = [p for p in topic.near_misses if not is_held_out(p, share)]
        miss_held = [p for p in topic.near_misses if is_held_out(p, share)]
        out[topic.name] = (pos_train, pos_held, miss_train, miss_held)
    return out


class SemanticRestrictions:
    """The restriction judge the service runs."""

    def __init__(
        self,
        encoder: MultilingualEncoder,
        taxonomy: RestrictionTaxonomy,
        *,
        benign_examples: Path | None = None,
        heads: PromptHeadStore | None = None,
    ) -> None:
        self.encoder = encoder
        self.taxonomy = taxonomy
        self.benign_examples = benign_examples
        self.heads_store = heads
        self.literal = LiteralRestrictions(taxonomy)
        self._heads: dict[str, PromptHead] | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._cache_lock = threading.Lock()

    # training

    def _key(self, topic: str) -> str:
        digest = hashlib.sha256()
        for part in ("restriction-head-2", ENCODER_ID, topic, Path(self.taxonomy.source).read_text(encoding="utf-8")):
            digest.update(part.encode() + b"\0")
        if self.benign_examples is not None:
            digest.update(self.benign_examples.read_bytes())
        return digest.hexdigest()

    def _benign(self) -> list[str]:
        if self.benign_examples is None:
            return []
        prompts = load_examples(self.benign_examples).get(BENIGN, [])
        return [p for p in prompts if not is_held_out(p, self.taxonomy.held_out_share)]

    def topic_heads(self) -> dict[str, PromptHead]:
        """One head per topic: loaded from the store, else trained once and saved there."""
        with self._lock:
            if self._heads is not None:
                return self._heads
            keys = {t.name: self._key(t.name) for t in self.taxonomy.topics}
            loaded = {n: self.heads_store.load(k) for n, k in keys.items()} if self.heads_store else {}
            if all(head is not None for head in loaded.values()) and loaded:
                self._heads = {n: h for n, h in loaded.items() if h is not None}
                return self._heads
            split = training_split(self.taxonomy)
            benign = self._benign()
            texts: list[str] = []
            for pos_train, _, miss_train, _ in split.values():
                texts += pos_train + miss_train
            texts += benign
            vectors = dict(
                zip(
                    texts,
                    self.encoder.encode([_without_name(deobfuscate(t), _EXAMPLE_OWNER) for t in texts]),
                    strict=True,
                )
            )
            heads: dict[str, PromptHead] = {}
            for name, (pos_train, _, miss_train, _) in split.items():
                negatives = [p for other, parts in split.items() if other != name for p in parts[0]]
                negatives += miss_train + benign
                rows = pos_train + negatives
                labels = [name] * len(pos_train) + [_OTHER] * len(negatives)
                head = PromptHead.train(np.stack([vectors[r] for r in rows]), labels)
                heads[name] = head
                if self.heads_store is not None:
                    self.heads_store.save(keys[name], head)
            self._heads = heads
            return heads

    # judging

    def _embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            fresh = self.encoder.encode(missing)
            with self._cache_lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._cache[text] = vector
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
        with self._cache_lock:
            return np.stack([self._cache[t] if t in self._cache else self.encoder.encode([t])[0] for t in texts])

    @staticmethod
    def _probability(head: PromptHead, vectors: NDArray[np.float32], *, topic: str) -> NDArray[np.float64]:
        column = head.categories.index(topic)
        out: NDArray[np.float64] = head.probabilities(vectors)[:, column]
        return out

    def topic_scores(self, text: str, *, owner: str | None = None) -> dict[str, float]:
        """Every topic's probability for a text (the bench and the evidence use it)."""
        reading = _without_name(deobfuscate(text), owner)
        vector = self._embed([reading])
        return {n: float(self._probability(h, vector, topic=n)[0]) for n, h in self.topic_heads().items()}

    def _carrying_words(
        self, reading: str, score: float, rescore: Callable[[NDArray[np.float32]], NDArray[np.float64]]
    ) -> tuple[str, ...]:
        words = reading.split()
        if len(words) < 2 or len(words) > _MAX_WORDS_EXPLAINED:
            return ()
        variants = [" ".join(words[:i] + words[i + 1 :]) for i in range(len(words))]
        drops = score - rescore(self.encoder.encode(variants))
        order = np.argsort(-drops)
        return tuple(words[i] for i in order[:3] if drops[i] > 0.02 and len(words[i]) > 2)

    def hits(self, restrictions: Sequence[str], text: str, *, owner: str | None = None) -> list[RestrictionHit]:
        if not restrictions:
            return []
        found = {h.restriction: h for h in self.literal.hits(restrictions, text)}
        reading = _without_name(deobfuscate(text), owner)
        vector = self._embed([reading])
        heads = self.topic_heads()
        for entry in restrictions:
            if entry in found:
                continue
            if entry.startswith(TOPIC_PREFIX):
                topic = entry.removeprefix(TOPIC_PREFIX)
                head = heads.get(topic)
                if head is None:
                    continue  # a topic the taxonomy no longer has: its names still match literally above
                score = float(self._probability(head, vector, topic=topic)[0])
                if score >= self.taxonomy.threshold:
                    words = self._carrying_words(reading, score, partial(self._probability, head, topic=topic))
                    found[entry] = RestrictionHit(entry, score, "meaning", words)
            else:
                # A short phrase is compared with every run of one to four words of the text, not only the whole:
                # "swimsuit" is close to "bikini", not to "lin in a bikini by the pool".
                phrase_vector = self._embed([deobfuscate(entry)])[0]
                spans, span_vectors = self._spans(reading)
                similarities = span_vectors @ phrase_vector
                best = int(np.argmax(similarities))
                similarity = float(similarities[best])
                if similarity >= self.taxonomy.phrase_similarity:
                    found[entry] = RestrictionHit(entry, similarity, "meaning", tuple(spans[best].split()))
        return [found[r] for r in restrictions if r in found]

    def _spans(self, reading: str) -> tuple[list[str], NDArray[np.float32]]:
        words = reading.split()[:_MAX_WORDS_EXPLAINED]
        spans = [" ".join(words[i : i + n]) for n in range(1, 5) for i in range(len(words) - n + 1)]
        spans.append(reading)
        return spans, self._embed(spans)

    def warm_up(self) -> None:
        """Load the encoder and the topic heads now."""
        self.topic_heads()
        self._embed(["warm up"])


_SHARED: dict[str, SemanticRestrictions] = {}
_SHARED_LOCK = threading.Lock()


def shared_restriction_judge(
    taxonomy: RestrictionTaxonomy, benign_examples: Path | None, heads_folder: Path | None
) -> SemanticRestrictions:
    """The process-wide judge for a taxonomy: it shares the prompt classifier's encoder (one model in memory),
    and its heads are trained once ever (then loaded from the first `heads_folder` given)."""
    from safety.classifiers.prompt import shared_prompt_classifiers

    digest = hashlib.sha256(Path(taxonomy.source).read_bytes() if Path(taxonomy.source).is_file() else b"")
    digest.update(str(benign_examples).encode())
    key = digest.hexdigest()
    with _SHARED_LOCK:
        if key not in _SHARED:
            encoder = shared_prompt_classifiers(heads_folder).encoder
            store = PromptHeadStore(heads_folder) if heads_folder is not None else None
            _SHARED[key] = SemanticRestrictions(encoder, taxonomy, benign_examples=benign_examples, heads=store)
        return _SHARED[key]


__all__ = ["SemanticRestrictions", "shared_restriction_judge", "training_split"]
