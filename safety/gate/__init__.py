"""The pre-publish gate: the one path every generated video takes, one module per step.

    intake    intake.py       the creator and declared owners exist, a remix's parent is published, the file is a
                              readable video whose first frames decode in a memory-capped child   (nothing stored)
    ingest    intake.py       the file is copied into a private draft; the row is `checking`, with its lineage
                              edges; the declared owners' consent is read for the checks          (transaction 1)
    check     checking.py     the draft is decoded once (safety.frames) and every check reads the frames it asked
                              for, each with its own timeout; failures become findings             (no transaction)
              premark.py      meanwhile the publish re-encode starts beside them, dropped unless the video publishes
    decide    deciding.py     the consent of owners the checks found (one short read), then findings + the
                              creator's policy → Decision                          (pure, safety.decision.decide)
    persist   deciding.py     the decision, the track embeddings and the found owners' lineage edges, under the
                              row's lock, before any file moves                                    (transaction 2)
    act       publishing.py   publish: owners who approve each use are asked first (`pending_owner`); the draft is
                              marked, signed and staged outside any transaction; then consent, the parent and the
                              owners' answers are read again, the row turns `published` and the file is renamed into
                              place, all in one transaction                                        (transaction 3)
              withholding.py  review/block: the file goes to quarantine and the row turns `held` (with a review
                              item) or `blocked`, in one transaction                               (transaction 3)
    later     settling.py     the sweeper settles a row a dead process left `checking` (held); owners' answers
                              settle a `pending_owner` video; a reviewer's approval or an overturned appeal
                              publishes a held or blocked one: each records its decision in its own transaction, then
                              publishes or withholds through the same two modules as the gate's own run

The checks never run inside a transaction: they take seconds, and a row lock held that long would stall revocations
and reviewers. Every transaction is short and owned by the step that opens it (`gate.store.transaction()`); a step
never holds one while it decodes, marks or signs.

If anything fails after ingest, the video is left unpublished: a storage failure while publishing removes the staged
file and raises, and the row stays `checking` for the sweeper to settle.

Other processes may move the video while the gate works on it: a revocation purges it, the sweeper settles it. Every
status move is a compare-and-set under the row's lock (`tx.videos.set_status(expected=...)`), so the gate learns of
it when it acts and answers with the decision that now holds (`withholding.moved`: e.g. blocked for the consent that
ended), never with an error; the draft stays the gate's to remove until the row leaves `checking`.

One video's way from its recorded decision to its outcome is one frozen value, `run.GateRun`; the steps are functions
of the gate's parts (`run.GateParts`) and that value. `Gate` (core.py) is what the use cases hold.
"""

from safety.gate.core import Gate
from safety.gate.metrics import BUCKETS, GateMetrics
from safety.gate.run import GATE_ACTOR, GateRun

__all__ = ["BUCKETS", "GATE_ACTOR", "Gate", "GateMetrics", "GateRun"]
