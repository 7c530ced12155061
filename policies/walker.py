"""Reading typed values out of composed YAML nodes while collecting every issue with its line."""

from __future__ import annotations

import re

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from policies.errors import PolicyValidationError, ValidationIssue
from policies.types import Action

# Reason codes are dotted (`nudity.explicit`): the first part names the family a reviewer filters by, so a bare word
# would be a family with no reason in it.
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
# Check names are single words: they key the checks registry and appear in metric labels, where dots would read as
# nesting.
CHECK_RE = re.compile(r"^[a-z][a-z0-9_]*$")
LEVELS = {"only_me", "approved", "mutuals", "everyone"}
# The gate itself emits these when a check fails or is absent; a pack may say what they lead to, but may not define them
# as reasons of its own.
RESERVED_REASONS = ("check.error", "check.missing")


# libyaml's parser when PyYAML was built with it (the wheels are): the same nodes and line marks, ten times faster
# than the pure-Python one, which matters because every service start reads the packs.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Composed, not loaded: nodes keep their line marks, so every issue can point at the line to fix.
def compose_document(text: str, source: str, what: str) -> Node:
    """The YAML document's root node; `PolicyValidationError` (with the line) when it is not valid YAML or empty."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyValidationError([ValidationIssue(source, line, f"not valid YAML: {problem}")]) from None
    if root is None:
        raise PolicyValidationError([ValidationIssue(source, 0, f"the {what} is empty")])
    return root


class Walker:
    """Collects issues while reading typed values out of composed YAML nodes."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[ValidationIssue] = []

    def issue(self, node: Node | None, message: str, hint: str = "") -> None:
        line = node.start_mark.line + 1 if node is not None else 0
        self.issues.append(ValidationIssue(self.source, line, message, hint))

    def mapping(
        self,
        node: Node,
        where: str,
        required: set[str],
        optional: set[str] | frozenset[str] = frozenset(),
    ) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.issue(node, f"{where} must be a mapping", "write `key: value` lines")
            return None
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.issue(key_node, f"{where} has a key that is not a string")
                continue
            # A repeated key is an issue, not last-one-wins as in plain YAML loading: a pack with two `threshold:` lines
            # would otherwise silently apply whichever came last.
            if key in out:
                self.issue(key_node, f"{where} repeats key `{key}`", "each key may appear once")
                continue
            if key not in required and key not in optional:
                allowed = ", ".join(sorted(required | set(optional)))
                self.issue(key_node, f"{where} has unknown key `{key}`", f"allowed keys: {allowed}")
                continue
            out[key] = value_node
        for key in sorted(required - out.keys()):
            self.issue(node, f"{where} is missing `{key}`")
        return out

    def string(self, node: Node | None, where: str) -> str | None:
        if node is None:
            return None
        # The resolved tag, not the text: `on`, `no` and `1.0` are booleans and numbers to YAML, and a reason or label
        # written so would change type without a word.
        if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:str" or not node.value.strip():
            self.issue(node, f"{where} must be a non-empty string", "quote it if it looks like a number")
            return None
        return str(node.value)

    def number(self, node: Node | None, where: str, minimum: float, integer: bool = False) -> float | None:
        if node is None:
            return None
        tags = {"tag:yaml.org,2002:int"} if integer else {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
        kind = "an integer" if integer else "a number"
        if not isinstance(node, ScalarNode) or node.tag not in tags:
            self.issue(node, f"{where} must be {kind}")
            return None
        # The tag was checked above, so this only converts (`1e3`, `0x10` and `1_000` as YAML reads them).
        value = float(yaml.safe_load(node.value))
        if value < minimum:
            self.issue(node, f"{where} must be at least {minimum:g}, got {value:g}")
            return None
        return value

    def boolean(self, node: Node | None, where: str) -> bool | None:
        if node is None:
            return None
        if not isinstance(node, ScalarNode) or node.tag != "tag:yaml.org,2002:bool":
            self.issue(node, f"{where} must be true or false")
            return None
        return bool(yaml.safe_load(node.value))

    def action(self, node: Node | None, where: str, allow_publish: bool = True) -> Action | None:
        text = self.string(node, where)
        if text is None:
            return None
        try:
            action = Action(text)
        except ValueError:
            self.issue(node, f"{where} must be one of publish, review, block, got `{text}`")
            return None
        if action is Action.PUBLISH and not allow_publish:
            self.issue(node, f"{where} may not be publish", "a failure must hold or block the video: fail closed")
            return None
        return action

    def string_list(self, node: Node | None, where: str) -> list[str] | None:
        if node is None:
            return None
        if not isinstance(node, SequenceNode) or not node.value:
            self.issue(node, f"{where} must be a non-empty list of strings")
            return None
        values = [self.string(item, f"{where} item") for item in node.value]
        if any(value is None for value in values):
            return None
        return [value for value in values if value is not None]
