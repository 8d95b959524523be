"""The admin form refuses a name that would break the person's mail, saying so in Swedish at the field."""

from __future__ import annotations

import pytest

from engine.accounts.admin import users


@pytest.mark.parametrize("name", ["Olle\r\nBcc: everyone@example.org", "Olle\tOlsson", "Olle\x00"])
def test_a_name_with_a_control_character_is_refused_at_its_field(web, eng, name):
    web.login("admin")
    r = web.post("/admin/users", {"username": "olle", "name": name, "email": "olle@hoor.se",
                                  "password": "ett-langt-losenord", "language": "sv", "roles": ""})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Skriv namnet på en rad, utan radbrytningar, tabbar eller andra styrtecken." in page
    assert '<a href="#name">' in page  # the summary at the top links to the field
    assert "olle" not in {u.username for u in users(eng, "admin")}
