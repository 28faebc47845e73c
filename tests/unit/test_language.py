import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from agents.language.model_client import ModelStalled, ModelThrottled, ModelUnavailable, model_error
from agents.language.streaming import Coalescer, speak
from brain_core.contracts import PerceptionResult


class Sink:
    def __init__(self, earlier: list[str] = (), ended: bool = False):
        self.written, self.seq, self.first_written_at = [], 0, None
        self.earlier, self.ended = list(earlier), ended  # what a run that died had streamed

    def write(self, text, done=False):
        self.written.append(text)
        self.seq += 1
        self.first_written_at = self.first_written_at or 1.0

    def streamed(self):
        return "".join(self.earlier), len(self.earlier), self.ended


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class ScriptedModel:
    usage = {"inputTokens": 12, "outputTokens": 3}

    def __init__(self, deltas):
        self.deltas = deltas
        self.calls = []

    def stream(self, model_id, system, messages, inference):
        self.calls.append((model_id, system, messages, inference))
        yield from self.deltas


def perception(valid=True):
    return PerceptionResult(
        valid=valid,
        problem=None if valid else "I felt only an empty ripple.",
        system="persona",
        messages=[{"role": "user", "content": [{"text": "hi"}]}],
        history=[],
        cacheHit=False,
        elapsedMs=1.0,
    )


def test_first_delta_is_written_at_once_then_coalesced_per_interval():
    sink, clock = Sink(), Clock()
    coalescer = Coalescer(sink, interval_ms=100, clock=clock)
    coalescer.add("Hel")
    assert sink.written == ["Hel"]
    clock.now = 0.05
    coalescer.add("lo ")
    coalescer.add("there")
    assert sink.written == ["Hel"]
    clock.now = 0.11
    coalescer.add("!")
    assert sink.written == ["Hel", "lo there!"]
    coalescer.flush()
    assert sink.written == ["Hel", "lo there!"]


def test_speak_streams_the_model_reply_and_reports_usage():
    sink = Sink()
    model = ScriptedModel(["I ", "float ", "here."])
    result = speak(perception(), model, sink, "m-1", {"maxTokens": 10}, interval_ms=100)
    assert result.text == "I float here." and "".join(sink.written) == "I float here."
    assert result.outputTokens == 3 and result.model == "m-1" and result.chunks == len(sink.written)
    assert model.calls[0][1] == "persona" and model.calls[0][3] == {"maxTokens": 10}


def test_speak_streams_perceptions_refusal_without_calling_the_model():
    sink, model = Sink(), ScriptedModel(["never"])
    result = speak(perception(valid=False), model, sink, "m-1", {}, 100)
    assert result.refused and result.text == "I felt only an empty ripple." and model.calls == []
    assert sink.written == ["I felt only an empty ripple."]


def _client_error(code):
    return ClientError({"Error": {"Code": code, "Message": "m"}}, "ConverseStream")


def test_bedrock_failures_become_named_workflow_errors():
    assert isinstance(model_error(_client_error("ThrottlingException")), ModelThrottled)
    assert isinstance(model_error(_client_error("throttlingException")), ModelThrottled)
    assert isinstance(model_error(_client_error("InternalServerException")), ModelUnavailable)
    assert isinstance(model_error(ReadTimeoutError(endpoint_url="http://x")), ModelStalled)


def test_unknown_model_client_kind_fails_loudly():
    from agents.language.model_client import make_model_client

    with pytest.raises(ValueError, match="MODEL_CLIENT"):
        make_model_client("openai", 2, 5)


def test_a_run_that_takes_over_continues_the_dead_runs_stream_with_a_prefill():
    sink = Sink(earlier=["I ", "float "])
    model = ScriptedModel([" in", " a jar."])
    result = speak(perception(), model, sink, "m-1", {}, 100, resume=True)
    messages = model.calls[0][2]
    assert messages[-1] == {"role": "assistant", "content": [{"text": "I float"}]}  # no trailing space
    assert sink.written == ["in", " a jar."]  # the space before "in" was streamed already
    assert result.text == "I float in a jar." and result.chunks == 4


def test_a_run_that_finds_the_stream_ended_returns_its_text_without_the_model():
    sink, model = Sink(earlier=["All said."], ended=True), ScriptedModel(["never"])
    result = speak(perception(), model, sink, "m-1", {}, 100, resume=True)
    assert result.text == "All said." and model.calls == [] and sink.written == []


def test_a_refusal_already_streamed_is_not_streamed_twice():
    sink, model = Sink(earlier=["I felt only an empty ripple."]), ScriptedModel(["never"])
    result = speak(perception(valid=False), model, sink, "m-1", {}, 100, resume=True)
    assert result.refused and sink.written == [] and model.calls == []
