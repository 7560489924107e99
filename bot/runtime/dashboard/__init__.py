"""The facilitator's web dashboard (issue 13 §1, §2, §5): signed links, a session cookie, the
community pages with server-side SVG charts, and the CSV download."""
