"""Files on the case page and through the API: a form that works without JavaScript, downloads that are saved
and never run, refusals in Swedish, multipart uploads, and nothing of a confidential case for outsiders."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from PIL import Image

from engine.accounts.tokens import create_token
from engine.runtime.engine import Engine
from tests.web.conftest import Web
from web import create_app

MINUTES = b"%PDF-1.4\n% Protokoll fr\xc3\xa5n trygghetsgruppen\n%%EOF\n"


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 120, 200)).save(buf, "PNG")
    return buf.getvalue()


def _upload(web: Web, case_id: int, *files: tuple[bytes, str]) -> Any:
    return web.post(f"/cases/{case_id}/attachments", {"files": [(io.BytesIO(b), n) for b, n in files]},
                    content_type="multipart/form-data")


def test_attach_several_files_download_them_byte_identical_and_see_them_in_the_history(
        web: Web, open_case: Callable[..., int]) -> None:
    case_id = open_case(title="Trygghetsgruppens möte", group="trygghetsgruppen")
    web.login("police")
    page = web.text(f"/cases/{case_id}")
    form = re.search(r'<form method="post" enctype="multipart/form-data" action="/cases/\d+/attachments"[^>]*>', page)
    assert form, "a plain form that works without JavaScript"
    assert re.search(r'<input type="file" id="attach-files" name="files" multiple', page)
    assert "högst 25 MB per fil" in page

    photo = _photo()
    sent = _upload(web, case_id, (MINUTES, "Protokoll Höör.pdf"), (photo, "klotter.png"))
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(f"/cases/{case_id}#files")
    page = web.text(f"/cases/{case_id}")
    assert "Bifogat: Protokoll Höör.pdf, klotter.png" in page
    assert page.count("bifogade en fil") == 2, "each file is a row of the history"
    links = re.findall(r'href="(/cases/\d+/attachments/\d+)" class="file-name">([^<]+)<', page)
    assert [name for _href, name in links] == ["Protokoll Höör.pdf", "klotter.png"]

    pdf = web.client.get(links[0][0])
    assert pdf.status_code == 200
    assert pdf.data == MINUTES
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Protokoll%20H%C3%B6%C3%B6r.pdf" in pdf.headers["Content-Disposition"]
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in pdf.headers["Content-Security-Policy"]
    pdf.close()
    png = web.client.get(links[1][0])
    assert png.data == photo
    png.close()

    preview = re.search(r'<img src="(/cases/\d+/attachments/\d+/preview)"', page)
    assert preview, "images are shown as thumbnails"
    thumb = web.client.get(preview.group(1))
    assert thumb.mimetype == "image/jpeg"
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 240
    assert web.client.get(links[0][0] + "/preview").status_code == 404, "no preview of a PDF"


def test_a_refused_file_re_shows_the_page_saying_why_in_swedish(web: Web, eng: Engine,
                                                               open_case: Callable[..., int]) -> None:
    case_id = open_case()
    web.login("member")
    refused = _upload(web, case_id, (MINUTES, "ok.pdf"), (b"MZ\x90\x00" + b"\x00" * 64, "faktura.pdf"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert ("”faktura.pdf” är ett program, som inte kan bifogas här. Bifoga en PDF, en bild, ett Office-dokument "
            "eller en textfil.") in page
    assert 'aria-invalid="true"' in page
    assert "Inga filer ännu." in page

    eng.config = dataclasses.replace(eng.config, files=dataclasses.replace(eng.config.files, max_bytes=2**18))
    # (under the half megabyte past which the test client spools a request to a file it never closes)
    too_big = _upload(web, case_id, (MINUTES + b"x" * 2**18, "stor.pdf")).get_data(as_text=True)
    assert "”stor.pdf” är större än 0,25 MB, som är det största en fil får vara." in too_big
    empty = _upload(web, case_id, (b"", "tom.pdf")).get_data(as_text=True)
    assert "”tom.pdf” är tom; välj filen igen." in empty


def test_a_request_larger_than_every_file_may_be_is_refused_before_it_is_read(
        web: Web, eng: Engine, open_case: Callable[..., int]) -> None:
    case_id = open_case()
    web.login("member")
    eng.config = dataclasses.replace(eng.config, files=dataclasses.replace(eng.config.files, max_bytes=100))
    response = _upload(web, case_id, (MINUTES * 2000, "jättestor.pdf"))
    assert response.status_code == 413
    assert "Filerna är för stora tillsammans" in response.get_data(as_text=True)


def test_remove_a_file_from_the_page(web: Web, open_case: Callable[..., int]) -> None:
    case_id = open_case()
    web.login("member")
    _upload(web, case_id, (MINUTES, "utkast.pdf"))
    page = web.text(f"/cases/{case_id}")
    action = re.search(r'action="(/cases/\d+/attachments/\d+/remove)"', page)
    assert action
    assert web.post(action.group(1)).status_code == 302
    page = web.text(f"/cases/{case_id}")
    assert "Borttagen: utkast.pdf." in page
    assert "tog bort en fil" in page
    assert "Inga filer ännu." in page


def test_outsiders_get_404_for_a_confidential_cases_files(web: Web, make_web: Callable[[], Web],
                                                          open_case: Callable[..., int]) -> None:
    case_id = open_case(group="polisen", as_user="police", confidential=True)
    web.login("police")
    _upload(web, case_id, (MINUTES, "hemlig.pdf"))
    href = re.search(r'href="(/cases/\d+/attachments/\d+)" class="file-name"', web.text(f"/cases/{case_id}"))
    assert href
    outsider = make_web()
    outsider.login("outsider")
    assert outsider.client.get(href.group(1)).status_code == 404
    assert outsider.client.get(href.group(1) + "/preview").status_code == 404
    assert _upload(outsider, case_id, (MINUTES, "x.pdf")).status_code == 404
    assert outsider.post(href.group(1) + "/remove").status_code == 404


def _token(eng: Engine, username: str) -> dict[str, str]:
    with eng.db.write() as s:
        _info, token = create_token(s, username, "test", eng.now())
    return {"Authorization": f"Bearer {token}"}


def test_api_multipart_upload_list_download_and_delete(client: FlaskClient, eng: Engine,
                                                        open_case: Callable[..., int]) -> None:
    case_id = open_case(group="polisen", as_user="police", confidential=True)
    police, outsider = _token(eng, "police"), _token(eng, "outsider")
    url = f"/api/v1/cases/{case_id}/attachments"
    sent = client.post(url, headers=police, content_type="multipart/form-data",
                       data={"file": [(io.BytesIO(MINUTES), "protokoll.pdf"), (io.BytesIO(b"Klotter\n"), "a.txt")]})
    assert sent.status_code == 201, sent.get_json()
    files = sent.get_json()
    assert [(f["name"], f["size"], f["uploaded_by"]) for f in files] == [
        ("protokoll.pdf", len(MINUTES), "police"), ("a.txt", 8, "police")]
    assert client.get(url, headers=police).get_json() == files
    assert client.get(f"/api/v1/cases/{case_id}", headers=police).get_json()["attachments"] == files

    download = client.get(f"{url}/{files[0]['id']}", headers=police)
    assert download.data == MINUTES
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()

    for call in (client.get(url, headers=outsider), client.get(f"{url}/{files[0]['id']}", headers=outsider),
                 client.delete(f"{url}/{files[0]['id']}", headers=outsider),
                 client.post(url, headers=outsider, content_type="multipart/form-data",
                             data={"file": (io.BytesIO(MINUTES), "x.pdf")})):
        assert call.status_code == 404
        assert call.mimetype == "application/problem+json"

    refused = client.post(url, headers=police, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(b"PK\x03\x04broken"), "avtal.docx")})
    assert refused.status_code == 422
    assert refused.get_json()["field"] == "file"
    assert "“avtal.docx” is a damaged zip archive" in refused.get_json()[
        "detail"]
    assert client.post(url, headers=police, json={"file": "x"}).status_code == 415

    gone = client.delete(f"{url}/{files[1]['id']}", headers=police)
    assert gone.status_code == 200
    assert gone.get_json()["name"] == "a.txt"
    assert [f["name"] for f in client.get(url, headers=police).get_json()] == ["protokoll.pdf"]
    assert client.get(f"{url}/{files[1]['id']}", headers=police).status_code == 404


def test_the_openapi_document_describes_the_multipart_upload_and_the_binary_download(eng: Engine) -> None:
    doc = create_app(eng.config, engine=eng, testing=True).test_client().get("/api/v1/openapi.json").get_json()
    upload = doc["paths"]["/cases/{case_id}/attachments"]["post"]
    assert set(upload["requestBody"]["content"]) == {"multipart/form-data"}
    assert "413" in upload["responses"]
    assert "422" in upload["responses"]
    download = doc["paths"]["/cases/{case_id}/attachments/{attachment_id}"]["get"]
    assert set(download["responses"]["200"]["content"]) == {"application/octet-stream"}
    assert "delete" in doc["paths"]["/cases/{case_id}/attachments/{attachment_id}"]
