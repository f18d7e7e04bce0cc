"""The notifier: turns ``notification.requested`` events into emails and Slack messages.

It mints each review link itself (for the link token id the campaign named) with the shared
session secret, so no usable link is ever written to the event log; every attempt ends in a
``notification.sent`` or ``notification.failed`` event.
"""
