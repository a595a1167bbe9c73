"""Two-way selection to a signed agreement, and its renewal (Yangquan 第十四条; Jincheng 第六–九条).

interest (either side) → the bureau confirms what both chose → publicity (公示) with objections
→ every party signs in the bot → the agreement starts; 30 days before its end both parties are
asked whether to renew. The rules are domain.selection's; these modules store, audit and tell:
context (who acts, who is told), discovery (what each role sees; new needs to the best fits),
pairing (interest, confirmation), publicity (objections, the period's end), tick (what the reminders job does), signing, renewal.
"""
from services.selection.context import Context, SelectionError, need_text
from services.selection.discovery import (
    candidates_for,
    needs_for_admin,
    needs_for_commissioner,
    tell_best_matches,
)
from services.selection.pairing import decide_pairing, express_interest, ready_pairings
from services.selection.publicity import (
    close_publicity,
    decide_objection,
    file_objection,
    in_publicity,
    open_to_objection,
)
from services.selection.renewal import RenewalAnswer, answer_renewal, offer_renewals
from services.selection.signing import Signed, awaiting_signature, sign

__all__ = [
    "Context", "RenewalAnswer", "SelectionError", "Signed", "answer_renewal", "awaiting_signature", "candidates_for",
    "close_publicity", "decide_objection", "decide_pairing", "express_interest", "file_objection", "in_publicity",
    "need_text", "needs_for_admin", "needs_for_commissioner", "offer_renewals", "open_to_objection", "ready_pairings",
    "sign", "tell_best_matches",
]
