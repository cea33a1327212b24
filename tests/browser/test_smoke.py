"""The browser setup itself: Debian's Chromium renders a page of the live server."""


def test_chromium_renders_the_api_docs(page):
    page.goto("/api/docs/")

    page.wait_for_selector("#swagger-ui .info .title")
    assert "Clinic booking and aftercare API" in page.inner_text("#swagger-ui .info .title")
    assert page.viewport_size["width"] == 360
