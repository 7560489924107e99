"""The local platform: an in-process chat with a JSON API and a web playground, no Slack or Teams
needed."""
