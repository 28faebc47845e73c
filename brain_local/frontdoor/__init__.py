"""The TLS front door of the client API (:mod:`.server`: HTTP and WebSocket, the web chat's static
files) and the local certificate authority that signs its certificate (:mod:`.local_ca`)."""
