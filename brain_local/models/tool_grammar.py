"""A forced tool call's grammar: the tool's JSON schema as a llama.cpp grammar, so the model's
answer is valid JSON of that schema (:func:`grammar_schema` narrows what llama.cpp's converter
cannot bound; :func:`tool_grammar` compiles it once per schema)."""

from __future__ import annotations

import json
import threading


def grammar_schema(schema: dict, max_string: int | None = None) -> dict:
    """The tool's schema as llama.cpp's grammar converter can enforce it: it bounds list and
    string lengths but not numbers, so a number or integer with a ``minimum`` and ``maximum``
    becomes an ``enum`` of values inside them (21 steps; every one of them valid). With
    ``max_string``, strings are held to at most that many characters (never below their
    ``minLength``): a narrower grammar, so every answer is still valid for the tool's schema."""
    if not isinstance(schema, dict):
        return schema
    out = {k: grammar_schema(v, max_string) if isinstance(v, dict) else v for k, v in schema.items()}
    if "properties" in schema:
        out["properties"] = {k: grammar_schema(v, max_string) for k, v in schema["properties"].items()}
    kind = schema.get("type")
    if kind == "string" and max_string is not None and "enum" not in schema:
        out["maxLength"] = max(
            min(int(schema.get("maxLength", max_string)), max_string), int(schema.get("minLength", 0))
        )
    if kind in ("number", "integer") and "minimum" in schema and "maximum" in schema and "enum" not in schema:
        low, high = float(schema["minimum"]), float(schema["maximum"])
        steps = [low + (high - low) * i / 20 for i in range(21)]
        out = (
            {"enum": sorted({int(round(x)) for x in steps})}
            if kind == "integer"
            else {"enum": [round(x, 2) for x in steps]}
        )
    return out


_LOOSE_CHAR = 'char ::= [^"\\\\] |'
_JSON_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |'
_grammar_lock = threading.Lock()
_grammars: dict[str, object] = {}


def tool_grammar(schema: dict, max_string: int | None = None):
    """A llama.cpp grammar for ``schema``, compiled once per schema."""
    key = json.dumps([schema, max_string], sort_keys=True)
    with _grammar_lock:
        if key not in _grammars:
            from llama_cpp import LlamaGrammar
            from llama_cpp.llama_grammar import json_schema_to_gbnf

            gbnf = json_schema_to_gbnf(json.dumps(grammar_schema(schema, max_string)))
            # The converter (0.3.16) lets a string hold raw control characters, which JSON forbids
            # (a newline inside a string); llama.cpp's own converter excludes them, as here.
            if _LOOSE_CHAR not in gbnf:
                raise RuntimeError("llama-cpp-python's JSON grammar changed: check _LOOSE_CHAR")
            gbnf = gbnf.replace(_LOOSE_CHAR, _JSON_CHAR)
            _grammars[key] = LlamaGrammar.from_string(gbnf, verbose=False)
        return _grammars[key]
