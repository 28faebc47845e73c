"""Clients of the offline (or deployed) stack: the signed-in user's client of the client API
(:mod:`.api_client`), the backend-to-backend boto3 client (:mod:`.boto3_client`), a read of the
tables (:mod:`.store_view`) and the web chat driven in Chromium (:mod:`.web_probe`)."""
