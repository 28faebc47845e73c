"""Shared by every agent: contracts, configuration and data access. Kept small: it ships in each function."""
