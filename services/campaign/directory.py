"""Who is who: identities from ``identity.observed``, looked up by id, email, name or Databricks id.

Reviewers are people named by email (lower case). Group membership is resolved transitively so
routing can refuse anyone who belongs to the group an item is about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from services.campaign.risk import identity_is_inactive


@dataclass
class Person:
    id: str
    identity_type: str
    name: str
    email: str | None = None
    status: str | None = None
    manager_email: str | None = None
    user_type: str | None = None
    owners: list[str] = field(default_factory=list)
    approvers: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    databricks_ids: list[str] = field(default_factory=list)
    okta_id: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def reviewer_key(self) -> str | None:
        return self.email.lower() if self.email else None

    @property
    def inactive(self) -> bool:
        return identity_is_inactive(self.status) or "deactivated_in_okta_active_in_databricks" in self.flags


class PeopleDirectory:
    def __init__(self, people: Iterable[Person]) -> None:
        self._index: dict[str, Person] = {}
        self._members_cache: dict[str, frozenset[str]] = {}
        self._emails: dict[str, str | None] = {}
        for person in people:
            for handle in (person.id, person.name, person.email, person.okta_id, *person.databricks_ids):
                if handle:
                    self._index.setdefault(handle.lower(), person)
            self._index[person.id.lower()] = person

    def find(self, handle: str | None) -> Person | None:
        return self._index.get(handle.lower()) if handle else None

    def email_of(self, handle: str) -> str | None:
        """A reviewer address for an owner/approver handle (an email, id or name)."""
        try:
            return self._emails[handle]
        except KeyError:
            pass
        person = self.find(handle)
        if person is not None and person.reviewer_key:
            email: str | None = person.reviewer_key
        else:
            email = handle.lower() if "@" in handle else None
        self._emails[handle] = email
        return email

    def is_inactive(self, email: str) -> bool:
        person = self.find(email)
        return person is not None and person.inactive

    def group_member_emails(self, group_handle: str) -> frozenset[str]:
        """Every person in a group, through nested groups."""
        group = self.find(group_handle)
        if group is None:
            return frozenset()
        cached = self._members_cache.get(group.id)
        if cached is not None:
            return cached
        self._members_cache[group.id] = frozenset()  # cycle guard
        emails: set[str] = set()
        for member in group.members:
            person = self.find(member)
            if person is None:
                if "@" in member:
                    emails.add(member.lower())
                continue
            if person.identity_type == "group":
                emails |= self.group_member_emails(person.id)
            elif person.reviewer_key:
                emails.add(person.reviewer_key)
        result = frozenset(emails)
        self._members_cache[group.id] = result
        return result
