"""The neutral words adapters, engine and storage share. Imports nothing else from the project."""
