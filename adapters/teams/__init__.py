"""Microsoft Teams: botbuilder's CloudAdapter in, Adaptive Cards through the Bot Connector out."""
