"""Cognito offline: the user pool, its app client and users (moto's), and the verification of the
tokens it issues (:mod:`.identity`)."""
