"""Use cases: the rules of the platform. Services take the session and the acting user, flush and never
commit, and never read the request."""
