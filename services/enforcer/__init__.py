"""The enforcer: turns ``revocation.requested`` into removed access, guarded, phased, verified
and reversible (``accessreview service enforcer``, ``accessreview revoke ...``)."""
