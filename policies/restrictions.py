"""The restriction taxonomy: what an owner may rule out for their likeness, as data.

A taxonomy file lists topics (politics, alcohol, tobacco, ...). Each topic has the words that name it in an owner's
restriction, in any language (`names`), optionally the words that name it beyond doubt in a prompt (`literal`),
labelled prompts that fall under it (`examples`) and prompts that look close
but do not (`near_misses`); the file also sets the probability at which a topic stops a use (`threshold`), how close
in meaning a free-text phrase must be (`phrase_similarity`) and the share held out to measure both
(`held_out_share`). `load_restriction_taxonomy` reports every problem with its line, as pack validation does.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from yaml.nodes import MappingNode, ScalarNode

from policies.errors import PolicyError, PolicyValidationError
from policies.walker import CHECK_RE, Walker, compose_document

BUNDLED_TAXONOMY = "restriction_topics.yaml"


@dataclass(frozen=True)
class RestrictionTopic:
    """One thing an owner may rule out."""

    name: str
    """Its id, e.g. `alcohol` (stored with a restriction as `topic:alcohol`)."""
    names: tuple[str, ...]
    """Words that name it in a restriction, any language."""
    examples: tuple[str, ...]
    """Prompts that fall under it."""
    near_misses: tuple[str, ...]
    """Prompts that look close but do not."""
    literal: tuple[str, ...] = ()
    """Words that, found in a prompt, name the topic beyond doubt ("beer"; not "drinking", which orange juice
    shares); the rest is judged on meaning."""


@dataclass(frozen=True)
class RestrictionTaxonomy:
    """Every topic, and how strictly they are enforced."""

    topics: tuple[RestrictionTopic, ...]
    """The topics, in file order."""
    threshold: float
    """A topic's probability at or above this stops a use."""
    phrase_similarity: float
    """A free-text phrase at least this similar in meaning to a prompt stops a use."""
    held_out_share: float
    """The share of examples and near misses kept out of training, to measure recall and false stops."""
    source: str
    """The file it was read from."""

    def topic(self, name: str) -> RestrictionTopic | None:
        """The topic called `name`, if any."""
        return next((t for t in self.topics if t.name == name), None)


def parse_restriction_taxonomy(text: str, source: str = "<inline>") -> RestrictionTaxonomy:
    """Validate and build a taxonomy; `PolicyValidationError` lists every problem with its line."""
    w = Walker(source)
    root = compose_document(text, source, "taxonomy")
    fields = w.mapping(root, "taxonomy", {"topics", "threshold", "phrase_similarity", "held_out_share"}) or {}
    threshold = w.number(fields.get("threshold"), "threshold", 0.0)
    similarity = w.number(fields.get("phrase_similarity"), "phrase_similarity", 0.0)
    share = w.number(fields.get("held_out_share"), "held_out_share", 0.0)
    for value, node, where in (
        (threshold, fields.get("threshold"), "threshold"),
        (similarity, fields.get("phrase_similarity"), "phrase_similarity"),
        (share, fields.get("held_out_share"), "held_out_share"),
    ):
        if value is not None and value >= 1.0:
            w.issue(node, f"{where} must be below 1, got {value:g}")
    topics: list[RestrictionTopic] = []
    node = fields.get("topics")
    if node is not None and not isinstance(node, MappingNode):
        w.issue(node, "topics must be a mapping of topic name to its names, examples and near misses")
    elif isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            name = key_node.value if isinstance(key_node, ScalarNode) else ""
            if not CHECK_RE.match(str(name)):
                w.issue(key_node, f"topic `{name}` must be lower-case letters, digits and underscores")
                continue
            topic = w.mapping(value_node, f"topics.{name}", {"names", "examples", "near_misses"}, {"literal"})
            if topic is None:
                continue
            names = w.string_list(topic.get("names"), f"topics.{name}.names")
            examples = w.string_list(topic.get("examples"), f"topics.{name}.examples")
            misses = w.string_list(topic.get("near_misses"), f"topics.{name}.near_misses")
            literal = w.string_list(topic.get("literal"), f"topics.{name}.literal") if "literal" in topic else []
            if examples is not None and len(examples) < 4:
                w.issue(topic.get("examples"), f"topics.{name}.examples needs at least 4 prompts to learn from")
            if names is not None and examples is not None and misses is not None:
                topics.append(
                    RestrictionTopic(str(name), tuple(names), tuple(examples), tuple(misses), tuple(literal or ()))
                )
        if not node.value:
            w.issue(node, "topics is empty")
    if w.issues:
        raise PolicyValidationError(w.issues)
    assert threshold is not None and similarity is not None and share is not None
    return RestrictionTaxonomy(tuple(topics), threshold, similarity, share, source)


def load_restriction_taxonomy(path: Path | str | None = None) -> RestrictionTaxonomy:
    """Read and validate a taxonomy file (default: the bundled one)."""
    file = Path(path) if path is not None else bundled_taxonomy_path()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read restriction taxonomy {file}: {exc}") from None
    return parse_restriction_taxonomy(text, source=str(file))


def bundled_taxonomy_path() -> Path:
    """The taxonomy shipped inside this package."""
    return Path(str(resources.files("policies") / "examples" / BUNDLED_TAXONOMY))


__all__ = [
    "RestrictionTaxonomy",
    "RestrictionTopic",
    "bundled_taxonomy_path",
    "load_restriction_taxonomy",
    "parse_restriction_taxonomy",
]
