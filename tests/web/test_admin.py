"""Administering users: errors at the field with the text kept, a summary at the top, enabling, Swedish messages."""

from __future__ import annotations

from engine.accounts.admin import disable, users


def _memberships(eng, username):
    return {u.username: u for u in users(eng, "admin")}[username].memberships


def _create_user(web, **changes):
    """Send the "New user" form, valid but for `changes`."""
    form = {"username": "bo", "name": "Bo", "email": "bo@hoor.se", "password": "ett-langt-losenord",
            "language": "sv", "roles": ""}
    return web.post("/admin/users", {**form, **changes})


def test_malformed_roles_of_a_user_are_shown_at_their_field_with_the_text_as_typed(web, eng):
    before = _memberships(eng, "official")
    web.login("admin")
    r = web.post("/admin/users/official/roles", {"roles": "official socialnamnden"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'value="official socialnamnden" aria-invalid="true" aria-describedby="roles-official-error"' in page
    assert ('<p class="field-error" id="roles-official-error">Skriv varje roll som roll:grupp, '
            "inte ”official socialnamnden”.</p>") in page
    assert '<a href="#roles-official">' in page
    assert _memberships(eng, "official") == before


def test_unknown_role_of_a_user_is_named_in_swedish(web):
    web.login("admin")
    r = web.post("/admin/users/official/roles", {"roles": "boss:ksau"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "Okänd roll ”boss”; välj en av: " in page
    assert "Unknown role" not in page
    assert 'value="boss:ksau"' in page


def test_create_errors_are_summarised_at_the_top_linking_to_the_field(web):
    web.login("admin")
    r = _create_user(web, username="police")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    summary = page.index('role="alert"')
    assert summary < page.index("<table")  # seen without scrolling past every user
    assert page.index('<a href="#username">', summary) < page.index("<table")
    assert "Användaren ”police” finns redan; välj ett annat användarnamn." in page
    assert 'id="username-error"' in page  # and still at the field itself
    assert "already exists" not in page


def test_engine_messages_are_english_for_english_users(web):
    web.login("admin")
    web.post("/settings", {"language": "en"})
    r = _create_user(web, username="police")
    assert "User “police” already exists; choose another user name." in r.get_data(as_text=True)
    r = web.post("/admin/users/official/roles", {"roles": "boss:ksau"})
    assert "Unknown role “boss”; choose one of: " in r.get_data(as_text=True)


def test_a_disabled_user_can_be_enabled_again(web, make_web, eng):
    disable(eng, "admin", "official")
    assert make_web().login("official").status_code == 401
    web.login("admin")
    page = web.text("/admin/users")
    assert 'action="/admin/users/official/enable"' in page
    assert "Aktivera official" in page
    r = web.post("/admin/users/official/enable")
    assert r.status_code == 302
    page = web.text("/admin/users")
    assert "official är aktiverad igen och kan logga in." in page
    assert "Inaktivera official" in page
    assert make_web().login("official").status_code == 302


def test_enabling_is_for_administrators(web, eng):
    disable(eng, "admin", "member")
    web.login("official")
    assert web.post("/admin/users/member/enable").status_code == 403


def test_disabling_oneself_is_refused_at_the_button(web):
    web.login("admin")
    r = web.post("/admin/users/admin/disable")
    assert r.status_code == 403
    page = r.get_data(as_text=True)
    assert 'id="account-admin-error"' in page
    assert "Du kan inte inaktivera ditt eget konto" in page
    assert '<a href="#account-admin">' in page


def test_a_malformed_role_list_is_reported_with_the_other_mistakes(web):
    web.login("admin")
    r = _create_user(web, password="short", roles="official socialnamnden")
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert 'id="password-error"' in page
    assert 'id="roles-error"' in page
    assert '<a href="#roles">' in page


def test_a_short_common_or_guessable_password_is_refused_saying_why_in_swedish(web, eng):
    web.login("admin")
    reasons = {"kort-ord": "Ett lösenord behöver minst 12 tecken",
               "password1234": "Lösenordet finns i en lista över de vanligaste lösenorden",
               "karin.lund.1985": "Lösenordet är lätt att gissa"}
    for password, reason in reasons.items():
        r = _create_user(web, username="karin.lund", name="Karin Lund", email="karin.lund@hoor.se",
                         password=password)
        assert r.status_code == 400
        assert reason in r.get_data(as_text=True)
    assert "karin.lund" not in {u.username for u in users(eng, "admin")}
    r = web.post("/admin/users/official/password", {"password": "qwertyuiop123"})
    assert r.status_code == 400
    assert "Lösenordet" in r.get_data(as_text=True)
    assert _create_user(web, username="karin.lund", name="Karin Lund", email="karin.lund@hoor.se",
                        password="blåbär-på-ängen-i-juli").status_code == 302
