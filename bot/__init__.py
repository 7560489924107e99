"""Animateur: the bot itself — vocabulary, runtime, composition root and CLI."""
