"""The client API's function: behind the HTTP API and its JWT authorizer (docs/design.md §8)."""
