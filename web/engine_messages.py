"""Engine messages that a person sees in forms, listed here so they get translations.

The engine speaks English; the views pass its messages through gettext, so each one
named here is shown in Swedish to Swedish users. Messages with names in them (a user,
a group) stay in English.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

__all__ = ["ENGINE_MESSAGES"]

ENGINE_MESSAGES = [
    _l("Give the case a title."),
    _l("A title is at most 200 characters; put details in the description."),
    _l("Write something in the comment."),
    _l("Say which group owns the case (--group KEY)."),
    _l("You can open cases only for groups you belong to; ask the chair or a member."),
    _l("Only the owning group's members or the chair may assign this case."),
    _l("You can claim only cases of a group you belong to."),
    _l("Choose a person to assign the case to."),
    _l("A password needs at least 10 characters."),
    _l("A user name is 2-64 lower-case letters, digits, '.', '_' or '-'."),
    _l("You cannot disable your own account; ask another administrator."),
    _l("Only the chair or the owning group may send a reminder about this case."),
]
