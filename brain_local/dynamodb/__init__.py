"""DynamoDB and DynamoDB Streams offline: moto's, in a process of its own (:mod:`.process`), reached
through the stack's endpoint (:mod:`.forwarder`), with writes applied in order and kept across
restarts (:mod:`.persistence`); the tables as :mod:`brain_core.tables` specifies them (:mod:`.tables`)."""
