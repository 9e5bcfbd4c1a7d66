"""Structured output through the official `openai` client against `hfx serve` (run by
tests/it/structured.rs on the Qwen2.5-Coder-0.5B-Instruct Q4_K_M fixture). Sampling is at
temperature 0.8, so the constraint, not a greedy model's habits, makes the answers valid.

usage: structured_client.py BASE_URL
Prints one JSON line per answer, then "all checks passed".
"""
import json
import sys

import jsonschema
import openai

base = sys.argv[1]
client = openai.OpenAI(base_url=base, api_key="none", max_retries=0)

SCHEMAS = {
    "person": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 24},
            "age": {"type": "integer", "minimum": 18, "maximum": 99},
            "languages": {
                "type": "array",
                "items": {"type": "string", "enum": ["python", "rust", "go", "c"]},
                "minItems": 1,
                "maxItems": 3,
            },
        },
        "required": ["name", "age", "languages"],
        "additionalProperties": False,
    },
    "place": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "maxLength": 20},
            "location": {
                "type": "object",
                "properties": {
                    "lat": {"type": "number", "minimum": -90, "maximum": 90},
                    "lon": {"type": "number", "minimum": -180, "maximum": 180},
                },
                "required": ["lat", "lon"],
                "additionalProperties": False,
            },
            "tags": {
                "type": "array",
                "items": {"type": "string", "maxLength": 12},
                "minItems": 2,
                "maxItems": 4,
            },
        },
        "required": ["city", "location", "tags"],
        "additionalProperties": False,
    },
    "plan": {
        "$defs": {
            "step": {
                "type": "object",
                "properties": {
                    "n": {"type": "integer", "minimum": 1, "maximum": 9},
                    "action": {"type": "string", "enum": ["add", "remove", "rename"]},
                },
                "required": ["n", "action"],
                "additionalProperties": False,
            }
        },
        "type": "object",
        "properties": {
            "done": {"type": "boolean"},
            "steps": {"type": "array", "items": {"$ref": "#/$defs/step"}, "minItems": 1, "maxItems": 3},
        },
        "required": ["done", "steps"],
        "additionalProperties": False,
    },
}
PROMPTS = {
    "person": "Invent a programmer and describe them.",
    "place": "Describe a city you like.",
    "plan": "Plan the edits to a list of files.",
}

seed = 11
for name, schema in SCHEMAS.items():
    r = client.chat.completions.create(
        model="qwen",
        messages=[{"role": "user", "content": PROMPTS[name]}],
        response_format={"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": True}},
        temperature=0.8,
        seed=seed,
        n=2,
        max_tokens=200,
    )
    seed += 2
    for c in r.choices:
        assert c.finish_reason == "stop", (name, c)
        value = json.loads(c.message.content)
        jsonschema.validate(value, schema)
        print(json.dumps({"schema": name, "answer": value}))

# Any JSON object.
r = client.chat.completions.create(
    model="qwen",
    messages=[{"role": "user", "content": "Give me a JSON object describing a cat."}],
    response_format={"type": "json_object"},
    temperature=0.8,
    seed=5,
    max_tokens=200,
)
value = json.loads(r.choices[0].message.content)
assert isinstance(value, dict) and r.choices[0].finish_reason == "stop", r
print(json.dumps({"schema": "json_object", "answer": value}))

# Streamed: the pieces join into an answer that validates.
pieces = []
stream = client.chat.completions.create(
    model="qwen",
    messages=[{"role": "user", "content": PROMPTS["plan"]}],
    response_format={"type": "json_schema", "json_schema": {"name": "plan", "schema": SCHEMAS["plan"]}},
    temperature=0.8,
    seed=3,
    max_tokens=200,
    stream=True,
)
finish = None
for chunk in stream:
    for c in chunk.choices:
        if c.delta.content:
            pieces.append(c.delta.content)
        finish = c.finish_reason or finish
jsonschema.validate(json.loads("".join(pieces)), SCHEMAS["plan"])
assert finish == "stop" and len(pieces) > 3, (finish, pieces)
print(json.dumps({"schema": "plan (streamed)", "answer": json.loads("".join(pieces))}))

# Refused, never ignored: a schema llguidance cannot compile, an unknown type.
for bad, words in [
    ({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}}}}, "nowhere"),
    ({"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "integer", "minimum": 5, "maximum": 1}}}, "response_format"),
    ({"type": "yaml"}, "yaml"),
]:
    try:
        client.chat.completions.create(
            model="qwen", messages=[{"role": "user", "content": "hi"}], response_format=bad, max_tokens=5
        )
        raise SystemExit(f"accepted {bad}")
    except openai.BadRequestError as e:
        assert words in str(e) and "response_format" in str(e), e
# Tool calling: calls that validate against their tool's schema, whole and streamed.
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "description": "Current weather in a city",
     "parameters": {"type": "object", "properties": {"city": {"type": "string", "maxLength": 30},
                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                    "required": ["city"], "additionalProperties": False}}},
    {"type": "function", "function": {"name": "get_time", "description": "Current time in a timezone",
     "parameters": {"type": "object", "properties": {"tz": {"type": "string", "maxLength": 40}},
                    "required": ["tz"], "additionalProperties": False}}},
]
SCHEMA_OF = {t["function"]["name"]: t["function"]["parameters"] for t in TOOLS}
weather = [{"role": "user", "content": "What is the weather in Paris?"}]
for choice, seed in [("required", 1), ("required", 2), ({"type": "function", "function": {"name": "get_time"}}, 3)]:
    r = client.chat.completions.create(model="qwen", messages=weather, tools=TOOLS, tool_choice=choice,
                                       temperature=0.8, seed=seed, max_tokens=120)
    c = r.choices[0]
    assert c.finish_reason == "tool_calls" and c.message.tool_calls, c
    for call in c.message.tool_calls:
        assert call.type == "function" and call.id.startswith("call_"), call
        jsonschema.validate(json.loads(call.function.arguments), SCHEMA_OF[call.function.name])
    if isinstance(choice, dict):
        assert [t.function.name for t in c.message.tool_calls] == ["get_time"], c
    print(json.dumps({"tool_choice": choice, "calls": [t.function.model_dump() for t in c.message.tool_calls]}))

# `auto`: greedy, this model calls the weather tool for a weather question.
r = client.chat.completions.create(model="qwen", messages=weather, tools=TOOLS[:1], temperature=0, max_tokens=120)
c = r.choices[0]
assert c.finish_reason == "tool_calls" and c.message.tool_calls[0].function.name == "get_weather", c
assert json.loads(c.message.tool_calls[0].function.arguments)["city"] == "Paris", c
print(json.dumps({"tool_choice": "auto", "calls": [t.function.model_dump() for t in c.message.tool_calls]}))

# Streamed: id and name first, then the arguments, reassembled into a call that validates.
calls, finish = {}, None
stream = client.chat.completions.create(model="qwen", messages=weather, tools=TOOLS, tool_choice="required",
                                        temperature=0.8, seed=4, max_tokens=120, stream=True)
for chunk in stream:
    for ch in chunk.choices:
        for d in ch.delta.tool_calls or []:
            entry = calls.setdefault(d.index, {"id": None, "name": None, "arguments": ""})
            if d.id:
                assert entry["id"] is None and d.function.name, d
                entry["id"], entry["name"] = d.id, d.function.name
            entry["arguments"] += d.function.arguments or ""
        finish = ch.finish_reason or finish
assert finish == "tool_calls" and calls, (finish, calls)
for entry in calls.values():
    assert entry["id"].startswith("call_"), entry
    jsonschema.validate(json.loads(entry["arguments"]), SCHEMA_OF[entry["name"]])
print(json.dumps({"streamed": list(calls.values())}))

# Refused with the reason: a missing named tool, a malformed tool, response_format with tools.
for kwargs, words in [
    (dict(tools=TOOLS, tool_choice={"type": "function", "function": {"name": "nope"}}), "`nope`"),
    (dict(tools=[{"type": "function", "function": {"description": "no name"}}]), "tools[0]"),
    (dict(tools=TOOLS, response_format={"type": "json_object"}), "response_format"),
]:
    try:
        client.chat.completions.create(model="qwen", messages=weather, max_tokens=5, **kwargs)
        raise SystemExit(f"accepted {kwargs}")
    except openai.BadRequestError as e:
        assert words in str(e), e
print("all checks passed")
