"""Engine messages that a person sees in forms, listed here so they get translations.

The engine speaks English; the views pass its messages through `engine_message`, so each
one named here is shown in Swedish to Swedish users. A message with names in it (a user,
a role) carries a stable code and its parameters, which pick the translation below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.kernel.errors import EngineError, TransitionNotAllowed, ValidationError

__all__ = ["ENGINE_MESSAGES", "engine_message", "guard_message"]

ENGINE_MESSAGES = [
    _l("Give the case a title."),
    _l("A title is at most 200 characters; put details in the description."),
    _l("Write something in the comment."),
    _l("Say which group owns the case (--group KEY)."),
    _l("You can open cases only for groups you belong to; ask the chair or a member."),
    _l("Samverkan opens this kind of case itself, on its schedule or for the agreement's renewal; it cannot be "
       "opened by hand. Open an action under it instead."),
    _l("Only the owning group's members or the chair may assign this case."),
    _l("You can claim only cases of a group you belong to."),
    _l("Choose a person to assign the case to."),
    _l("A password needs at least 12 characters; a few unrelated words make a long password that is easy "
       "to remember."),
    _l("This password is in a list of the most common passwords; choose another."),
    _l("This password is easy to guess: it is built on a common word, a name, a date, a keyboard pattern or "
       "the user's own name. Choose a few unrelated words instead."),
    _l("A user name is 2-64 lower-case letters, digits, '.', '_' or '-'."),
    _l("You cannot disable your own account; ask another administrator."),
    _l("Only the chair or the owning group may send a reminder about this case."),
    _l("Choose immediate or daily."),
    _l("The due date has passed. Choose today or a later date."),
    _l("The due date is more than 10 years ahead; check the year."),
    _l("That is more than 10 years from now; check the year."),
    _l("Give the time with its UTC offset, e.g. 2027-03-01T18:00:00+01:00."),
    _l("Choose a file to attach."),
    _l("Only whoever attached the file, the owning group's members or the chair may remove it."),
]

# What an attached file was found to be (engine.kernel.filetypes), for a refusal.
_FILE_KINDS = {"pdf": _l("a PDF"), "image": _l("an image"), "office": _l("an Office document"),
               "text": _l("a text file"), "zip": _l("a zip archive"), "damaged_zip": _l("a damaged zip archive"),
               "program": _l("a program"), "unknown": _l("a kind of file that is not recognised")}


def _kinds(allowed: str) -> str:
    """"a PDF, an image or a text file" from "pdf, image, text"."""
    names = [str(_FILE_KINDS.get(k, k)) for k in allowed.split(", ")]
    return names[0] if len(names) == 1 else _("%(some)s or %(last)s", some=", ".join(names[:-1]), last=names[-1])

# ValidationError.code → the message in the user's language, given the error's params.
_CODED: dict[str, Callable[[dict[str, str]], str]] = {
    "user_exists": lambda p: _("User “%(name)s” already exists; choose another user name.", **p),
    "bad_email": lambda p: _("“%(email)s” is not an e-mail address; write it as name@example.se.", **p),
    "unknown_role": lambda p: _("Unknown role “%(name)s”; choose one of: %(choices)s.", **p),
    "unknown_group": lambda p: _("Unknown group “%(name)s”; choose one of: %(choices)s.", **p),
    "role_format": lambda p: _("Write each role as role:group, not “%(item)s”.", **p),
    "unstorable_text": lambda p: _("The text holds a NUL character or a broken Unicode character; remove it."),
    "year_out_of_range": lambda p: _("The time is outside the years a case can be in; check the year."),
    "control_characters": lambda p: _("Write the name on one line, without line breaks, tabs or other control "
                                      "characters."),
    # The engine names the trigger's key; the person pressed a button with its label.
    "comment_required": lambda p: _("This action needs a comment: say what was done or decided."),
    "case_closed": lambda p: _("The case is closed; there is nothing to remind about."),
    "file_too_large": lambda p: _("“%(name)s” is larger than %(limit)s MB, the most a file may be. Make it smaller "
                                  "(save it as PDF, or a smaller picture) or split it.", name=p["name"],
                                  limit=format_decimal(float(p["limit"]))),
    "file_empty": lambda p: _("“%(name)s” is empty; choose the file again.", **p),
    "file_type": lambda p: _("“%(name)s” is %(what)s, which cannot be attached here. Attach %(allowed)s.",
                             name=p["name"], what=str(_FILE_KINDS.get(p["what"], p["what"])),
                             allowed=_kinds(p["allowed"])),
    "too_many_files": lambda p: _("Attach at most %(limit)s files at a time.", **p),
    # The crime-prevention cycle (engine/cases/plans.py) and information to the citizens (citizen_info.py).
    "opened_from": lambda p: _("This kind of case is opened from an earlier case of the cycle; open it from that "
                               "case's page (Sources, measures and follow-up)."),
    "sources_closed": lambda p: _("Sources are linked while the material is gathered and analysed; this case is "
                                  "past that."),
    "own_source": lambda p: _("A case cannot be its own source; give another case's number."),
    "no_source": lambda p: _("No case %(id)s that you may see; check the number.", **p),
    "no_measures": lambda p: _("Measures are added while the plan is drafted or in force; this plan takes none now."),
    "focus_needed": lambda p: _("Choose the focus area the measure belongs to."),
    "bad_date": lambda p: _("Write the date as YYYY-MM-DD."),
    "bad_judgement": lambda p: _("Judge the measure as achieved, partly achieved or not achieved."),
    "long_note": lambda p: _("A judgement's note is at most 2000 characters."),
    "judging_closed": lambda p: _("The measures are judged before the follow-up is submitted; this one is past "
                                  "that."),
    "not_a_measure": lambda p: _("Case %(id)s is not a measure of the plan followed up.", **p),
    "text_title": lambda p: _("Give the information a heading."),
    "text_title_long": lambda p: _("A heading is at most 200 characters."),
    "text_body": lambda p: _("Write the information to the citizens."),
    "text_long": lambda p: _("The text is at most 20000 characters."),
    "confidential_reference": lambda p: _("The text names or links to a confidential case (%(cases)s); the "
                                          "information is public, so remove the reference.", **p),
    "nothing_to_publish": lambda p: _("This case has no step that publishes information now."),
}


# A guard that refuses a step (engine/workflow/rules.py) → what would make the step possible.
_GUARDS: dict[str, Callable[[], str]] = {
    "has_assignee": lambda: _("Give the case to a person first (or take it yourself)."),
    "not_the_completer": lambda: _("Someone other than the person who completed it must approve it: another "
                                   "member of the group, or the chair when the group has nobody else."),
    "all_parties_signed": lambda: _("Both the municipality (the chair) and the Police must sign."),
    "signed_by_actor_party": lambda: _("Your party has already signed."),
    "has_public_text": lambda: _("Write the information to the citizens and publish it from its page (the link "
                                 "above the actions)."),
    "every_measure_judged": lambda: _("Judge every measure of the plan first (Sources, measures and follow-up)."),
}


def guard_message(guards: Iterable[str]) -> str | None:
    """What the refusing guards ask for, in the user's language; None if none of them is known here."""
    texts = [_GUARDS[g]() for g in guards if g in _GUARDS]
    return " ".join(texts) or None


def engine_message(exc: EngineError) -> str:
    """The message of `exc` in the user's language (English when no translation is known)."""
    if isinstance(exc, ValidationError) and exc.code in _CODED:
        return _CODED[exc.code](exc.params)
    if isinstance(exc, TransitionNotAllowed) and (said := guard_message(exc.guards)):
        return _("Not possible now: %(why)s", why=said)
    return _(str(exc))
