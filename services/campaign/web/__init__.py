"""The review experience: reviewer inbox, admin dashboard, link sign-in (server-rendered)."""
