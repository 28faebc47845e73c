"""Which model stands behind the offline Bedrock endpoint (``--model``), under which model ids."""

from __future__ import annotations

import logging

from brain_local.stack.options import OfflineStackOptions

#: The model backends behind the local Bedrock endpoint (``--model``).
MODELS = ("scripted", "smollm2")

log = logging.getLogger("brain.stack")


def make_backend(options: OfflineStackOptions):
    """The model behind the local Bedrock endpoint: the scripted test double, or SmolLM2-135M
    (:mod:`brain_local.models.smollm2`), which falls back to the scripted model, with a warning,
    where it is not installed or does not load."""
    from brain_local.models.scripted import ScriptedPersonaModel, ScriptSettings

    if options.model == "smollm2":
        from brain_local.models import smollm2, smollm2_loading

        ok, why = smollm2_loading.available()
        if ok:
            return smollm2.SmolLM2Model()
        log.warning("model smollm2 is not available (%s): using the scripted model", why)
        options.model = "scripted"
    if options.model == "scripted":
        return ScriptedPersonaModel(ScriptSettings(options.ttft_ms, options.tokens_per_second, options.reply_tokens))
    raise ValueError(f"unknown model backend {options.model!r} (choose: {', '.join(MODELS)})")


def model_ids(options: OfflineStackOptions, backend) -> dict:
    """The model ids the local Bedrock endpoint serves: the backend under its own id and the
    deployment's ``model_id``; ``insight_model_id`` (unless "none") by the same real model, or by
    a scripted double paced like a small fast model."""
    from brain_local.bedrock.service import model_table
    from brain_local.models.scripted import ScriptedPersonaModel, ScriptSettings

    s = options.settings
    table = model_table(backend, s.model_id)
    if s.insight_model_id.lower() != "none":
        if options.model == "smollm2":
            from brain_local.models.smollm2 import SmolLM2Model

            table[s.insight_model_id] = SmolLM2Model(model_id=s.insight_model_id)  # the same loaded model
        else:
            pace = ScriptSettings(options.insight_ttft_ms, options.insight_tokens_per_second, options.reply_tokens)
            table[s.insight_model_id] = ScriptedPersonaModel(pace, model_id=s.insight_model_id)
    return table
