"""One package per agent; each is its own Lambda function. No agent imports another."""
