"""The HTTP application: ``create_app`` (``app.main``), routes, sign-in (``app.auth``) and the ``voiceshop`` CLI."""
