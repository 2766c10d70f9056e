"""The settings the served site runs with are the ones the in-process app (and so every test) runs
with: a boolean setting is a boolean in the app and on/off on the command line."""

from __future__ import annotations

from scripts.publish import site


def test_the_app_and_the_command_line_have_the_same_settings(fixture_build):
    app = site.datasette_app(fixture_build)
    args = site.settings_args()
    spelled = dict(zip(args[1::3], args[2::3], strict=True))
    assert set(spelled) == set(site.SETTINGS)
    for name, value in site.SETTINGS.items():
        assert app.setting(name) == value, name
        if isinstance(value, bool):
            assert spelled[name] == ("on" if value else "off")
    # Facet suggestions cost dozens of queries per table page: off in both.
    assert app.setting("suggest_facets") is False and spelled["suggest_facets"] == "off"
