"""The offline stack: every emulated service started in order behind one endpoint
(:mod:`.lifecycle`), and the client API assembled from Cognito, the HTTP API and Events behind
the front door (:mod:`.client_api`)."""
