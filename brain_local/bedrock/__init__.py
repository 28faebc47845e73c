"""The Bedrock runtime API offline (:mod:`.service`): Converse and ConverseStream, with the request
checked as Bedrock checks it (:mod:`.converse_request`) and streamed in AWS's event-stream framing
(:mod:`.eventstream`). The models behind it are in :mod:`brain_local.models`."""
