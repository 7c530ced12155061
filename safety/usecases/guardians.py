"""Guardians (parental controls): what a teen's guardian may do about the teen's likeness.

A guardian caps the teen's consent level, allows or stops other creators using the teen's cameo (every one, adult or
teen: age bands are the app's word, so they never decide who may skip the guardian), chooses the teen's policy pack
among the teen packs, sees every video the teen appears in and can take any of them down. None of it is a side path:
each change goes through `Cameos.change_consent` (the same consent decision and revocation as the owner's own
changes, purging what is no longer allowed, with a receipt), and every action is audited as `guardian:<name>`.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies import PolicyBook
from safety.domain import AgeBand, ConsentLevel, User
from safety.errors import ConflictError, SubmissionError
from safety.handles import normalise_handle
from safety.records import GrantKind, OwnerAppearance
from safety.revocation import PurgeReceipt
from safety.storage import Store, Transaction
from safety.usecases.cameos import Cameos
from safety.usecases.review_values import AccessDenied


@dataclass(frozen=True)
class TeenControls:
    """A teen's guardians and what they set."""

    teen: str
    """The teen's handle."""
    guardians: tuple[str, ...]
    """Their guardians."""
    level_cap: ConsentLevel | None
    """The highest consent level allowed, if capped."""
    policy_pack: str
    """The teen pack that governs them."""
    allowed_creators: tuple[str, ...]
    """Creators a guardian allowed to use the teen's cameo."""


class Guardians:
    """Guardians' controls over a teen's likeness."""

    def __init__(self, store: Store, policies: PolicyBook, cameos: Cameos) -> None:
        self._store = store
        self._policies = policies
        self._cameos = cameos

    def add(self, teen: str, guardian: str) -> TeenControls:
        """Make an adult account a guardian of a teen account."""
        teen, guardian = normalise_handle(teen), normalise_handle(guardian)
        if teen == guardian:
            raise SubmissionError("an account cannot be its own guardian")
        with self._store.transaction() as tx:
            if tx.accounts.get(teen).age_band is not AgeBand.TEEN:
                raise ConflictError(f"`{teen}` is not a teen account")
            if tx.accounts.get(guardian).age_band is not AgeBand.ADULT:
                raise ConflictError(f"`{guardian}` is not an adult account; a guardian is an adult")
            tx.accounts.add_guardian(teen, guardian)
        # From now on other creators need a guardian's allowance: videos that relied on the teen's word alone go.
        self._cameos.change_consent(teen, lambda tx, o: None, "guardian_added", actor=_actor(guardian))
        return self.controls(guardian, teen)

    def controls(self, guardian: str, teen: str) -> TeenControls:
        """The teen's guardians, cap, pack and allowed creators."""
        teen, guardian = normalise_handle(teen), normalise_handle(guardian)
        with self._store.transaction() as tx:
            user = _ward(tx, guardian, teen)
            return TeenControls(
                teen,
                tuple(tx.accounts.guardians_of(teen)),
                user.cameo_level_cap,
                self._policies.for_user(user).name,
                tuple(tx.consent.allowed_by_guardians(teen)),
            )

    def cap_level(self, guardian: str, teen: str, level: ConsentLevel) -> list[PurgeReceipt]:
        """Cap the teen's consent level; a level above the cap is lowered to it, and what it no longer allows is
        purged. The teen cannot raise their level above the cap."""
        teen, guardian = normalise_handle(teen), normalise_handle(guardian)

        def cap(tx: Transaction, owner: str) -> None:
            _ward(tx, guardian, owner)
            tx.accounts.set_teen_controls(owner, actor=_actor(guardian), level_cap=level)
            cameo = tx.consent.active_cameo(owner)
            if cameo is not None and cameo.level.rank > level.rank:
                tx.consent.set_level(owner, level)

        return self._cameos.change_consent(teen, cap, "guardian_capped", actor=_actor(guardian))

    def allow(self, guardian: str, teen: str, creator: str) -> None:
        """Let another creator (adult or teen) use the teen's cameo (the teen's own level and approvals still apply)."""
        teen, guardian, creator = normalise_handle(teen), normalise_handle(guardian), normalise_handle(creator)
        with self._store.transaction() as tx:
            _ward(tx, guardian, teen)
            tx.consent.set_grant(teen, creator, GrantKind.GUARDIAN_ALLOW, actor=_actor(guardian))

    def disallow(self, guardian: str, teen: str, creator: str) -> list[PurgeReceipt]:
        """Stop a creator using the teen's cameo: their videos of the teen are purged."""
        teen, guardian, creator = normalise_handle(teen), normalise_handle(guardian), normalise_handle(creator)

        def withdraw(tx: Transaction, owner: str) -> None:
            _ward(tx, guardian, owner)
            tx.consent.revoke_grant(owner, creator, GrantKind.GUARDIAN_ALLOW, actor=_actor(guardian))

        return self._cameos.change_consent(
            teen, withdraw, "guardian_disallowed", creator=creator, actor=_actor(guardian)
        )

    def set_pack(self, guardian: str, teen: str, pack: str) -> list[PurgeReceipt]:
        """Govern the teen by another teen pack; videos the new pack's consent rules refuse are purged."""
        teen, guardian = normalise_handle(teen), normalise_handle(guardian)
        choices = self._policies.teen_packs()
        if pack not in choices:
            raise SubmissionError(f"`{pack}` is not a teen pack; choose one of {', '.join(choices)}")

        def choose(tx: Transaction, owner: str) -> None:
            _ward(tx, guardian, owner)
            tx.accounts.set_teen_controls(owner, actor=_actor(guardian), policy_pack=pack)

        return self._cameos.change_consent(teen, choose, "guardian_pack_changed", actor=_actor(guardian))

    def uses(self, guardian: str, teen: str) -> list[OwnerAppearance]:
        """Every video the teen appears in (declared or identified)."""
        teen, guardian = normalise_handle(teen), normalise_handle(guardian)
        with self._store.transaction() as tx:
            _ward(tx, guardian, teen)
            tx.audit.append(_actor(guardian), "guardian.viewed_uses", teen, {})
            return tx.videos.with_owner(teen)

    def revoke_use(self, guardian: str, teen: str, video_id: str) -> PurgeReceipt:
        """Take down one video the teen appears in, and everything derived from it."""
        teen, guardian = normalise_handle(teen), normalise_handle(guardian)
        with self._store.transaction() as tx:
            _ward(tx, guardian, teen)
        return self._cameos.remove_video(teen, video_id, actor=_actor(guardian), reason="guardian_revoked")


def _actor(guardian: str) -> str:
    return f"guardian:{guardian}"


def _ward(tx: Transaction, guardian: str, teen: str) -> User:
    """The teen, when `guardian` is one of their guardians; `AccessDenied` otherwise."""
    user = tx.accounts.get(teen)
    tx.accounts.get(guardian)
    if guardian not in tx.accounts.guardians_of(teen):
        raise AccessDenied(f"`{guardian}` is not a guardian of `{teen}`")
    return user
