"""The policy book: which pack governs which audience (adults, teens), and the other teen packs a guardian may
choose for a teen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from policies.types import PolicyPack

TEEN_AGE_BAND = "teen"


class Audience(Protocol):
    """Anything with an age band (an account)."""

    @property
    def age_band(self) -> str:
        """`adult` or `teen`."""
        ...

    @property
    def policy_pack(self) -> str | None:
        """The name of a teen pack a guardian chose, if any."""
        ...


@dataclass(frozen=True)
class PolicyBook:
    """The pack that governs each audience."""

    adult: PolicyPack
    """Pack for adult accounts."""
    teen: PolicyPack
    """Pack for teen accounts."""
    teen_choices: Mapping[str, PolicyPack] = field(default_factory=dict)
    """Teen packs a guardian may choose instead of `teen`, by name (each has `audience: teen`)."""

    def __post_init__(self) -> None:
        for name, pack in self.teen_choices.items():
            # Refused when the book is built, not when a guardian picks: an adult pack among a teen's choices would let
            # a guardian's click lift every teen protection.
            if pack.audience != TEEN_AGE_BAND:
                raise ValueError(f"pack `{name}` is for {pack.audience}, not teens")

    def teen_packs(self) -> dict[str, PolicyPack]:
        """Every teen pack by name, the default first."""
        return {self.teen.name: self.teen, **self.teen_choices}

    def all_packs(self) -> list[PolicyPack]:
        """Every pack of the book: adults', then the teen packs."""
        return [self.adult, *self.teen_packs().values()]

    def for_user(self, user: Audience) -> PolicyPack:
        """The pack that governs this account: a teen's guardian may have chosen one of the teen packs."""
        if user.age_band != TEEN_AGE_BAND:
            return self.adult
        # A choice naming a pack that is no longer loaded falls back to the default teen pack, never to the adult one:
        # the fallback stays on the protective side.
        return self.teen_packs().get(user.policy_pack or "", self.teen)

    def by_ref(self, ref: str) -> PolicyPack | None:
        """The pack with this reference (`name@version`), when it is one of the book's."""
        return next((p for p in self.all_packs() if p.ref == ref), None)

    def by_ref_or_adult(self, ref: str) -> PolicyPack:
        """The pack with this reference, or the adult pack when the reference is no longer loaded."""
        # Old pack versions are not kept loaded: a row decided under one is judged now under the adult pack rather
        # than left with no pack at all.
        return self.by_ref(ref) or self.adult
