"""The sample photos over HTTP (``GET /fixtures/``): what a test suite without the Python
package (another language, the container image) uploads instead of ``fixture_path``."""

from __future__ import annotations

from mock_server import fixture_path


def test_the_index_lists_every_sample_photo_and_each_is_the_packaged_file(http,
                                                                          stagemock_server):
    root = stagemock_server.url
    assert http.get("/").json()["sample_photos"] == root + "/fixtures/"
    listing = http.get("/fixtures/").json()
    assert listing["photos"] == [f"{root}/fixtures/photos/{n}"
                                 for n in ("exterior.jpg", "interior.jpg", "pool.jpg")]
    assert len(listing["brackets"]) == 3
    for folder, urls in listing.items():
        for url in urls:
            r = http.get(url)
            assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
            assert r.content == fixture_path(folder, url.rsplit("/", 1)[1]).read_bytes()


def test_an_uploaded_sample_photo_makes_a_job_input(http, sp):
    photo = http.get("/fixtures/photos/interior.jpg").content
    r = sp.post("/uploads", files={"file": ("interior.jpg", photo, "image/jpeg")})
    assert r.status_code in (200, 201), r.text


def test_only_the_sample_photos_are_served(http):
    for path in ("/fixtures/accounts.yaml", "/fixtures/photos/missing.jpg",
                 "/fixtures/photos/..%2Faccounts.yaml", "/fixtures/x/accounts.yaml",
                 "/fixtures/../pyproject.toml"):
        r = http.get(path)
        assert r.status_code == 404, (path, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("application/json")
        assert b"sk_live" not in r.content and b"[project]" not in r.content  # no file's text
