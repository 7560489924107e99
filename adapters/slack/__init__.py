"""Slack: Bolt (HTTP or Socket Mode) in, Block Kit through the Web API out."""
