"""The policy book: which pack governs which audience (adults, teens)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from policies.types import PolicyPack

TEEN_AGE_BAND = "teen"


class Audience(Protocol):
    """Anything with an age band (an account)."""

    @property
    def age_band(self) -> str:
        """`adult` or `teen`."""
        ...


@dataclass(frozen=True)
class PolicyBook:
    """The pack that governs each audience."""

    adult: PolicyPack
    """Pack for adult accounts."""
    teen: PolicyPack
    """Pack for teen accounts."""

    def for_user(self, user: Audience) -> PolicyPack:
        """The pack that governs this account."""
        return self.teen if user.age_band == TEEN_AGE_BAND else self.adult

    def by_ref(self, ref: str) -> PolicyPack | None:
        """The pack with this reference (`name@version`), when it is one of the book's."""
        return next((p for p in (self.adult, self.teen) if p.ref == ref), None)

    def by_ref_or_adult(self, ref: str) -> PolicyPack:
        """The pack with this reference, or the adult pack when the reference is no longer loaded."""
        return self.by_ref(ref) or self.adult
