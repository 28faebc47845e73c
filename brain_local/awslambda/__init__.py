"""The Lambda Invoke API offline (:mod:`.service`): each function in worker processes of its own
(:mod:`.worker`), pooled as Lambda runs execution environments (:mod:`.environments`). Named
``awslambda`` as moto names it: ``lambda`` is a Python keyword."""
