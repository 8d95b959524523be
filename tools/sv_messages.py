"""Swedish translations of the web interface; `python tools/sv_messages.py` rebuilds the catalogue.

It extracts the messages (pybabel), fills in the Swedish text from SV below, and writes
web/translations/sv/LC_MESSAGES/messages.po and the compiled messages.mo. A message
without a translation is listed and makes the script exit 1.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "web" / "translations"

SV = {
    "User name": "Användarnamn",
    "Full name": "Namn",
    "E-mail": "E-post",
    "Write a valid e-mail address.": "Skriv en giltig e-postadress.",
    "Password (at least 10 characters)": "Lösenord (minst 10 tecken)",
    "Language": "Språk",
    "Roles, as role:group separated by commas (e.g. official:socialnamnden)":
        "Roller, som roll:grupp åtskilda med komma (t.ex. official:socialnamnden)",
    "User %(name)s is created.": "Användaren %(name)s är skapad.",
    "%(user)s: %(problem)s": "%(user)s: %(problem)s",
    "%(user)s is disabled.": "%(user)s är inaktiverad.",
    "The password of %(user)s is changed.": "Lösenordet för %(user)s är ändrat.",
    "The roles of %(user)s are saved.": "Rollerna för %(user)s är sparade.",
    "Too many failed log-ins. Wait 15 minutes and try again, or ask an administrator.":
        "För många misslyckade inloggningar. Vänta 15 minuter och försök igen, eller kontakta en administratör.",
    "Wrong user name or password, or the account is disabled. Check them and try again.":
        "Fel användarnamn eller lösenord, eller så är kontot inaktiverat. Kontrollera och försök igen.",
    "Fill in both user name and password.": "Fyll i både användarnamn och lösenord.",
    "You are logged out.": "Du är utloggad.",
    "Your settings are saved.": "Dina inställningar är sparade.",
    "current": "nuvarande",
    "Workflow diagram; the current state is marked.": "Flödesschema; nuvarande status är markerad.",
    "Your role does not allow this action on this case.": "Din roll tillåter inte den här åtgärden i ärendet.",
    "This action is not possible in the case's current state. The page now shows the current state.":
        "Åtgärden går inte att göra i ärendets nuvarande status. Sidan visar nu den aktuella statusen.",
    "Done: the case is updated.": "Klart: ärendet är uppdaterat.",
    "The case is assigned.": "Ärendet är tilldelat.",
    "You now hold the case.": "Du har nu ärendet.",
    "Your comment is saved.": "Din kommentar är sparad.",
    "A reminder is sent about case %(id)s.": "En påminnelse är skickad om ärende %(id)s.",
    "Give the case a title.": "Ge ärendet en rubrik.",
    "A title is at most 200 characters; put details in the description.":
        "En rubrik får vara högst 200 tecken; skriv detaljer i beskrivningen.",
    "Write something in the comment.": "Skriv något i kommentaren.",
    "Say which group owns the case (--group KEY).": "Ange vilken grupp som äger ärendet.",
    "You can open cases only for groups you belong to; ask the chair or a member.":
        "Du kan bara öppna ärenden för grupper du tillhör; fråga ordföranden eller en medlem.",
    "Only the owning group's members or the chair may assign this case.":
        "Bara den ägande gruppens medlemmar eller ordföranden får tilldela ärendet.",
    "You can claim only cases of a group you belong to.": "Du kan bara ta ärenden i en grupp du tillhör.",
    "Choose a person to assign the case to.": "Välj en person att tilldela ärendet.",
    "A password needs at least 10 characters.": "Ett lösenord behöver minst 10 tecken.",
    "A user name is 2-64 lower-case letters, digits, '.', '_' or '-'.":
        "Ett användarnamn är 2–64 gemener, siffror, '.', '_' eller '-'.",
    "You cannot disable your own account; ask another administrator.":
        "Du kan inte inaktivera ditt eget konto; be en annan administratör.",
    "Only the chair or the owning group may send a reminder about this case.":
        "Bara ordföranden eller den ägande gruppen får skicka en påminnelse om ärendet.",
    "Not found": "Hittades inte",
    "There is nothing here that you may see. Check the address, or go back to your queues.":
        "Det finns inget här som du får se. Kontrollera adressen eller gå tillbaka till dina köer.",
    "Not allowed": "Inte tillåtet",
    "Your role does not allow this. Ask the case's owning group or the chair.":
        "Din roll tillåter inte detta. Fråga ärendets ägande grupp eller ordföranden.",
    "The form has expired": "Formuläret har gått ut",
    "The form was too old or not sent from this site. Reload the page and try again.":
        "Formuläret var för gammalt eller skickades inte från den här webbplatsen. "
        "Ladda om sidan och försök igen.",
    "Bad request": "Felaktig begäran",
    "The request could not be understood. Go back and try again.":
        "Begäran gick inte att förstå. Gå tillbaka och försök igen.",
    "This address cannot be used that way. Go back and use the form.":
        "Adressen kan inte användas så. Gå tillbaka och använd formuläret.",
    "Something went wrong": "Något gick fel",
    "An unexpected error occurred and was logged. Try again; if it persists, tell an administrator.":
        "Ett oväntat fel inträffade och loggades. Försök igen; om det kvarstår, kontakta en administratör.",
    "Opened": "Öppnat",
    "Assigned": "Tilldelat",
    "Low": "Låg",
    "Normal": "Normal",
    "High": "Hög",
    "Kind of case": "Typ av ärende",
    "Title": "Rubrik",
    "Description": "Beskrivning",
    "Owning group": "Ägande grupp",
    "Focus area": "Fokusområde",
    "Priority": "Prioritet",
    "Case officer": "Handläggare",
    "Due date": "Förfallodatum",
    "Confidential (only the owning group, the case officer and the chair see it)":
        "Sekretess (bara den ägande gruppen, handläggaren och ordföranden ser ärendet)",
    "(none)": "(inget)",
    "(nobody yet)": "(ingen ännu)",
    "Write the date as YYYY-MM-DD, for example 2027-03-01.": "Skriv datumet som ÅÅÅÅ-MM-DD, till exempel 2027-03-01.",
    "Unknown group; choose one from the list.": "Okänd grupp; välj en i listan.",
    "Unknown workflow; choose one from the list.": "Okänt flöde; välj ett i listan.",
    "Overdue": "Försenade",
    "due soon": "förfaller snart",
    "overdue": "försenad",
    "Failed notifications": "Misslyckade aviseringar",
    "Created": "Skapad",
    "Kind": "Typ",
    "Case": "Ärende",
    "Recipient": "Mottagare",
    "Attempts": "Försök",
    "Last error": "Senaste fel",
    "No failed notifications.": "Inga misslyckade aviseringar.",
    "Users": "Användare",
    "User": "Användare",
    "Roles and groups": "Roller och grupper",
    "Manage": "Hantera",
    "Disabled": "Inaktiverad",
    "Roles (role:group, …)": "Roller (roll:grupp, …)",
    "Save roles": "Spara roller",
    "New password": "Nytt lösenord",
    "Set password": "Sätt lösenord",
    "Disable %(user)s": "Inaktivera %(user)s",
    "New user": "Ny användare",
    "Roles": "Roller",
    "Groups": "Grupper",
    "Create user": "Skapa användare",
    "Agreement": "Avtalet",
    "Agreements": "Avtal",
    "The follow-up of the agreement period is not available yet.":
        "Uppföljningen av avtalsperioden är inte tillgänglig ännu.",
    "Active": "Gällande",
    "Lapsed": "Förfallet",
    "Extended": "Förlängt",
    "Revised": "Reviderat",
    "Terminated": "Uppsagt",
    "Period": "Avtalsperiod",
    "(end day not included)": "(slutdagen ingår inte)",
    "Days left": "Dagar kvar",
    "Status": "Status",
    "Renewal": "Förlängning",
    "not opened yet": "inte öppnat ännu",
    "What the agreement requires this period": "Vad avtalet kräver den här perioden",
    "Obligation": "Åtagande",
    "Done": "Utfört",
    "Cases": "Ärenden",
    "%(done)s of %(required)s": "%(done)s av %(required)s",
    "Met": "Uppfyllt",
    "Not met yet": "Inte uppfyllt ännu",
    "Skip to content": "Hoppa till innehållet",
    "Main menu": "Huvudmeny",
    "My cases": "Mina ärenden",
    "My groups": "Mina grupper",
    "Unassigned": "Ej tilldelade",
    "New case": "Nytt ärende",
    "Overview": "Översikt",
    "Admin": "Administration",
    "Notifications": "Aviseringar",
    "All notices are marked as read.": "Alla aviseringar är markerade som lästa.",
    "Mark all as read": "Markera alla som lästa",
    "New": "Ny",
    "No notifications.": "Inga aviseringar.",
    "%(n)s new": "%(n)s nya",
    "Log out": "Logga ut",
    "Follow-up of the cooperation agreement between the Police and the municipality.":
        "Uppföljning av samverkansavtalet mellan Polisen och kommunen.",
    "State": "Status",
    "Confidential": "Sekretess",
    "Someone changed this case; reload.": "Någon annan har ändrat ärendet; ladda om.",
    "The page now shows the current state: %(state)s. Your text is kept below; check the case and send it "
    "again if it still applies.":
        "Sidan visar nu aktuell status: %(state)s. Din text finns kvar nedan; kontrollera ärendet och skicka "
        "igen om den fortfarande gäller.",
    "Reload the case": "Ladda om ärendet",
    "Your text": "Din text",
    "Table": "Tabell",
    "Actions": "Åtgärder",
    "Comment for \"%(action)s\" (required)": "Kommentar till \"%(action)s\" (krävs)",
    "You cannot change the state of this case now.": "Du kan inte ändra ärendets status nu.",
    "(choose a person)": "(välj en person)",
    "Save case officer": "Spara handläggare",
    "Take the case": "Ta ärendet",
    "Send a reminder": "Skicka påminnelse",
    "Details": "Uppgifter",
    "Group": "Grupp",
    "nobody": "ingen",
    "Due": "Förfaller",
    "Takes place": "Äger rum",
    "Closed": "Avslutat",
    "Part of": "Del av",
    "Actions from this case": "Åtgärder från det här ärendet",
    "None yet.": "Inga ännu.",
    "New action from this case": "Ny åtgärd från det här ärendet",
    "Comments": "Kommentarer",
    "No comments yet.": "Inga kommentarer ännu.",
    "New comment": "Ny kommentar",
    "Add comment": "Lägg till kommentar",
    "History": "Historik",
    "by": "av",
    "Workflow": "Flöde",
    "Overdue, by group and focus area": "Försenat, per grupp och fokusområde",
    "no focus area": "inget fokusområde",
    "Days overdue": "Dagar försenat",
    "Held by": "Innehas av",
    "Reminder": "Påminnelse",
    "nobody (the group)": "ingen (gruppen)",
    "Send a reminder about case %(id)s": "Skicka en påminnelse om ärende %(id)s",
    "Remind": "Påminn",
    "Nothing is overdue.": "Inget är försenat.",
    "Back to your queues": "Tillbaka till dina köer",
    "Log in": "Logga in",
    "Password": "Lösenord",
    "The case was not opened. Correct the fields marked below.":
        "Ärendet öppnades inte. Rätta fälten som är markerade nedan.",
    "Opened from case #%(id)s.": "Öppnas från ärende #%(id)s.",
    "Leave empty for the workflow default (e.g. 20 working days).":
        "Lämna tomt för flödets standard (t.ex. 20 arbetsdagar).",
    "Open the case": "Öppna ärendet",
    "Filter": "Filtrera",
    "(all)": "(alla)",
    "Due from": "Förfaller från",
    "Due to": "Förfaller till",
    "Show": "Visa",
    "Clear filters": "Rensa filter",
    "soonest due first": "först förfallande först",
    "No cases here.": "Inga ärenden här.",
    "Pages": "Sidor",
    "Previous page": "Föregående sida",
    "Page %(n)s": "Sida %(n)s",
    "Next page": "Nästa sida",
    "Settings": "Inställningar",
    "Save": "Spara",
}


def main() -> int:
    """Extract, translate, write .po and .mo; exit 1 if a message lacks Swedish."""
    pot = OUT / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "lazy_gettext", "--no-location", "--omit-header", "-o", str(pot), str(ROOT)],
                   check=True, capture_output=True, cwd=ROOT)
    with pot.open("rb") as f:
        catalog = read_po(f, locale="sv")
    missing = [m.id for m in catalog if m.id and m.id not in SV]
    for m in catalog:
        if m.id:
            m.string = SV.get(m.id, "")
    target = OUT / "sv" / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.po").open("wb") as f:
        write_po(f, catalog, width=120)
    with (target / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    pot.unlink()
    for m in missing:
        print(f"no Swedish for: {m!r}", file=sys.stderr)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
