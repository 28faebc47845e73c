"""The client API's function: behind the HTTP API and its JWT authorizer (DESIGN §8)."""
